"""ACH files made for the plan's bank (``staywell.nacha``): what was sent, kept."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from staywell.crypto import EncryptedTextField
from vesting.models.ledger import MONEY


class AchFile(models.Model):
    """A NACHA file made for a payment run (CCD, providers) or a payout register (PPD,
    employees). Made once and kept: a second download hands out the same file.

    The text holds full account numbers, so it is stored encrypted
    (``staywell.crypto``); ``entries`` lists what it pays with the accounts masked.
    """

    class Kind(models.TextChoices):
        CCD = "CCD", "Providers (CCD)"
        PPD = "PPD", "Employees (PPD)"

    kind = models.CharField(max_length=3, choices=Kind.choices)
    title = models.CharField(max_length=100)  # e.g. "Payment run 3"
    file_name = models.CharField(max_length=100)  # e.g. "payment-run-3.ach"
    content = EncryptedTextField()  # the file's text, encrypted at rest
    effective_date = models.DateField()  # the day the bank is to credit the accounts
    file_id_modifier = models.CharField(max_length=1)  # A-Z, 0-9: files of one day
    batch_count = models.PositiveIntegerField()
    entry_count = models.PositiveIntegerField()
    entry_hash = models.BigIntegerField()  # last ten digits of the sum of receiving banks
    total = models.DecimalField(**MONEY)  # dollars credited
    # What it pays: [{"employer", "reference", "name", "amount", "account"}], masked.
    entries = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_on = models.DateField()  # the file creation date in its header

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["created_on", "file_id_modifier"], name="ach_file_modifier_once_a_day"
            ),
        ]

    def __str__(self) -> str:
        return f"ACH file {self.file_name}"
