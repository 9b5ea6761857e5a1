"""Forms of the vesting pages: start a rollover, filter payouts, make a register, record a
continuation premium, name a beneficiary's payee, and the (always refused) withdrawal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms

from accounts.models import Employer
from accounts.rules import parse_policy_year
from staywell.forms import MoneyField, UswdsForm
from vesting.ledger.forms import MONEY_ERRORS, DateInput
from vesting.models import Payout


class RunStartForm(UswdsForm):
    policy_year = forms.CharField(
        label="Policy year",
        max_length=9,
        help_text="The year that ended on June 30, written like 1984-85.",
        error_messages={"required": "Enter the policy year, e.g. 1984-85."},
    )

    employer = forms.ModelChoiceField(
        label="Employer (optional)",
        queryset=Employer.objects.order_by("code"),
        required=False,
        empty_label="Every employer of the pool",
        help_text="One employer: its earlier years not vested yet are rolled over too, in order.",
    )
    override_reason = forms.CharField(
        label="Reason to start with months not closed (administrators only)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Leave blank: the rollover waits until every month of the year is closed.",
    )

    def clean_policy_year(self) -> int:
        try:
            return parse_policy_year(self.cleaned_data["policy_year"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class WithdrawalForm(UswdsForm):
    """R-VE5: the request is always refused, with the plan's reason."""

    kind = forms.ChoiceField(
        label="Request",
        choices=[("withdrawal", "A withdrawal"), ("loan", "A loan against the account")],
    )
    amount = MoneyField(
        min_value=Decimal("0.01"),
        error_messages=MONEY_ERRORS,
        help_text="Dollars and cents, e.g. 250.00",
    )


class ContinuationPaymentForm(UswdsForm):
    """R-VE8 / R-VE9: a month of continued coverage paid from the side account."""

    month = forms.DateField(
        label="Month of coverage",
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        error_messages={
            "required": "Enter the month.",
            "invalid": "Enter a month such as 1985-01.",
        },
    )
    premium = MoneyField(
        label="Premium",
        required=False,
        min_value=Decimal("0.01"),
        error_messages=MONEY_ERRORS,
        help_text="Leave blank for the month's premium of the continued coverage.",
    )


class PayoutFilterForm(UswdsForm):
    due_by = forms.DateField(
        label="Due by", required=False, widget=DateInput, help_text="Unpaid payouts due by then."
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "All"), ("open", "Still to pay"), *Payout.Status.choices],
    )
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "All"), *Payout.Kind.choices]
    )
    employer = forms.ModelChoiceField(
        queryset=Employer.objects.order_by("name"), required=False, empty_label="All employers"
    )
    # One employee's payouts (the employee page's link).
    employee = forms.IntegerField(required=False, widget=forms.HiddenInput)


class RegisterForm(UswdsForm):
    date = forms.DateField(
        label="Payable by",
        widget=DateInput,
        help_text="Every payout due by this day goes into the register.",
        error_messages={
            "required": "Enter the date.",
            "invalid": "Enter a date such as 1985-01-01.",
        },
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_date(self) -> date:
        value: date = self.cleaned_data["date"]
        if value > self.today:
            raise forms.ValidationError("A register cannot pay ahead: choose today or earlier.")
        return value


class FlagResolveForm(UswdsForm):
    payee_name = forms.CharField(
        label="Pay to",
        max_length=200,
        help_text="The person or estate entitled to the balance, e.g. Estate of Pat Ortiz.",
        error_messages={"required": "Name the person or estate to be paid."},
    )


class RevestForm(UswdsForm):
    """Which completed year of which employer to work out again (vesting.revest)."""

    employer = forms.ModelChoiceField(
        label="Employer",
        queryset=Employer.objects.order_by("name"),
        error_messages={
            "required": "Choose the employer.",
            "invalid_choice": "Choose the employer.",
        },
    )
    policy_year = forms.CharField(
        label="Policy year",
        max_length=9,
        help_text="A year already vested by the July 1 rollover, written like 1983-84.",
        error_messages={"required": "Enter the policy year, e.g. 1983-84."},
    )
    fingerprint = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_policy_year(self) -> int:
        try:
            return parse_policy_year(self.cleaned_data["policy_year"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
