"""Re-vest: the vesting of a completed year worked out again for an employer after late
data (a backdated hire, corrected hours, a claim entered or voided late, a marriage
recorded late), posting only the differences (R-VE1..R-VE4, R-VE7, R-VE11, R-CL5, R-CL6).

Entry points:

- :func:`revest_preview`: the employees whose vesting of the year would change, with the
  old and new amounts and why; nothing written. Its ``fingerprint`` names the list.
- :func:`revest_apply`: the same computation under the employer's General Deductible Trust
  Fund lock, then one posting per difference, each under its own idempotency key
  (``revest:{line}:{n}``, the line's n-th re-vest), so that a second run finds no
  difference and posts nothing. Given the preview's fingerprint it refuses a list that
  changed since.
- :func:`claim_year_revest`: the claims app calls it after a void or an adjustment of a
  claim of a year already vested (R-CL5): the employee's year (and a pooled spouse's) is
  re-vested through the same path.
- :func:`revest_scan`: the nightly job: every vested employer-year with differences is
  listed (:class:`~vesting.models.RevestPending`) for the superintendent's re-vest page.

The year's lines are computed by the rollover's own SQL (``vesting.lines.lines_compute``),
then pooled for spouses (R-VE11) and settled (R-VE4) here.

Decisions (the plan is silent; chosen as a plan administrator would):

- Decision: a re-vest is for a year the rollover has vested for the employer (its run or
  its employer step completed); it is asked for by an administrator or the
  superintendent, per employer and year, preview first. Postings are dated the day of the
  correction (``on``, default today), with the year as their period.
- Decision: a settled line keeps its outcome (a vested year stays vested, a year sent to
  the district stays there, its amount follows the computation); a pending partial year
  (R-VE4) takes the outcome computed now, and vests when a later year is a full year; a
  re-vest of a year that is now a full year settles the employee's earlier pending years.
  An employee with no line yet (a backdated hire) gets one.
- Decision: increases move money from the General Deductible Trust Fund to the side
  account; decreases take back what is still held for the year (the whole amount while
  employed; the year's unpaid lump sum after a separation, as run-out claims do, R-CL6),
  never more than the side account holds. The rest had been paid out: it is recorded as
  an overpayment owed by the employee (:class:`~vesting.models.Overpayment`), posted to the
  General Deductible Trust Fund's "Overpayments receivable" account against the payee
  account of the employee's payouts (``ledger.post_overpayment``). The fund report shows
  the receivable's balance as a memo line; the clerk sees it on the employee's side
  account page. Collecting it is outside the ledger's named operations for now.
- Decision: run-out claims (R-CL6) keep their own immediate path
  (``vesting.payouts.runout_claim_paid``: the claimant's year is reduced at once, and
  what had been paid out the trust fund bears, recorded as ``borne`` on the adjustment).
  A re-vest keeps what the trust fund bears (``rules.revest_amount``), so it does not turn
  a borne run-out claim into an overpayment; a void of that claim releases it. The claims
  app re-vests the employee-year after a void, an adjustment or a re-split, so that a
  pooled spouse's half (R-VE11) follows too.
- Decision: a year sent to the district changes by an unvested transfer (either way);
  differences smaller than a cent do not exist (amounts are cents).
- Decision: each re-vest of a line is a ``VestingAdjustment`` of kind ``revest`` with the
  amount before and after, what was taken back, what was overpaid and the reason.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction
from django.db.models import Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Employee, Employer, Marriage
from accounts.rules import policy_year_end, policy_year_label, policy_year_start
from staywell.money import ZERO
from vesting import ledger
from vesting.ledger import selectors as ledger_selectors
from vesting.lines import ComputedLine, lines_compute, lock_general_trust
from vesting.models import (
    Overpayment,
    Payout,
    RevestPending,
    TransactionKind,
    VestingAdjustment,
    VestingLine,
    VestingRunEmployerStep,
)
from vesting.payouts import UNPAID, payouts_refresh_many, runout_held, side_account_balance
from vesting.rules import revest_amount, revest_decrease_split, spouse_split

__all__ = [
    "RevestChange",
    "RevestPreview",
    "claim_year_revest",
    "revest_apply",
    "revest_preview",
    "revest_scan",
]

VESTED, PENDING, TO_DISTRICT = "vested", "pending", "to_district"


@dataclass(frozen=True)
class RevestChange:
    """One employee-year whose vesting changes (old and new amounts, why)."""

    employee_id: int
    employee_number: str
    employee_name: str
    policy_year: int
    line_id: int | None  # None: the employee has no line for the year yet
    old_outcome: str | None
    new_outcome: str
    old_amount: Decimal  # dollars the line holds now (0.00 when none)
    new_amount: Decimal  # dollars after the re-vest
    reasons: tuple[str, ...]
    allotment: Decimal
    claims: Decimal
    unused: Decimal
    full_year: bool
    spouse_id: int | None
    vested_on: date | None
    borne_change: Decimal = ZERO  # change of what the trust fund bears (R-CL6)

    @property
    def difference(self) -> Decimal:
        return self.new_amount - self.old_amount

    @property
    def label(self) -> str:
        return policy_year_label(self.policy_year)

    @property
    def why(self) -> str:
        return "; ".join(self.reasons)

    def key(self) -> list[Any]:
        return [
            self.employee_id,
            self.policy_year,
            self.old_outcome,
            self.new_outcome,
            str(self.old_amount),
            str(self.new_amount),
            str(self.borne_change),
        ]


@dataclass(frozen=True)
class RevestPreview:
    """What a re-vest of an employer's year would change."""

    employer_id: int
    employer_code: str
    employer_name: str
    policy_year: int
    changes: list[RevestChange] = field(default_factory=list)

    @property
    def label(self) -> str:
        return policy_year_label(self.policy_year)

    @property
    def increase(self) -> Decimal:
        return sum((c.difference for c in self.changes if c.difference > 0), ZERO)

    @property
    def decrease(self) -> Decimal:
        return -sum((c.difference for c in self.changes if c.difference < 0), ZERO)

    @property
    def fingerprint(self) -> str:
        payload = json.dumps([c.key() for c in self.changes], separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


# --- Which years ---------------------------------------------------------------------------


def _check_year(employer_id: int, year: int) -> Employer:
    employer = Employer.objects.filter(pk=employer_id).first()
    if employer is None:
        raise ValidationError({"employer": f"Unknown employer {employer_id}."})
    if not 1900 <= year <= 2999:
        raise ValidationError({"policy_year": f"{year} is not a policy year."})
    vested = VestingRunEmployerStep.objects.filter(
        policy_year=year, employer_id=employer_id, status=VestingRunEmployerStep.Status.COMPLETED
    ).exists()
    if not vested:
        raise ValidationError(
            {
                "policy_year": (
                    f"The vesting of {policy_year_label(year)} has not been done for "
                    f"{employer.code} yet: the July 1 rollover vests it, after which it can be "
                    "re-vested."
                )
            },
            code="not_vested",
        )
    return employer


# --- The computation -----------------------------------------------------------------------


@dataclass
class _Target:
    """An employee's year as worked out now, before it is compared with the line."""

    employee_id: int
    allotment: Decimal
    claims: Decimal
    unused: Decimal
    full_year: bool
    outcome: str
    vested_on: date | None
    amount: Decimal  # after spouse pooling (R-VE11)
    spouse_id: int | None = None
    reasons: list[str] = field(default_factory=list)


def _vested_on(row: ComputedLine, year: int) -> date | None:
    """The day the year vests as decided now: none while pending; the separation date for
    a separation year that vests at separation (R-VE4); else July 1 after the year."""
    return row.vested_on


def _targets(
    computed: Sequence[ComputedLine], year: int, lines: dict[int, VestingLine]
) -> dict[int, _Target]:
    targets = {
        row.employee_id: _Target(
            row.employee_id,
            row.allotment,
            row.claims,
            row.unused,
            row.full_year,
            row.outcome,
            _vested_on(row, year),
            row.unused,
        )
        for row in computed
    }
    for employee_id, line in lines.items():  # a line with no coverage in the year any more
        if employee_id not in targets:
            targets[employee_id] = _Target(
                employee_id, ZERO, ZERO, ZERO, False, line.outcome, line.vested_on, ZERO
            )
            if line.unused or line.full_year:
                targets[employee_id].reasons.append("no coverage in the year any more")
    return targets


def _pool_spouses(
    targets: dict[int, _Target], employer_id: int, year: int, lines: dict[int, VestingLine]
) -> None:
    """R-VE11 (as ``vesting.lines.spouses_pool``): the couple's amounts of the year are
    added and vest half to each spouse (odd cent: the retained policy's holder)."""
    ys, ye = policy_year_start(year), policy_year_end(year)
    couples = (
        Marriage.objects.filter(
            employee_a__employer_id=employer_id,
            employee_b__employer_id=employer_id,
            married_on__lte=ye,
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=ys))
        .select_related("employee_a", "employee_b")
    )
    for marriage in couples:
        retained_id, other_id = marriage.retained_id, marriage.other_id
        other = marriage.employee_a if marriage.employee_a_id == other_id else marriage.employee_b
        retained = targets.get(retained_id)
        if retained is None or _at_separation(lines.get(retained_id)):
            continue
        if _at_separation(lines.get(other_id)):
            continue  # settled at a separation: not pooled (vesting.lines Decision)
        if other_id not in targets:
            if other.separation_date is not None and other.separation_date < ys:
                continue
            targets[other_id] = _Target(other_id, ZERO, ZERO, ZERO, False, PENDING, None, ZERO)
        spouse = targets[other_id]
        retained.amount, spouse.amount = spouse_split(
            amount_a=retained.unused, amount_b=spouse.unused, retained_is_a=True
        )
        retained.spouse_id, spouse.spouse_id = other_id, retained_id
        spouse.outcome, spouse.vested_on = retained.outcome, retained.vested_on
        for target, partner in ((retained, other_id), (spouse, retained_id)):
            target.reasons.append(f"spouse pooling with employee {partner} (R-VE11)")


def _at_separation(line: VestingLine | None) -> bool:
    """A line written at a separation (no run, not pooled): left out of pooling."""
    return line is not None and line.run_id is None and line.spouse_id is None


def _later_full_years(employer_id: int, year: int) -> dict[int, int]:
    """The first full year after ``year`` of each of the employer's employees that has one."""
    return dict(
        VestingLine.objects.filter(
            employee__employer_id=employer_id, policy_year__gt=year, full_year=True
        )
        .values("employee_id")
        .annotate(first=Min("policy_year"))
        .values_list("employee_id", "first")
    )


def _settle_outcome(target: _Target, line: VestingLine | None, later_full: dict[int, int]) -> None:
    """R-VE4: a settled line keeps its outcome; a pending year vests once a later year is
    a full year (module Decision)."""
    if line is not None and line.outcome != PENDING:
        target.outcome, target.vested_on = line.outcome, line.vested_on
        return
    if target.outcome != PENDING:
        return
    later = later_full.get(target.employee_id)
    if later is not None:
        target.outcome, target.vested_on = VESTED, policy_year_start(later + 1)
        target.reasons.append(f"vests with the full year {policy_year_label(later)} (R-VE4)")


def _reasons(target: _Target, line: VestingLine | None) -> list[str]:
    if line is None:
        return ["no line for the year yet (e.g. a backdated hire)", *target.reasons]
    out: list[str] = []
    if target.allotment != line.allotment:
        out.append(f"allotment {line.allotment} → {target.allotment}")
    if target.claims != line.trust_fund_claims:
        out.append(f"trust-fund claims {line.trust_fund_claims} → {target.claims}")
    if target.full_year != line.full_year:
        out.append(
            f"full year: {'yes' if line.full_year else 'no'} → "
            f"{'yes' if target.full_year else 'no'} (R-VE3)"
        )
    if target.outcome != line.outcome:
        out.append(f"outcome {line.get_outcome_display().lower()} → {target.outcome} (R-VE4)")
    out.extend(target.reasons)
    return out


def _line_borne(lines: Iterable[VestingLine]) -> dict[int, Decimal]:
    ids = [line.pk for line in lines]
    return dict(
        VestingAdjustment.objects.filter(line_id__in=ids)
        .values("line_id")
        .annotate(total=Coalesce(Sum("borne"), ZERO))
        .values_list("line_id", "total")
    )


def _compute(
    employer: Employer, year: int, general_trust: int, only: set[int] | None
) -> list[RevestChange]:
    """Every employee-year of the employer whose vesting would change (``only``: those)."""
    lines = {
        line.employee_id: line
        for line in VestingLine.objects.filter(employee__employer_id=employer.pk, policy_year=year)
    }
    computed = lines_compute(year=year, employer_id=employer.pk, general_trust=general_trust)
    targets = _targets(computed, year, lines)
    _pool_spouses(targets, employer.pk, year, lines)
    borne = _line_borne(lines.values())
    if only is not None:
        targets = {k: v for k, v in targets.items() if k in only}
    names = dict(
        (e.pk, (e.number, e.full_name))
        for e in Employee.objects.filter(pk__in=list(targets)).only(
            "number", "first_name", "last_name"
        )
    )
    later_full = _later_full_years(employer.pk, year)
    changes: list[RevestChange] = []
    for employee_id in sorted(targets):
        target, line = targets[employee_id], lines.get(employee_id)
        _settle_outcome(target, line, later_full)
        change = _change(target, line, borne.get(line.pk, ZERO) if line else ZERO, year)
        if change is not None:
            number, name = names[employee_id]
            changes.append(_named(change, number, name))
    changes += _earlier_pending(employer.pk, year, targets, names)
    return changes


def _change(
    target: _Target, line: VestingLine | None, borne: Decimal, year: int
) -> RevestChange | None:
    amount, borne_change = target.amount, ZERO
    if line is not None and line.outcome == VESTED and target.outcome == VESTED:
        amount, borne_after = revest_amount(
            computed=target.amount, current=line.amount, borne=borne
        )
        borne_change = borne_after - borne
    if line is not None and (
        amount == line.amount and target.outcome == line.outcome and borne_change == ZERO
    ):
        return None
    reasons = _reasons(target, line)
    if borne_change:
        reasons.append(f"run-out claims the trust fund bears {borne} → {borne + borne_change}")
    return RevestChange(
        employee_id=target.employee_id,
        employee_number="",
        employee_name="",
        policy_year=year,
        line_id=line.pk if line else None,
        old_outcome=line.outcome if line else None,
        new_outcome=target.outcome,
        old_amount=line.amount if line else ZERO,
        new_amount=amount,
        reasons=tuple(reasons or ["recomputed"]),
        allotment=target.allotment,
        claims=target.claims,
        unused=target.unused,
        full_year=target.full_year,
        spouse_id=target.spouse_id,
        vested_on=target.vested_on,
        borne_change=borne_change,
    )


def _named(change: RevestChange, number: str, name: str) -> RevestChange:
    values = {**change.__dict__, "employee_number": number, "employee_name": name}
    return RevestChange(**values)


def _earlier_pending(
    employer_id: int, year: int, targets: dict[int, _Target], names: dict[int, tuple[str, str]]
) -> list[RevestChange]:
    """R-VE4: earlier pending years of employees whose ``year`` is now a full year."""
    full = [t.employee_id for t in targets.values() if t.full_year]
    out = []
    for line in VestingLine.objects.filter(
        employee_id__in=full, policy_year__lt=year, outcome=PENDING
    ).order_by("employee_id", "policy_year"):
        number, name = names[line.employee_id]
        out.append(
            RevestChange(
                employee_id=line.employee_id,
                employee_number=number,
                employee_name=name,
                policy_year=line.policy_year,
                line_id=line.pk,
                old_outcome=PENDING,
                new_outcome=VESTED,
                old_amount=line.amount,
                new_amount=line.amount,
                reasons=(f"vests with the full year {policy_year_label(year)} (R-VE4)",),
                allotment=line.allotment,
                claims=line.trust_fund_claims,
                unused=line.unused,
                full_year=line.full_year,
                spouse_id=line.spouse_id,
                vested_on=policy_year_start(year + 1),
            )
        )
    return out


# --- Preview and apply ---------------------------------------------------------------------


def revest_preview(
    *, employer_id: int, policy_year: int, employee_ids: Iterable[int] | None = None
) -> RevestPreview:
    """What a re-vest of the employer's ``policy_year`` would change (nothing written)."""
    employer = _check_year(employer_id, policy_year)
    general_trust = ledger.ledger_accounts_for_employer(employer.pk).general_trust.pk
    only = set(employee_ids) if employee_ids is not None else None
    return RevestPreview(
        employer.pk,
        employer.code,
        employer.name,
        policy_year,
        _compute(employer, policy_year, general_trust, only),
    )


@db_transaction.atomic
def revest_apply(
    *,
    employer_id: int,
    policy_year: int,
    fingerprint: str | None = None,
    on: date | None = None,
    posted_by: Any = None,
    employee_ids: Iterable[int] | None = None,
) -> RevestPreview:
    """Re-vest the employer's ``policy_year``: post the differences (module doc). Returns
    what was applied. With ``fingerprint`` (the preview's), refused when the differences
    changed since the preview. Running it again finds no difference and posts nothing
    (a repeated confirmation is answered with the empty list)."""
    employer = _check_year(employer_id, policy_year)
    general_trust = lock_general_trust(employer.pk)
    only = set(employee_ids) if employee_ids is not None else None
    preview = RevestPreview(
        employer.pk,
        employer.code,
        employer.name,
        policy_year,
        _compute(employer, policy_year, general_trust, only),
    )
    if fingerprint is not None and preview.changes and fingerprint != preview.fingerprint:
        raise ValidationError(
            {
                "fingerprint": (
                    "The differences changed since the preview (new data came in): look at "
                    "the preview again before applying."
                )
            },
            code="preview_changed",
        )
    on = on or timezone.localdate()
    run_id = (  # the run that vested the employer's year
        VestingRunEmployerStep.objects.filter(employer=employer, policy_year=policy_year)
        .values_list("run_id", flat=True)
        .first()
    )
    for change in preview.changes:
        _apply_change(change, on=on, posted_by=posted_by, run_id=run_id)
    payouts_refresh_many(employee_ids={c.employee_id for c in preview.changes})
    if only is None:
        RevestPending.objects.filter(employer=employer, policy_year=policy_year).delete()
    return preview


def _line_for(change: RevestChange, run_id: int | None) -> VestingLine:
    if change.line_id is not None:
        return VestingLine.objects.select_for_update().get(pk=change.line_id)
    return VestingLine.objects.create(
        employee_id=change.employee_id,
        policy_year=change.policy_year,
        allotment=change.allotment,
        trust_fund_claims=change.claims,
        unused=change.unused,
        full_year=change.full_year,
        amount=ZERO,
        outcome=PENDING,
        vested_on=None,
        spouse_id=change.spouse_id,
        run_id=run_id,
    )


def _apply_change(change: RevestChange, *, on: date, posted_by: Any, run_id: int | None) -> None:
    line = _line_for(change, run_id)
    employee = Employee.objects.select_for_update().get(pk=change.employee_id)
    n = line.adjustments.filter(kind=VestingAdjustment.Kind.REVEST).count() + 1
    old_side = line.amount if line.outcome == VESTED else ZERO
    new_side = change.new_amount if change.new_outcome == VESTED else ZERO
    old_district = line.amount if line.outcome == TO_DISTRICT else ZERO
    new_district = change.new_amount if change.new_outcome == TO_DISTRICT else ZERO
    common = {"employee": employee, "line": line, "n": n, "on": on, "posted_by": posted_by}
    taken, overpaid, tx = _move_side(new_side - old_side, **common)
    district_tx = _move_district(new_district - old_district, **common)
    adjustment = VestingAdjustment.objects.create(
        line=line,
        kind=VestingAdjustment.Kind.REVEST,
        recovered=taken,
        paid_on=on,
        amount_before=line.amount if change.line_id is not None else None,
        amount_after=change.new_amount,
        borne=change.borne_change,
        overpaid=overpaid,
        reason=change.why[:300],
        reference=f"revest {n}",
        transaction=tx or district_tx,
        posted_by_id=ledger.user_id_of(posted_by),
    )
    if overpaid > ZERO:
        _record_overpayment(employee, line, adjustment, overpaid, n=n, on=on, posted_by=posted_by)
    _update_line(line, change, tx or district_tx)


def _update_line(line: VestingLine, change: RevestChange, tx: Any) -> None:
    line.allotment, line.trust_fund_claims, line.unused = (
        change.allotment,
        change.claims,
        change.unused,
    )
    line.full_year, line.amount, line.outcome = (
        change.full_year,
        change.new_amount,
        change.new_outcome,
    )
    line.vested_on, line.spouse_id = change.vested_on, change.spouse_id
    if line.transaction_id is None and tx is not None:
        line.transaction = tx
    line.save(
        update_fields=[
            "allotment",
            "trust_fund_claims",
            "unused",
            "full_year",
            "amount",
            "outcome",
            "vested_on",
            "spouse",
            "transaction",
        ]
    )


def _move_side(
    delta: Decimal, *, employee: Employee, line: VestingLine, n: int, on: date, posted_by: Any
) -> tuple[Decimal, Decimal, Any]:
    """The side account follows the year's new amount: returns (taken back, overpaid, tx)."""
    if delta == ZERO:
        return ZERO, ZERO, None
    accounts = ledger.ledger_accounts_for_employer(employee.employer_id)
    side = ledger.side_account_for(employee)
    label = policy_year_label(line.policy_year)
    if delta > ZERO:
        tx = _post_vesting(
            employee,
            line,
            [ledger.debit(side, delta), ledger.credit(accounts.general_trust, delta)],
            f"Re-vest of {label}: {delta} more vested",
            n,
            on,
            posted_by,
        )
        _payout_follows(employee, line, delta)
        return ZERO, ZERO, tx
    held, _ = runout_held(employee, line)
    taken, overpaid = revest_decrease_split(
        decrease=-delta, held=min(held, side_account_balance(employee))
    )
    tx = None
    if taken > ZERO:
        tx = _post_vesting(
            employee,
            line,
            [ledger.debit(accounts.general_trust, taken), ledger.credit(side, taken)],
            f"Re-vest of {label}: {taken} taken back",
            n,
            on,
            posted_by,
        )
        _payout_follows(employee, line, -taken)
    return taken, overpaid, tx


def _post_vesting(
    employee: Employee,
    line: VestingLine,
    lines: list[ledger.Line],
    memo: str,
    n: int,
    on: date,
    posted_by: Any,
) -> Any:
    return ledger.post_transaction(
        kind=TransactionKind.VESTING_TRANSFER,
        effective_date=on,
        lines=lines,
        memo=memo,
        idempotency_key=f"revest:{line.pk}:{n}",
        posted_by=posted_by,
        employee=employee,
        reference=f"revest {line.pk}/{n}",
        employer=employee.employer_id,
        period_start=policy_year_start(line.policy_year),
        period_end=policy_year_end(line.policy_year),
    )


def _move_district(
    delta: Decimal, *, employee: Employee, line: VestingLine, n: int, on: date, posted_by: Any
) -> Any:
    """A year sent to the district (R-VE4) changes by an unvested transfer, either way."""
    if delta == ZERO:
        return None
    accounts = ledger.ledger_accounts_for_employer(employee.employer_id)
    amount = abs(delta)
    to, frm = (accounts.district, accounts.general_trust)
    if delta < ZERO:
        to, frm = frm, to
    return ledger.post_transaction(
        kind=TransactionKind.UNVESTED_TRANSFER,
        effective_date=on,
        lines=[ledger.debit(to, amount), ledger.credit(frm, amount)],
        memo=f"Re-vest of {policy_year_label(line.policy_year)}: unvested {delta:+}",
        idempotency_key=f"revest-district:{line.pk}:{n}",
        posted_by=posted_by,
        employee=employee,
        reference=f"revest {line.pk}/{n}",
        employer=employee.employer_id,
        period_start=policy_year_start(line.policy_year),
        period_end=policy_year_end(line.policy_year),
    )


def _payout_follows(employee: Employee, line: VestingLine, delta: Decimal) -> None:
    """R-VE7: the year's lump sum not yet paid follows the corrected amount (its due date
    is the year's; a year with no lump sum yet gets one from ``payouts_refresh_many``)."""
    if employee.separation_date is None:
        return
    payout = (
        Payout.objects.select_for_update()
        .filter(employee=employee, kind=Payout.Kind.LUMP_SUM, policy_year=line.policy_year)
        .first()
    )
    if payout is None or payout.status not in (*UNPAID, Payout.Status.CANCELLED):
        return
    if payout.status == Payout.Status.CANCELLED and delta <= ZERO:
        return
    payout.amount = max(payout.amount + delta, ZERO)
    if payout.amount <= ZERO:
        payout.status = Payout.Status.CANCELLED
    elif payout.status == Payout.Status.CANCELLED:
        held = payout.due_on > employee.separation_date
        payout.status = Payout.Status.HELD if held else Payout.Status.SCHEDULED
    payout.reason = f"{payout.reason}; re-vested {delta:+} (R-VE7)"[:300]
    payout.save(update_fields=["amount", "status", "reason"])


def _record_overpayment(
    employee: Employee,
    line: VestingLine,
    adjustment: VestingAdjustment,
    amount: Decimal,
    *,
    n: int,
    on: date,
    posted_by: Any,
) -> Overpayment:
    label = policy_year_label(line.policy_year)
    tx = ledger.post_overpayment(
        employee=employee,
        amount=amount,
        policy_year=line.policy_year,
        effective_date=on,
        reference=f"revest {line.pk}/{n}",
        idempotency_key=f"overpayment:{line.pk}:{n}",
        posted_by=posted_by,
    )
    return Overpayment.objects.create(
        employee=employee,
        line=line,
        policy_year=line.policy_year,
        amount=amount,
        recorded_on=on,
        reason=f"{label} re-vested after it was paid out: {adjustment.reason}"[:300],
        adjustment=adjustment,
        transaction=tx,
    )


# --- From the claims app (R-CL5, R-CL6) ----------------------------------------------------


def claim_year_revest(
    *,
    employee: Employee,
    policy_year: int,
    on: date,
    posted_by: Any = None,
    only_pooled: bool = False,
) -> RevestPreview | None:
    """A claim of ``policy_year`` was voided, adjusted or re-split after the year ended:
    when the year has been vested, the employee's year (and a pooled spouse's, R-VE11) is
    re-vested from the ledger as it is now. None when the year is not vested yet (the
    rollover will read the claims). ``only_pooled``: only when the year was pooled with a
    spouse (after a run-out claim, which reduced the claimant's year already, R-CL6)."""
    if on <= policy_year_end(policy_year):
        return None
    if (
        only_pooled
        and not VestingLine.objects.filter(
            employee=employee, policy_year=policy_year, spouse__isnull=False
        ).exists()
    ):
        return None
    try:
        _check_year(employee.employer_id, policy_year)
    except ValidationError:
        return None
    ids = {employee.pk}
    for a, b in Marriage.objects.filter(
        Q(employee_a_id=employee.pk) | Q(employee_b_id=employee.pk)
    ).values_list("employee_a_id", "employee_b_id"):
        ids |= {a, b}
    return revest_apply(
        employer_id=employee.employer_id,
        policy_year=policy_year,
        on=on,
        posted_by=posted_by,
        employee_ids=ids,
    )


# --- The nightly list ----------------------------------------------------------------------


def revest_scan(*, now: Any = None) -> list[RevestPending]:
    """The nightly job: every vested employer-year whose vesting would change if re-vested
    now, stored for the superintendent (the list replaces the previous night's)."""
    now = now or timezone.now()
    years: dict[int, set[int]] = defaultdict(set)
    for employer_id, year in (
        VestingLine.objects.values_list("employee__employer_id", "policy_year")
        .distinct()
        .order_by()
    ):
        years[employer_id].add(year)
    found: list[RevestPending] = []
    for employer_id in sorted(years):
        for year in sorted(years[employer_id]):
            try:
                preview = revest_preview(employer_id=employer_id, policy_year=year)
            except ValidationError:
                continue
            if preview.changes:
                found.append(
                    RevestPending(
                        employer_id=employer_id,
                        policy_year=year,
                        employees=len({c.employee_id for c in preview.changes}),
                        increase=preview.increase,
                        decrease=preview.decrease,
                        found_at=now,
                    )
                )
    with db_transaction.atomic():
        RevestPending.objects.all().delete()
        RevestPending.objects.bulk_create(found)
    return found


def overpayments_owed(employee: Employee) -> Decimal:
    """Dollars recorded as overpaid to the employee (shown to the clerk)."""
    return Overpayment.objects.filter(employee=employee).aggregate(
        total=Coalesce(Sum("amount"), ZERO)
    )["total"]


def receivable_balance(employer_id: int) -> Decimal:
    """The employer's overpayments receivable now (General Deductible Trust Fund)."""
    return ledger_selectors.account_balance(ledger.overpayments_account_for(employer_id))
