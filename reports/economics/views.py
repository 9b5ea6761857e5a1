"""The plan economics pages (section 8): results since inception, the ten-year projection
with its scenarios and sensitivity, the utilization watch, their PDF and CSV. Thin: parse,
call one selector or service, render.

Decision (who): the superintendent and administrators (``REPORT_READERS``), as for the
dashboard they are reached from; they may also save and delete scenarios and start the
pool's utilization job. Every other role gets the 403 page; nobody's own records are on
these pages (pool and employer totals only).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Employer
from reports.economics import selectors, services
from reports.economics.charts import projection_charts, results_charts, utilization_charts
from reports.economics.forms import AssumptionsForm, initial_from
from reports.economics.rules import OPTION_LABELS, OPTIONS
from reports.forms import ScopeForm
from staywell.csv import csv_response
from staywell.forms import add_service_errors
from staywell.roles import REPORT_READERS, role_required


def _employer(request: HttpRequest) -> Employer | None:
    """The employer chosen (``?employer=`` or the form's), ``None`` for the pool."""
    form = ScopeForm(request.POST if request.method == "POST" else request.GET)
    return form.cleaned_data.get("employer") if form.is_valid() else None


def _scope_form(employer: Employer | None) -> ScopeForm:
    return ScopeForm(initial={"employer": employer.pk if employer else None})


def _query(employer: Employer | None, **extra: Any) -> str:
    parts = {"employer": employer.pk if employer else "", **extra}
    return "&".join(f"{key}={value}" for key, value in parts.items() if value not in ("", None))


@role_required(*REPORT_READERS)
def results(request: HttpRequest) -> HttpResponse:
    """Results since inception, year by year and cumulative (``?employer=``)."""
    employer = _employer(request)
    data = selectors.results_cached(employer_id=employer.pk if employer else None)
    context = {
        "form": _scope_form(employer),
        "data": data,
        "cumulative": list(zip(data.years, data.results.cumulative("savings"), strict=True)),
        "charts": results_charts(data),
        "query": _query(employer),
    }
    return render(request, "reports/economics/results.html", context)


@role_required(*REPORT_READERS)
def results_csv(request: HttpRequest) -> HttpResponse:
    employer = _employer(request)
    data = selectors.results_cached(employer_id=employer.pk if employer else None)
    name = services.file_stem(employer.code if employer else None, data.as_of)
    rows = services.results_csv_rows(data.results)
    return csv_response(f"{name}.csv", services.RESULTS_CSV_HEADER, rows)


def _projection_context(
    employer: Employer | None,
    page: selectors.ProjectionPage | None,
    form: AssumptionsForm,
    scenario: Any = None,
) -> dict[str, Any]:
    employer_id = employer.pk if employer else None
    return {
        "scope_form": _scope_form(employer),
        "employer": employer,
        "page": page,
        "form": form,
        "scenario": scenario,
        "scenarios": selectors.scenarios_for(employer_id),
        "options": [(key, OPTION_LABELS[key]) for key in OPTIONS],
        "charts": projection_charts(page) if page else {},
        "query": _query(employer),
        "totals": [page.projection.total_cost(key) for key in OPTIONS] if page else [],
        "hdhp_own": page.projection.total_out_of_pocket("hdhp") if page else None,
    }


def _assumptions_page(
    request: HttpRequest, employer: Employer | None, form: AssumptionsForm, status: int = 200
) -> HttpResponse:
    """The projection page with the typed assumptions (projected when they are valid)."""
    employer_id = employer.pk if employer else None
    page = None
    if form.is_valid():
        chosen = services.assumptions_from(form.values())
        page = selectors.projection_page(employer_id=employer_id, assumptions=chosen)
    elif status == 200:
        status = 400
    context = _projection_context(employer, page, form)
    return render(request, "reports/economics/projection.html", context, status=status)


@role_required(*REPORT_READERS)
def projection(request: HttpRequest) -> HttpResponse:
    """GET: the projection under the history's assumptions or a saved scenario
    (``?scenario=``); POST: under the assumptions typed (nothing saved)."""
    employer = _employer(request)
    if request.method == "POST":
        return _assumptions_page(request, employer, AssumptionsForm(request.POST))
    employer_id = employer.pk if employer else None
    scenario = selectors.scenario_for(
        scenario_id=request.GET.get("scenario"), employer_id=employer_id
    )
    chosen = services.scenario_assumptions(scenario) if scenario else None
    page = selectors.projection_page(employer_id=employer_id, assumptions=chosen)
    initial = initial_from(page.assumptions) if page else {}
    if scenario is not None:
        initial["name"] = scenario.name
    form = AssumptionsForm(initial=initial)
    context = _projection_context(employer, page, form, scenario)
    return render(request, "reports/economics/projection.html", context)


@role_required(*REPORT_READERS)
@require_POST
def scenario_save(request: HttpRequest) -> HttpResponse:
    """Save the typed assumptions under the name given (a new scenario or that one's)."""
    employer = _employer(request)
    form = AssumptionsForm(request.POST)
    if form.is_valid():
        try:
            scenario, created = services.scenario_save(
                employer_id=employer.pk if employer else None,
                name=form.cleaned_data.get("name", ""),
                values=form.values(),
                user=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            verb = "saved" if created else "changed"
            messages.success(request, f"Scenario “{scenario.name}” {verb}.")
            url = reverse("reports:economics_projection")
            return redirect(f"{url}?{_query(employer, scenario=scenario.pk)}")
    return _assumptions_page(request, employer, form, status=400)


@role_required(*REPORT_READERS)
@require_POST
def scenario_delete(request: HttpRequest, scenario_id: int) -> HttpResponse:
    employer = _employer(request)
    scenario = selectors.scenario_for(
        scenario_id=scenario_id, employer_id=employer.pk if employer else None
    )
    if scenario is None:
        raise Http404("No such scenario for this employer.")
    services.scenario_delete(scenario=scenario)
    messages.success(request, f"Scenario “{scenario.name}” deleted.")
    return redirect(f"{reverse('reports:economics_projection')}?{_query(employer)}")


def _pdf_response(employer: Employer | None, page: Any, name: str, results: Any) -> HttpResponse:
    employer_id = employer.pk if employer else None
    utilization = (
        selectors.utilization(employer_id=employer_id, as_of=results.as_of)
        if employer_id is not None
        else selectors.utilization_cached(employer_id=None, as_of=results.as_of)
    )
    document = services.EconomicsDocument(results, page, utilization, name)
    content = services.economics_pdf(document, printed_on=timezone.localdate())
    stem = services.file_stem(employer.code if employer else None, results.as_of)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{stem}.pdf"'
    return response


@role_required(*REPORT_READERS)
def report_pdf(request: HttpRequest) -> HttpResponse:
    """The PDF: results, projection, sensitivity, utilization. GET: the history's
    assumptions or ``?scenario=``; POST: the assumptions typed."""
    employer = _employer(request)
    employer_id = employer.pk if employer else None
    results = selectors.results_cached(employer_id=employer_id)
    if request.method == "POST":
        form = AssumptionsForm(request.POST)
        if not form.is_valid():
            return _assumptions_page(request, employer, form, status=400)
        chosen = services.assumptions_from(form.values())
        typed = form.cleaned_data.get("name", "")
        name = f"“{typed}”" if typed else "as typed on the page"
    else:
        scenario = selectors.scenario_for(
            scenario_id=request.GET.get("scenario"), employer_id=employer_id
        )
        chosen = services.scenario_assumptions(scenario) if scenario else None
        name = f"scenario “{scenario.name}”" if scenario else "suggested by the history"
    page = selectors.projection_page(employer_id=employer_id, assumptions=chosen, results=results)
    return _pdf_response(employer, page, name, results)


@role_required(*REPORT_READERS)
def utilization(request: HttpRequest) -> HttpResponse:
    """The utilization watch: an employer's computed now; the pool's from its job."""
    employer = _employer(request)
    employer_id = employer.pk if employer else None
    as_of = selectors.scope_as_of(employer_id=employer_id)
    if employer_id is not None:
        years: list[Any] | None = selectors.utilization(employer_id=employer_id, as_of=as_of)
        job = None
    else:
        years = selectors.utilization_cached(employer_id=None, as_of=as_of)
        job = services.latest_utilization_job(employer_id=None, user=request.user)
    context = {
        "form": _scope_form(employer),
        "employer": employer,
        "as_of": as_of,
        "years": years,
        "job": job if years is None else None,
        "charts": utilization_charts(years) if years else {},
        "query": _query(employer),
    }
    return render(request, "reports/economics/utilization.html", context)


@role_required(*REPORT_READERS)
@require_POST
def utilization_compute(request: HttpRequest) -> HttpResponse:
    """Start the pool's utilization job: its progress bar (htmx) or the job's page."""
    employer = _employer(request)
    employer_id = employer.pk if employer else None
    as_of = selectors.scope_as_of(employer_id=employer_id)
    job = services.utilization_request(
        employer_id=employer_id, as_of=as_of, requested_by=request.user
    )
    if request.htmx:
        return render(request, "partials/job_progress.html", {"job": job})
    return redirect("job_status", job_id=job.pk)
