"""Forms of the administrator's pages: they parse input; ``accounts.configuration`` and
``accounts.services`` decide (the same answers as the API)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from accounts import configuration, exchange, rules, services
from accounts.forms import ServiceForm
from accounts.models import Employee, Employer, PlanYear, PremiumSchedule, Program
from accounts.signals import plan_year_use
from staywell.forms import MoneyField
from staywell.roles import Role, primary_role

MONEY_ERRORS = {
    "required": "Enter the amount.",
    "invalid": "Enter dollars and cents, like 500.00.",
    "max_digits": "The amount is too large; check it.",
    "max_decimal_places": "Enter dollars and cents: at most two decimals.",
    "max_whole_digits": "The amount is too large; check it.",
}
LINE_LABELS = {
    "major_medical_employer": "Major medical, employer",
    "major_medical_employee": "Major medical, employee",
    "trust_fund_employer": "Trust fund, employer",
    "trust_fund_employee": "Trust fund, employee",
    "dental_employer": "Dental, employer",
    "dental_employee": "Dental, employee",
}
ROLE_CHOICES = [(role.value, role.label) for role in Role]


def _money(label: str, help_text: str = "", required: bool = True) -> MoneyField:
    return MoneyField(
        label=label, help_text=help_text, required=required, error_messages=MONEY_ERRORS
    )


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m")


# ---------------------------------------------------------------------------------------
# Plan years
# ---------------------------------------------------------------------------------------


class PlanYearForm(ServiceForm):
    """A plan year's settings (R-CL1, R-VE2, R-EL5, R-VE4, R-VE7); on an existing year
    the settings locked by closed months or the rollover are shown, not editable."""

    start_year = forms.IntegerField(
        label="First year",
        help_text="The policy year runs July 1 to June 30 (R-PY1): 1986 for 1986-87.",
        error_messages={"required": "Enter the first year.", "invalid": "Enter a year."},
    )
    deductible = _money("Deductible", "Per family per policy year, dollars (R-CL1).")
    maximum_vest = _money(
        "Maximum vest", "Per employee per year, dollars; at most the deductible (R-VE2)."
    )
    carrier_maximum = _money("Carrier maximum", "The major-medical policy's maximum, dollars.")
    grandfathered_employer_share = forms.DecimalField(
        label="Grandfathered employer share",
        help_text="The fraction of the full cost the employer pays (R-EL5), 0 to 1: 0.5 is half.",
        max_digits=5,
        decimal_places=4,
        min_value=0,
        max_value=1,
        error_messages={
            "min_value": "The share is a fraction from 0 to 1 (0.5 is half).",
            "max_value": "The share is a fraction from 0 to 1 (0.5 is half).",
            "required": "Enter the share.",
            "invalid": "Enter a fraction from 0 to 1, like 0.5.",
            "max_digits": "Enter a fraction from 0 to 1, like 0.5.",
            "max_decimal_places": "The share has at most four decimals.",
            "max_whole_digits": "Enter a fraction from 0 to 1, like 0.5.",
        },
    )
    separation_year_vests = forms.BooleanField(
        label="The year of separation vests (R-VE4)",
        required=False,
        help_text="Unchecked: the stricter reading, nothing vests for the year of leaving.",
    )
    prior_year_hold_from = forms.ChoiceField(
        label="The prior year's vested amount is payable (R-VE7)",
        choices=PlanYear.PriorYearHold.choices,
        widget=forms.RadioSelect,
    )
    submit_label = "Save the plan year"

    def __init__(self, *args: Any, plan_year: PlanYear | None = None, **kwargs: Any) -> None:
        self.plan_year = plan_year
        if plan_year is not None:
            kwargs.setdefault(
                "initial",
                {
                    name: getattr(plan_year, name)
                    for name in (*configuration.MONEY_SETTINGS, *configuration.VESTING_SETTINGS)
                },
            )
        else:
            defaults = PlanYear()
            kwargs.setdefault(
                "initial",
                {
                    "deductible": defaults.deductible,
                    "maximum_vest": defaults.maximum_vest,
                    "carrier_maximum": defaults.carrier_maximum,
                    "grandfathered_employer_share": defaults.grandfathered_employer_share,
                    "separation_year_vests": True,
                    "prior_year_hold_from": PlanYear.PriorYearHold.YEAR_END,
                },
            )
        super().__init__(*args, **kwargs)
        self.locks: dict[str, str] = {}
        if plan_year is not None:
            del self.fields["start_year"]
            self.locks = configuration.plan_year_locks(plan_year)
            for name, why in self.locks.items():
                self.fields[name].disabled = True
                self.fields[name].help_text = f"Locked: {why}"
            self._bound_fields_cache.clear()  # the bound fields read the new help texts
        self.title = f"Plan year {plan_year.label}" if plan_year else "New plan year"

    def save(self, *, user: Any) -> PlanYear:
        values = dict(self.cleaned_data)
        if self.plan_year is None:
            return configuration.plan_year_create(**values)
        for name in self.locks:
            values.pop(name, None)
        return configuration.plan_year_update(plan_year=self.plan_year, **values)

    def success_message(self, result: Any) -> str:
        return f"Plan year {result.label} saved."


class ScheduleRevisionForm(ServiceForm):
    """R-PR1: the rates of each tier from a month; the totals are computed on the page."""

    effective_from = forms.DateField(
        label="Applies from (month)",
        help_text="The first month these rates are charged; not a closed month.",
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=MonthInput(),
        error_messages={
            "required": "Enter the month the rates apply from.",
            "invalid": "Enter a month such as 1986-07.",
        },
    )
    submit_label = "Save the schedule"
    columns = True  # the template sets each tier's employer and employee shares side by side

    def __init__(self, *args: Any, plan_year: PlanYear, **kwargs: Any) -> None:
        self.plan_year = plan_year
        self.tier_of: dict[str, str] = {}  # rate field -> its tier's label (the legend)
        super().__init__(*args, **kwargs)
        in_force = schedule_in_force(plan_year)
        for tier in configuration.SCHEDULE_TIERS:
            for line, label in LINE_LABELS.items():
                name = f"{tier.value}-{line}"
                self.fields[name] = _money(label, required=False)
                self.tier_of[name] = tier.label
                self.fields[name].widget.attrs["class"] = "usa-input usa-input--small"
                row = in_force.get(tier.value)
                if row is not None and not self.is_bound:
                    self.initial[name] = getattr(row, line)
        if not self.is_bound:
            self.initial.setdefault("effective_from", _next_open_month(plan_year))
        self.title = f"Premium schedule of {plan_year.label}"
        self.intro = (
            "Rates in dollars per month, each line split between the employer and the "
            "employee (R-PR1). The totals are the sums of the lines. Leave a tier empty to "
            "keep the rates in force for it."
        )

    def fieldsets(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        groups: list[tuple[str, str, list[forms.BoundField]]] = [("", "", [self["effective_from"]])]
        for tier in configuration.SCHEDULE_TIERS:
            hint = (
                "Optional: without it the tier is derived from the full tier and the "
                "grandfathered employer share (R-EL5)."
                if tier == rules.Tier.GRANDFATHERED
                else ""
            )
            fields = [self[f"{tier.value}-{line}"] for line in LINE_LABELS]
            groups.append((tier.label, hint, fields))
        return groups

    def error_summary(self) -> list[tuple[str, str]]:
        """A rate's problem names its tier and line at the top of the page."""
        items = []
        for anchor, message in super().error_summary():
            name = anchor.removeprefix("id_")
            if name in self.tier_of:
                message = f"{self.tier_of[name]}, {self.fields[name].label.lower()}: {message}"
            items.append((anchor, message))
        return items

    def rates(self) -> dict[str, dict[str, Any]]:
        rates: dict[str, dict[str, Any]] = {}
        for tier in configuration.SCHEDULE_TIERS:
            lines = {line: self.cleaned_data.get(f"{tier.value}-{line}") for line in LINE_LABELS}
            if any(value is not None for value in lines.values()):
                rates[tier.value] = lines
        return rates

    def save(self, *, user: Any) -> list[PremiumSchedule]:
        return configuration.premium_schedule_revise(
            plan_year=self.plan_year,
            effective_from=self.cleaned_data["effective_from"],
            rates=self.rates(),
        )

    def success_message(self, result: Any) -> str:
        month = result[0].effective_from if result else self.plan_year.first_month
        return f"Premium schedule of {self.plan_year.label} saved, from {month:%B %Y}."


def schedule_in_force(plan_year: PlanYear, month: date | None = None) -> dict[str, Any]:
    """Tier value -> the schedule row in force in ``month`` (default: the latest)."""
    rows: dict[str, Any] = {}
    for row in plan_year.premium_schedules.order_by("effective_from"):
        if month is None or row.effective_from <= month:
            rows[row.tier] = row
    return rows


def _next_open_month(plan_year: PlanYear) -> date:
    closed = plan_year_use(plan_year.start_year).closed_months
    if not closed:
        return plan_year.first_month
    last = max(closed)
    return min(rules.add_months(last, 1), plan_year.last_month)


# ---------------------------------------------------------------------------------------
# Employers and programs
# ---------------------------------------------------------------------------------------


class EmployerForm(ServiceForm):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="A short code, e.g. MCOE; it never changes.",
        error_messages={"required": "Enter the employer code."},
    )
    name = forms.CharField(
        label="Name", max_length=200, error_messages={"required": "Enter the employer name."}
    )
    submit_label = "Save the employer"

    def __init__(self, *args: Any, employer: Employer | None = None, **kwargs: Any) -> None:
        self.employer = employer
        if employer is not None:
            kwargs.setdefault("initial", {"code": employer.code, "name": employer.name})
        super().__init__(*args, **kwargs)
        if employer is not None:
            self.fields["code"].disabled = True
        self.title = f"Employer {employer.code}" if employer else "New employer"

    def save(self, *, user: Any) -> Employer:
        if self.employer is None:
            return services.employer_create(**self.cleaned_data)
        return services.employer_update(employer=self.employer, name=self.cleaned_data["name"])

    def success_message(self, result: Any) -> str:
        return f"Employer {result.code} saved."


class ProgramForm(ServiceForm):
    employer = forms.ModelChoiceField(
        label="Employer",
        queryset=Employer.objects.order_by("name"),
        error_messages={"required": "Choose the employer."},
    )
    code = forms.CharField(
        label="Budget code",
        max_length=30,
        help_text="Unique within the employer; it never changes.",
        error_messages={"required": "Enter the budget code."},
    )
    name = forms.CharField(
        label="Name", max_length=200, error_messages={"required": "Enter the program name."}
    )
    categorically_funded = forms.BooleanField(
        label="Categorically funded (II.H)",
        required=False,
        help_text="Its employees may enroll provided the program's budget carries the cost.",
    )
    submit_label = "Save the program"

    def __init__(self, *args: Any, program: Program | None = None, **kwargs: Any) -> None:
        self.program = program
        if program is not None:
            kwargs.setdefault(
                "initial",
                {
                    "employer": program.employer_id,
                    "code": program.code,
                    "name": program.name,
                    "categorically_funded": program.categorically_funded,
                },
            )
        super().__init__(*args, **kwargs)
        if program is not None:
            self.fields["employer"].disabled = True
            self.fields["code"].disabled = True
        self.title = f"Program {program.code}" if program else "New program"

    def save(self, *, user: Any) -> Program:
        data = self.cleaned_data
        if self.program is None:
            return services.program_create(
                employer_id=data["employer"].pk,
                code=data["code"],
                name=data["name"],
                categorically_funded=data["categorically_funded"],
            )
        return services.program_update(
            program=self.program,
            name=data["name"],
            categorically_funded=data["categorically_funded"],
        )

    def success_message(self, result: Any) -> str:
        return f"Program {result.code} saved."


# ---------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------


class _PasswordFields(forms.Form):
    password1 = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
        error_messages={"required": "Enter a password."},
    )
    password2 = forms.CharField(
        label="The password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Enter the password again."},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        return data


class _UserForm(ServiceForm):
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(
        label="Email", required=False, error_messages={"invalid": "Enter an email address."}
    )
    role = forms.ChoiceField(
        label="Role",
        choices=ROLE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the role."},
    )
    employer = forms.ModelChoiceField(
        label="Employee's employer",
        queryset=Employer.objects.order_by("name"),
        required=False,
        help_text="For an employee user: the employer of their record.",
    )
    employee_number = forms.CharField(
        label="Employee number",
        required=False,
        max_length=20,
        help_text="For an employee user: the record they see on My account.",
    )
    service_fields = {"employee": "employee_number", "password": "password1"}

    def employee_id(self) -> int | None:
        number = (self.cleaned_data.get("employee_number") or "").strip()
        if not number:
            return None
        employees = Employee.objects.filter(number=number)
        employer = self.cleaned_data.get("employer")
        if employer is not None:
            employees = employees.filter(employer=employer)
        found = list(employees.values_list("pk", flat=True)[:2])
        if len(found) != 1:
            why = "No employee has" if not found else "Several employers have"
            extra = "" if not found else "; choose the employer"
            raise ValidationError({"employee": f"{why} the number {number}{extra}."})
        return found[0]


class UserCreateForm(_UserForm, _PasswordFields):
    username = forms.CharField(
        label="User name",
        max_length=150,
        help_text="What the person types to log in.",
        error_messages={"required": "Enter a user name."},
    )
    title = "New user"
    submit_label = "Create the user"
    field_order = [
        "username",
        "first_name",
        "last_name",
        "email",
        "role",
        "employer",
        "employee_number",
        "password1",
        "password2",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(self.field_order)

    def save(self, *, user: Any) -> User:
        data = self.cleaned_data
        return configuration.user_create(
            username=data["username"],
            role=data["role"],
            password=data["password1"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            employee_id=self.employee_id(),
        )

    def success_message(self, result: Any) -> str:
        return f"User {result.username} created."


class UserEditForm(_UserForm):
    is_active = forms.BooleanField(
        label="Active",
        required=False,
        help_text="Unchecked: the user can no longer log in (their records stay).",
    )
    submit_label = "Save the user"

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        employee = Employee.objects.filter(user=user).select_related("employer").first()
        role = primary_role(user)
        kwargs.setdefault(
            "initial",
            {
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                "role": role.value if role else "",
                "employer": employee.employer_id if employee else None,
                "employee_number": employee.number if employee else "",
                "is_active": user.is_active,
            },
        )
        super().__init__(*args, **kwargs)
        self.title = f"User {user.username}"

    def save(self, *, user: Any) -> User:
        data = self.cleaned_data
        return configuration.user_update(
            user=self.user,
            acting=user,
            role=data["role"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            employee_id=self.employee_id(),
            is_active=data["is_active"],
        )

    def success_message(self, result: Any) -> str:
        return f"User {result.username} saved."


class UserPasswordForm(ServiceForm, _PasswordFields):
    submit_label = "Set the password"
    service_fields = {"password": "password1"}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self.title = f"New password for {user.username}"
        self.intro = "Tell the person their new password in person or by telephone."

    def save(self, *, user: Any) -> User:
        return configuration.user_set_password(
            user=self.user, password=self.cleaned_data["password1"]
        )

    def success_message(self, result: Any) -> str:
        return f"The password of {result.username} is set."


# ---------------------------------------------------------------------------------------
# Trading partners
# ---------------------------------------------------------------------------------------


def _qualifier(label: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=[(code, f"{code}: {name}") for code, name in exchange.QUALIFIERS.items()],
        initial="ZZ",
    )


def _text(label: str, max_length: int, help_text: str = "") -> forms.CharField:
    """A text of at most ``max_length`` (the file's field), checked by the service with
    the other identifiers, so that every problem is listed at once."""
    return forms.CharField(
        label=label,
        max_length=100,
        required=False,
        help_text=help_text or f"At most {max_length} characters.",
    )


class TradingPartnersForm(ServiceForm):
    """The identifiers of the plan's X12 and ACH files (``accounts.exchange``)."""

    title = "Trading partners"
    intro = (
        "The identifiers the plan's files carry: the 835 remittances from the claims "
        "administrator, the 834 enrollment files for the carrier and the ACH files for the "
        "bank. Each file refuses to be made until the identifiers it needs are set."
    )
    submit_label = "Save the identifiers"
    columns = True

    plan_qualifier = _qualifier("Qualifier of the plan's id")
    plan_id = _text("The plan's interchange id", 15, "ISA06 of the files the plan sends.")
    plan_name = _text("The plan's name", 60)
    administrator_qualifier = _qualifier("Qualifier of the administrator's id")
    administrator_id = _text(
        "The claims administrator's interchange id", 15, "ISA06 of the 835s it sends."
    )
    administrator_name = _text("The claims administrator's name", 60)
    carrier_qualifier = _qualifier("Qualifier of the carrier's id")
    carrier_id = _text("The carrier's interchange id", 15, "ISA08 of the 834s.")
    carrier_name = _text("The carrier's name", 60)
    carrier_tax_id = _text("The carrier's federal tax id", 9, "Nine digits, no hyphen.")
    group_policy_number = _text("Group policy number", 50, "The carrier's master policy (REF*38).")
    bank_routing_number = _text(
        "The bank's routing number", 9, "Nine digits (the immediate destination)."
    )
    bank_name = _text("The bank's name", 23)
    immediate_origin = _text("Immediate origin", 10, "Nine or ten digits, as the bank gives it.")
    origin_name = _text("Origin name", 23, "The plan's name as the bank knows it.")
    company_name = _text("Company name", 16, "Printed on the receivers' statements.")
    company_id = _text("Company id", 10, "Given by the bank, often 1 and the tax id.")

    def __init__(self, *args: Any, partners: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: getattr(partners, name) for name in exchange.FIELDS})
        super().__init__(*args, **kwargs)

    def fieldsets(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        def group(*names: str) -> list[forms.BoundField]:
            return [self[name] for name in names]

        return [
            ("The plan", "", group("plan_qualifier", "plan_id", "plan_name")),
            (
                "The claims administrator (sends the 835s)",
                "",
                group("administrator_qualifier", "administrator_id", "administrator_name"),
            ),
            (
                "The major-medical carrier (receives the 834s)",
                "",
                group(
                    "carrier_qualifier",
                    "carrier_id",
                    "carrier_name",
                    "carrier_tax_id",
                    "group_policy_number",
                ),
            ),
            (
                "The plan's bank (ACH files)",
                "",
                group(
                    "bank_routing_number",
                    "bank_name",
                    "immediate_origin",
                    "origin_name",
                    "company_name",
                    "company_id",
                ),
            ),
        ]

    def save(self, *, user: Any) -> Any:
        return exchange.trading_partners_update(values=self.cleaned_data, user=user)

    def success_message(self, result: Any) -> str:
        return "The trading partners' identifiers are saved."
