"""The plan economics API (section 8), on /api/v1/economics/. The superintendent and
administrators read (and save scenarios, start the pool's utilization job); every other
role gets 403, and nobody's own records are in these figures (employer and pool totals).

- ``GET results/?employer=ID``: results since inception, year by year, with the
  cumulative savings, the totals and (the pool) each employer's totals; ``?format=csv``
  or ``Accept: text/csv``: the CSV of the page.
- ``GET projection/?employer=ID&scenario=ID&deductible=750.00...``: the history read, the
  assumptions (the history's, a saved scenario's, each overridden by a query parameter of
  its name), the four options year by year with the cumulative differences, and the
  sensitivity with its best deductible. A value out of range: 400 with field errors.
- ``GET utilization/?employer=ID``: the utilization watch; the pool's as its job left it
  (``computed`` false until then). ``POST utilization/`` ``{"employer": ID or null}``:
  queue the job (202, with its id); ``GET utilization/jobs/{id}/``: its progress.
- ``GET|POST scenarios/?employer=ID`` and ``GET|PUT|DELETE scenarios/{id}/``: the saved
  scenarios of an employer (no employer: the pool's).

An unknown employer or scenario id answers 404.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.views import APIView

from accounts.models import Employer
from reports.api import CSVRenderer
from reports.economics import selectors, services
from reports.economics.rules import (
    ASSUMPTION_FIELDS,
    OPTION_LABELS,
    OPTIONS,
    Assumptions,
    ResultYear,
    UtilizationYear,
    assumption_errors,
)
from reports.models import ProjectionScenario
from staywell.api import MoneyField
from staywell.db import parse_id
from staywell.jobs import job_get_for_user
from staywell.roles import REPORT_READERS, HasRole


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _employer_id(values: Any) -> int | None:
    """The ``employer`` asked for (``None``: the pool); 404 for one that does not exist."""
    raw = values.get("employer")
    if raw in (None, ""):
        return None
    employer_id = parse_id(raw)
    if employer_id is None or not Employer.objects.filter(pk=employer_id).exists():
        raise NotFound("No such employer.")
    return employer_id


class EconomicsView(APIView):
    permission_classes = [HasRole]
    roles = REPORT_READERS


EMPLOYER_PARAMETER = OpenApiParameter("employer", int, description="Employer id; none: the pool")

# --- Results since inception --------------------------------------------------------------

RESULT_FIELDS = (
    "full_months",
    "full_coverage_cost",
    "carrier_premiums",
    "contributions",
    "claims",
    "admin_costs",
    "interest",
    "plan_cost",
    "savings",
    "vested",
    "kept",
    "to_district",
    "payouts",
    "vested_liability",
    "sheltered",
)


def result_year_payload(year: ResultYear, cumulative: Decimal) -> dict[str, Any]:
    values: dict[str, Any] = {"policy_year": year.label, "complete": year.complete}
    for name in RESULT_FIELDS:
        value = getattr(year, name)
        values[name] = value if isinstance(value, int) else _money(value)
    values["cumulative_savings"] = _money(cumulative)
    values["families_full_year"] = year.families
    values["families_under_deductible"] = year.families_under
    return values


def results_payload(data: selectors.EconomicsResults) -> dict[str, Any]:
    cumulative = data.results.cumulative("savings")
    return {
        "employer": data.employer_name,
        "as_of": data.as_of,
        "years": [
            result_year_payload(year, running)
            for year, running in zip(data.years, cumulative, strict=True)
        ],
        "totals": {name: _money(value) for name, value in data.results.totals.items()},
        "vested_liability": _money(data.results.vested_liability),
        "employers": [
            {
                "id": item.employer_id,
                "code": item.code,
                "name": item.name,
                "totals": {name: _money(value) for name, value in item.results.totals.items()},
                "vested_liability": _money(item.results.vested_liability),
            }
            for item in data.employers
        ],
    }


_results = inline_serializer(
    "EconomicsResults",
    {
        "employer": serializers.CharField(),
        "as_of": serializers.DateField(),
        "years": serializers.ListField(child=serializers.DictField()),
        "totals": serializers.DictField(child=serializers.CharField()),
        "vested_liability": serializers.CharField(),
        "employers": serializers.ListField(child=serializers.DictField()),
    },
)


class ResultsView(EconomicsView):
    """Results since inception of an employer or of the pool, every figure from the ledger."""

    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        parameters=[EMPLOYER_PARAMETER], responses={200: _results, 404: OpenApiTypes.OBJECT}
    )
    def get(self, request: Request) -> Response:
        employer_id = _employer_id(request.query_params)
        data = selectors.results_cached(employer_id=employer_id)
        if request.accepted_renderer.format == "csv":
            code = Employer.objects.filter(pk=employer_id).values_list("code", flat=True).first()
            name = services.file_stem(code, data.as_of)
            return Response(
                services.results_csv(data.results),
                headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
            )
        return Response(results_payload(data))


# --- The projection -----------------------------------------------------------------------


def _assumption_field(kind: str, label: str) -> serializers.Field:
    if kind == "count":
        return serializers.IntegerField(min_value=0, help_text=label)
    if kind == "money":
        return MoneyField(help_text=f"{label}, dollars")
    return serializers.DecimalField(max_digits=5, decimal_places=2, help_text=f"{label}, percent")


class AssumptionsSerializer(serializers.Serializer):
    """The projection's assumptions; ranges as on the page (``assumption_errors``)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for name, label, kind, _, _ in ASSUMPTION_FIELDS:
            fields[name] = _assumption_field(kind, label)
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = assumption_errors(attrs)
        if errors:
            raise ValidationError({name: [message] for name, message in errors.items()})
        return attrs


def assumptions_payload(assumptions: Assumptions) -> dict[str, Any]:
    values = services.assumption_values(assumptions)
    return {
        name: value if isinstance(value, int) else _money(Decimal(value))
        for name, value in values.items()
    }


def projection_payload(page: selectors.ProjectionPage) -> dict[str, Any]:
    projection, history = page.projection, page.history
    differences = {key: projection.cumulative_difference(key) for key in OPTIONS[1:]}
    return {
        "base_year": history.base_year,
        "history": {
            "covered_employees": history.covered_employees,
            "full_tier_employees": history.full_tier_employees,
            "major_medical": _money(history.major_medical),
            "dental": _money(history.dental),
            "deductible": _money(history.deductible),
            "family_years": history.claims.family_years,
            "vested_liability": _money(history.vested_liability),
        },
        "assumptions": assumptions_payload(page.assumptions),
        "defaults": assumptions_payload(page.defaults),
        "options": {key: OPTION_LABELS[key] for key in OPTIONS},
        "years": [
            {
                "policy_year": year.label,
                "families": year.families,
                "costs": {key: _money(year.options[key].cost) for key in OPTIONS},
                "stay_well": {
                    name: _money(getattr(year.options["stay_well"], name))
                    for name in ("premiums", "claims", "to_employees", "admin", "interest")
                },
                "contributions": _money(year.contributions),
                "payouts": _money(year.payouts),
                "vested_liability": _money(year.vested_liability),
                "hdhp_out_of_pocket": _money(year.options["hdhp"].out_of_pocket),
                "savings": _money(year.savings),
                "kept": _money(year.kept),
                "cumulative_difference": {key: _money(values[i]) for key, values in differences.items()},
            }
            for i, year in enumerate(projection.years)
        ],
        "sensitivity": {
            "best_deductible": _money(page.sensitivity.best.deductible) if page.sensitivity.best else None,
            "points": [
                {
                    "deductible": _money(point.deductible),
                    "maximum_vest": _money(point.maximum_vest),
                    "carrier_premium": _money(point.carrier_premium),
                    "savings": _money(point.savings),
                    "kept": _money(point.kept),
                    "vested_liability": _money(point.vested_liability),
                }
                for point in page.sensitivity.points
            ],
        },
    }  # fmt: skip


_projection = inline_serializer(
    "EconomicsProjection",
    {
        "base_year": serializers.IntegerField(),
        "history": serializers.DictField(),
        "assumptions": serializers.DictField(),
        "defaults": serializers.DictField(),
        "options": serializers.DictField(child=serializers.CharField()),
        "years": serializers.ListField(child=serializers.DictField()),
        "sensitivity": serializers.DictField(),
    },
)


class ProjectionView(EconomicsView):
    """Ten years of the four options from the history, with the sensitivity."""

    @extend_schema(
        parameters=[
            EMPLOYER_PARAMETER,
            OpenApiParameter("scenario", int, description="A saved scenario of that employer"),
            *[
                OpenApiParameter(name, str, description=f"{label} (overrides)")
                for name, label, *_ in ASSUMPTION_FIELDS
            ],
        ],
        responses={200: _projection, 400: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        employer_id = _employer_id(request.query_params)
        results = selectors.results_cached(employer_id=employer_id)
        base = selectors.projection_page(employer_id=employer_id, results=results)
        if base is None:
            raise NotFound("No plan year has been completed yet.")
        raw = request.query_params.get("scenario")
        scenario = selectors.scenario_for(scenario_id=raw, employer_id=employer_id) if raw else None
        if raw and scenario is None:
            raise NotFound("No such scenario for this employer.")
        start = services.scenario_assumptions(scenario) if scenario else base.assumptions
        values = {
            **assumptions_payload(start),
            **{name: request.query_params[name] for name, *_ in ASSUMPTION_FIELDS if name in request.query_params},
        }  # fmt: skip
        checked = AssumptionsSerializer(data=values)
        checked.is_valid(raise_exception=True)
        chosen = services.assumptions_from(checked.validated_data)
        page = selectors.projection_page(
            employer_id=employer_id, assumptions=chosen, results=results
        )
        assert page is not None
        return Response(projection_payload(page))


# --- Utilization --------------------------------------------------------------------------


def utilization_payload(year: UtilizationYear) -> dict[str, Any]:
    return {
        "policy_year": year.label,
        "deductible": _money(year.deductible),
        "families": year.families,
        "no_claims": year.no_claims,
        "under_deductible": year.under,
        "at_or_over_deductible": year.over,
        "claims": year.claims,
        "claims_per_family": None
        if year.claims_per_family is None
        else str(year.claims_per_family),
        "preventive_claims": year.preventive_claims,
        "preventive_per_family": None
        if year.preventive_per_family is None
        else str(year.preventive_per_family),
        "families_with_preventive_care": year.preventive_families,
        "claims_paid_with_a_category": year.categorized_claims,
        "claims_paid": year.paid_claims,
    }


def _job_payload(job: Any) -> dict[str, Any]:
    return {
        "job": str(job.pk),
        "status": job.status,
        "percent": job.percent,
        "message": job.message,
        "status_url": reverse("api-economics-utilization-job", args=[job.pk]),
        "page_url": reverse("job_status", args=[job.pk]),
    }


class UtilizationView(EconomicsView):
    """The utilization watch; the pool's comes from its job."""

    @extend_schema(
        parameters=[EMPLOYER_PARAMETER],
        responses={
            200: inline_serializer(
                "EconomicsUtilization",
                {
                    "as_of": serializers.DateField(),
                    "computed": serializers.BooleanField(),
                    "years": serializers.ListField(child=serializers.DictField()),
                },
            ),
            404: OpenApiTypes.OBJECT,
        },
    )
    def get(self, request: Request) -> Response:
        employer_id = _employer_id(request.query_params)
        as_of = selectors.scope_as_of(employer_id=employer_id)
        if employer_id is None:
            years = selectors.utilization_cached(employer_id=None, as_of=as_of)
        else:
            years = selectors.utilization(employer_id=employer_id, as_of=as_of)
        return Response(
            {
                "as_of": as_of,
                "computed": years is not None,
                "years": [utilization_payload(year) for year in years or []],
            }
        )

    @extend_schema(
        request=inline_serializer(
            "EconomicsUtilizationRequest", {"employer": serializers.IntegerField(allow_null=True)}
        ),
        responses={202: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request) -> Response:
        employer_id = _employer_id(request.data)
        as_of = selectors.scope_as_of(employer_id=employer_id)
        job = services.utilization_request(
            employer_id=employer_id, as_of=as_of, requested_by=request.user
        )
        return Response(_job_payload(job), status=status.HTTP_202_ACCEPTED)


class UtilizationJobView(EconomicsView):
    """A utilization job's progress (the person who started it, or an administrator)."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT})
    def get(self, request: Request, job_id: str) -> Response:
        job = job_get_for_user(user=request.user, job_id=job_id)
        if job is None or job.kind != services.UTILIZATION_JOB_KIND:
            raise NotFound("No such job.")
        return Response(_job_payload(job))


# --- Scenarios ----------------------------------------------------------------------------


class ScenarioSerializer(AssumptionsSerializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200, help_text="Unique per employer (or the pool)")
    employer = serializers.IntegerField(
        source="employer_id", read_only=True, allow_null=True, help_text="null: the pool"
    )
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance: ProjectionScenario) -> dict[str, Any]:
        return {
            "id": instance.pk,
            "name": instance.name,
            "employer": instance.employer_id,
            "updated_at": instance.updated_at,
            **assumptions_payload(services.scenario_assumptions(instance)),
        }


def _values(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name, *_ in ASSUMPTION_FIELDS}


class ScenarioListView(EconomicsView):
    """The saved scenarios of an employer (none: the pool's); POST saves a new one."""

    @extend_schema(parameters=[EMPLOYER_PARAMETER], responses={200: ScenarioSerializer(many=True)})
    def get(self, request: Request) -> Response:
        employer_id = _employer_id(request.query_params)
        scenarios = selectors.scenarios_for(employer_id)
        return Response(ScenarioSerializer(scenarios, many=True).data)

    @extend_schema(
        parameters=[EMPLOYER_PARAMETER],
        request=ScenarioSerializer,
        responses={201: ScenarioSerializer, 400: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request) -> Response:
        employer_id = _employer_id(request.query_params)
        data = ScenarioSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        name = data.validated_data["name"]
        if selectors.scenarios_for(employer_id).filter(name=" ".join(name.split())).exists():
            raise ValidationError({"name": ["A scenario of that name exists: change it with PUT."]})
        scenario, _ = services.scenario_save(
            employer_id=employer_id,
            name=name,
            values=_values(data.validated_data),
            user=request.user,
        )
        return Response(ScenarioSerializer(scenario).data, status=status.HTTP_201_CREATED)


class ScenarioDetailView(EconomicsView):
    def _scenario(self, scenario_id: int) -> ProjectionScenario:
        scenario = ProjectionScenario.objects.filter(pk=scenario_id).first()
        if scenario is None:
            raise NotFound("No such scenario.")
        return scenario

    @extend_schema(responses={200: ScenarioSerializer, 404: OpenApiTypes.OBJECT})
    def get(self, request: Request, scenario_id: int) -> Response:
        return Response(ScenarioSerializer(self._scenario(scenario_id)).data)

    @extend_schema(
        request=ScenarioSerializer, responses={200: ScenarioSerializer, 400: OpenApiTypes.OBJECT}
    )
    def put(self, request: Request, scenario_id: int) -> Response:
        scenario = self._scenario(scenario_id)
        data = ScenarioSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.scenario_update(
            scenario=scenario,
            name=data.validated_data["name"],
            values=_values(data.validated_data),
            user=request.user,
        )
        return Response(ScenarioSerializer(scenario).data)

    @extend_schema(responses={204: None, 404: OpenApiTypes.OBJECT})
    def delete(self, request: Request, scenario_id: int) -> Response:
        services.scenario_delete(scenario=self._scenario(scenario_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("economics/results/", ResultsView.as_view(), name="api-economics-results"),
    path("economics/projection/", ProjectionView.as_view(), name="api-economics-projection"),
    path("economics/utilization/", UtilizationView.as_view(), name="api-economics-utilization"),
    path(
        "economics/utilization/jobs/<uuid:job_id>/",
        UtilizationJobView.as_view(),
        name="api-economics-utilization-job",
    ),
    path("economics/scenarios/", ScenarioListView.as_view(), name="api-economics-scenarios"),
    path(
        "economics/scenarios/<int:scenario_id>/",
        ScenarioDetailView.as_view(),
        name="api-economics-scenario",
    ),
]


def register(router: BaseRouter) -> None:
    """These endpoints are plain views (``urlpatterns``), not viewsets."""
