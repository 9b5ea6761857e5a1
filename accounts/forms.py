"""Forms of the clerk's member pages: they parse input; the services decide.

Each form that writes has ``save(user=...)``, which calls one service (the hours change
with an R-EL8 election and the separation with an R-VE8/R-VE9 continuation call two, in
one atomic step), and ``success_message(result)``. A service's ``ValidationError`` goes
back on the form with ``form.add_service_errors(exc)`` (``staywell.forms``): on the field it names (a
service field name can be mapped to a form field with ``service_fields``), else at the top.

Decision: the forms check only what a form can (a date is a date, a number a number, a
choice is on the list); the plan's rules (hours from 0 to 80, dates after the hire,
shares up to 100%, ...) stay in ``accounts.services`` so the pages, the API and the
census import give the same answers.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import exchange, rules, selectors, services
from accounts.models import (
    BankAccountType,
    BeneficiaryDesignation,
    Dependent,
    DirectDeposit,
    Employee,
    Employer,
    Program,
)
from staywell.forms import UswdsForm
from staywell.money import ZERO

DATE_ERRORS = {
    "required": "Enter the date.",
    "invalid": "Enter a date such as 1984-10-01 (or 10/01/1984).",
}
HOURS_ERRORS = {
    "required": "Enter the weekly hours.",
    "invalid": "Enter the weekly hours as a number, such as 37.5.",
}


def long_date(day: date) -> str:
    """1983-10-01 -> "October 1, 1983"."""
    return f"{day:%B} {day.day}, {day.year}"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def date_field(label: str, *, required: bool = True, help_text: str = "") -> forms.DateField:
    messages = dict(DATE_ERRORS)
    messages["required"] = f"Enter the {label[0].lower()}{label[1:]}."
    return forms.DateField(
        label=label,
        required=required,
        widget=DateInput,
        help_text=help_text,
        error_messages=messages,
    )


class ServiceForm(UswdsForm):
    """A form whose ``save`` calls a service."""

    title = ""  # the page's heading
    intro = ""  # a sentence under the heading
    submit_label = "Save"

    def save(self, *, user: Any) -> Any:
        raise NotImplementedError

    def success_message(self, result: Any) -> str:
        return "Saved."

    def fieldsets(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """(legend, hint, fields) groups for the template; one group by default."""
        return [("", "", list(self.visible_fields()))]


# ---------------------------------------------------------------------------------------
# The employee list
# ---------------------------------------------------------------------------------------


class EmployeeFilterForm(UswdsForm):
    """The list's search and filters (GET). Invalid choices are ignored, not errors."""

    EMPLOYMENT_CHOICES = [
        ("", "Employed or separated"),
        ("active", "Employed"),
        ("separated", "Separated"),
    ]

    q = forms.CharField(
        label="Search by name or employee number",
        required=False,
        max_length=100,
        help_text="The start of a last name, first name or number; several words all match.",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "autofocus": True}),
    )
    employer = forms.TypedChoiceField(
        label="Employer", required=False, coerce=int, empty_value=None
    )
    program = forms.ChoiceField(label="Program (budget code)", required=False)
    tier = forms.ChoiceField(
        label="Tier today",
        required=False,
        choices=[("", "Any tier")] + [(t.value, t.label) for t in rules.Tier],
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Regular or temporary"), *Employee.Status.choices],
    )
    employment = forms.ChoiceField(label="Employment", required=False, choices=EMPLOYMENT_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employer"].choices = [("", "All employers")] + [
            (employer.pk, f"{employer.name} ({employer.code})")
            for employer in Employer.objects.order_by("name")
        ]
        self.fields["program"].choices = [
            ("", "All programs"),
            *selectors.program_code_choices(),
        ]
        # Search as you type (htmx); the form still works as a plain GET form.
        url = reverse("accounts:employee_list")
        for name, field in self.fields.items():
            field.widget.attrs.update(
                {
                    "hx-get": url,
                    "hx-trigger": "input changed delay:200ms, search" if name == "q" else "change",
                    "hx-target": "#employee-results",
                    "hx-include": "closest form",
                    "hx-push-url": "true",
                }
            )

    def filters(self) -> dict[str, Any]:
        """Keyword arguments of ``selectors.employee_directory`` (bad values dropped)."""
        self.is_valid()
        data = self.cleaned_data  # the valid fields only
        employment = data.get("employment")
        return {
            "search": data.get("q") or None,
            "employer_id": data.get("employer") or None,
            "program_code": data.get("program") or None,
            "tier": data.get("tier") or None,
            "status": data.get("status") or None,
            "separated": None if not employment else employment == "separated",
        }

    def querystring(self) -> str:
        """The filters as a query string, for the pagination links (without ``page``)."""
        from urllib.parse import urlencode

        pairs = [(name, self.data.get(name, "")) for name in self.fields]
        return urlencode([(name, value) for name, value in pairs if value])


# ---------------------------------------------------------------------------------------
# Hire
# ---------------------------------------------------------------------------------------


def program_choices(employer_id: int | None = None) -> list[Any]:
    """Programs grouped by employer (only the employer's when one is given)."""
    programs = Program.objects.select_related("employer").order_by("employer__name", "code")
    if employer_id:
        programs = programs.filter(employer_id=employer_id)
    groups: dict[str, list[tuple[int, str]]] = {}
    for program in programs:
        label = f"{program.employer.name} ({program.employer.code})"
        groups.setdefault(label, []).append((program.pk, f"{program.code} {program.name}"))
    if employer_id:
        return [("", "Choose a program"), *next(iter(groups.values()), [])]
    return [("", "Choose a program"), *groups.items()]


class HireForm(ServiceForm):
    title = "Hire an employee"
    submit_label = "Hire"

    employer = forms.TypedChoiceField(
        label="Employer",
        coerce=int,
        error_messages={
            "required": "Choose the employer.",
            "invalid_choice": "Choose an employer from the list.",
        },
    )
    program = forms.TypedChoiceField(
        label="Program (budget code)",
        coerce=int,
        help_text="The budget code the position is charged to; premiums go to it (II.D).",
        error_messages={
            "required": "Choose the program.",
            "invalid_choice": "Choose a program of the employer from the list.",
        },
    )
    number = forms.CharField(label="Employee number", max_length=20)
    last_name = forms.CharField(label="Last name", max_length=100)
    first_name = forms.CharField(label="First name", max_length=100)
    birth_date = date_field("Birth date", required=False)
    hire_date = date_field(
        "Hire date",
        help_text="The first day of employment. Coverage starts on the 1st of the next "
        "month, or of the month after when hired on the 11th or later (R-EL6).",
    )
    status = forms.ChoiceField(label="Status", choices=Employee.Status.choices)
    weekly_hours = forms.DecimalField(
        label="Weekly hours", help_text="From 0 to 80, e.g. 37.5.", error_messages=HOURS_ERRORS
    )
    grandfathered = forms.BooleanField(
        label="Grandfathered: employed June 30, 1979 and covered pro-rata under the "
        "previous plan (R-EL5)",
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("number", "last_name", "first_name"):
            self.fields[name].error_messages["required"] = (
                f"Enter the {self.fields[name].label.lower()}."
            )
        self.fields["employer"].choices = [("", "Choose an employer")] + [
            (employer.pk, f"{employer.name} ({employer.code})")
            for employer in Employer.objects.order_by("name")
        ]
        employer_id = self.data.get("employer") if self.is_bound else self.initial.get("employer")
        try:
            employer_id = int(employer_id) if employer_id else None
        except (TypeError, ValueError):
            employer_id = None
        self.fields["program"].choices = program_choices(employer_id)
        self.fields["employer"].widget.attrs.update(
            {
                "hx-get": reverse("accounts:program_options"),
                "hx-target": "#id_program",
                "hx-swap": "outerHTML",
                "hx-trigger": "change",
            }
        )

    def save(self, *, user: Any) -> Employee:
        data = self.cleaned_data
        return services.employee_hire(
            employer_id=data["employer"],
            program_id=data["program"],
            number=data["number"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            birth_date=data["birth_date"],
            hire_date=data["hire_date"],
            status=data["status"],
            weekly_hours=data["weekly_hours"],
            grandfathered=data["grandfathered"],
            created_by=user,
        )

    def success_message(self, result: Employee) -> str:
        first = next(
            (s for s in selectors.coverage_timeline_for(result) if s.tier != rules.Tier.NONE), None
        )
        if first is None:
            coverage = "No coverage from this status and these hours (R-EL1, R-EL4)."
        else:
            tier = rules.Tier(first.tier).label
            coverage = f"Coverage starts {long_date(first.start)} in the {tier} tier (R-EL6)."
        return f"Hired {result.full_name} ({result.employer.code} {result.number}). {coverage}"


# ---------------------------------------------------------------------------------------
# Forms about one employee
# ---------------------------------------------------------------------------------------


class EmployeeForm(ServiceForm):
    """A form about one employee (given to the constructor)."""

    def __init__(self, *args: Any, employee: Employee, **kwargs: Any) -> None:
        self.employee = employee
        super().__init__(*args, **kwargs)


class HoursChangeForm(EmployeeForm):
    """R-EL7 / R-EL8: a new status and weekly hours from a date.

    When the change is a reduction for which R-EL8 offers the continuation election
    (``selectors.reduction_election_offer``), the form asks for the employee's choice
    before anything is saved; choosing to continue records the change and the election
    in one atomic step.
    """

    title = "Change hours or status"
    submit_label = "Save the change"
    service_fields = {"reduction": "election"}
    CONTINUE, LOWER = "continue", "lower"

    effective_date = date_field(
        "Effective date", help_text="The first day the new hours or status apply."
    )
    status = forms.ChoiceField(label="Status", choices=Employee.Status.choices)
    weekly_hours = forms.DecimalField(
        label="Weekly hours", help_text="From 0 to 80, e.g. 37.5.", error_messages=HOURS_ERRORS
    )
    election = forms.ChoiceField(
        label="The employee's choice (R-EL8)",
        required=False,
        widget=forms.RadioSelect,
        choices=[
            (CONTINUE, "Continue the prior coverage to June 30, paying the difference"),
            (LOWER, "Take the lower tier"),
        ],
    )
    elected_on = date_field(
        "Election signed on",
        required=False,
        help_text="The day the employee signed the election.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offer: selectors.ElectionOffer | None = None
        if not self.is_bound:
            self.initial.setdefault("status", self.employee.status)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        effective, hours = data.get("effective_date"), data.get("weekly_hours")
        if effective is None or hours is None or data.get("status") is None:
            return data
        self.offer = selectors.reduction_election_offer(
            employee=self.employee,
            effective_date=effective,
            status=data["status"],
            weekly_hours=hours,
        )
        if self.offer is None:
            data["election"] = ""
            return data
        if not data.get("election"):
            self.add_error(
                "election",
                "This is a reduction effective October 1 to May 31: ask the employee whether "
                "to continue the prior coverage or take the lower tier (R-EL8).",
            )
        elif data["election"] == self.CONTINUE and data.get("elected_on") is None:
            self.add_error("elected_on", "Enter the day the employee signed the election.")
        return data

    def fieldsets(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        groups = [("", "", [self["effective_date"], self["status"], self["weekly_hours"]])]
        if self.offer is not None:
            offer = self.offer
            hint = (
                f"The new hours give the {offer.lower_tier.label} tier. Without an election "
                f"it starts on {long_date(offer.lower_tier_starts)}. The employee may instead "
                f"keep the {offer.prior_tier.label} coverage until "
                f"{long_date(offer.continuation_ends)} by paying what the employer no longer "
                f"pays (below 20 hours: the entire amount). The election must be signed by "
                f"{long_date(offer.sign_by)}."
            )
            groups.append(
                ("Continuation election (R-EL8)", hint, [self["election"], self["elected_on"]])
            )
        return groups

    @transaction.atomic
    def save(self, *, user: Any) -> Any:
        data = self.cleaned_data
        change = services.employee_change_hours(
            employee=self.employee,
            effective_date=data["effective_date"],
            weekly_hours=data["weekly_hours"],
            status=data["status"],
            created_by=user,
        )
        if self.offer is not None and data.get("election") == self.CONTINUE:
            services.continuation_elect(
                employee=self.employee,
                reduction_id=change.pk,
                elected_on=data["elected_on"],
                created_by=user,
            )
        return change

    def success_message(self, result: Any) -> str:
        text = (
            f"Recorded {result.weekly_hours} hours a week ({result.get_status_display().lower()}) "
            f"from {long_date(result.effective_date)}."
        )
        if self.offer is not None:
            if self.cleaned_data.get("election") == self.CONTINUE:
                text += (
                    f" The {self.offer.prior_tier.label} coverage continues to "
                    f"{long_date(self.offer.continuation_ends)}; the employee pays the difference (R-EL8)."
                )
            else:
                text += (
                    f" The {self.offer.lower_tier.label} tier starts "
                    f"{long_date(self.offer.lower_tier_starts)} (R-EL8)."
                )
        return text


class SeparationForm(EmployeeForm):
    """R-EL9 separation, with the R-VE8 / R-VE9 continuation when the person elects it."""

    title = "Record a separation"
    submit_label = "Record the separation"
    service_fields = {"employee": None}

    separation_date = date_field("Last day of employment")
    reason = forms.ChoiceField(
        label="Reason",
        choices=[("", "Choose a reason"), *Employee.SeparationReason.choices],
        error_messages={"required": "Choose the reason for the separation."},
    )
    continue_coverage = forms.ChoiceField(
        label="Does the person continue the coverage?",
        widget=forms.RadioSelect,
        initial="no",
        choices=[
            ("no", "No: coverage ends on the last day of the month (R-EL9)"),
            ("yes", "Yes: the person pays the major-medical premium (R-VE8, R-VE9)"),
        ],
        error_messages={"required": "Say whether the person continues the coverage."},
    )
    until = date_field(
        "Continue until",
        required=False,
        help_text="The last covered day. A retiree may leave it empty: coverage continues "
        "while the premiums are paid (R-VE8). Other separations: at most to the end of "
        "the third month after coverage ends (R-VE9).",
    )
    dental = forms.BooleanField(label="Dental continues too", required=False, initial=True)
    elected_on = date_field("Continuation signed on", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("continue_coverage") == "yes" and data.get("elected_on") is None:
            self.add_error("elected_on", "Enter the day the person signed the continuation.")
        return data

    def fieldsets(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [
            ("", "", [self["separation_date"], self["reason"]]),
            (
                "Continuation of coverage",
                "Only if the person elects it; not after a death.",
                [self["continue_coverage"], self["until"], self["dental"], self["elected_on"]],
            ),
        ]

    @transaction.atomic
    def save(self, *, user: Any) -> Employee:
        data = self.cleaned_data
        employee = services.employee_separate(
            employee=self.employee,
            separation_date=data["separation_date"],
            reason=data["reason"],
            created_by=user,
        )
        if data["continue_coverage"] == "yes":
            services.separation_continuation_elect(
                employee=employee,
                elected_on=data["elected_on"],
                until=data["until"],
                dental=data["dental"],
                created_by=user,
            )
        return employee

    def success_message(self, result: Employee) -> str:
        assert result.separation_date is not None
        end = rules.coverage_end(result.separation_date)
        text = (
            f"Recorded the separation of {result.full_name} on {long_date(result.separation_date)}."
        )
        if self.cleaned_data["continue_coverage"] == "yes":
            until = self.cleaned_data["until"]
            return text + (
                f" Coverage continues {'until ' + long_date(until) if until else 'while the premiums are paid'}."
            )
        return text + f" Coverage ends {long_date(end)} (R-EL9)."


class MarriageForm(EmployeeForm):
    """R-EL11: this employee marries another employee of the plan."""

    title = "Record a marriage between two employees"
    submit_label = "Record the marriage"
    service_fields = {"employee_b": "spouse_number", "employee_a": None, "retained": "retained"}
    THIS, SPOUSE = "this", "spouse"

    spouse_employer = forms.TypedChoiceField(
        label="Spouse's employer",
        coerce=int,
        error_messages={"invalid_choice": "Choose an employer from the list."},
    )
    spouse_number = forms.CharField(
        label="Spouse's employee number",
        max_length=20,
        error_messages={"required": "Enter the spouse's employee number."},
    )
    married_on = date_field("Date of the marriage")
    retained = forms.ChoiceField(
        label="Whose policy is retained?",
        widget=forms.RadioSelect,
        choices=[(THIS, "This employee's"), (SPOUSE, "The spouse's")],
        error_messages={"required": "Choose whose policy is retained."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spouse: Employee | None = None
        self.fields["spouse_employer"].choices = [
            (employer.pk, f"{employer.name} ({employer.code})")
            for employer in Employer.objects.order_by("name")
        ]
        self.initial.setdefault("spouse_employer", self.employee.employer_id)
        self.fields["retained"].choices = [
            (self.THIS, f"{self.employee.full_name}'s (this employee)"),
            (self.SPOUSE, "The spouse's"),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        employer_id, number = data.get("spouse_employer"), data.get("spouse_number")
        if employer_id and number:
            self.spouse = (
                Employee.objects.select_related("employer")
                .filter(employer_id=employer_id, number=number.strip())
                .first()
            )
            if self.spouse is None:
                self.add_error(
                    "spouse_number", f"No employee number {number} at the chosen employer."
                )
        return data

    def save(self, *, user: Any) -> Any:
        assert self.spouse is not None
        data = self.cleaned_data
        retained = self.employee if data["retained"] == self.THIS else self.spouse
        return services.employees_marry(
            employee_a_id=self.employee.pk,
            employee_b_id=self.spouse.pk,
            married_on=data["married_on"],
            retained_id=retained.pk,
            created_by=user,
        )

    def success_message(self, result: Any) -> str:
        assert self.spouse is not None
        retained = self.employee if result.retained_id == self.employee.pk else self.spouse
        other = self.spouse if retained is self.employee else self.employee
        end = rules.marriage_policy_end(result.married_on)
        return (
            f"Recorded the marriage of {self.employee.full_name} and {self.spouse.full_name}. "
            f"{retained.full_name}'s policy is retained; {other.full_name} is a dependent on it "
            f"from {long_date(end)} (R-EL11)."
        )


class DependentAddForm(EmployeeForm):
    title = "Add a dependent"
    submit_label = "Add the dependent"

    relationship = forms.ChoiceField(
        label="Relationship",
        choices=[("", "Choose"), *Dependent.Relationship.choices],
        error_messages={"required": "Choose spouse or child."},
    )
    first_name = forms.CharField(
        label="First name", max_length=100, error_messages={"required": "Enter the first name."}
    )
    last_name = forms.CharField(
        label="Last name", max_length=100, error_messages={"required": "Enter the last name."}
    )
    birth_date = date_field("Birth date", required=False)
    covered_from = date_field(
        "On the policy from",
        required=False,
        help_text="Leave empty when the dependent is covered with the employee.",
    )

    def save(self, *, user: Any) -> Dependent:
        data = self.cleaned_data
        return services.dependent_add(
            employee=self.employee,
            relationship=data["relationship"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            birth_date=data["birth_date"],
            covered_from=data["covered_from"],
        )

    def success_message(self, result: Dependent) -> str:
        return f"Added {result} to the policy of {self.employee.full_name}."


class DependentRemoveForm(EmployeeForm):
    title = "Remove a dependent from the policy"
    submit_label = "Remove from the policy"

    ended_on = date_field("Last day on the policy")
    reason = forms.CharField(label="Reason", required=False, max_length=200)

    def __init__(self, *args: Any, dependent: Dependent, **kwargs: Any) -> None:
        self.dependent = dependent
        super().__init__(*args, **kwargs)
        self.intro = f"{dependent} leaves the policy; the record is kept."

    def save(self, *, user: Any) -> Dependent:
        return services.dependent_remove(
            dependent=self.dependent,
            ended_on=self.cleaned_data["ended_on"],
            reason=self.cleaned_data["reason"],
        )

    def success_message(self, result: Dependent) -> str:
        return f"{result} is on the policy until {long_date(result.ended_on)}."


class BeneficiaryForm(EmployeeForm):
    """III.D.7: a beneficiary from the employee's signed statement."""

    title = "Add a beneficiary"
    submit_label = "Add the beneficiary"

    name = forms.CharField(
        label="Beneficiary's name", max_length=200, error_messages={"required": "Enter the name."}
    )
    relationship = forms.CharField(
        label="Relationship",
        max_length=100,
        help_text="For example spouse, daughter, estate.",
        error_messages={"required": "Enter the relationship."},
    )
    share_percent = forms.DecimalField(
        label="Share (percent)",
        help_text="The shares of the current beneficiaries add up to at most 100.",
        error_messages={
            "required": "Enter the share.",
            "invalid": "Enter the share as a number, such as 50.",
        },
    )
    signed_date = date_field("Statement signed on")
    replace_current = forms.BooleanField(
        label="This statement replaces the current one (its beneficiaries are revoked)",
        required=False,
    )

    def save(self, *, user: Any) -> BeneficiaryDesignation:
        data = self.cleaned_data
        return services.beneficiary_designate(
            employee=self.employee,
            name=data["name"],
            relationship=data["relationship"],
            share_percent=data["share_percent"],
            signed_date=data["signed_date"],
            replace_current=data["replace_current"],
            created_by=user,
        )

    def success_message(self, result: BeneficiaryDesignation) -> str:
        return f"Added {result.name} ({result.relationship}) with {result.share_percent}%."


class BeneficiaryRevokeForm(EmployeeForm):
    title = "Revoke a beneficiary"
    submit_label = "Revoke"

    revoked_on = date_field("Revoked on")

    def __init__(self, *args: Any, beneficiary: BeneficiaryDesignation, **kwargs: Any) -> None:
        self.beneficiary = beneficiary
        super().__init__(*args, **kwargs)
        self.intro = (
            f"{beneficiary.name} ({beneficiary.relationship}, {beneficiary.share_percent}%), "
            f"signed {long_date(beneficiary.signed_date)}, is no longer a beneficiary from this day."
        )

    def save(self, *, user: Any) -> BeneficiaryDesignation:
        return services.beneficiary_revoke(
            beneficiary=self.beneficiary, revoked_on=self.cleaned_data["revoked_on"]
        )

    def success_message(self, result: BeneficiaryDesignation) -> str:
        return f"Revoked {result.name} from {long_date(result.revoked_on)}."


class OverrideForm(EmployeeForm):
    """R-EL10: the clerk overrides the computed coverage; the reason is required."""

    title = "Override the coverage"
    submit_label = "Save the override"
    service_fields = {"created_by": None}

    start = date_field("First overridden day")
    end = date_field("Last overridden day", required=False, help_text="Leave empty for no end.")
    tier = forms.ChoiceField(
        label="Tier in force",
        choices=[("", "Choose a tier"), *[(t.value, t.label) for t in rules.Tier]],
        error_messages={"required": "Choose the tier."},
    )
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the computed coverage is overridden, e.g. a transfer from another district.",
        error_messages={"required": "Give the reason for the override (R-EL10)."},
    )

    def save(self, *, user: Any) -> Any:
        data = self.cleaned_data
        return services.coverage_override_add(
            employee=self.employee,
            start=data["start"],
            end=data["end"],
            tier=data["tier"],
            reason=data["reason"],
            created_by=user,
        )

    def success_message(self, result: Any) -> str:
        return (
            f"Saved the override from {long_date(result.start)}: {rules.Tier(result.tier).label}."
        )


# ---------------------------------------------------------------------------------------
# Premiums of a month, census upload
# ---------------------------------------------------------------------------------------


class MonthForm(UswdsForm):
    """The employee page's month picker (YYYY-MM); default the current month."""

    month = forms.CharField(
        label="Month",
        required=False,
        widget=forms.TextInput(attrs={"type": "month"}),
        help_text="Charged when covered on the month's first day (R-PR2).",
    )

    def clean_month(self) -> date:
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            return timezone.localdate().replace(day=1)
        try:
            year, month = (int(part) for part in value.split("-"))
            return date(year, month, 1)
        except ValueError:
            raise ValidationError("Enter a month such as 1984-10.") from None

    def first_day(self) -> date:
        if self.is_valid():
            return self.cleaned_data["month"]
        return timezone.localdate().replace(day=1)

    def premiums(self, employee: Employee) -> dict[str, Any]:
        """R-PR1 / R-PR2: the employee's premium lines of the chosen month and their
        totals; a plan year without a schedule is an error on the month."""
        first_day = self.first_day()
        problem = ""
        try:
            lines = selectors.premium_lines_for(employee, first_day.year, first_day.month)
        except ValidationError as exc:
            lines = []
            problem = " ".join(exc.messages)
        employer = sum((line.amount for line in lines if line.payer == "employer"), ZERO)
        own = sum((line.amount for line in lines if line.payer == "employee"), ZERO)
        return {
            "month": first_day,
            "lines": lines,
            "employer_total": employer,
            "employee_total": own,
            "total": employer + own,
            "problem": problem,
        }


class CensusUploadForm(UswdsForm):
    file = forms.FileField(
        label="Census file (CSV)",
        help_text="UTF-8 text with the columns listed below; at most 3,000 rows.",
        error_messages={
            "required": "Choose the CSV file to import.",
            "empty": "The file is empty.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    check_only = forms.BooleanField(label="Only check the file; save nothing", required=False)


# ---------------------------------------------------------------------------------------
# Direct deposit (payouts by ACH)
# ---------------------------------------------------------------------------------------


class BankAccountFields(UswdsForm):
    """Routing number, account number and type; the service checks them (the routing
    number by its check digit). The account number is never shown back in full."""

    routing_number = forms.CharField(
        label="Routing number",
        max_length=20,
        help_text="Nine digits, the first number at the bottom of a check.",
        error_messages={"required": "Enter the bank's routing number (nine digits)."},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    account_number = forms.CharField(
        label="Account number",
        max_length=40,
        help_text="Kept encrypted; shown afterwards as its last four digits only.",
        error_messages={"required": "Enter the account number."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    account_type = forms.ChoiceField(
        label="Account type", choices=BankAccountType.choices, initial=BankAccountType.CHECKING
    )


class DirectDepositForm(BankAccountFields, EmployeeForm):
    """The employee's bank account: lump sums from the side account are paid by ACH."""

    submit_label = "Save the bank account"

    def __init__(self, *args: Any, employee: Employee, **kwargs: Any) -> None:
        super().__init__(*args, employee=employee, **kwargs)
        current = DirectDeposit.objects.filter(employee=employee).first()
        self.title = f"Direct deposit for {employee.full_name}"
        self.intro = (
            f"Now to the account {current.account_masked} at {current.routing_number}; "
            "saving replaces it."
            if current
            else "Payouts from the side account are paid by check until a bank account is set."
        )

    def save(self, *, user: Any) -> DirectDeposit:
        data = self.cleaned_data
        return exchange.direct_deposit_set(
            employee=self.employee,
            routing_number=data["routing_number"],
            account_number=data["account_number"],
            account_type=data["account_type"],
            user=user,
        )

    def success_message(self, result: Any) -> str:
        return f"Payouts go to the account {result.account_masked} by direct deposit."


class DirectDepositRemoveForm(EmployeeForm):
    title = "Stop direct deposit"
    intro = "Payouts from the side account will be paid by check."
    submit_label = "Stop direct deposit"

    def save(self, *, user: Any) -> Any:
        exchange.direct_deposit_remove(employee=self.employee)
        return self.employee

    def success_message(self, result: Any) -> str:
        return "Direct deposit stopped: payouts go by check."


# ---------------------------------------------------------------------------------------
# The carrier's 834
# ---------------------------------------------------------------------------------------


class EnrollmentForm(UswdsForm):
    """The month and kind of an 834; ``accounts.enrollment`` checks the rest."""

    month = forms.CharField(
        label="Month",
        widget=forms.TextInput(attrs={"type": "month"}),
        help_text="The changes that take effect in it, or who is covered on its first day.",
        error_messages={"required": "Choose the month, like 1986-09."},
    )
    kind = forms.ChoiceField(
        label="File",
        widget=forms.RadioSelect,
        choices=[
            ("changes", "Changes: the month's adds, terms, tier changes and dependents"),
            ("full", "Full file: everyone covered on the month's first day"),
        ],
        initial="changes",
    )
    employer = forms.ModelChoiceField(
        label="Employer",
        queryset=Employer.objects.order_by("name"),
        required=False,
        empty_label="All employers (one transaction set each)",
    )

    def clean_month(self) -> date:
        value = (self.cleaned_data.get("month") or "").strip()
        try:
            year, month = (int(part) for part in value.split("-"))
            return date(year, month, 1)
        except ValueError:
            raise ValidationError("Enter a month such as 1986-09.") from None
