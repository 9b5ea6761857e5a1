"""Forms of the superintendent's office: interest, administrative expenses, month close."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms

from accounts.models import Employer
from staywell.forms import MoneyField, UswdsForm
from vesting.models import PLAN_FUNDS, TransactionKind

MONEY_ERRORS = {
    "required": "Enter the amount.",
    "invalid": "Enter an amount of money, such as 125.50.",
    "max_decimal_places": "Enter dollars and cents: at most two digits after the decimal point.",
    "max_digits": "The amount is too large.",
    "max_whole_digits": "The amount is too large.",
    "min_value": "The amount must be more than zero.",
}


class DateInput(forms.DateInput):
    input_type = "date"


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class _PeriodEntryForm(UswdsForm):
    employer = forms.ModelChoiceField(
        queryset=Employer.objects.order_by("name"),
        error_messages={
            "required": "Choose the employer.",
            "invalid_choice": "Choose an employer.",
        },
    )
    amount = MoneyField(
        min_value=Decimal("0.01"),
        error_messages=MONEY_ERRORS,
        help_text="Dollars and cents, e.g. 1250.00",
    )
    period_start = forms.DateField(
        widget=DateInput,
        error_messages={
            "required": "Enter the first day of the period.",
            "invalid": "Enter a date such as 1985-06-30.",
        },
    )
    period_end = forms.DateField(
        widget=DateInput,
        error_messages={
            "required": "Enter the last day of the period.",
            "invalid": "Enter a date such as 1985-06-30.",
        },
    )
    # Hidden: a second submission of the same form posts nothing (idempotency key).
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_idempotency_key())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("period_start")
        end: date | None = data.get("period_end")
        if start and end and start > end:
            self.add_error("period_end", "The period cannot end before it starts.")
        return data


class InterestForm(_PeriodEntryForm):
    """R-FU2: interest earned by a fund, credited to the district account."""

    earned_by = forms.ChoiceField(
        label="Earned by",
        choices=[(kind.value, kind.label) for kind in PLAN_FUNDS],
        error_messages={"required": "Choose the fund that earned the interest."},
    )
    memo = forms.CharField(max_length=300, required=False)

    field_order = ["employer", "earned_by", "amount", "period_start", "period_end", "memo"]


class ExpenseForm(_PeriodEntryForm):
    """An administrative cost paid from the district account."""

    description = forms.CharField(
        max_length=300, error_messages={"required": "Describe the expense."}
    )
    payee_name = forms.CharField(
        label="Paid to",
        max_length=200,
        required=False,
        help_text="Leave blank to book it to Administrative expenses.",
    )

    field_order = ["employer", "description", "payee_name", "amount", "period_start", "period_end"]


class MonthCloseForm(UswdsForm):
    employer = forms.ModelChoiceField(
        queryset=Employer.objects.order_by("name"),
        error_messages={"required": "Choose the employer."},
    )
    month = forms.DateField(
        label="Month to close",
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        error_messages={
            "required": "Enter the month.",
            "invalid": "Enter a month such as 1985-06.",
        },
    )


class StatementFilterForm(UswdsForm):
    date_from = forms.DateField(label="From", required=False, widget=DateInput)
    date_to = forms.DateField(label="To", required=False, widget=DateInput)
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "All kinds"), *TransactionKind.choices]
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The range cannot end before it starts.")
        return data


class AsOfForm(UswdsForm):
    employer = forms.ModelChoiceField(
        queryset=Employer.objects.order_by("name"), required=False, empty_label="All employers"
    )
    as_of = forms.DateField(label="As of", required=False, widget=DateInput)
