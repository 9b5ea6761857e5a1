"""Separations and payouts from the side accounts (R-VE4..R-VE10, R-CL6).

Entry points:

- :func:`separation_record`: called (through ``accounts.signals.employee_separated``)
  inside the transaction that records a separation: vests the year of separation where
  the rules say so (R-VE4) and builds the payouts (R-VE7 lump sums, R-VE10 beneficiary).
- :func:`payouts_refresh`: brings a separated employee's payouts up to date with the
  years vested since (the rollover calls it).
- :func:`payouts_process`: the daily job: due payouts go into a payout register for the
  county to pay and are posted to the ledger, once.
- :func:`continuation_premium_record` / :func:`continuation_premiums_post`: a month of
  continued coverage paid from the side account (R-VE8, R-VE9); the monthly job posts the
  retirees' months.
- :func:`runout_claim_paid`: the contract with the claims app (R-CL6).
- :func:`side_account_withdraw`: always refused, with the plan's reason (R-VE5).

Decisions (the plan is silent; chosen as a plan administrator would):

- Decision: statuses. A lump sum payable at separation is ``scheduled``; one the plan
  holds for six months (the year before the separation year and the separation year,
  R-VE7; a beneficiary payment, R-VE10) is ``held``. On its due date the daily job makes
  it ``due`` and puts it in that day's register (``paid``); one the ledger refuses stays
  ``due`` with the reason, for the clerk. Run-out claims reduce
  ``scheduled``/``held``/``due`` amounts before they are paid; one reduced to nothing is
  ``cancelled``.
- Decision: a separated employee's side account pays continuation premiums instead of
  lump sums while the continuation runs (III intro: "or have those remaining funds
  purchase continuing health insurance"): the daily job holds the lump sums of someone
  with a separation continuation in force, and each premium paid from the account
  reduces the open lump sums, earliest due first. When the continuation ends, what is
  left is paid on the due dates. Retirees' months are posted by the monthly job (R-VE8:
  no six-month wait); other separations record at most three months (R-VE9) through the
  API or the side-account page.
- Decision: a month's premium is the person's share of that month's premium lines
  (``accounts.selectors.premium_lines_for``: a post-separation continuation is SELF_PAY,
  major medical and dental if continued); the account pays it until exhausted, the rest
  is billed to the person (``billed``).
- Decision: death (R-VE10): the whole balance is paid to the current beneficiaries in
  proportion to their shares, the rest (shares under 100%) to the estate; the amounts
  follow the balance until paid. With no beneficiary statement on file the payout is
  ``flagged`` for the clerk, who names the payee (e.g. the estate) on the flags page.
- Decision: payouts are dated in the ledger on the register's date (the day the county is
  told to pay), with the idempotency key ``payout:{id}``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import BeneficiaryDesignation, Employee, SeparationContinuation
from accounts.rules import add_months, coverage_end, policy_year_label, policy_year_of
from accounts.selectors import premium_lines_for
from staywell.money import ZERO, split_by_weights
from vesting import ledger
from vesting.ledger import selectors
from vesting.lines import plan_year_settings, vest_at_separation
from vesting.models import (
    OPEN_PAYOUT_STATUSES,
    Account,
    AccountBalance,
    FundKind,
    Payout,
    PayoutRegister,
    VestingAdjustment,
    VestingLine,
)
from vesting.rules import (
    PayoutKind,
    beneficiary_due_date,
    continuation_limit,
    continuation_payments,
    lump_sum_schedule,
    payout_refusal,
    reduce_vested_amount,
)

__all__ = [
    "beneficiary_flag_resolve",
    "continuation_premium_record",
    "continuation_premiums_post",
    "payouts_process",
    "payouts_refresh",
    "runout_claim_paid",
    "separation_record",
    "side_account_balance",
    "side_account_withdraw",
]

UNPAID = (Payout.Status.SCHEDULED, Payout.Status.HELD, Payout.Status.DUE)
ESTATE = "Estate of {name}"


def _side_account(employee: Employee) -> Account | None:
    return Account.objects.filter(
        fund__employer_id=employee.employer_id, fund__kind=FundKind.VESTED_TRUST, employee=employee
    ).first()


def side_account_balance(employee: Employee) -> Decimal:
    """The employee's Vested Trust Fund balance now (0.00 when no account yet)."""
    account = _side_account(employee)
    return selectors.account_balance(account) if account is not None else ZERO


def _lock_employee(employee: Employee | int) -> Employee:
    employee_id = employee if isinstance(employee, int) else employee.pk
    return Employee.objects.select_for_update().get(pk=employee_id)


# --- Separation ----------------------------------------------------------------------------


def on_employee_separated(sender: Any, employee: Employee, **kwargs: Any) -> None:
    """Receiver of ``accounts.signals.employee_separated`` (connected in apps.py)."""
    separation_record(employee=employee)


@db_transaction.atomic
def separation_record(*, employee: Employee) -> list[Payout]:
    """A separation was recorded: vest the year of separation where the rules say so
    (R-VE4) and build the payouts (R-VE7, R-VE10). Returns the employee's open payouts."""
    employee = _lock_employee(employee)
    if employee.separation_date is None:
        raise ValidationError("The employee has not separated.")
    vest_at_separation(employee=employee)
    return payouts_refresh(employee=employee)


@db_transaction.atomic
def payouts_refresh(*, employee: Employee) -> list[Payout]:
    """Bring a separated employee's payouts up to date (idempotent).

    Lump sums (R-VE7): one per vested year not yet scheduled, dated by
    ``rules.lump_sum_schedule``. Death (R-VE10): the beneficiary payments follow the
    balance until paid, or one flagged payout when no beneficiary is on file.
    """
    payouts_refresh_many(employee_ids=[employee.pk])
    return list(
        Payout.objects.filter(employee_id=employee.pk, status__in=OPEN_PAYOUT_STATUSES).order_by(
            "due_on", "policy_year", "id"
        )
    )


@db_transaction.atomic
def payouts_refresh_many(*, employee_ids: Iterable[int]) -> None:
    """:func:`payouts_refresh` for many employees in a fixed number of queries (the
    rollover calls it for the separated employees whose accounts a step just grew)."""
    employees = list(
        Employee.objects.filter(pk__in=set(employee_ids), separation_date__isnull=False).order_by(
            "pk"
        )
    )
    deaths = [e for e in employees if e.separation_reason == Employee.SeparationReason.DEATH]
    others = [e for e in employees if e.separation_reason != Employee.SeparationReason.DEATH]
    if others:
        _refresh_lump_sums(others)
    if deaths:
        _refresh_beneficiaries(deaths)


def _refresh_lump_sums(employees: Sequence[Employee]) -> None:
    ids = [e.pk for e in employees]
    vested: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for employee_id, year, amount in VestingLine.objects.filter(
        employee_id__in=ids, outcome=VestingLine.Outcome.VESTED
    ).values_list("employee_id", "policy_year", "amount"):
        vested[employee_id].append((year, amount))
    known = set(
        Payout.objects.filter(employee_id__in=ids, kind=Payout.Kind.LUMP_SUM).values_list(
            "employee_id", "policy_year"
        )
    )
    holds: dict[int, str] = {}
    new: list[Payout] = []
    for employee in employees:
        assert employee.separation_date is not None
        separation_year = policy_year_of(employee.separation_date)
        if separation_year not in holds:
            holds[separation_year] = plan_year_settings(separation_year).prior_year_hold_from
        years = vested[employee.pk]
        schedule = lump_sum_schedule(
            separation_date=employee.separation_date,
            vested_by_year=[(y, a) for y, a in years if y < separation_year],
            separation_year_amount=sum((a for y, a in years if y == separation_year), ZERO),
            hold_prior_year_from=holds[separation_year],  # type: ignore[arg-type]
        )
        for item in schedule:
            if (employee.pk, item.start_year) in known:
                continue
            held = item.due_on > employee.separation_date
            new.append(
                Payout(
                    employee=employee,
                    policy_year=item.start_year,
                    kind=Payout.Kind.LUMP_SUM,
                    amount=item.amount,
                    due_on=item.due_on,
                    status=Payout.Status.HELD if held else Payout.Status.SCHEDULED,
                    reason=f"{policy_year_label(item.start_year)}: {item.reason} (R-VE7)",
                )
            )
    Payout.objects.bulk_create(new, ignore_conflicts=True)


def _refresh_beneficiaries(employees: Sequence[Employee]) -> None:
    """R-VE10: the beneficiary payments of employees who died follow their balances."""
    ids = [e.pk for e in employees]
    balances = dict(
        AccountBalance.objects.filter(
            account__employee_id__in=ids, account__fund__kind=FundKind.VESTED_TRUST
        ).values_list("account__employee_id", "balance")
    )
    designations: dict[int, list[BeneficiaryDesignation]] = defaultdict(list)
    for designation in BeneficiaryDesignation.objects.filter(
        employee_id__in=ids, revoked_on=None
    ).order_by("-share_percent", "name"):
        designations[designation.employee_id].append(designation)
    existing: dict[int, list[Payout]] = defaultdict(list)
    for payout in Payout.objects.select_for_update().filter(
        employee_id__in=ids, kind=Payout.Kind.BENEFICIARY
    ):
        existing[payout.employee_id].append(payout)
    create: list[Payout] = []
    update: list[Payout] = []
    for employee in employees:
        assert employee.separation_date is not None
        payouts = existing[employee.pk]
        if any(p.status == Payout.Status.PAID for p in payouts):
            continue  # paid once; the plan pays the balance at one date (R-VE10)
        due = beneficiary_due_date(employee.separation_date)
        balance = max(balances.get(employee.pk, ZERO), ZERO)
        current = designations[employee.pk]
        named = [p for p in payouts if p.payee_name and p.status in UNPAID]
        targets: list[tuple[str, Decimal]] = []
        if current:
            shares: dict[str, Decimal] = {}
            for designation in current:  # a name listed twice is one payee
                shares[designation.name] = shares.get(designation.name, ZERO) + (
                    designation.share_percent
                )
            targets = list(shares.items())
            rest = Decimal("100.00") - sum(shares.values(), ZERO)
            if rest > ZERO:
                targets.append((ESTATE.format(name=employee.full_name), rest))
        elif named:  # the clerk named the payee of a flagged payout
            targets = [(named[0].payee_name, Decimal("100.00"))]
        by_name = {p.payee_name: p for p in payouts}
        if not targets:
            flagged = by_name.get("") or Payout(
                employee=employee, kind=Payout.Kind.BENEFICIARY, payee_name=""
            )
            flagged.amount, flagged.due_on, flagged.status = balance, due, Payout.Status.FLAGGED
            flagged.reason = (
                "Death with no beneficiary statement on file (III.D.7): the clerk must name "
                "the payee (R-VE10)."
            )
            (update if flagged.pk else create).append(flagged)
            continue
        weights = [int(share * 100) for _, share in targets]
        amounts = split_by_weights(balance, weights) if balance > ZERO else [ZERO] * len(targets)
        keep = set()
        for (name, share), amount in zip(targets, amounts, strict=True):
            payout = by_name.get(name) or Payout(
                employee=employee, kind=Payout.Kind.BENEFICIARY, payee_name=name
            )
            payout.amount, payout.due_on = amount, due
            payout.status = Payout.Status.HELD
            payout.reason = (
                f"Vested balance to the beneficiary six months after death (R-VE10), {share}%"
            )
            (update if payout.pk else create).append(payout)
            keep.add(name)
        for payout in payouts:
            if payout.payee_name not in keep and payout.status in OPEN_PAYOUT_STATUSES:
                payout.status, payout.amount = Payout.Status.CANCELLED, ZERO
                payout.reason = "Replaced by the beneficiaries on file"
                update.append(payout)
    Payout.objects.bulk_create(create)
    if update:
        Payout.objects.bulk_update(update, ["amount", "due_on", "status", "reason"])


@db_transaction.atomic
def beneficiary_flag_resolve(*, payout: Payout | int, payee_name: str) -> Payout:
    """The clerk names the payee of a flagged beneficiary payment (R-VE10), e.g. the estate."""
    payout_id = payout if isinstance(payout, int) else payout.pk
    row = Payout.objects.select_for_update().filter(pk=payout_id).first()
    if row is None or row.kind != Payout.Kind.BENEFICIARY:
        raise ValidationError({"payout": "No such beneficiary payment."})
    if row.status != Payout.Status.FLAGGED:
        raise ValidationError({"payout": "This payment is not waiting for a payee."})
    name = " ".join((payee_name or "").split())
    if not name:
        raise ValidationError({"payee_name": "Name the person or estate to be paid."})
    if len(name) > 200:
        raise ValidationError({"payee_name": "A payee's name is limited to 200 characters."})
    row.payee_name = name
    row.status = Payout.Status.HELD
    row.reason = "Payee named by the clerk (no beneficiary statement on file, R-VE10)"
    row.save(update_fields=["payee_name", "status", "reason"])
    payouts_refresh(employee=row.employee)
    row.refresh_from_db()
    return row


# --- The daily job -------------------------------------------------------------------------


def _continuing(employee_ids: Sequence[int], on: date) -> set[int]:
    return set(
        SeparationContinuation.objects.filter(employee_id__in=employee_ids)
        .filter(Q(until__isnull=True) | Q(until__gte=on))
        .values_list("employee_id", flat=True)
    )


@db_transaction.atomic
def payouts_process(*, today: date | None = None, created_by: Any = None) -> PayoutRegister | None:
    """The daily job: payouts due by ``today`` go into one payout register and are posted
    (R-VE7, R-VE10). Idempotent: a paid payout is never paid again (status and the
    ledger key ``payout:{id}``); payouts locked by a concurrent run are skipped."""
    today = today or timezone.localdate()
    payouts = list(
        Payout.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            kind__in=[Payout.Kind.LUMP_SUM, Payout.Kind.BENEFICIARY],
            status__in=UNPAID,
            due_on__lte=today,
        )
        .select_related("employee")
        .order_by("due_on", "employee_id", "id")
    )
    continuing = _continuing([p.employee_id for p in payouts], today)
    payable: list[Payout] = []
    for payout in payouts:
        if payout.kind == Payout.Kind.LUMP_SUM and payout.employee_id in continuing:
            reason = "Held while continuation premiums are paid from the account (R-VE8, R-VE9)"
            if payout.status != Payout.Status.HELD or payout.reason != reason:
                Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.HELD, reason=reason)
            continue
        if payout.amount <= ZERO:
            Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.CANCELLED)
            continue
        payable.append(payout)
    if not payable:
        return None
    Payout.objects.filter(pk__in=[p.pk for p in payable]).update(status=Payout.Status.DUE)
    register = PayoutRegister.objects.create(
        date=today, created_by_id=ledger.user_id_of(created_by)
    )
    total = ZERO
    for payout in payable:
        amount = min(payout.amount, side_account_balance(payout.employee))
        if amount <= ZERO:
            Payout.objects.filter(pk=payout.pk).update(
                status=Payout.Status.CANCELLED, amount=ZERO, reason="Nothing left in the account"
            )
            continue
        common = {
            "employee": payout.employee,
            "amount": amount,
            "effective_date": today,
            "reference": f"payout {payout.pk}",
            "idempotency_key": f"payout:{payout.pk}",
            "posted_by": created_by,
        }
        try:
            with db_transaction.atomic():
                if payout.kind == Payout.Kind.BENEFICIARY:
                    tx = ledger.post_beneficiary_payment(
                        beneficiary_name=payout.payee_name, **common
                    )
                else:
                    year = policy_year_label(payout.policy_year) if payout.policy_year else ""
                    tx = ledger.post_lump_sum_payout(
                        memo=f"Lump sum to {payout.employee.full_name} for {year}", **common
                    )
        except ValidationError as exc:  # stays due, with the reason, for the clerk
            Payout.objects.filter(pk=payout.pk).update(
                reason=f"Not paid on {today}: {'; '.join(exc.messages)}"[:300]
            )
            continue
        Payout.objects.filter(pk=payout.pk).update(
            status=Payout.Status.PAID,
            amount=amount,
            register=register,
            transaction=tx,
            paid_on=today,
        )
        total += amount
    register.total = total
    register.count = Payout.objects.filter(register=register).count()
    if not register.count:
        register.delete()
        return None
    register.save(update_fields=["total", "count"])
    return register


# --- Continuation premiums (R-VE8, R-VE9) -------------------------------------------------


def _month_premium(employee: Employee, month: date) -> Decimal | None:
    lines = premium_lines_for(employee, month.year, month.month)
    if not lines:
        return None
    return sum((line.amount for line in lines if line.payer == "employee"), ZERO)


@db_transaction.atomic
def continuation_premium_record(
    *,
    employee: Employee | int,
    month: date,
    amount: Decimal | None = None,
    posted_by: Any = None,
) -> Payout:
    """A month of continued coverage paid from the side account (R-VE8, R-VE9).

    The account pays the month's premium (``amount``, default: the person's share of the
    month's premium lines) until exhausted; the rest is billed to the person. Refused
    before separation (R-VE5), after a death, before the month after coverage ended, and
    past the third month for a separation other than retirement (R-VE9). Once per month:
    a second call returns the first record.
    """
    employee = _lock_employee(employee)
    month = month.replace(day=1)
    if employee.separation_date is None:
        refusal = payout_refusal(
            kind=PayoutKind.CONTINUATION_PREMIUM, on=month, separation_date=None
        )
        raise ValidationError(
            {"month": f"{refusal} Only a separated employee's coverage can continue (R-VE5)."},
            code="payout_refused",
        )
    if employee.separation_reason == Employee.SeparationReason.DEATH:
        raise ValidationError({"month": "Coverage does not continue after death."})
    existing = Payout.objects.filter(
        employee=employee, kind=Payout.Kind.CONTINUATION, due_on=month
    ).first()
    if existing is not None:
        return existing
    retirement = _check_continuation_month(employee, employee.separation_date, month)
    premium = _continuation_premium(employee, month, amount)
    payment = continuation_payments(
        balance=side_account_balance(employee),
        monthly_premium=premium,
        first_month=month,
        months=1,
        retirement=retirement,
    )[0]
    tx = None
    if payment.from_account > ZERO:
        tx = ledger.post_continuation_premium(
            employee=employee,
            amount=payment.from_account,
            month=month,
            reference=f"continuation {month:%Y-%m}",
            idempotency_key=f"continuation:{employee.pk}:{month:%Y-%m}",
            posted_by=posted_by,
        )
    payout = Payout.objects.create(
        employee=employee,
        policy_year=policy_year_of(month),
        kind=Payout.Kind.CONTINUATION,
        amount=payment.from_account,
        billed_amount=payment.billed_to_person,
        due_on=month,
        status=Payout.Status.PAID if tx else Payout.Status.BILLED,
        transaction=tx,
        paid_on=month if tx else None,
        reason=(
            f"Premium {premium}: {payment.from_account} from the account"
            + (
                f", {payment.billed_to_person} billed to the person"
                if payment.billed_to_person
                else ""
            )
            + (" (R-VE8)" if retirement else " (R-VE9)")
        ),
    )
    _consume_lump_sums(employee, payment.from_account)
    return payout


def _check_continuation_month(employee: Employee, separation_date: date, month: date) -> bool:
    """Refuse a month before coverage ended or past the limit (R-VE9); True: a retiree."""
    ended = coverage_end(separation_date)
    first = add_months(ended, 1)
    if month < first:
        raise ValidationError(
            {"month": f"Coverage ran to {ended.isoformat()}; continuation starts {first:%B %Y}."}
        )
    retirement = employee.separation_reason == Employee.SeparationReason.RETIREMENT
    limit = continuation_limit(retirement=retirement)
    if limit is not None and month > add_months(first, limit - 1):
        raise ValidationError(
            {
                "month": (
                    f"Coverage may continue at most {limit} months after a separation other "
                    f"than retirement: through {add_months(first, limit - 1):%B %Y} (R-VE9)."
                )
            }
        )
    return retirement


def _continuation_premium(employee: Employee, month: date, amount: Decimal | None) -> Decimal:
    """The month's premium: ``amount``, else the person's share of the premium lines."""
    premium = amount if amount is not None else _month_premium(employee, month)
    if premium is None:
        raise ValidationError(
            {"amount": f"No continued coverage is on file for {month:%B %Y}; give the premium."}
        )
    premium = Decimal(premium)
    if premium <= ZERO:
        raise ValidationError({"amount": "The premium must be more than zero."})
    return premium


def _consume_lump_sums(employee: Employee, amount: Decimal) -> None:
    """Premiums paid from the account reduce the open lump sums, earliest due first."""
    left = amount
    for payout in (
        Payout.objects.select_for_update()
        .filter(employee=employee, kind=Payout.Kind.LUMP_SUM, status__in=UNPAID)
        .order_by("due_on", "policy_year")
    ):
        if left <= ZERO:
            break
        taken = min(left, payout.amount)
        left -= taken
        payout.amount -= taken
        if payout.amount <= ZERO:
            payout.status = Payout.Status.CANCELLED
            payout.reason = "Used for continuation premiums (R-VE8, R-VE9)"
        payout.save(update_fields=["amount", "status", "reason"])


def continuation_premiums_post(*, month: date, posted_by: Any = None) -> int:
    """The monthly job: each retiree continuing coverage has the month's premium paid from
    the side account until exhausted, then billed (R-VE8). Returns the months recorded."""
    month = month.replace(day=1)
    retirees = (
        Employee.objects.filter(
            separation_reason=Employee.SeparationReason.RETIREMENT,
            separation_date__lt=month,
            separation_continuation__isnull=False,
        )
        .filter(
            Q(separation_continuation__until__isnull=True)
            | Q(separation_continuation__until__gte=month)
        )
        .exclude(
            Exists(
                Payout.objects.filter(
                    employee=OuterRef("pk"), kind=Payout.Kind.CONTINUATION, due_on=month
                )
            )
        )
        .order_by("pk")
    )
    recorded = 0
    for employee in retirees:
        assert employee.separation_date is not None
        if add_months(coverage_end(employee.separation_date), 1) > month:
            continue
        try:
            continuation_premium_record(employee=employee, month=month, posted_by=posted_by)
        except ValidationError:
            continue  # no continued coverage that month: nothing to pay
        recorded += 1
    return recorded


# --- Run-out claims (R-CL6) ---------------------------------------------------------------


@db_transaction.atomic
def runout_claim_paid(
    *,
    employee: Employee,
    policy_year: int,
    amount: Decimal,
    paid_on: date,
    reference: str = "",
    posted_by: Any = None,
) -> Decimal:
    """R-CL6: a trust-fund claim paid for ``policy_year`` after that year vested reduces
    the year's vested amount. Returns the dollars recovered (0.00 when the year has not
    vested for the employee: the rollover will read the claim from the ledger).

    The claims app calls this after every trust-fund claim payment. What is still held
    for the year is recovered from the side account back to the General Deductible Trust
    Fund (``post_runout_recovery``): the whole vested amount while employed, the unpaid
    part of the year's lump sum after a separation (R-VE7), the balance before a
    beneficiary is paid (R-VE10). The rest the trust fund bears. Idempotent per
    ``reference`` (e.g. ``"claim 123"``).
    """
    if amount is None or Decimal(amount) <= ZERO:
        return ZERO
    amount = Decimal(amount)
    employee = _lock_employee(employee)  # its current separation; one run-out at a time
    line = (
        VestingLine.objects.select_for_update()
        .filter(employee=employee, policy_year=policy_year, outcome=VestingLine.Outcome.VESTED)
        .first()
    )
    if line is None:
        return ZERO
    if reference:
        done = VestingAdjustment.objects.filter(line=line, reference=reference).first()
        if done is not None:
            return done.recovered
    held, payout = runout_held(employee, line)
    amount_before = line.amount
    effect = reduce_vested_amount(
        vested=min(held, side_account_balance(employee)), reduction=amount
    )
    recovered = effect.recovered
    tx = None
    if recovered > ZERO:
        tx = ledger.post_runout_recovery(
            employee=employee,
            amount=recovered,
            policy_year=policy_year,
            effective_date=paid_on,
            reference=reference,
            idempotency_key=f"runout:{line.pk}:{reference}" if reference else None,
            posted_by=posted_by,
        )
        line.amount -= recovered
        line.runout_recovered += recovered
        line.save(update_fields=["amount", "runout_recovered"])
        if payout is not None and payout.status in UNPAID:
            payout.amount -= recovered
            if payout.amount <= ZERO:
                payout.status = Payout.Status.CANCELLED
            payout.reason = (f"{payout.reason}; reduced by {recovered} for run-out claims (R-CL6)")[
                :300
            ]
            payout.save(update_fields=["amount", "status", "reason"])
    VestingAdjustment.objects.create(
        line=line,
        kind=VestingAdjustment.Kind.RUNOUT,
        claim_amount=amount,
        recovered=recovered,
        amount_before=amount_before,
        amount_after=line.amount,
        borne=min(amount, amount_before) - recovered,  # paid out already (vesting.revest)
        paid_on=paid_on,
        reference=reference,
        transaction=tx,
        posted_by_id=ledger.user_id_of(posted_by),
    )
    if recovered > ZERO and employee.separation_reason == Employee.SeparationReason.DEATH:
        payouts_refresh(employee=employee)
    return recovered


def runout_held(employee: Employee, line: VestingLine) -> tuple[Decimal, Payout | None]:
    """What is still held for the line's year (R-CL6), and its lump sum (row-locked)."""
    held = line.amount
    payout = None
    if employee.separation_date is not None:
        if employee.separation_reason == Employee.SeparationReason.DEATH:
            if Payout.objects.filter(
                employee=employee, kind=Payout.Kind.BENEFICIARY, status=Payout.Status.PAID
            ).exists():
                held = ZERO
        else:
            payout = (
                Payout.objects.select_for_update()
                .filter(employee=employee, kind=Payout.Kind.LUMP_SUM, policy_year=line.policy_year)
                .first()
            )
            if payout is not None:
                held = min(held, payout.amount) if payout.status in UNPAID else ZERO
    return held, payout


# --- R-VE5 --------------------------------------------------------------------------------

WITHDRAWAL_KINDS = {
    "withdrawal": PayoutKind.WITHDRAWAL,
    "loan": PayoutKind.LOAN,
    "interest": PayoutKind.INTEREST,
}


def side_account_withdraw(
    *, employee: Employee, amount: Decimal, kind: str, on: date | None = None
) -> NoReturn:
    """R-VE5: a withdrawal, a loan or interest from a side account is always refused.

    During employment the vested money does not belong to the employee (no interest, no
    loans, no withdrawals); after separation it is paid only as the plan's lump sums,
    continuation premiums or beneficiary payment (R-VE6). Raises ``ValidationError`` with
    the plan's reason.
    """
    if kind not in WITHDRAWAL_KINDS:
        raise ValidationError({"kind": "Choose a withdrawal, a loan or interest."})
    on = on or timezone.localdate()
    employee = Employee.objects.get(pk=employee.pk)  # its current separation, if any
    refusal = payout_refusal(
        kind=WITHDRAWAL_KINDS[kind], on=on, separation_date=employee.separation_date
    )
    message = refusal or "Money leaves a side account only as the plan's payouts (R-VE6)."
    if employee.separation_date is None or employee.separation_date > on:
        message = f"{message} (R-VE5)"
    raise ValidationError(message, code="withdrawal_refused")
