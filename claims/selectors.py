"""Reads of claims: who may see which claims, lists with totals, the family's deductible,
the entry page's employee search, payment-run registers.

Who may see claims (one place): benefits clerks, the superintendent and administrators
see every claim; an employee sees only their own family's claims (the claims of which
they are the policyholder); anybody else sees none. A claim that may not be seen is a
404, never a 403, so that guessing ids confirms nothing.

Decision: payroll sees no claims: medical claims are not payroll's business, and their
attachments (bills, explanations of benefits) follow the claim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import Dependent, Employee, Employer, PlanYear
from accounts.rules import Tier, policy_year_label
from accounts.selectors import employee_list
from claims.models import (
    Claim,
    ClaimLedgerEntry,
    ClaimTotal,
    FamilyYear,
    Payee,
    PaymentRun,
    Remittance,
)
from claims.services import FamilyDeductible, family_status
from claims.services.payment_runs import check_of
from staywell.db import model_columns, model_from_row, parse_id, prepared_dicts, prepared_rows
from staywell.money import ZERO
from staywell.names import provider_key, similarity
from staywell.roles import CLAIM_READERS, CLAIM_WRITERS, Role, has_role
from vesting.models import Transaction

MONEY_TOTALS = ("billed", "allowed", "trust_fund_amount", "employee_amount", "carrier_amount")


def can_write(user: Any) -> bool:
    return has_role(user, *CLAIM_WRITERS)


def _own_family_only(user: Any) -> bool | None:
    """Who may see claims (module doc): False, every claim (claim readers); True, the
    user's own family's only (an employee); None, none."""
    if has_role(user, *CLAIM_READERS):
        return False
    if has_role(user, Role.EMPLOYEE):
        return True
    return None


def claims_visible_to(user: Any) -> QuerySet[Claim]:
    """Every claim for claim readers; an employee's own family's; none otherwise."""
    own_only = _own_family_only(user)
    if own_only is None:
        return Claim.objects.none()
    return Claim.objects.filter(employee__user=user) if own_only else Claim.objects.all()


_MAX_ID = 2**63 - 1  # a bigint's largest: a longer number is no claim's


def claim_get_for_user(user: Any, claim_id: Any) -> Claim:
    """One claim the user may see (:func:`claims_visible_to`), with what its page shows
    (its employer, policyholder, family year, patient, payee, payment, the claim it may
    duplicate, who entered and who voided it); else Http404. One prepared statement: the
    ORM's ten-table join was planned again on every claim page and every void (6 ms and
    more, ten times its run)."""
    own_only = _own_family_only(user)
    pk = parse_id(claim_id)
    rows = (
        prepared_dicts(_claim_sql(own_only=own_only), {"id": pk, "user": user.pk})
        if own_only is not None and pk is not None and pk <= _MAX_ID
        else []
    )
    if not rows:
        raise Http404("No such claim.")
    row = rows[0]
    claim: Claim = model_from_row(Claim, row, prefix="c_")
    for name, model, alias, _optional in _claim_related():
        found = row[f"{alias}_id"] is not None
        setattr(claim, name, model_from_row(model, row, prefix=f"{alias}_") if found else None)
    return claim


@cache
def _claim_related() -> tuple[tuple[str, Any, str, bool], ...]:
    """:func:`claim_get_for_user`'s related rows: (field, model, alias, may be missing)."""
    from django.contrib.auth import get_user_model

    user = get_user_model()
    return (
        ("employer", Employer, "er", False),
        ("employee", Employee, "e", False),
        ("family_year", FamilyYear, "fy", False),
        ("patient", Dependent, "d", True),
        ("payee", Payee, "p", True),
        ("payment_transaction", Transaction, "t", True),
        ("duplicate_of", Claim, "dup", True),
        ("entered_by", user, "eb", True),
        ("voided_by", user, "vb", True),
    )


@cache
def _claim_sql(*, own_only: bool) -> str:
    """:func:`claim_get_for_user`'s statement; ``own_only``: the user's own family's only."""
    related = _claim_related()
    columns = ",\n               ".join(
        [model_columns(Claim, "c")] + [model_columns(m, alias) for _n, m, alias, _o in related]
    )
    joins = "\n".join(
        f"{'LEFT JOIN' if optional else 'JOIN'} {model._meta.db_table} {alias} "
        f"ON {alias}.id = c.{Claim._meta.get_field(name).column}"
        for name, model, alias, optional in related
    )
    own = "AND e.user_id = %(user)s" if own_only else ""
    return f"""
        SELECT {columns}
          FROM claims_claim c
        {joins}
         WHERE c.id = %(id)s {own}
    """  # noqa: S608 - names from the models; the values are bound


def claim_history(claim: Claim) -> dict[str, Any]:
    """The claim page's audit trail, adjustments, ledger entries and attachments."""
    return {
        "events": list(claim.events.select_related("user").order_by("at", "id")),
        "adjustments": list(claim.adjustments.select_related("created_by", "cause").order_by("id")),
        "entries": list(
            claim.ledger_entries.select_related("transaction", "payee", "payment_run").order_by(
                "id"
            )
        ),
        "attachments": list(claim.attachments.select_related("uploaded_by").order_by("id")),
    }


@dataclass(frozen=True)
class ClaimFilters:
    employer_id: int | None = None
    employee: str = ""  # an employee number, or the start of a name
    employee_id: int | None = None
    status: str = ""
    policy_year: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def claim_list(user: Any, filters: ClaimFilters) -> QuerySet[Claim]:
    """Claims the user may see, newest entered first, filtered; with what a row shows.

    Uses the indexes on (employer, date of service), date of service, (employee, policy
    year), status; the employee filter resolves the name or number through the
    employees' prefix indexes first.
    """
    queryset = claims_visible_to(user)
    if filters.employer_id:
        queryset = queryset.filter(employer_id=filters.employer_id)
    if filters.employee_id:
        queryset = queryset.filter(employee_id=filters.employee_id)
    if filters.employee.strip():
        matching = employee_list(search=filters.employee).values("pk")
        queryset = queryset.filter(employee_id__in=matching)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.policy_year is not None:
        queryset = queryset.filter(policy_year=filters.policy_year)
    if filters.date_from:
        queryset = queryset.filter(date_of_service__gte=filters.date_from)
    if filters.date_to:
        queryset = queryset.filter(date_of_service__lte=filters.date_to)
    return queryset.select_related("employer", "employee", "payee").order_by("-id")


def claim_totals(user: Any, filters: ClaimFilters) -> dict[str, Any]:
    """Count and money totals of the claims the list shows (``claim_list``): read from the
    totals the claim triggers keep per employer, policy year and status (``ClaimTotal``, a
    few rows) when the list is filtered by nothing else and the user sees every claim;
    otherwise one aggregate over the filtered claims.

    Decision: voided claims are counted but add nothing (their billed and allowed amounts
    are left out too: the administrator withdrew them)."""
    live = ~Q(status=Claim.Status.VOIDED)
    aggregates: dict[str, Any] = {"count": Coalesce(Sum("count"), 0)}
    if _by_totals(user, filters):
        rows = ClaimTotal.objects.all()
        if filters.employer_id:
            rows = rows.filter(employer_id=filters.employer_id)
        if filters.status:
            rows = rows.filter(status=filters.status)
        if filters.policy_year is not None:
            rows = rows.filter(policy_year=filters.policy_year)
    else:
        rows = claim_list(user, filters)
        aggregates["count"] = Count("id")
    for name in MONEY_TOTALS:
        aggregates[name] = Coalesce(Sum(name, filter=live), ZERO)
    return rows.order_by().aggregate(**aggregates)


def _by_totals(user: Any, filters: ClaimFilters) -> bool:
    """The list's totals can be read from ``ClaimTotal``: every claim visible, and no
    filter beyond employer, status and policy year."""
    return (
        has_role(user, *CLAIM_READERS)
        and filters.employee_id is None
        and not filters.employee.strip()
        and filters.date_from is None
        and filters.date_to is None
    )


_CLAIM_TOTALS_CHECK = """
    WITH computed AS (
        SELECT employer_id, policy_year, status, count(*) AS count, sum(billed) AS billed,
               sum(allowed) AS allowed, sum(trust_fund_amount) AS trust_fund_amount,
               sum(employee_amount) AS employee_amount, sum(carrier_amount) AS carrier_amount
          FROM claims_claim
         GROUP BY 1, 2, 3
    )
    SELECT coalesce(c.employer_id, t.employer_id), coalesce(c.policy_year, t.policy_year),
           coalesce(c.status, t.status), coalesce(c.count, 0), coalesce(t.count, 0),
           coalesce(c.allowed, 0), coalesce(t.allowed, 0)
      FROM computed c
      FULL JOIN claims_claimtotal t
        ON t.employer_id = c.employer_id AND t.policy_year = c.policy_year
       AND t.status = c.status
     WHERE (coalesce(c.count, 0), coalesce(c.billed, 0), coalesce(c.allowed, 0),
            coalesce(c.trust_fund_amount, 0), coalesce(c.employee_amount, 0),
            coalesce(c.carrier_amount, 0))
           IS DISTINCT FROM
           (coalesce(t.count, 0), coalesce(t.billed, 0), coalesce(t.allowed, 0),
            coalesce(t.trust_fund_amount, 0), coalesce(t.employee_amount, 0),
            coalesce(t.carrier_amount, 0))
"""


def claim_totals_check() -> list[str]:
    """Each ``ClaimTotal`` that differs from its claims, recomputed (empty: all agree):
    employer, policy year, status, then the claims' count and the total's, the claims'
    allowed and the total's. ``manage.py ledger_check`` runs it."""
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_TOTALS_CHECK)
        return [f"claim total: {', '.join(str(v) for v in row)}" for row in cursor.fetchmany(100)]


def family_deductible(employee_id: int, policy_year: int) -> FamilyDeductible:
    """R-CL1: the family's deductible for the year (no claims yet: nothing absorbed)."""
    return family_status(employee_id, policy_year)


def family_year_claims(user: Any, employee_id: int, policy_year: int) -> list[Claim]:
    """The family's claims of the policy year that the user may see
    (:func:`claims_visible_to`), each with its payee, the last entered first (the one
    just saved leads): the entry screen's and employee page's list. One prepared
    statement: the ORM compiled the query again on every entry screen and save."""
    own_only = _own_family_only(user)
    if own_only is None:
        return []
    params = {"employee": employee_id, "year": policy_year, "user": user.pk}
    claims = []
    for row in prepared_dicts(_family_year_claims_sql(own_only=own_only), params):
        claim: Claim = model_from_row(Claim, row, prefix="c_")
        claim.payee = model_from_row(Payee, row, prefix="p_") if row["p_id"] else None
        claims.append(claim)
    return claims


@cache
def _family_year_claims_sql(*, own_only: bool) -> str:
    """:func:`family_year_claims`' statement; ``own_only``: the user's own family's only."""
    own = (
        "AND EXISTS (SELECT 1 FROM accounts_employee e "
        "WHERE e.id = c.employee_id AND e.user_id = %(user)s)"
        if own_only
        else ""
    )
    return f"""
        SELECT {model_columns(Claim, "c")}, {model_columns(Payee, "p")}
          FROM claims_claim c LEFT JOIN claims_payee p ON p.id = c.payee_id
         WHERE c.employee_id = %(employee)s AND c.policy_year = %(year)s {own}
         ORDER BY c.entered_at DESC, c.id DESC
    """  # noqa: S608 - names from the models; the values are bound


@dataclass(frozen=True)
class PayeeSuggestions:
    """What the directory holds for a provider's name being typed."""

    same: Payee | None  # the payee of the name's key: the claim goes to it
    similar: list[Payee]  # near spellings (another payee unless the clerk picks one)


SIMILAR_AT = 0.8  # staywell.names.similarity from which a payee is offered


def payee_suggestions(text: str, limit: int = 5) -> PayeeSuggestions:
    """The payee of the typed name's key, and the active payees whose key is near it
    (``staywell.names.similarity``), nearest first. Decision: the directory (the plan's
    providers: hundreds, not millions) is compared in Python, one query of names."""
    key = provider_key(text)
    if len(key) < 3:
        return PayeeSuggestions(None, [])
    same = None
    scored: list[tuple[float, str, Payee]] = []
    for payee in Payee.objects.filter(active=True).only("id", "name", "key"):
        if payee.key == key:
            same = payee
            continue
        score = similarity(key, payee.key)
        if score >= SIMILAR_AT:
            scored.append((-score, payee.name, payee))
    scored.sort(key=lambda item: item[:2])
    return PayeeSuggestions(same, [payee for _, _, payee in scored[:limit]])


def payee_list(search: str = "") -> QuerySet[Payee]:
    """The directory, with each payee's claim count; ``search``: a part of the name."""
    queryset = Payee.objects.annotate(claim_count=Count("claims"))
    if search.strip():
        queryset = queryset.filter(name__icontains=search.strip())
    return queryset


def latest_family_year(employee_id: int) -> int | None:
    """The latest policy year in which the family has claims (a prepared statement: the
    entry screen asks on every family it opens)."""
    sql = "SELECT max(policy_year) FROM claims_familyyear WHERE employee_id = %s"
    return prepared_rows(sql, [employee_id])[0][0]


@dataclass(frozen=True)
class Patient:
    value: str  # "" for the policyholder, else the dependent's id
    label: str


def _patient_label(first_name: str, last_name: str, relationship: str, ended_on: Any) -> str:
    label = f"{first_name} {last_name} ({Dependent.Relationship(relationship).label.lower()}"
    if ended_on:
        label += f", left the policy {ended_on.isoformat()}"
    return label + ")"


def family_patients(employee: Employee) -> list[Patient]:
    """The patients a clerk may choose: the employee, then their dependents (current
    first), each labelled with the relationship and, when ended, the last day
    (:func:`entry_family`'s)."""
    family = entry_family(employee.pk)
    return family.patients if family else [Patient("", f"{employee.full_name} (employee)")]


@dataclass(frozen=True)
class EntryFamily:
    """The family on the entry screen: the policyholder (with the employer) and the
    patients a clerk may choose (:func:`family_patients`)."""

    employee: Employee
    patients: list[Patient]


@cache
def _entry_family_sql() -> str:
    """The employee (``e_``), the employer (``r_``) and each dependent (``d_``), current
    first: one prepared statement, for every request of the entry screen."""
    return f"""
        SELECT {model_columns(Employee, "e")}, {model_columns(Employer, "r")},
               d.id AS d_id, d.first_name AS d_first_name, d.last_name AS d_last_name,
               d.relationship AS d_relationship, d.ended_on AS d_ended_on
          FROM accounts_employee e
          JOIN accounts_employer r ON r.id = e.employer_id
          LEFT JOIN accounts_dependent d ON d.employee_id = e.id
         WHERE e.id = %s
         ORDER BY d.ended_on NULLS FIRST, d.relationship, d.birth_date, d.id
    """  # noqa: S608 - names from the models; the id is bound


def entry_family(employee_id: int) -> EntryFamily | None:
    """The entry screen's family (:class:`EntryFamily`) in one query; None if unknown.
    The same as ``Employee`` with ``select_related("employer")`` and
    :func:`family_patients`, which took two queries the ORM compiled on every request."""
    rows = prepared_dicts(_entry_family_sql(), [employee_id])
    if not rows:
        return None
    employee: Employee = model_from_row(Employee, rows[0], prefix="e_")
    employee.employer = model_from_row(Employer, rows[0], prefix="r_")
    patients = [Patient("", f"{employee.full_name} (employee)")]
    patients += [
        Patient(
            str(row["d_id"]),
            _patient_label(
                row["d_first_name"], row["d_last_name"], row["d_relationship"], row["d_ended_on"]
            ),
        )
        for row in rows
        if row["d_id"] is not None
    ]
    return EntryFamily(employee, patients)


def entry_employee_search(query: str, limit: int = 8) -> list[Employee]:
    """The entry page's search as you type: employees whose name or number starts with
    what was typed (every word must match), with their tier today."""
    if not query.strip():
        return []
    rows = list(employee_list(search=query)[:limit])
    for row in rows:
        row.tier = Tier(row.current_tier or Tier.NONE)
    return rows


# --- Payment runs -------------------------------------------------------------------------


@dataclass
class RegisterLine:
    claim_id: int
    admin_claim_number: str
    patient_name: str
    employee_name: str
    date_of_service: date
    amount: Decimal  # dollars, signed (a reversal is negative)
    received_on: date | None = None  # the claim's date received
    paid_on: date | None = None  # the movement's ledger date (a payment: the date paid)


@dataclass
class RegisterPayee:
    name: str
    lines: list[RegisterLine] = field(default_factory=list)
    payee_id: int | None = None  # the payee of the directory (None: a ledger account)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def has_check(self) -> bool:
        return self.total > ZERO


@dataclass
class RegisterEmployer:
    name: str
    code: str
    payees: list[RegisterPayee] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((payee.total for payee in self.payees), ZERO)

    @property
    def check_count(self) -> int:
        return sum(1 for payee in self.payees if payee.has_check)


@dataclass
class Register:
    run: PaymentRun
    employers: list[RegisterEmployer]

    @property
    def total(self) -> Decimal:
        return sum((employer.total for employer in self.employers), ZERO)

    @property
    def check_count(self) -> int:
        return sum(employer.check_count for employer in self.employers)


def payment_run_register(run: PaymentRun) -> Register:
    """The run's register: per employer, per payee of the directory (one check each,
    made out to the payee's name), the claims paid, with subtotals and the grand total
    (one query)."""
    entries = (
        ClaimLedgerEntry.objects.filter(payment_run=run)
        .select_related(
            "claim__employer", "claim__employee", "claim__payee", "payee", "transaction"
        )
        .annotate(check_name=Coalesce("claim__payee__name", "payee__name"))
        .order_by("claim__employer__name", "check_name", "claim_id", "id")
    )
    employers: dict[int, RegisterEmployer] = {}
    payees: dict[tuple[Any, ...], RegisterPayee] = {}
    for entry in entries:
        claim = entry.claim
        employer = employers.get(claim.employer_id)
        if employer is None:
            employer = employers[claim.employer_id] = RegisterEmployer(
                claim.employer.name, claim.employer.code
            )
        key = check_of(
            {
                "claim__payee_id": claim.payee_id,
                "claim__employer_id": claim.employer_id,
                "payee_id": entry.payee_id,
            }
        )
        payee = payees.get(key)
        if payee is None:
            payee = payees[key] = RegisterPayee(entry.check_name, payee_id=claim.payee_id)
            employer.payees.append(payee)
        payee.lines.append(
            RegisterLine(
                claim.pk,
                claim.admin_claim_number,
                claim.patient_name,
                f"{claim.employee.last_name}, {claim.employee.first_name}",
                claim.date_of_service,
                entry.amount,
                claim.received_on,
                entry.transaction.effective_date,
            )
        )
    return Register(run, list(employers.values()))


def payments_waiting() -> dict[str, Any]:
    """Trust-fund claim movements not yet in a payment run: count, payees, net total."""
    rows = (
        ClaimLedgerEntry.objects.filter(payment_run__isnull=True)
        .values("payee_id", "claim__payee_id", "claim__employer_id")
        .annotate(net=Sum("amount"), n=Count("id"))
    )
    checks: dict[tuple[Any, ...], Decimal] = {}
    result = {"entries": 0, "payees": 0, "total": ZERO, "carried": 0}
    for row in rows:
        result["entries"] += row["n"]
        check = check_of(row)
        checks[check] = checks.get(check, ZERO) + row["net"]
    for net in checks.values():
        if net >= ZERO:
            result["payees"] += 1
            result["total"] += net
        else:
            result["carried"] += 1
    return result


def payment_runs() -> QuerySet[PaymentRun]:
    return PaymentRun.objects.select_related("created_by").order_by("-number")


def remittances() -> QuerySet[Remittance]:
    """The 835 interchanges received, newest first."""
    return Remittance.objects.order_by("-created_at", "-id")


def policy_year_choices() -> list[tuple[int, str]]:
    """The plan years set up, newest first, as (start year, "1984-85")."""
    years = PlanYear.objects.order_by("-start_year").values_list("start_year", flat=True)
    return [(year, policy_year_label(year)) for year in years]


def family_claims(employee_id: int, policy_year: int) -> QuerySet[Claim]:
    """A family's claims of a year, in their processing order (R-CL5)."""
    return Claim.objects.filter(employee_id=employee_id, policy_year=policy_year).order_by("id")


__all__ = [
    "ClaimFilters",
    "EntryFamily",
    "can_write",
    "claim_get_for_user",
    "claim_history",
    "claim_list",
    "claim_totals",
    "claim_totals_check",
    "claims_visible_to",
    "entry_employee_search",
    "entry_family",
    "family_claims",
    "family_deductible",
    "family_patients",
    "latest_family_year",
    "payment_run_register",
    "payment_runs",
    "payments_waiting",
    "policy_year_choices",
    "remittances",
]
