"""Forms of the report pages: which employer, which month, which year."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms

from accounts.models import Employer
from accounts.rules import parse_policy_year, parse_policy_year_param, policy_year_label
from staywell.forms import UswdsForm

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def parse_month(value: str) -> date:
    """ "1986-03" -> date(1986, 3, 1); ``ValueError`` with a readable message otherwise."""
    match = _MONTH.match(value or "")
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise ValueError("Enter the month as YYYY-MM, such as 1986-03.")
    return date(int(match.group(1)), int(match.group(2)), 1)


class MonthInput(forms.TextInput):
    input_type = "month"


class EmployerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Employer) -> str:
        return f"{obj.name} ({obj.code})"


class ScopeForm(UswdsForm):
    """The dashboard's employer filter: empty = the whole pool."""

    mark_required = False  # its labels carry no "*"

    employer = EmployerChoiceField(
        queryset=Employer.objects.order_by("name"),
        required=False,
        empty_label="All employers (pool)",
        label="Employer",
    )


class PayrollForm(UswdsForm):
    mark_required = False  # its labels carry no "*"

    employer = EmployerChoiceField(
        queryset=Employer.objects.order_by("name"), label="Employer", empty_label="Choose"
    )
    month = forms.CharField(
        label="Month",
        help_text="YYYY-MM, such as 1986-03",
        widget=MonthInput(attrs={"placeholder": "YYYY-MM"}),
        error_messages={"required": "Enter the month, such as 1986-03."},
    )

    def clean_month(self) -> date:
        try:
            return parse_month(self.cleaned_data["month"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class PayrollAllForm(UswdsForm):
    mark_required = False  # its labels carry no "*"

    prefix = "all"
    month = PayrollForm.base_fields["month"]

    clean_month = PayrollForm.clean_month


class PolicyYearField(forms.TypedChoiceField):
    """R-PY1: a policy year chosen by its label, ``1985-86`` (the value sent and the value
    in links); a bare first year, ``1985``, of older links is read as its label. Cleans to
    the first year (an int)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(coerce=parse_policy_year, **kwargs)

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        try:
            return policy_year_label(parse_policy_year_param(text)) if text else text
        except ValueError:
            return text  # not a year: "Select a valid choice"


class FundReportForm(UswdsForm):
    mark_required = False  # its labels carry no "*"

    policy_year = PolicyYearField(label="Policy year (as of June 30)")
    employer = EmployerChoiceField(
        queryset=Employer.objects.order_by("name"),
        required=False,
        empty_label="All employers (pool)",
        label="Employer",
    )

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["policy_year"].choices = [
            (policy_year_label(year), f"{policy_year_label(year)} (June 30, {year + 1})")
            for year in years
        ]


class GenerateForm(UswdsForm):
    mark_required = False  # its labels carry no "*"

    prefix = "generate"
    policy_year = PolicyYearField(label="Policy year")

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["policy_year"].choices = [(policy_year_label(y),) * 2 for y in years]
