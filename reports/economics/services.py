"""What the plan economics pages write or hand out: saved scenarios, the PDF, the CSV, and
the pool's utilization watch computed by a job with a progress bar.

Decisions:

- Decision: a scenario is named per employer (or for the pool); saving with the name of
  an existing scenario of the same scope changes that scenario (the superintendent's
  "save" after changing an assumption), and the page says so. Who: the superintendent and
  administrators (who read these figures).
- Decision: the pool's utilization watch reads every family's claims of every year: it
  runs as a job (one step per policy year), whose result is kept in the cache until a
  claim, an adjustment, a vesting line or a coverage change makes new data (then the
  page offers to compute it again); an employer's is computed on the page.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.rules import policy_year_label
from reports.economics import selectors
from reports.economics.rules import (
    ASSUMPTION_FIELDS,
    OPTION_LABELS,
    OPTIONS,
    Assumptions,
    Results,
    UtilizationYear,
    assumption_errors,
)
from reports.models import ProjectionScenario
from staywell.csv import csv_bytes
from staywell.jobs import job_advance, job_create, job_fail, job_start, job_succeed
from staywell.models import Job
from staywell.names import name_character_error
from staywell.pdf import render_pdf
from staywell.tasks import enqueue_on_commit

logger = logging.getLogger(__name__)

UTILIZATION_TASK = "reports.economics_utilization"  # reports.tasks
UTILIZATION_JOB_KIND = "economics_utilization"
ASSUMPTION_NAMES = tuple(name for name, *_ in ASSUMPTION_FIELDS)


# =========================================================================================
# Scenarios
# =========================================================================================


def assumptions_from(values: dict[str, Any], *, years: int = 10) -> Assumptions:
    """Checked values (``assumption_errors`` passed) as the projection's assumptions."""
    return Assumptions(
        **{name: values[name] for name in ASSUMPTION_NAMES},  # type: ignore[arg-type]
        years=years,
    )


def scenario_assumptions(scenario: ProjectionScenario) -> Assumptions:
    return assumptions_from({name: getattr(scenario, name) for name in ASSUMPTION_NAMES})


def assumption_values(assumptions: Assumptions) -> dict[str, Any]:
    """``{field: value}`` of the assumptions (the form's initial values, the API)."""
    values = asdict(assumptions)
    values.pop("years", None)
    return values


def _name_error(name: str) -> str | None:
    if not name:
        return "Give the scenario a name."
    if len(name) > 100:
        return "The name is limited to 100 characters."
    return name_character_error(name, "scenario's name")


def _checked(name: str, values: dict[str, Any]) -> str:
    cleaned = " ".join(str(name or "").split())
    errors = assumption_errors(values)
    if problem := _name_error(cleaned):
        errors["name"] = problem
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def scenario_save(
    *, employer_id: int | None, name: str, values: dict[str, Any], user: Any = None
) -> tuple[ProjectionScenario, bool]:
    """Save the assumptions under ``name`` for the employer (``None``: the pool): a new
    scenario, or the one of that name changed (module Decision). Returns (scenario,
    created); raises ``ValidationError`` by field, nothing saved."""
    cleaned = _checked(name, values)
    who = user if getattr(user, "is_authenticated", False) else None
    existing = (
        ProjectionScenario.objects.select_for_update()
        .filter(employer_id=employer_id, name=cleaned)
        .first()
    )
    scenario = existing or ProjectionScenario(employer_id=employer_id, name=cleaned, created_by=who)
    for field_name in ASSUMPTION_NAMES:
        setattr(scenario, field_name, values[field_name])
    scenario.updated_by = who
    scenario.save()
    return scenario, existing is None


@transaction.atomic
def scenario_update(
    *, scenario: ProjectionScenario, name: str, values: dict[str, Any], user: Any = None
) -> ProjectionScenario:
    """Change a scenario's name and assumptions (the API's PUT); a name taken by another
    scenario of the same scope is refused."""
    cleaned = _checked(name, values)
    taken = (
        ProjectionScenario.objects.filter(employer_id=scenario.employer_id, name=cleaned)
        .exclude(pk=scenario.pk)
        .exists()
    )
    if taken:
        raise ValidationError({"name": f"Another scenario is named {cleaned}."})
    scenario.name = cleaned
    for field_name in ASSUMPTION_NAMES:
        setattr(scenario, field_name, values[field_name])
    scenario.updated_by = user if getattr(user, "is_authenticated", False) else None
    scenario.save()
    return scenario


def scenario_delete(*, scenario: ProjectionScenario) -> None:
    scenario.delete()


# =========================================================================================
# CSV and PDF
# =========================================================================================

RESULTS_CSV_HEADER = (
    "policy_year",
    "complete",
    "full_tier_months",
    "full_coverage_cost",
    "carrier_premiums",
    "trust_fund_contributions",
    "trust_fund_claims",
    "administrative_costs",
    "interest_earned",
    "plan_cost",
    "savings",
    "cumulative_savings",
    "unspent_allotments_vested",
    "kept_by_employer",
    "unvested_to_district",
    "payouts",
    "vested_liability",
    "sheltered_estimate",
    "families_full_year",
    "families_under_deductible",
)


def results_csv_rows(results: Results) -> list[list[Any]]:
    """One row per policy year (exact decimals; an empty cell: not known yet)."""
    cumulative = results.cumulative("savings")
    return [
        [
            policy_year_label(year.policy_year),
            "yes" if year.complete else "to date",
            year.full_months,
            year.full_coverage_cost,
            year.carrier_premiums,
            year.contributions,
            year.claims,
            year.admin_costs,
            year.interest,
            year.plan_cost,
            year.savings,
            running,
            year.vested,
            year.kept,
            year.to_district,
            year.payouts,
            year.vested_liability,
            year.sheltered,
            "" if year.families is None else year.families,
            "" if year.families_under is None else year.families_under,
        ]
        for year, running in zip(results.years, cumulative, strict=True)
    ]


def results_csv(results: Results) -> bytes:
    return csv_bytes(RESULTS_CSV_HEADER, results_csv_rows(results))


def file_stem(employer_code: str | None, as_of: date) -> str:
    return f"plan-economics-{employer_code or 'pool'}-{as_of.isoformat()}"


@dataclass(frozen=True)
class EconomicsDocument:
    """Everything the PDF prints."""

    results: selectors.EconomicsResults
    page: selectors.ProjectionPage | None
    utilization: list[UtilizationYear] | None
    scenario_name: str


def economics_pdf(document: EconomicsDocument, *, printed_on: date) -> bytes:
    """Results since inception, the projection with its assumptions, the sensitivity and
    the utilization watch, as a PDF (``staywell.pdf``)."""
    results = document.results
    return render_pdf(
        "reports/economics/report_pdf.html",
        {
            "data": results,
            "cumulative": list(
                zip(results.years, results.results.cumulative("savings"), strict=True)
            ),
            "page": document.page,
            "utilization": document.utilization,
            "scenario_name": document.scenario_name,
            "options": [(key, OPTION_LABELS[key]) for key in OPTIONS],
            "header_left": results.employer_name,
            "header_right": f"Plan economics as of {results.as_of:%B %-d, %Y}",
        },
        printed_on=printed_on,
    )


# =========================================================================================
# The pool's utilization watch, a job
# =========================================================================================


def utilization_request(*, employer_id: int | None, as_of: date, requested_by: Any) -> Job:
    """Queue the utilization watch of ``employer_id`` (``None``: the pool) as a job with a
    progress bar; it starts once the caller's transaction commits."""
    who = "the pool" if employer_id is None else f"employer {employer_id}"
    job = job_create(
        kind=UTILIZATION_JOB_KIND,
        title=f"Utilization watch of {who}",
        user=requested_by if getattr(requested_by, "is_authenticated", False) else None,
        parameters={"employer_id": employer_id, "as_of": as_of.isoformat()},
    )
    enqueue_on_commit(UTILIZATION_TASK, job_id=str(job.pk))
    return job


UTILIZATION_CSV_HEADER = (
    "policy_year",
    "deductible",
    "families_full_year",
    "families_no_claims",
    "families_under_deductible",
    "families_at_or_over_deductible",
    "claims",
    "claims_per_family",
    "preventive_claims",
    "preventive_per_family",
    "families_with_preventive_care",
    "claims_with_a_category",
)


def utilization_csv(years: list[UtilizationYear]) -> bytes:
    return csv_bytes(
        UTILIZATION_CSV_HEADER,
        [
            [
                policy_year_label(y.policy_year),
                y.deductible,
                y.families,
                y.no_claims,
                y.under,
                y.over,
                y.claims,
                y.claims_per_family,
                y.preventive_claims,
                y.preventive_per_family,
                y.preventive_families,
                y.categorized_claims,
            ]
            for y in years
        ],
    )


def utilization_compute(*, job_id: Any) -> Job | None:
    """The job's work: each policy year in turn (the progress bar moves per year), then
    the result kept in the cache for the page and as the job's CSV."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.finished:
        return job
    employer_id = job.parameters.get("employer_id")
    as_of = date.fromisoformat(job.parameters["as_of"])
    years = selectors.utilization_years(employer_id=employer_id, as_of=as_of)
    job_start(job_id=job.pk, total=len(years), message="Reading the claims")
    found: list[UtilizationYear] = []
    try:
        for year in years:
            row = selectors.utilization_year(employer_id=employer_id, policy_year=year)
            if row is not None:
                found.append(row)
            job_advance(job_id=job.pk, message=policy_year_label(year))
    except Exception as exc:
        job_fail(job_id=job.pk, message=f"The utilization watch stopped: {exc}")
        raise
    key = selectors.utilization_cache_key(employer_id=employer_id, as_of=as_of)
    try:
        cache.set(key, found, selectors.UTILIZATION_CACHE_SECONDS)
    except Exception:
        logger.warning("utilization: the cache is unavailable", exc_info=True)
    return job_succeed(
        job_id=job.pk,
        message=f"{len(found)} policy year{'s' if len(found) != 1 else ''}",
        file_name=f"utilization-{'pool' if employer_id is None else employer_id}.csv",
        content=utilization_csv(found),
    )


def latest_utilization_job(*, employer_id: int | None, user: Any) -> Job | None:
    """The user's latest utilization job of that scope that has not failed."""
    jobs = Job.objects.filter(kind=UTILIZATION_JOB_KIND, created_by=user).exclude(
        status=Job.Status.FAILED
    )
    for job in jobs.order_by("-created_at")[:10]:
        if job.parameters.get("employer_id") == employer_id:
            return job
    return None
