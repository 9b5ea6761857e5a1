"""REST endpoints of the reports app, on the /api/v1/ router.

- ``GET me/`` (employee role): the caller's own coverage, family deductible, vested
  balance with per-year history, payout schedule and beneficiaries. There is no
  employee id anywhere: the record is ``request.user``'s, so no other can be reached.
- ``GET payroll/charges/?employer=ID&month=YYYY-MM`` (payroll role): an employer's
  premium charges of a month per employee and per program (R-PR2), JSON or CSV
  (``?format=csv`` or ``Accept: text/csv``). A read: it never closes the month.
- ``POST payroll/exports/`` ``{"employer": ID, "month": "YYYY-MM"}`` (payroll role): the
  export, which closes the month in the ledger once (``X-Month-Close: closed-now`` or
  ``already-closed``); same body as the read.
- ``GET fund-reports/{policy_year}/?employer=ID`` (superintendent, administrator): every
  line of the year-end fund report (R-FU4) and its ties to the ledger. The policy year
  is its label, ``1985-86`` (R-PY1); a bare ``1985`` of older links redirects (301).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponsePermanentRedirect
from django.http.response import HttpResponseBase
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.views import APIView

from accounts.models import Employer
from accounts.rules import parse_policy_year_param, policy_year_label
from reports import selectors, services
from reports.forms import parse_month
from staywell.access_log import Kind, record_read
from staywell.db import parse_id
from staywell.roles import REPORT_READERS, HasRole, Role

MONEY = {"max_digits": 14, "decimal_places": 2}


class CSVRenderer(BaseRenderer):
    """``text/csv``: the view hands over the file's bytes."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        return str(data).encode()


# --- Self-service -------------------------------------------------------------------------

_year_line = inline_serializer(
    "VestingYearLine",
    many=True,
    fields={
        "policy_year": serializers.CharField(help_text="R-PY1 label, e.g. 1984-85"),
        "allotment": serializers.DecimalField(**MONEY),
        "trust_fund_claims": serializers.DecimalField(**MONEY),
        "vested": serializers.DecimalField(**MONEY),
        "status": serializers.CharField(),
    },
)
_me = inline_serializer(
    "MyAccount",
    {
        "employee": inline_serializer(
            "MyEmployee",
            {
                "number": serializers.CharField(),
                "name": serializers.CharField(),
                "employer": serializers.CharField(),
                "hire_date": serializers.DateField(),
                "separation_date": serializers.DateField(allow_null=True),
            },
        ),
        "as_of": serializers.DateField(),
        "coverage": inline_serializer(
            "MyCoverage",
            {
                "tier": serializers.CharField(),
                "tier_label": serializers.CharField(),
                "timeline": serializers.ListField(child=serializers.DictField()),
            },
        ),
        "deductible": inline_serializer(
            "MyDeductible",
            {
                "policy_year": serializers.CharField(),
                "deductible": serializers.DecimalField(**MONEY),
                "used": serializers.DecimalField(**MONEY),
                "remaining": serializers.DecimalField(**MONEY),
            },
        ),
        "vested_balance": serializers.DecimalField(**MONEY),
        "history": _year_line,
        "payouts": serializers.ListField(child=serializers.DictField()),
        "beneficiaries": serializers.ListField(child=serializers.DictField()),
    },
)


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def self_service_payload(data: selectors.SelfService) -> dict[str, Any]:
    employee = data.employee
    return {
        "employee": {
            "number": employee.number,
            "name": employee.full_name,
            "employer": employee.employer.name,
            "hire_date": employee.hire_date,
            "separation_date": employee.separation_date,
        },
        "as_of": data.as_of,
        "coverage": {
            "tier": data.tier,
            "tier_label": data.tier_label,
            "timeline": [{"start": s.start, "end": s.end, "tier": s.tier} for s in data.timeline],
        },
        "deductible": {
            "policy_year": data.year_label,
            "deductible": _money(data.deductible),
            "used": _money(data.deductible_used),
            "remaining": _money(data.deductible_remaining),
        },
        "vested_balance": _money(data.vested_balance),
        "history": [
            {
                "policy_year": line.label,
                "allotment": _money(line.allotment),
                "trust_fund_claims": _money(line.trust_fund_claims),
                "vested": _money(line.vested),
                "status": line.status,
            }
            for line in data.history
        ],
        "payouts": [
            {
                "description": p.description,
                "amount": _money(p.amount),
                "due_on": p.due_on,
                "status": p.status,
            }
            for p in data.payouts
        ],
        "beneficiaries": [
            {
                "name": b.name,
                "relationship": b.relationship,
                "share_percent": str(b.share_percent),
                "signed_date": b.signed_date,
            }
            for b in data.beneficiaries
        ],
    }


class MeView(APIView):
    """The caller's own plan records (employee role). Other roles: 403."""

    permission_classes = [HasRole]
    roles = (Role.EMPLOYEE,)

    @extend_schema(responses={200: _me, 404: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        employee = selectors.employee_for_self_service(request.user)
        if employee is None:
            raise NotFound("Your login is not linked to an employee record.")
        record_read(request, Kind.STATEMENT, object_id=employee.pk, employee_id=employee.pk)
        return Response(self_service_payload(selectors.self_service(employee)))


# --- Payroll ------------------------------------------------------------------------------


def charges_payload(preview: selectors.PayrollPreview) -> dict[str, Any]:
    def shares(values: dict[tuple[str, str], Decimal]) -> dict[str, str]:
        amounts = services.share_amounts(values)
        names = services.CSV_HEADER[-len(amounts) :]
        return {name: _money(value) for name, value in zip(names, amounts, strict=True)}

    close = preview.close
    return {
        "employer": {
            "id": preview.employer.pk,
            "code": preview.employer.code,
            "name": preview.employer.name,
        },
        "month": f"{preview.year:04d}-{preview.month:02d}",
        "employees": [
            {
                "employee_number": row.employee_number,
                "employee_name": row.employee_name,
                "program_code": row.program_code,
                "tier": row.tier,
                **shares(row.shares),
            }
            for row in preview.rows
        ],
        "programs": [
            {"program_code": code, **shares(values)} for code, values in preview.programs.items()
        ],
        "total": shares(preview.totals),
        "month_close": {
            "closed": close is not None,
            "closed_at": close.closed_at if close else None,
            "closed_by": close.closed_by.get_username() if close and close.closed_by_id else None,
        },
    }


_charges = inline_serializer(
    "MonthlyPremiumCharges",
    {
        "employer": serializers.DictField(),
        "month": serializers.CharField(help_text="YYYY-MM"),
        "employees": serializers.ListField(child=serializers.DictField()),
        "programs": serializers.ListField(child=serializers.DictField()),
        "total": serializers.DictField(),
        "month_close": serializers.DictField(),
    },
)


def _employer_and_month(values: Any) -> tuple[Employer, date]:
    errors: dict[str, list[str]] = {}
    employer = None
    employer_id = parse_id(values.get("employer"))
    if employer_id is not None:
        employer = Employer.objects.filter(pk=employer_id).first()
    if employer is None:
        errors["employer"] = ["Give the id of an employer."]
    try:
        month = parse_month(str(values.get("month") or ""))
    except ValueError as exc:
        errors["month"] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    assert employer is not None
    return employer, month


class PayrollChargesView(APIView):
    """R-PR2: an employer's premium charges of a month (payroll role). A read only."""

    permission_classes = [HasRole]
    roles = (Role.PAYROLL,)
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("employer", int, required=True, description="Employer id"),
            OpenApiParameter("month", str, required=True, description="YYYY-MM, e.g. 1986-03"),
        ],
        responses={200: _charges, 400: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        employer, month = _employer_and_month(request.query_params)
        return self._respond(request, employer, month)

    def _respond(
        self,
        request: Request,
        employer: Employer,
        month: date,
        headers: dict[str, str] | None = None,
    ) -> Response:
        try:
            preview = selectors.payroll_preview(
                employer=employer, year=month.year, month=month.month
            )
        except DjangoValidationError as exc:
            raise ValidationError({"month": exc.messages}) from None
        if request.accepted_renderer.format == "csv":
            rows = services.payroll_records(employer, preview.rows)
            name = services.payroll_file_name(employer.code, month.year, month.month, "csv")
            return Response(
                services.payroll_csv(rows),
                headers={
                    "Content-Disposition": f'attachment; filename="{name}"',
                    **(headers or {}),
                },
            )
        return Response(charges_payload(preview), headers=headers)


class PayrollExportView(PayrollChargesView):
    """The payroll export: the charges, closing the month in the ledger once."""

    http_method_names = ["post", "options"]

    @extend_schema(
        request=inline_serializer(
            "PayrollExportRequest",
            {"employer": serializers.IntegerField(), "month": serializers.CharField()},
        ),
        responses={200: _charges, 400: OpenApiTypes.OBJECT},
        examples=[OpenApiExample("March 1986", value={"employer": 1, "month": "1986-03"})],
    )
    def post(self, request: Request) -> Response:
        employer, month = _employer_and_month(request.data)
        export = services.payroll_export(
            employer=employer, year=month.year, month=month.month, exported_by=request.user
        )
        return self._respond(
            request,
            employer,
            month,
            headers={"X-Month-Close": "closed-now" if export.closed_now else "already-closed"},
        )


# --- Fund reports -------------------------------------------------------------------------


class FundReportView(APIView):
    """R-FU4: every line of the year-end fund report of an employer or of the pool."""

    permission_classes = [HasRole]
    roles = REPORT_READERS

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "policy_year",
                str,
                OpenApiParameter.PATH,
                description="The policy year, e.g. 1985-86 (R-PY1); 1985 redirects to it",
            ),
            OpenApiParameter("employer", int, description="Employer id; none: the pool"),
        ],
        responses={
            200: inline_serializer(
                "FundReport",
                {
                    "policy_year": serializers.CharField(),
                    "as_of": serializers.DateField(),
                    "employer": serializers.CharField(),
                    "lines": serializers.ListField(child=serializers.DictField()),
                    "checks": serializers.ListField(child=serializers.DictField()),
                },
            )
        },
    )
    def get(self, request: Request, policy_year: str) -> HttpResponseBase:
        """``policy_year`` is the label, 1985-86 (R-PY1); an older link's 1985 redirects."""
        typed = policy_year
        try:
            year = parse_policy_year_param(typed)
        except ValueError:
            raise NotFound(f"{typed!r} is not a policy year; write it like 1985-86.") from None
        if typed != policy_year_label(year):
            url = reverse("api-fund-report", kwargs={"policy_year": policy_year_label(year)})
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)
        if year not in selectors.fund_report_years():
            raise NotFound("No such policy year, or it has not ended.")
        raw = request.query_params.get("employer") or ""
        employer_id = parse_id(raw)
        if raw and (employer_id is None or not Employer.objects.filter(pk=employer_id).exists()):
            raise NotFound("No such employer.")
        report = selectors.fund_report(policy_year=year, employer_id=employer_id)
        return Response(
            {
                "policy_year": report.current_label,
                "as_of": report.as_of,
                "employer": report.employer_name,
                "lines": [
                    {
                        "key": line.key,
                        "label": line.label,
                        "amount": None if line.amount is None else _money(line.amount),
                        "style": line.style,
                    }
                    for line in report.lines
                ],
                "checks": [
                    {
                        "label": c.label,
                        "report": _money(c.report),
                        "ledger": _money(c.ledger),
                        "ok": c.ok,
                    }
                    for c in report.checks
                ],
            }
        )


urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    path("payroll/charges/", PayrollChargesView.as_view(), name="api-payroll-charges"),
    path("payroll/exports/", PayrollExportView.as_view(), name="api-payroll-exports"),
    path("fund-reports/<str:policy_year>/", FundReportView.as_view(), name="api-fund-report"),
]


def register(router: BaseRouter) -> None:
    """This app's endpoints are plain views (``urlpatterns``), not viewsets."""
