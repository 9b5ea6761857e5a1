"""The administrator's services: plan years and their settings, premium schedule
revisions, and the users of the installation with their roles.

Like ``accounts.services`` (employers and programs are written there): keyword-only,
typed, ``@transaction.atomic``; a refusal is ``ValidationError({field: message})`` and
leaves the database unchanged. The pages (``configuration_views``) and the API
(``accounts.api.plan_years``, ``accounts.api.users``) call these, so both give the same
answers. The database checks the plan year's numbers again (the constraints of
:class:`accounts.models.PlanYear`), so even the Django admin cannot save a negative
deductible.

Decisions (the plan is silent; chosen as a plan administrator would):

- Decision: once any month of a plan year has been closed (for any employer), the
  year's money settings (deductible, maximum vest, carrier maximum, grandfathered
  employer share) are locked: closed months have posted contributions and claims have
  been split with them, so changing them would rewrite what the ledger already holds.
  The vesting settings (``separation_year_vests``, ``prior_year_hold_from``) stay
  editable until the year's rollover has vested an employer-year, then every setting
  is locked: vested amounts were computed with them, and a correction of a vested year
  is a re-vest, not an edit. A rollover that failed or is only queued moved no money,
  so the settings that made it fail can be corrected. The start year never changes
  (a year's claims, lines and postings are filed under it).
- Decision: the premium schedule is revised from a month (R-PR1): the revision's rows
  apply from that month to the end of the plan year or the tier's next revision. A
  revision from a month that is closed, or followed by a closed month of the year, is
  refused (it would change what those months charged). A tier left out of a revision
  keeps the rates in force. The first schedule of a plan year gives the FULL,
  THREE_QUARTER and SELF_PAY tiers (GRANDFATHERED is derived from FULL and the year's
  share unless given, R-EL5). Totals are never typed: they are the sums of the lines.
- Decision: the maximum vest is at most the deductible: a year's allotment never
  exceeds the deductible (R-VE1), so a larger maximum (R-VE2) could never apply.
- Decision: a user has exactly one role (a Django group of ``staywell.roles``); an
  employee user is linked to at most one employee record, and only an employee user
  may be. A user is deactivated, never deleted (claims, overrides and postings name
  their authors); an administrator cannot deactivate or demote themself (someone must
  be left to administer). Passwords pass ``AUTH_PASSWORD_VALIDATORS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import rules
from accounts.models import Employee, PlanYear, PremiumSchedule
from accounts.signals import PlanYearUse, plan_year_use
from staywell.money import typed_money_error
from staywell.roles import Role, role_group

MONEY_SETTINGS = ("deductible", "maximum_vest", "carrier_maximum", "grandfathered_employer_share")
VESTING_SETTINGS = ("separation_year_vests", "prior_year_hold_from")
SETTING_LABELS = {
    "deductible": "The deductible",
    "maximum_vest": "The maximum vest",
    "carrier_maximum": "The carrier maximum",
    "grandfathered_employer_share": "The grandfathered employer share",
}
# The tiers a plan year's first schedule must give (R-PR1); GRANDFATHERED is optional.
FIRST_SCHEDULE_TIERS = (rules.Tier.FULL, rules.Tier.THREE_QUARTER, rules.Tier.SELF_PAY)
SCHEDULE_TIERS = (*FIRST_SCHEDULE_TIERS, rules.Tier.GRANDFATHERED)
RATE_FIELDS = (
    "major_medical_employer",
    "major_medical_employee",
    "trust_fund_employer",
    "trust_fund_employee",
    "dental_employer",
    "dental_employee",
)
FIRST_YEAR, LAST_YEAR = 1900, 2999
SHARE_ONE = Decimal("1")


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


def _decimal(value: Any, field: str) -> Decimal:
    if value is None or value == "":
        raise _invalid(field, f"Enter {SETTING_LABELS.get(field, 'the amount').lower()}.")
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise _invalid(field, f"{value!r} is not a number.") from None


def _money(value: Any, field: str) -> Decimal:
    amount = _decimal(value, field)
    error = typed_money_error(amount, SETTING_LABELS.get(field, "The amount"))
    if error:
        raise _invalid(field, error)
    return amount


def _share(value: Any) -> Decimal:
    share = _decimal(value, "grandfathered_employer_share")
    if not share.is_finite() or share.is_signed() or share > SHARE_ONE:
        raise _invalid(
            "grandfathered_employer_share",
            "The grandfathered employer share is a fraction from 0 to 1 (0.5 is half).",
        )
    if share != share.quantize(Decimal("0.0001")):
        raise _invalid(
            "grandfathered_employer_share",
            "The grandfathered employer share has at most four decimals.",
        )
    return share


def _settings(values: Mapping[str, Any]) -> dict[str, Any]:
    """The plan year's settings, checked (R-CL1, R-VE2, R-EL5, R-VE4, R-VE7)."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    checks = {name: _money for name in ("deductible", "maximum_vest", "carrier_maximum")}
    for name, check in checks.items():
        try:
            clean[name] = check(values.get(name), name)
        except ValidationError as exc:
            errors[name] = exc.message_dict[name][0]
    try:
        clean["grandfathered_employer_share"] = _share(values.get("grandfathered_employer_share"))
    except ValidationError as exc:
        errors["grandfathered_employer_share"] = exc.message_dict["grandfathered_employer_share"][0]
    hold = values.get("prior_year_hold_from") or PlanYear.PriorYearHold.YEAR_END
    if hold not in PlanYear.PriorYearHold.values:
        errors["prior_year_hold_from"] = "Choose when the prior year's amount becomes payable."
    clean["prior_year_hold_from"] = hold
    clean["separation_year_vests"] = bool(values.get("separation_year_vests", True))
    if "deductible" in clean and clean.get("maximum_vest", Decimal(0)) > clean["deductible"]:
        errors["maximum_vest"] = (
            f"The maximum vest cannot be above the deductible ({clean['deductible']}): a "
            "year's allotment never exceeds the deductible (R-VE1)."
        )
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def plan_year_create(*, start_year: Any, **values: Any) -> PlanYear:
    """A new policy year (R-PY1) with its settings; its schedule comes next."""
    try:
        year = int(start_year)
    except (TypeError, ValueError):
        raise _invalid("start_year", "Enter the year the policy year starts, e.g. 1986.") from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise _invalid("start_year", f"The start year is from {FIRST_YEAR} to {LAST_YEAR}.")
    settings = _settings(values)
    if PlanYear.objects.filter(start_year=year).exists():
        label = rules.policy_year_label(year)
        raise _invalid("start_year", f"The plan year {label} exists already; edit it instead.")
    return PlanYear.objects.create(start_year=year, **settings)


def plan_year_locks(plan_year: PlanYear) -> dict[str, str]:
    """Setting name -> why it cannot change any more (see the decision above)."""
    use: PlanYearUse = plan_year_use(plan_year.start_year)
    locks: dict[str, str] = {}
    if use.rollover_started:
        why = (
            f"The {plan_year.label} rollover has vested with these settings; a correction "
            "of a vested year is a re-vest."
        )
        return dict.fromkeys((*MONEY_SETTINGS, *VESTING_SETTINGS), why)
    if use.closed_months:
        first = min(use.closed_months)
        why = (
            f"{first:%B %Y} is closed: its contributions were posted with this value, so "
            f"it is locked for {plan_year.label}."
        )
        locks.update(dict.fromkeys(MONEY_SETTINGS, why))
    return locks


@transaction.atomic
def plan_year_update(*, plan_year: PlanYear, **values: Any) -> PlanYear:
    """Change a plan year's settings; those locked by closed months or the rollover
    are refused when they would change (:func:`plan_year_locks`)."""
    plan_year = PlanYear.objects.select_for_update().get(pk=plan_year.pk)
    current = {name: getattr(plan_year, name) for name in (*MONEY_SETTINGS, *VESTING_SETTINGS)}
    settings = _settings({**current, **values})
    locks = plan_year_locks(plan_year)
    errors = {
        name: locks[name]
        for name, value in settings.items()
        if name in locks and value != current[name]
    }
    if errors:
        raise ValidationError(errors)
    for name, value in settings.items():
        setattr(plan_year, name, value)
    plan_year.save()
    return plan_year


def _month(plan_year: PlanYear, value: Any) -> date:
    if not isinstance(value, date):
        raise _invalid("effective_from", "Enter the month the revision applies from.")
    month = value.replace(day=1)
    if not plan_year.first_month <= month <= plan_year.last_month:
        raise _invalid(
            "effective_from",
            f"The revision applies from a month of {plan_year.label}: July "
            f"{plan_year.start_year} to June {plan_year.start_year + 1}.",
        )
    return month


def _rates(values: Mapping[str, Any], tier: rules.Tier) -> rules.PremiumRates:
    errors: dict[str, str] = {}
    amounts: dict[str, Decimal] = {}
    for name in RATE_FIELDS:
        key = f"{tier.value}-{name}"
        raw = values.get(name)
        try:
            amount = _decimal("0" if raw in (None, "") else raw, key)
        except ValidationError as exc:
            errors[key] = exc.message_dict[key][0]
            continue
        error = typed_money_error(amount, "The rate")
        if error:
            errors[key] = error
        amounts[name] = amount
    if errors:
        raise ValidationError(errors)
    return rules.PremiumRates(**amounts)


@transaction.atomic
def premium_schedule_revise(
    *, plan_year: PlanYear, effective_from: Any, rates: Mapping[str, Mapping[str, Any]]
) -> list[PremiumSchedule]:
    """R-PR1: the rates of some tiers (tier value -> line field -> amount; an omitted
    line is 0.00) from a month of the plan year. Errors name ``<tier>-<line field>``."""
    plan_year = PlanYear.objects.select_for_update().get(pk=plan_year.pk)
    month = _month(plan_year, effective_from)
    closed = sorted(m for m in plan_year_use(plan_year.start_year).closed_months if m >= month)
    if closed:
        raise _invalid(
            "effective_from",
            f"{closed[-1]:%B %Y} is closed: a revision from {month:%B %Y} would change months "
            "already closed. Revise from the first month after the last closed one.",
        )
    errors: dict[str, list[str]] = {}
    clean: dict[rules.Tier, rules.PremiumRates] = {}
    for value, lines in rates.items():
        try:
            tier = rules.Tier(value)
        except ValueError:
            errors.setdefault("rates", []).append(f"{value!r} is not a tier of the schedule.")
            continue
        if tier not in SCHEDULE_TIERS:
            errors.setdefault("rates", []).append(f"{tier.label} has no premium schedule.")
            continue
        try:
            clean[tier] = _rates(lines, tier)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
    existing = set(plan_year.premium_schedules.values_list("tier", flat=True))
    for tier in FIRST_SCHEDULE_TIERS:
        if tier.value not in existing and tier not in clean:
            errors.setdefault(f"{tier.value}-major_medical_employer", []).append(
                f"Give the {tier.label} rates: {plan_year.label} has no schedule for it yet."
            )
    if not clean and not errors:
        errors["rates"] = ["Give the rates of at least one tier."]
    if errors:
        raise ValidationError(errors)
    # A revision of the same month again replaces its rows (new ids: the dashboard's
    # cache key follows the table's last id).
    PremiumSchedule.objects.filter(
        plan_year=plan_year, effective_from=month, tier__in=[tier.value for tier in clean]
    ).delete()
    return [
        PremiumSchedule.objects.create(
            plan_year=plan_year,
            tier=tier.value,
            effective_from=month,
            **{name: getattr(tier_rates, name) for name in RATE_FIELDS},
        )
        for tier, tier_rates in clean.items()
    ]


# ---------------------------------------------------------------------------------------
# Users and their roles
# ---------------------------------------------------------------------------------------


def _role(value: Any) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise _invalid("role", "Choose one of the five roles.") from None


def _employee_link(role: Role, employee_id: Any, user: User | None) -> Employee | None:
    if employee_id in (None, ""):
        if role == Role.EMPLOYEE:
            raise _invalid("employee", "An employee user is linked to their employee record.")
        return None
    if role != Role.EMPLOYEE:
        raise _invalid("employee", "Only an employee user is linked to an employee record.")
    try:
        employee = Employee.objects.select_for_update().get(pk=int(employee_id))
    except (Employee.DoesNotExist, TypeError, ValueError):
        raise _invalid("employee", f"Unknown employee {employee_id}.") from None
    if employee.user_id is not None and (user is None or employee.user_id != user.pk):
        raise _invalid("employee", f"{employee.full_name} is linked to another user already.")
    return employee


def _password(password: Any, user: User, field: str = "password") -> str:
    if not password:
        raise _invalid(field, "Enter a password.")
    try:
        validate_password(str(password), user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    return str(password)


def _set_role(user: User, role: Role) -> None:
    role_names = [r.value for r in Role]
    user.groups.remove(*Group.objects.filter(name__in=role_names))
    user.groups.add(role_group(role))
    user._staywell_roles = None  # type: ignore[attr-defined]


def _link(user: User, employee: Employee | None) -> None:
    Employee.objects.filter(user=user).exclude(pk=getattr(employee, "pk", None)).update(user=None)
    if employee is not None and employee.user_id != user.pk:
        employee.user = user
        employee.save(update_fields=["user"])


@transaction.atomic
def user_create(
    *,
    username: str,
    role: Any,
    password: Any,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    employee_id: Any = None,
) -> User:
    """A user with one role (and, for an employee, the employee record they see)."""
    username = (username or "").strip()
    if not username:
        raise _invalid("username", "Enter a user name.")
    if len(username) > 150:
        raise _invalid("username", "A user name has at most 150 characters.")
    if User.objects.filter(username__iexact=username).exists():
        raise _invalid("username", f"The user name {username} is taken.")
    chosen = _role(role)
    employee = _employee_link(chosen, employee_id, None)
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    user.set_password(_password(password, user))
    user.save()
    _set_role(user, chosen)
    _link(user, employee)
    return user


@transaction.atomic
def user_update(
    *,
    user: User,
    acting: User,
    role: Any,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    employee_id: Any = None,
    is_active: bool = True,
) -> User:
    """Change a user's name, role, employee link, or deactivate them."""
    user = User.objects.select_for_update().get(pk=user.pk)
    chosen = _role(role)
    if user.pk == acting.pk and (chosen != Role.ADMINISTRATOR or not is_active):
        raise _invalid(
            "role" if is_active else "is_active",
            "You cannot take your own administrator role away or deactivate yourself.",
        )
    employee = _employee_link(chosen, employee_id, user)
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.is_active = bool(is_active)
    user.save(update_fields=["first_name", "last_name", "email", "is_active"])
    _set_role(user, chosen)
    _link(user, employee)
    return user


@transaction.atomic
def user_set_password(*, user: User, password: Any) -> User:
    """The administrator sets a new password (checked by AUTH_PASSWORD_VALIDATORS)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    user.set_password(_password(password, user))
    user.save(update_fields=["password"])
    return user
