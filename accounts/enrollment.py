"""Enrollment for the major-medical carrier: X12 834 files (005010X220A1) made from the
coverage timeline (:class:`accounts.models.CoverageSegment`), validated by pyx12
(``staywell.x12``) before they are offered for download.

Two files a month, one transaction set (ST) per employer, the employer as the sponsor
(N1*P5) and the carrier as the insurer (N1*IN):

- the **full file** of a month: every employee covered on its first day, with the
  dependents on the policy that day (INS03 ``030``, audit or compare; BGN08 ``4``,
  verify);
- the **changes file** of a month (BGN08 ``2``, change):

  ======================  =======================================================================
  change                  when
  ======================  =======================================================================
  add (021, reason 28)    coverage starts in the month (R-EL6, R-EL7), the dependents with it
  term (024, reason 07)   coverage ends in the month (its last day covered, R-EL9), the
                          dependents with it
  tier (001, reason AI)   the tier changes in the month, covered before and after (R-EL7,
                          R-EL8)
  dependent add / term    a dependent joins or leaves a covered policy in the month
  ======================  =======================================================================

Each member (loop 2000): INS (subscriber Y/N, relationship 18 self, 01 spouse, 19 child;
employment status FT for the full tier, PT otherwise, TE after a separation, RT after a
retirement), REF*0F the subscriber's member id, DTP*356/357 eligibility begin/end,
NM1*IL the member's name and id, DMG the birth date when known, HD the health coverage
(HLT, the tier, the coverage level EMP, ESP, ECH or FAM) with DTP*348/349.

Decisions (the plan is silent; chosen as a plan administrator would):

- Decision: member ids are the employer's code, a hyphen and the employee's number
  (``MCOE-1001``); a dependent's adds ``-D`` and the dependent's id (``MCOE-1001-D12``).
  The carrier and the claims administrator use them: the 835 import reads them back.
- Decision: the plan does not keep people's sex: DMG03 is ``U`` (unknown).
- Decision: a tier change is sent as a change of the subscriber's coverage (HD04 names
  the tier); the carrier's premium is the plan's business (R-PR1), not the file's.
- Decision: the file is made by a background job with a progress bar (a full file of a
  large pool is hundreds of thousands of segments) and kept with the job for download;
  a file that pyx12 finds invalid is not offered: the job fails with its problems.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from accounts.exchange import interchange_number_next, missing_settings, trading_partners
from accounts.models import Dependent, Employee, Employer, TradingPartners
from accounts.rules import Tier
from staywell import x12
from staywell.jobs import job_advance, job_create, job_fail, job_start, job_succeed
from staywell.models import Job
from staywell.tasks import enqueue_on_commit

JOB_KIND = "enrollment_834"
TASK = "accounts.export_enrollment"  # accounts.tasks.export_enrollment
FULL, CHANGES = "full", "changes"
KINDS = {FULL: "Full file", CHANGES: "Changes"}
ADD, TERM, CHANGE, AUDIT = "021", "024", "001", "030"
REASONS = {ADD: "28", TERM: "07", CHANGE: "AI", AUDIT: "XN"}
ACTION_LABELS = {ADD: "Add", TERM: "Term", CHANGE: "Tier change", AUDIT: "Covered"}
TIER_NAMES = {
    Tier.FULL.value: "FULL",
    Tier.THREE_QUARTER.value: "THREE QUARTER",
    Tier.SELF_PAY.value: "SELF PAY",
    Tier.GRANDFATHERED.value: "GRANDFATHERED",
}
CARRIER_SETTINGS = ("plan_id", "carrier_id", "carrier_name", "carrier_tax_id")


@dataclass(frozen=True)
class Event:
    """One member's line of the file: what (``action``), for whom, from or until when."""

    action: str  # ADD, TERM, CHANGE, AUDIT
    employee_id: int
    tier: str  # the tier covered (a term: the tier that ended)
    day: date  # ADD/CHANGE/AUDIT: the first day of that coverage; TERM: its last day
    dependent_id: int | None = None  # None: the subscriber


def member_id(employer_code: str, employee_number: str) -> str:
    return f"{employer_code}-{employee_number}"


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


# The month's starts and ends of coverage, from each segment and the one before it.
_CHANGES_SQL = """
SELECT employee_id, start_date, tier, prev_tier, prev_end FROM (
    SELECT s.employee_id, s.start_date, s.tier,
           lag(s.tier) OVER w AS prev_tier, lag(s.end_date) OVER w AS prev_end
      FROM accounts_coveragesegment s
      JOIN accounts_employee e ON e.id = s.employee_id
     WHERE e.employer_id = ANY(%(employers)s)
    WINDOW w AS (PARTITION BY s.employee_id ORDER BY s.start_date)
) x
 WHERE start_date BETWEEN %(first)s AND %(after)s
"""

# Everyone covered on the month's first day, and since when in that tier.
_FULL_SQL = """
SELECT s.employee_id, s.start_date, s.tier
  FROM accounts_coveragesegment s
  JOIN accounts_employee e ON e.id = s.employee_id
 WHERE e.employer_id = ANY(%(employers)s) AND s.tier <> 'none'
   AND s.start_date <= %(first)s AND (s.end_date IS NULL OR s.end_date >= %(first)s)
"""


def _covered(tier: str | None) -> bool:
    return tier is not None and tier != Tier.NONE.value


def coverage_events(employer_ids: Sequence[int], month: date, kind: str) -> list[Event]:
    """The subscribers' events of the month (one query; module table)."""
    first, last = month_bounds(month)
    params = {"employers": list(employer_ids), "first": first, "after": last + timedelta(days=1)}
    with connection.cursor() as cursor:
        if kind == FULL:
            cursor.execute(_FULL_SQL, params)
            return [Event(AUDIT, e, tier, start) for e, start, tier in cursor.fetchall()]
        cursor.execute(_CHANGES_SQL, params)
        rows = cursor.fetchall()
    events: list[Event] = []
    for employee_id, start, tier, prev_tier, prev_end in rows:
        if _covered(prev_tier) and not _covered(tier) and start > first:
            events.append(
                Event(TERM, employee_id, prev_tier, prev_end or start - timedelta(days=1))
            )
        elif start > last:
            continue
        elif _covered(tier) and not _covered(prev_tier):
            events.append(Event(ADD, employee_id, tier, start))
        elif _covered(tier) and _covered(prev_tier) and tier != prev_tier:
            events.append(Event(CHANGE, employee_id, tier, start))
    return events


def _on_policy(dependent: Dependent, day: date) -> bool:
    return (dependent.covered_from is None or dependent.covered_from <= day) and (
        dependent.ended_on is None or dependent.ended_on >= day
    )


# The policyholder's tier on each (employee, day) asked: one query.
_TIERS_ON_SQL = """
SELECT q.employee_id, q.day,
       (SELECT s.tier FROM accounts_coveragesegment s
         WHERE s.employee_id = q.employee_id AND s.start_date <= q.day
           AND (s.end_date IS NULL OR s.end_date >= q.day)
         ORDER BY s.start_date DESC LIMIT 1)
  FROM unnest(%s::bigint[], %s::date[]) AS q(employee_id, day)
"""


def _tiers_on(pairs: Iterable[tuple[int, date]]) -> dict[tuple[int, date], str]:
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_TIERS_ON_SQL, [[e for e, _ in wanted], [d for _, d in wanted]])
        return {(e, d): tier or Tier.NONE.value for e, d, tier in cursor.fetchall()}


def dependent_events(
    events: Sequence[Event], families: dict[int, list[Dependent]], first: date, last: date
) -> list[Event]:
    """The dependents' events: with their subscriber's add, term or full-file line, and
    their own joins and leavings of a covered policy in the month (module table)."""
    subscribers = {(e.employee_id, e.action, e.day) for e in events}
    result: list[Event] = []
    for event in events:
        if event.action not in (ADD, TERM, AUDIT):
            continue
        on = first if event.action == AUDIT else event.day
        for dependent in families.get(event.employee_id, []):
            if _on_policy(dependent, on):
                since = max(event.day, dependent.covered_from or event.day)
                day = event.day if event.action == TERM else since
                result.append(Event(event.action, event.employee_id, event.tier, day, dependent.pk))
    if any(event.action == AUDIT for event in events):
        return result
    own = [
        (dependent, action, day)
        for deps in families.values()
        for dependent in deps
        for action, day in ((ADD, dependent.covered_from), (TERM, dependent.ended_on))
        if day is not None
        and first <= day <= last
        and (dependent.employee_id, action, day) not in subscribers
    ]
    tiers = _tiers_on((dependent.employee_id, day) for dependent, _, day in own)
    for dependent, action, day in own:
        tier = tiers.get((dependent.employee_id, day), Tier.NONE.value)
        if _covered(tier):
            result.append(Event(action, dependent.employee_id, tier, day, dependent.pk))
    return result


def enrollment_events(
    employer_ids: Sequence[int], month: date, kind: str
) -> tuple[list[Event], dict[int, list[Dependent]]]:
    """Every line of the month's file (subscribers and dependents) and each family's
    dependents (a handful of queries)."""
    first, last = month_bounds(month)
    events = coverage_events(employer_ids, month, kind)
    families = _dependents(
        {e.employee_id for e in events}, employer_ids if kind == CHANGES else [], first, last
    )
    return events + dependent_events(events, families, first, last), families


def _dependents(
    employee_ids: set[int], employer_ids: Sequence[int], first: date, last: date
) -> dict[int, list[Dependent]]:
    """The whole families of these employees and of the employers' dependents joining or
    leaving in the month (two queries)."""
    from django.db.models import Q

    wanted = set(employee_ids)
    if employer_ids:
        wanted |= set(
            Dependent.objects.filter(employee__employer_id__in=employer_ids)
            .filter(Q(covered_from__range=(first, last)) | Q(ended_on__range=(first, last)))
            .values_list("employee_id", flat=True)
        )
    families: dict[int, list[Dependent]] = defaultdict(list)
    for dependent in Dependent.objects.filter(employee_id__in=wanted).order_by(
        "employee_id", "relationship", "birth_date", "id"
    ):
        families[dependent.employee_id].append(dependent)
    return families


def coverage_level(dependents: Iterable[Dependent], day: date) -> str:
    """HD05: EMP, ESP (and spouse), ECH (and children) or FAM, on the day."""
    kinds = {d.relationship for d in dependents if _on_policy(d, day)}
    spouse, child = Dependent.Relationship.SPOUSE in kinds, Dependent.Relationship.CHILD in kinds
    return {(False, False): "EMP", (True, False): "ESP", (False, True): "ECH"}.get(
        (spouse, child), "FAM"
    )


# ---------------------------------------------------------------------------------------
# The file
# ---------------------------------------------------------------------------------------


def _employment_status(event: Event, employee: Employee) -> str:
    """INS08: TE or RT after employment ended, else FT (full tier) or PT."""
    separated = employee.separation_date is not None and employee.separation_date <= event.day
    if event.action == TERM or separated:
        return "RT" if employee.separation_reason == Employee.SeparationReason.RETIREMENT else "TE"
    return "FT" if event.tier == Tier.FULL.value else "PT"


def _member(
    event: Event, employee: Employee, dependent: Dependent | None, level: str
) -> list[list[str]]:
    """The loop 2000 of one member line (module doc)."""
    subscriber = member_id(employee.employer.code, employee.number)
    person: Employee | Dependent = dependent or employee
    ident = f"{subscriber}-D{dependent.pk}" if dependent else subscriber
    relationship = (
        "18" if dependent is None else "01" if dependent.relationship == "spouse" else "19"
    )
    day = f"{event.day:%Y%m%d}"
    ended = event.action == TERM
    segments = [
        [
            "INS",
            "Y" if dependent is None else "N",
            relationship,
            event.action,
            REASONS[event.action],
            "A",
            "",
            "",
            _employment_status(event, employee) if dependent is None else "",
        ],
        ["REF", "0F", subscriber],
        ["DTP", "357" if ended else "356", "D8", day],
        [
            "NM1",
            "IL",
            "1",
            x12.clean(person.last_name, 60),
            x12.clean(person.first_name, 35),
            "",
            "",
            "",
            "ZZ",
            ident,
        ],
    ]
    if person.birth_date is not None:
        segments.append(["DMG", "D8", f"{person.birth_date:%Y%m%d}", "U"])
    segments.append(["HD", event.action, "", "HLT", TIER_NAMES.get(event.tier, "COVERED"), level])
    segments.append(["DTP", "349" if ended else "348", "D8", day])
    return segments


def _transaction(
    employer: Employer,
    lines: list[tuple[Event, Employee, Dependent | None, str]],
    *,
    kind: str,
    month: date,
    partners: TradingPartners,
    control_number: int,
    created: datetime,
) -> list[list[str]]:
    """One employer's transaction set: the header and every member line."""
    segments = [
        [
            "BGN",
            "00",
            f"SW{control_number}-{employer.code}"[:50],
            f"{created:%Y%m%d}",
            f"{created:%H%M}",
            "",
            "",
            "",
            "4" if kind == FULL else "2",
        ],
    ]
    if partners.group_policy_number:
        segments.append(["REF", "38", x12.clean(partners.group_policy_number, 50)])
    segments.append(["DTP", "007", "D8", f"{month_bounds(month)[0]:%Y%m%d}"])
    segments.append(["N1", "P5", x12.clean(employer.name, 60), "94", x12.clean(employer.code, 80)])
    segments.append(
        ["N1", "IN", x12.clean(partners.carrier_name, 60), "FI", partners.carrier_tax_id]
    )
    for event, employee, dependent, level in lines:
        segments += _member(event, employee, dependent, level)
    return segments


@dataclass
class EnrollmentFile:
    text: str
    counts: dict[str, int]  # action label -> member lines
    lines: list[dict[str, str]]  # what the page lists: member, name, action, tier, date
    control_number: int


def _order(
    events: Sequence[Event], families: dict[int, list[Dependent]]
) -> dict[int, list[tuple[Event, Employee, Dependent | None, str]]]:
    """The lines of each employer, subscribers by number, each followed by its family."""
    employees = {
        e.pk: e
        for e in Employee.objects.filter(pk__in={ev.employee_id for ev in events}).select_related(
            "employer"
        )
    }
    dependents = {d.pk: d for family in families.values() for d in family}
    by_employer: dict[int, list[tuple[Event, Employee, Dependent | None, str]]] = defaultdict(list)
    rank = {AUDIT: 0, TERM: 1, ADD: 2, CHANGE: 3}

    def key(event: Event) -> tuple[Any, ...]:
        employee = employees[event.employee_id]
        return (
            employee.number,
            event.employee_id,
            event.dependent_id is not None,
            event.day,
            rank[event.action],
            event.dependent_id or 0,
        )

    for event in sorted(events, key=key):
        employee = employees[event.employee_id]
        level = coverage_level(families.get(employee.pk, []), event.day)
        dependent = dependents.get(event.dependent_id) if event.dependent_id else None
        by_employer[employee.employer_id].append((event, employee, dependent, level))
    return by_employer


def enrollment_file(
    *, month: date, kind: str, employers: Sequence[Employer], created: datetime | None = None
) -> EnrollmentFile:
    """The month's 834 of these employers (one transaction set each, in code order)."""
    partners = trading_partners()
    created = timezone.localtime(created or timezone.now())
    events, families = enrollment_events([e.pk for e in employers], month, kind)
    by_employer = _order(events, families)
    control = interchange_number_next()
    interchange = x12.Interchange(
        sender=x12.Party(partners.plan_qualifier, partners.plan_id),
        receiver=x12.Party(partners.carrier_qualifier, partners.carrier_id),
        control_number=control,
        functional_id="BE",
        version="005010X220A1",
        created=created,
    )
    counts: dict[str, int] = defaultdict(int)
    listed: list[dict[str, str]] = []
    for employer in sorted(employers, key=lambda e: e.code):
        lines = by_employer.get(employer.pk, [])
        interchange.transaction(
            "834",
            _transaction(
                employer,
                lines,
                kind=kind,
                month=month,
                partners=partners,
                control_number=control,
                created=created,
            ),
        )
        for event, employee, dependent, _level in lines:
            counts[ACTION_LABELS[event.action]] += 1
            person = dependent or employee
            listed.append(
                {
                    "member": member_id(employer.code, employee.number)
                    + (f"-D{dependent.pk}" if dependent else ""),
                    "name": f"{person.last_name}, {person.first_name}",
                    "action": ACTION_LABELS[event.action],
                    "tier": TIER_NAMES.get(event.tier, event.tier),
                    "date": event.day.isoformat(),
                }
            )
    return EnrollmentFile(interchange.text(), dict(counts), listed, control)


# ---------------------------------------------------------------------------------------
# The job
# ---------------------------------------------------------------------------------------


def _employers(employer: Employer | int | None) -> list[Employer]:
    if employer in (None, ""):
        return list(Employer.objects.order_by("code"))
    found = Employer.objects.filter(pk=employer.pk if isinstance(employer, Employer) else employer)
    if not found.exists():
        raise ValidationError({"employer": f"Unknown employer {employer}."})
    return list(found)


def enrollment_request(
    *, month: date | None, kind: str, employer: Employer | int | None = None, user: Any = None
) -> Job:
    """Queue the month's 834 (``process_enrollment``); refused with field errors when the
    month, the kind or the employer is wrong or the carrier is not set up."""
    errors: dict[str, str] = {}
    if month is None:
        errors["month"] = "Choose the month, like 1986-09."
    if kind not in KINDS:
        errors["kind"] = "Choose the full file or the changes."
    try:
        employers = _employers(employer)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
        employers = []
    missing = missing_settings(trading_partners(), CARRIER_SETTINGS)
    if missing:
        errors["__all__"] = missing
    if errors:
        raise ValidationError(errors)
    assert month is not None
    first = month.replace(day=1)
    what = employers[0].code if employer not in (None, "") else "all employers"
    with transaction.atomic():
        job = job_create(
            kind=JOB_KIND,
            title=f"834 {KINDS[kind].lower()} of {first:%B %Y}, {what}",
            user=user if getattr(user, "is_authenticated", False) else None,
            parameters={
                "month": first.isoformat(),
                "kind": kind,
                "employers": [e.pk for e in employers],
            },
        )
        enqueue_on_commit(TASK, str(job.pk))
    return job


def process_enrollment(job_id: Any) -> None:
    """Make the file, validate it with pyx12, offer it with the job (the task's one
    service call); an invalid file fails the job with its problems."""
    job = Job.objects.get(pk=job_id)
    if job.finished:
        return
    month = date.fromisoformat(job.parameters["month"])
    kind = job.parameters["kind"]
    employers = list(Employer.objects.filter(pk__in=job.parameters["employers"]))
    job_start(job_id=job.pk, total=2, message="Reading the coverage")
    made = enrollment_file(month=month, kind=kind, employers=employers)
    segments = made.text.count("~")
    job_start(job_id=job.pk, total=max(1, segments), message="Validating the 834 (005010X220A1)")
    result = x12.validate(made.text, progress=lambda n: job_advance(job_id=job.pk, by=n))
    if not result.valid:
        job_fail(
            job_id=job.pk,
            message="The 834 made is not valid against 005010X220A1: it is not offered.",
            errors=[p.as_dict() for p in result.problems[:1000]],
        )
        return
    counts = (
        ", ".join(f"{n} {label.lower()}" for label, n in sorted(made.counts.items())) or "no member"
    )
    Job.objects.filter(pk=job.pk).update(parameters={**job.parameters, "lines": made.lines[:2000]})
    job_succeed(
        job_id=job.pk,
        message=f"{counts}; {segments:,} segments, valid 005010X220A1 "
        f"(interchange {made.control_number:09d}).",
        file_name=f"834-{kind}-{month:%Y-%m}-{made.control_number:09d}.x12",
        content=made.text.encode("ascii"),
    )
