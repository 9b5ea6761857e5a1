"""Forms of the claims pages: they parse what was typed; ``claims.services`` decides.

Decision: the entry form leaves every plan rule (amounts, dates, the family) to the
service, so that the page and the API give the same messages; the form only turns text
into a date. A date of service may be typed as 1984-10-15, 10/15/1984 or 10/15/84: a
clerk copying from a paper explanation of benefits types what is printed.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.urls import reverse

from accounts.forms import date_field
from accounts.models import BankAccountType, Employee, Employer
from accounts.rules import parse_policy_year, policy_year_label
from claims import selectors
from claims.models import SERVICE_CATEGORY_CHOICES, Claim, Payee
from claims.selectors import ClaimFilters
from staywell.forms import UswdsForm

DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y"]
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def typed_date(label: str, help_text: str = "MM/DD/YYYY or YYYY-MM-DD") -> forms.DateField:
    """A date typed as the paper shows it (:data:`DATE_FORMATS`); optional."""
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_FORMATS,
        help_text=help_text,
        error_messages={"invalid": "Enter a date such as 10/15/1984 or 1984-10-15."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class FamilyChoiceField(forms.ChoiceField):
    """The patient select: any value passes the form; the service says whether that
    person is in the family (one message for the page and the API)."""

    def valid_value(self, value: Any) -> bool:
        return True


class ClaimEntryForm(UswdsForm):
    """The clerk's entry form for one claim of one family."""

    mark_required = False  # its labels carry no "*"

    employee = forms.IntegerField(widget=forms.HiddenInput, required=False)
    patient = FamilyChoiceField(label="Patient", required=False)
    date_of_service = forms.DateField(
        label="Date of service",
        required=False,
        input_formats=DATE_FORMATS,
        help_text="MM/DD/YYYY or YYYY-MM-DD",
        error_messages={"invalid": "Enter a date such as 10/15/1984 or 1984-10-15."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    provider = forms.CharField(
        label="Provider", required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    # The directory's payee picked among the suggestions (blank: the provider's own).
    payee = forms.CharField(required=False, widget=forms.HiddenInput)
    admin_claim_number = forms.CharField(
        label="Administrator's claim number",
        required=False,
        help_text="As printed on the explanation of benefits",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    billed = forms.CharField(
        label="Billed",
        required=False,
        help_text="Dollars and cents",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "decimal"}),
    )
    allowed = forms.CharField(
        label="Allowed",
        required=False,
        help_text="Only the allowed amount counts (R-CL2)",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "decimal"}),
    )
    received_on = typed_date("Date received", "When the claim reached the plan")
    paid_on = typed_date("Date paid", "The payment run's date")
    service_category = forms.ChoiceField(
        label="Service category",
        required=False,
        choices=[("", "Not given"), *SERVICE_CATEGORY_CHOICES],
        help_text="Optional: the kind of care on the explanation of benefits",
    )
    confirm_duplicate = forms.BooleanField(
        label="This is not a duplicate: save it anyway", required=False
    )
    year = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        employee: Employee | None = None,
        patients: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        """``patients``: the employee's patient choices when already read (else read)."""
        super().__init__(*args, **kwargs)
        self.employee = employee
        if patients is None:
            patients = (
                [(p.value, p.label) for p in selectors.family_patients(employee)]
                if employee
                else []
            )
        self.fields["patient"].choices = patients
        for name in (
            "billed",
            "allowed",
            "provider",
            "admin_claim_number",
            "date_of_service",
            "received_on",
            "paid_on",
        ):
            self.fields[name].widget.attrs["class"] += " sw-entry-input"
        self.fields["provider"].widget.attrs.update(
            {
                "hx-get": reverse("claims:payee_suggest"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#payee-suggestions",
                "hx-swap": "outerHTML",
                "hx-sync": "this:replace",
                "aria-controls": "payee-suggestions",
            }
        )

    service_fields = {"employee": None, "duplicate": None, "claim": None}

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "employee": self.employee,
            "patient": data.get("patient") or None,
            "date_of_service": data.get("date_of_service"),
            "provider": data.get("provider", ""),
            "admin_claim_number": data.get("admin_claim_number", ""),
            "billed": data.get("billed", ""),
            "allowed": data.get("allowed", ""),
        }

    def payee_kwargs(self) -> dict[str, Any]:
        """The payee picked (``claims.services.payees.payee_for_claim``)."""
        return {"payee": self.cleaned_data.get("payee") or None}

    def category_kwargs(self) -> dict[str, Any]:
        """The service category chosen (blank: not given)."""
        return {"service_category": self.cleaned_data.get("service_category", "")}

    def date_kwargs(self) -> dict[str, Any]:
        """The business dates typed (blank: the service's defaults)."""
        return {
            "received_on": self.cleaned_data.get("received_on"),
            "paid_on": self.cleaned_data.get("paid_on"),
        }


class VoidForm(UswdsForm):
    mark_required = False  # its labels carry no "*"

    reason = forms.CharField(
        label="Reason for the void",
        max_length=250,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": "Give the reason for the void."},
    )
    effective_date = typed_date("Date of the void", "Its reversals' date; blank: today")


class AdjustForm(UswdsForm):
    mark_required = False  # its labels carry no "*"

    allowed = forms.CharField(
        label="New allowed amount",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "decimal"}),
        error_messages={"required": "Enter the new allowed amount."},
    )
    reason = forms.CharField(
        label="Reason for the adjustment",
        max_length=250,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": "Give the reason for the adjustment."},
    )
    effective_date = typed_date("Date of the adjustment", "Its postings' date; blank: today")


class AttachmentForm(UswdsForm):
    mark_required = False  # its labels carry no "*"

    file = forms.FileField(
        label="Explanation of benefits or bill",
        help_text="PDF, PNG or JPEG, up to 10 MB",
        error_messages={"required": "Choose a PDF, PNG or JPEG file."},
    )


STATUS_CHOICES = [("", "Any status"), *Claim.Status.choices]


class ClaimFilterForm(UswdsForm):
    """The claims list's filters (GET). Invalid values are ignored, not errors."""

    employer = forms.ModelChoiceField(
        queryset=Employer.objects.order_by("name"),
        required=False,
        empty_label="All employers",
        label="Employer",
    )
    employee = forms.CharField(
        label="Employee (number or name)",
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False, label="Status")
    policy_year = forms.ChoiceField(required=False, label="Policy year")
    # One family (the policyholder's id): the employee page's link to the family's claims.
    family = forms.IntegerField(required=False, widget=forms.HiddenInput)
    date_from = date_field("Service from", required=False)
    date_to = date_field("Service to", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["policy_year"].choices = [
            ("", "Any year"),
            *[(policy_year_label(y), label) for y, label in selectors.policy_year_choices()],
        ]

    def filters(self) -> ClaimFilters:
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()
            data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        year = None
        if data.get("policy_year"):
            try:
                year = parse_policy_year(data["policy_year"])
            except ValueError:
                year = None
        employer = data.get("employer")
        return ClaimFilters(
            employer_id=employer.pk if employer else None,
            employee=data.get("employee") or "",
            employee_id=data.get("family"),
            status=data.get("status") or "",
            policy_year=year,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )

    def querystring(self) -> str:
        if not self.is_bound:
            return ""
        query = self.data.copy()
        query.pop("page", None)
        return query.urlencode()


class PayeeForm(UswdsForm):
    """A payee of the directory (``claims.services.payees`` checks the name)."""

    mark_required = False  # its labels carry no "*"

    name = forms.CharField(
        label="Name, as printed on the check",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": "Enter the payee's name."},
    )
    address = forms.CharField(
        label="Mailing address", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    active = forms.BooleanField(
        label="Active: offered when a claim is entered", required=False, initial=True
    )
    routing_number = forms.CharField(
        label="Bank routing number (for direct deposit)",
        required=False,
        max_length=20,
        help_text="Nine digits. With a bank account the payee's checks are paid by ACH.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    account_number = forms.CharField(
        label="Bank account number",
        required=False,
        max_length=40,
        help_text="Kept encrypted and shown as its last four digits.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    account_type = forms.ChoiceField(
        label="Account type",
        choices=BankAccountType.choices,
        initial=BankAccountType.CHECKING,
        required=False,
    )
    remove_bank_account = forms.BooleanField(
        label="Remove the bank account: pay this payee by check", required=False
    )

    def __init__(self, *args: Any, instance: Payee | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": instance.name,
                    "address": instance.address,
                    "active": instance.active,
                    "routing_number": instance.routing_number,
                    "account_type": instance.account_type,
                },
            )
        super().__init__(*args, **kwargs)
        if instance is not None and instance.account_number:
            hint = f"Now {instance.account_masked}; leave blank to keep it. Kept encrypted."
            # The bound field read its hint already (UswdsForm links it): both change.
            self.fields["account_number"].help_text = self["account_number"].help_text = hint
        if instance is None or not instance.routing_number:
            del self.fields["remove_bank_account"]


class PaymentRunForm(UswdsForm):
    mark_required = False  # its labels carry no "*"

    paid_on = typed_date("Date of the run", "Its checks' date; blank: today")


class ImportForm(UswdsForm):
    mark_required = False  # its labels carry no "*"

    file = forms.FileField(
        label="The claims administrator's file (CSV)",
        help_text="UTF-8 CSV with the columns below; the first row names them.",
        error_messages={"required": "Choose the CSV file to import."},
    )


def parse_date(value: Any) -> date | None:
    """A date typed in one of :data:`DATE_FORMATS`, else None."""
    from datetime import datetime

    text = str(value or "").strip()
    if _ISO_DATE.fullmatch(text):  # the files' own form, read without strptime
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


class RemittanceForm(UswdsForm):
    mark_required = False  # its labels carry no "*"

    file = forms.FileField(
        label="The claims administrator's 835 (X12 text)",
        help_text="An X12 835 of 005010X221A1, as the administrator sends it; at most 64 MB.",
        error_messages={"required": "Choose the 835 file to import."},
    )
