"""Forms of the plan economics pages: the projection's assumptions (with a name to save
them as a scenario). The ranges are the rules' (``assumption_errors``), so the page, the
API and the scenarios refuse the same values with the same messages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from reports.economics.rules import ASSUMPTION_FIELDS, Assumptions, assumption_errors
from staywell.forms import MoneyField, UswdsForm

# The form's groups of assumptions: (legend, field names).
GROUPS = (
    ("Premiums and money", ("major_medical_inflation", "dental_inflation", "interest_rate")),
    (
        "Claims and people",
        (
            "claims_trend",
            "covered_employees",
            "headcount_growth",
            "full_tier_share",
            "turnover",
        ),
    ),
    ("Stay-Well", ("deductible", "maximum_vest", "admin_per_family")),
    ("High-deductible plan", ("hdhp_deductible", "hsa_contribution")),
    ("State pool", ("pool_premium", "pool_inflation")),
)

HINTS = {
    "major_medical_inflation": "Percent a year: the carrier's major-medical premium",
    "dental_inflation": "Percent a year: the dental premium, the same under every option",
    "interest_rate": "Percent a year on the money the plan holds for the employees",
    "claims_trend": "Percent a year: how each family's claims grow",
    "covered_employees": "Employees covered in any tier",
    "headcount_growth": "Percent a year",
    "full_tier_share": "Tier mix: percent of the covered employees in the full tier",
    "turnover": "Percent of the vested liability paid out each year (people leaving)",
    "deductible": "Dollars per family per year",
    "maximum_vest": "Dollars per year, at most the deductible",
    "admin_per_family": "Dollars per family per year",
    "hdhp_deductible": "Dollars per family per year",
    "hsa_contribution": "Dollars the employer deposits per family per year",
    "pool_premium": "Dollars per member per month in the first projected year",
    "pool_inflation": "Percent a year",
}


def _field(kind: str, label: str, hint: str) -> forms.Field:
    if kind == "count":
        return forms.IntegerField(label=label, help_text=hint, min_value=0)
    if kind == "money":
        return MoneyField(label=label, help_text=hint)
    return forms.DecimalField(label=label, help_text=hint, max_digits=5, decimal_places=2)


class AssumptionsForm(UswdsForm):
    """The assumptions a superintendent may change; ``name`` saves them as a scenario."""

    mark_required = False  # every assumption is needed; the labels carry no "*"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label, kind, _, _ in ASSUMPTION_FIELDS:
            self.fields[name] = _field(kind, label, HINTS[name])
        self.fields["name"] = forms.CharField(
            label="Scenario name",
            required=False,
            max_length=100,
            help_text="To save these assumptions; a name already used changes that scenario",
        )
        self._style()

    def _style(self) -> None:
        """The USWDS classes and hints on the fields added after the base form set up."""
        for name, field in self.fields.items():
            widget = field.widget
            if "usa-input" not in widget.attrs.get("class", ""):
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} usa-input".strip()
            if field.help_text:
                widget.attrs["aria-describedby"] = f"{self[name].auto_id}-hint"
            if name != "name":
                widget.attrs.setdefault("inputmode", "decimal")

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names]) for legend, names in GROUPS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, message in assumption_errors(cleaned).items():
            if name in cleaned:  # a field already refused keeps its own message
                self.add_error(name, message)
        return cleaned

    def values(self) -> dict[str, Any]:
        """The assumptions typed, checked (after ``is_valid``)."""
        return {name: self.cleaned_data[name] for name, *_ in ASSUMPTION_FIELDS}


def initial_from(assumptions: Assumptions) -> dict[str, Any]:
    """The form's initial values: percentages and money with two places."""
    values: dict[str, Any] = {}
    for name, _, kind, _, _ in ASSUMPTION_FIELDS:
        value = getattr(assumptions, name)
        values[name] = value if kind == "count" else Decimal(value).quantize(Decimal("0.01"))
    return values
