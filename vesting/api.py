"""REST endpoints of vesting, on the /api/v1/ router (the ledger's are in
:mod:`vesting.ledger.api`; :func:`register` mounts both).

- ``GET|POST vesting-runs/``: the rollovers; start one with ``{"policy_year": "1984-85"}``
  (every employer), ``"employer": "MCOE"`` (one employer, its earlier years too) and
  ``"override_reason"`` (administrators: months not closed). 400 for a year that has not
  ended or with months open; a year already run returns its run, 200.
- ``GET vesting-runs/{id}/``: status (``stale`` when its worker stopped), progress,
  counts, totals, errors, override, and its employer-years.
- ``GET vesting-employer-years/?policy_year=&employer=&status=``: status per employer
  and policy year.
- ``GET employees/{id}/side-account/``: balance, per-year lines, payouts (an employee: own
  only, others 404).
- ``POST employees/{id}/side-account/withdrawals/``: always 400 with the plan's reason (R-VE5).
- ``GET payouts/?due_by=YYYY-MM-DD&status=&kind=&employer=``: payouts by due date.
- ``POST employees/{id}/continuation-payments/``: a month of continued coverage paid from
  the side account (R-VE8, R-VE9).
- ``GET|POST revest/preview/``: what a re-vest of an employer's completed year would change
  (old and new amounts, why) and its fingerprint; ``POST revest/apply/`` with that
  fingerprint posts the differences (``vesting.revest``). Administrator or superintendent.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from accounts.models import Employer
from accounts.rules import parse_policy_year
from staywell.access_log import Kind, record_read
from staywell.api import (
    AchFileSerializer,
    AchRequestSerializer,
    MoneyField,
    query_date,
    query_int,
)
from staywell.roles import (
    PAYOUT_VIEW_ROLES,
    PAYOUT_WRITE_ROLES,
    REVEST_ROLES,
    SIDE_ACCOUNT_ROLES,
    VESTING_RUN_ROLES,
    HasRole,
    Role,
)
from staywell.views import ach_download
from vesting import bank_files, golive_api, payouts, revest, rollover, selectors
from vesting.ledger import api as ledger_api
from vesting.models import Payout, PayoutRegister, VestingLine, VestingRun, VestingRunEmployerStep

MONEY = {"max_digits": 14, "decimal_places": 2}


# --- Serializers --------------------------------------------------------------------------


class EmployerYearSerializer(serializers.ModelSerializer):
    policy_year = serializers.CharField(source="label", help_text='The policy year, "1984-85".')
    employer = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status = serializers.SerializerMethodField(
        help_text="queued, running, completed, failed, or stale (running, its worker stopped)."
    )

    class Meta:
        model = VestingRunEmployerStep
        fields = [
            "id",
            "policy_year",
            "employer",
            "status",
            "run",
            "lines_written",
            "employees_vested",
            "amount_vested",
            "amount_to_district",
            "error",
            "started_at",
            "heartbeat_at",
            "done_at",
        ]
        read_only_fields = fields

    def get_status(self, step: VestingRunEmployerStep) -> str:
        return "stale" if step.stale else step.status


class VestingRunSerializer(serializers.ModelSerializer):
    policy_year = serializers.CharField(source="label", help_text='The policy year, "1984-85".')
    employer = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="The one employer asked for; null: the pool."
    )
    percent = serializers.IntegerField(help_text="Employer-years done, in percent.")
    started_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    override_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    errors = serializers.JSONField(help_text='[{"employer": "MCOE", "message": "..."}]')
    open_months = serializers.JSONField(
        help_text='Months open when overridden: [{"employer": "MCOE", "year": 1984, '
        '"months": ["Jun 1985"]}]'
    )
    status = serializers.SerializerMethodField(
        help_text="queued, running, completed, failed, or stale (running, its worker stopped)."
    )
    employer_years = EmployerYearSerializer(source="steps", many=True, read_only=True)

    class Meta:
        model = VestingRun
        fields = [
            "id",
            "policy_year",
            "employer",
            "status",
            "percent",
            "employers_total",
            "employers_done",
            "lines_written",
            "employees_vested",
            "amount_vested",
            "amount_to_district",
            "errors",
            "override_reason",
            "override_by",
            "open_months",
            "started_by",
            "created_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
            "employer_years",
        ]
        read_only_fields = fields

    def get_status(self, run: VestingRun) -> str:
        return "stale" if run.stale else run.status


class VestingRunInputSerializer(serializers.Serializer):
    policy_year = serializers.CharField(max_length=9, help_text='The year that ended, "1984-85".')
    employer = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Employer.objects.all(),
        required=False,
        allow_null=True,
        help_text="One employer's code: that employer, its earlier years not vested too. "
        "Default: every employer of the pool.",
    )
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Start although months of the year are not closed (administrators only).",
    )

    def validate_policy_year(self, value: str) -> int:
        try:
            return parse_policy_year(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class VestingLineSerializer(serializers.ModelSerializer):
    policy_year = serializers.CharField(source="label")
    spouse = serializers.PrimaryKeyRelatedField(read_only=True, help_text="R-VE11 pooling.")

    class Meta:
        model = VestingLine
        fields = [
            "policy_year",
            "full_year",
            "allotment",
            "trust_fund_claims",
            "unused",
            "amount",
            "outcome",
            "vested_on",
            "spouse",
            "runout_recovered",
            "transaction",
        ]
        read_only_fields = fields


class PayoutSerializer(serializers.ModelSerializer):
    policy_year = serializers.CharField(source="year_label", help_text='"1984-85", or blank.')
    employee_number = serializers.CharField(source="employee.number", read_only=True)
    employee_name = serializers.CharField(source="employee.full_name", read_only=True)
    employer_code = serializers.CharField(source="employee.employer.code", read_only=True)
    status = serializers.CharField(
        help_text="scheduled, held, due, paid, billed, cancelled or flagged (see the model)."
    )

    class Meta:
        model = Payout
        fields = [
            "id",
            "employee",
            "employee_number",
            "employee_name",
            "employer_code",
            "kind",
            "policy_year",
            "amount",
            "billed_amount",
            "due_on",
            "status",
            "payee_name",
            "reason",
            "register",
            "transaction",
            "paid_on",
        ]
        read_only_fields = fields


class PositionSerializer(serializers.Serializer):
    vested = serializers.DecimalField(**MONEY, help_text="Earlier years' savings carried ahead.")
    allotment = serializers.DecimalField(**MONEY, help_text="This policy year's allotment.")
    in_name = serializers.DecimalField(**MONEY, help_text="Held in the employee's name.")
    usable = serializers.DecimalField(**MONEY, help_text="What the trust fund can still pay.")


class SideAccountSerializer(serializers.Serializer):
    employee = serializers.IntegerField(source="employee.pk")
    employee_number = serializers.CharField(source="employee.number")
    employee_name = serializers.CharField(source="employee.full_name")
    account = serializers.IntegerField(source="account.pk", allow_null=True)
    balance = serializers.DecimalField(**MONEY, help_text="Dollars in the side account now.")
    on = serializers.DateField(help_text="The day of the position below.")
    position = PositionSerializer()
    lines = VestingLineSerializer(many=True)
    payouts = PayoutSerializer(many=True)
    separation_date = serializers.DateField(source="employee.separation_date", allow_null=True)
    separation_reason = serializers.CharField(source="employee.separation_reason")
    continuation_offer = serializers.CharField()


class WithdrawalInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["withdrawal", "loan", "interest"])
    amount = MoneyField()


class ContinuationInputSerializer(serializers.Serializer):
    month = serializers.RegexField(
        r"^\d{4}-\d{1,2}$", help_text="The month of coverage, YYYY-MM.", max_length=7
    )
    amount = MoneyField(
        required=False,
        help_text="The month's premium; default: the continued coverage's premium.",
    )


# --- Views ----------------------------------------------------------------------------------

RUN_EXAMPLE = {
    "id": 3,
    "policy_year": "1984-85",
    "employer": None,
    "status": "running",
    "percent": 40,
    "employers_total": 10,
    "employers_done": 4,
    "lines_written": 412,
    "employees_vested": 380,
    "amount_vested": "151230.55",
    "amount_to_district": "2083.30",
    "errors": [],
    "override_reason": "",
    "override_by": None,
    "open_months": [],
    "started_by": "superintendent",
    "created_at": "1985-07-01T01:00:00-07:00",
    "started_at": "1985-07-01T01:00:01-07:00",
    "heartbeat_at": "1985-07-01T01:00:04-07:00",
    "finished_at": None,
    "employer_years": [],
}


@extend_schema_view(
    list=extend_schema(summary="The rollovers, latest policy year first"),
    retrieve=extend_schema(
        summary="A rollover's status, progress, counts, totals and errors",
        examples=[OpenApiExample("A running rollover", value=RUN_EXAMPLE, response_only=True)],
    ),
)
class VestingRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [HasRole]
    roles = VESTING_RUN_ROLES
    write_roles = VESTING_RUN_ROLES
    serializer_class = VestingRunSerializer

    def get_queryset(self) -> QuerySet[VestingRun]:
        return selectors.vesting_runs().prefetch_related("steps__employer")

    @extend_schema(
        summary="Start the July 1 rollover of a policy year that has ended (R-VE3)",
        request=VestingRunInputSerializer,
        responses={201: VestingRunSerializer, 200: VestingRunSerializer},
        examples=[
            OpenApiExample("1984-85", value={"policy_year": "1984-85"}, request_only=True),
            OpenApiExample(
                "One employer, months open",
                value={
                    "policy_year": "1984-85",
                    "employer": "MCOE",
                    "override_reason": "June contributions received; the close is late.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Queued",
                value={**RUN_EXAMPLE, "status": "queued", "percent": 0},
                response_only=True,
            ),
        ],
    )
    def create(self, request: Request) -> Response:
        serializer = VestingRunInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        last = VestingRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        run = rollover.rollover_start(
            policy_year=data["policy_year"],
            employer=data.get("employer"),
            override_reason=data.get("override_reason", ""),
            started_by=request.user,
        )
        run = self.get_queryset().get(pk=run.pk)
        return Response(
            VestingRunSerializer(run).data,
            status=status.HTTP_200_OK if run.pk <= last else status.HTTP_201_CREATED,
        )


@extend_schema_view(
    list=extend_schema(
        summary="The rollover's employer-years: status per employer and policy year",
        parameters=[
            OpenApiParameter("policy_year", OpenApiTypes.STR, description='"1984-85"'),
            OpenApiParameter("employer", OpenApiTypes.STR, description="An employer's code."),
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=[*VestingRunEmployerStep.Status.values, "stale"]
            ),
        ],
    ),
    retrieve=extend_schema(summary="One employer-year of the rollover"),
)
class EmployerYearViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [HasRole]
    roles = VESTING_RUN_ROLES
    serializer_class = EmployerYearSerializer

    def get_queryset(self) -> QuerySet[VestingRunEmployerStep]:
        params = self.request.query_params
        year = None
        if params.get("policy_year"):
            try:
                year = parse_policy_year(params["policy_year"])
            except ValueError as exc:
                raise ApiValidationError({"policy_year": [str(exc)]}) from exc
        employer_id = None
        if params.get("employer"):
            employer_id = (
                Employer.objects.filter(code=params["employer"])
                .values_list("pk", flat=True)
                .first()
            )
            if employer_id is None:
                raise ApiValidationError({"employer": [f"No employer {params['employer']}."]})
        status_value = params.get("status") or None
        if status_value and status_value not in (*VestingRunEmployerStep.Status.values, "stale"):
            raise ApiValidationError({"status": [f"Unknown status: {status_value}."]})
        return selectors.employer_years(
            policy_year=year, employer_id=employer_id, status=status_value
        )


class _EmployeeSideAccountMixin:
    permission_classes = [HasRole]
    roles = (*SIDE_ACCOUNT_ROLES, Role.EMPLOYEE)

    def _employee(self, request: Request, employee_id: int) -> Any:
        return selectors.side_account_employee_for_user(request.user, employee_id)


class SideAccountView(_EmployeeSideAccountMixin, GenericAPIView):
    serializer_class = SideAccountSerializer

    @extend_schema(
        summary="An employee's side account: balance, per-year lines, payout schedule",
        parameters=[OpenApiParameter("on", OpenApiTypes.DATE, description="Default: today.")],
        examples=[
            OpenApiExample(
                "Three years vested",
                value={
                    "employee": 12,
                    "employee_number": "1001",
                    "employee_name": "Ana Rivera",
                    "account": 88,
                    "balance": "1300.00",
                    "on": "1985-07-02",
                    "position": {
                        "vested": "1300.00",
                        "allotment": "500.00",
                        "in_name": "1800.00",
                        "usable": "500.00",
                    },
                    "lines": [
                        {
                            "policy_year": "1984-85",
                            "full_year": True,
                            "allotment": "500.00",
                            "trust_fund_claims": "200.00",
                            "unused": "300.00",
                            "amount": "300.00",
                            "outcome": "vested",
                            "vested_on": "1985-07-01",
                            "spouse": None,
                            "runout_recovered": "0.00",
                            "transaction": 5012,
                        }
                    ],
                    "payouts": [],
                    "separation_date": None,
                    "separation_reason": "",
                    "continuation_offer": "",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, employee_id: int) -> Response:
        employee = self._employee(request, employee_id)
        summary = selectors.side_account_summary(employee, on=query_date(request, "on"))
        record_read(request, Kind.SIDE_ACCOUNT, object_id=employee.pk, employee_id=employee.pk)
        return Response(SideAccountSerializer(summary).data)


class WithdrawalView(_EmployeeSideAccountMixin, GenericAPIView):
    serializer_class = WithdrawalInputSerializer
    write_roles = (*SIDE_ACCOUNT_ROLES, Role.EMPLOYEE)

    @extend_schema(
        summary="Ask for a withdrawal or loan: always refused (R-VE5)",
        request=WithdrawalInputSerializer,
        responses={400: OpenApiTypes.OBJECT},
        examples=[
            OpenApiExample(
                "A withdrawal", value={"kind": "withdrawal", "amount": "250.00"}, request_only=True
            ),
            OpenApiExample(
                "Refused",
                value={
                    "non_field_errors": [
                        "The vested money cannot be withdrawn during employment. (R-VE5)"
                    ]
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request: Request, employee_id: int) -> Response:
        employee = self._employee(request, employee_id)
        serializer = WithdrawalInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payouts.side_account_withdraw(
            employee=employee,
            amount=serializer.validated_data["amount"],
            kind=serializer.validated_data["kind"],
        )
        raise ApiValidationError({"non_field_errors": ["Refused."]})  # not reached


class PayoutListView(GenericAPIView):
    permission_classes = [HasRole]
    roles = PAYOUT_VIEW_ROLES
    serializer_class = PayoutSerializer

    def get_queryset(self) -> QuerySet[Payout]:
        request = self.request
        status_value = request.query_params.get("status") or None
        if status_value and status_value not in (*Payout.Status.values, "open"):
            raise ApiValidationError({"status": f"Unknown status: {status_value}."})
        kind = request.query_params.get("kind") or None
        if kind and kind not in Payout.Kind.values:
            raise ApiValidationError({"kind": f"Unknown kind: {kind}."})
        return selectors.payouts_list(
            due_by=query_date(request, "due_by"),
            status=status_value,
            kind=kind,
            employer_id=query_int(request, "employer"),
        )

    @extend_schema(
        summary="Payouts by due date (unpaid ones due by a date with due_by)",
        parameters=[
            OpenApiParameter("due_by", OpenApiTypes.DATE, description="Unpaid, due by then."),
            OpenApiParameter("status", OpenApiTypes.STR, enum=[*Payout.Status.values, "open"]),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=Payout.Kind.values),
            OpenApiParameter("employer", OpenApiTypes.INT),
        ],
        responses=PayoutSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PayoutSerializer(page, many=True).data)


class ContinuationPaymentView(_EmployeeSideAccountMixin, GenericAPIView):
    roles = PAYOUT_VIEW_ROLES
    write_roles = PAYOUT_WRITE_ROLES
    serializer_class = ContinuationInputSerializer

    @extend_schema(
        summary="Record a month of continued coverage paid from the side account (R-VE8, R-VE9)",
        request=ContinuationInputSerializer,
        responses={201: PayoutSerializer, 200: PayoutSerializer},
        examples=[
            OpenApiExample("January 1985", value={"month": "1985-01"}, request_only=True),
            OpenApiExample(
                "With the premium",
                value={"month": "1985-01", "amount": "175.30"},
                request_only=True,
            ),
        ],
    )
    def post(self, request: Request, employee_id: int) -> Response:
        employee = self._employee(request, employee_id)
        serializer = ContinuationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        year, month = (int(part) for part in serializer.validated_data["month"].split("-"))
        if not 1 <= month <= 12:
            raise ApiValidationError({"month": ["Give the month as YYYY-MM, e.g. 1985-01."]})
        first = date(year, month, 1)
        existed = Payout.objects.filter(
            employee=employee, kind=Payout.Kind.CONTINUATION, due_on=first
        ).exists()
        payout = payouts.continuation_premium_record(
            employee=employee,
            month=first,
            amount=serializer.validated_data.get("amount"),
            posted_by=request.user,
        )
        payout = Payout.objects.select_related("employee__employer").get(pk=payout.pk)
        return Response(
            PayoutSerializer(payout).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


# --- Re-vest of a completed year ---------------------------------------------------------


class RevestInputSerializer(serializers.Serializer):
    employer = serializers.IntegerField(help_text="The employer's id.")
    policy_year = serializers.CharField(max_length=9, help_text='The vested year, "1983-84".')
    fingerprint = serializers.CharField(
        max_length=64, required=False, help_text="Apply: the preview's fingerprint."
    )
    on = serializers.DateField(required=False, help_text="Apply: the postings' date (today).")

    def validate_policy_year(self, value: str) -> int:
        try:
            return parse_policy_year(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class RevestApplySerializer(RevestInputSerializer):
    fingerprint = serializers.CharField(max_length=64, help_text="The preview's fingerprint.")


class RevestChangeSerializer(serializers.Serializer):
    employee = serializers.IntegerField(source="employee_id")
    employee_number = serializers.CharField()
    employee_name = serializers.CharField()
    policy_year = serializers.CharField(source="label")
    old_outcome = serializers.CharField(allow_null=True, help_text="None: no line yet.")
    new_outcome = serializers.CharField()
    old_amount = serializers.DecimalField(**MONEY)
    new_amount = serializers.DecimalField(**MONEY)
    difference = serializers.DecimalField(**MONEY)
    reasons = serializers.ListField(child=serializers.CharField())


class RevestPreviewSerializer(serializers.Serializer):
    employer = serializers.IntegerField(source="employer_id")
    employer_code = serializers.CharField()
    policy_year = serializers.CharField(source="label")
    fingerprint = serializers.CharField(help_text="Give it to apply exactly this list.")
    increase = serializers.DecimalField(**MONEY, help_text="Dollars vested in addition.")
    decrease = serializers.DecimalField(**MONEY, help_text="Dollars taken back or overpaid.")
    changes = RevestChangeSerializer(many=True)


REVEST_EXAMPLE = {
    "employer": 1,
    "employer_code": "MCOE",
    "policy_year": "1983-84",
    "fingerprint": "3f1c9a0b5d2e7a41",
    "increase": "500.00",
    "decrease": "0.00",
    "changes": [
        {
            "employee": 12,
            "employee_number": "200",
            "employee_name": "Ben Example",
            "policy_year": "1983-84",
            "old_outcome": None,
            "new_outcome": "vested",
            "old_amount": "0.00",
            "new_amount": "500.00",
            "difference": "500.00",
            "reasons": ["no line for the year yet (e.g. a backdated hire)"],
        }
    ],
}


class RevestPreviewView(GenericAPIView):
    permission_classes = [HasRole]
    roles = REVEST_ROLES
    write_roles = REVEST_ROLES
    serializer_class = RevestInputSerializer

    def _preview(self, data: Any) -> Response:
        serializer = RevestInputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        preview = revest.revest_preview(
            employer_id=serializer.validated_data["employer"],
            policy_year=serializer.validated_data["policy_year"],
        )
        return Response(RevestPreviewSerializer(preview).data)

    @extend_schema(
        summary="What a re-vest of an employer's completed year would change",
        parameters=[
            OpenApiParameter("employer", OpenApiTypes.INT, required=True),
            OpenApiParameter("policy_year", OpenApiTypes.STR, required=True),
        ],
        responses=RevestPreviewSerializer,
        examples=[OpenApiExample("A backdated hire", value=REVEST_EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        return self._preview(request.query_params)

    @extend_schema(
        summary="What a re-vest of an employer's completed year would change",
        request=RevestInputSerializer,
        responses=RevestPreviewSerializer,
        examples=[
            OpenApiExample(
                "MCOE 1983-84", value={"employer": 1, "policy_year": "1983-84"}, request_only=True
            )
        ],
    )
    def post(self, request: Request) -> Response:
        return self._preview(request.data)


class RevestApplyView(GenericAPIView):
    permission_classes = [HasRole]
    roles = REVEST_ROLES
    write_roles = REVEST_ROLES
    serializer_class = RevestApplySerializer

    @extend_schema(
        summary="Re-vest an employer's completed year: post the previewed differences",
        request=RevestApplySerializer,
        responses={200: RevestPreviewSerializer, 400: OpenApiTypes.OBJECT},
        examples=[
            OpenApiExample(
                "Apply the preview",
                value={"employer": 1, "policy_year": "1983-84", "fingerprint": "3f1c9a0b5d2e7a41"},
                request_only=True,
            ),
            OpenApiExample("Applied", value=REVEST_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = RevestApplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        applied = revest.revest_apply(
            employer_id=data["employer"],
            policy_year=data["policy_year"],
            fingerprint=data["fingerprint"],
            on=data.get("on"),
            posted_by=request.user,
        )
        return Response(RevestPreviewSerializer(applied).data)


class PayoutRegisterAchView(GenericAPIView):
    """The ACH file (PPD) of a payout register: its figures (payout viewers); made once by
    the payout writers."""

    permission_classes = [HasRole]
    roles = PAYOUT_VIEW_ROLES
    write_roles = PAYOUT_WRITE_ROLES
    serializer_class = AchFileSerializer

    def _register(self, register_id: int) -> PayoutRegister:
        register = PayoutRegister.objects.select_related("ach_file").filter(pk=register_id).first()
        if register is None:
            raise NotFound("No such payout register.")
        return register

    @extend_schema(responses=AchFileSerializer)
    def get(self, request: Request, register_id: int) -> Response:
        register = self._register(register_id)
        if register.ach_file is None:
            raise NotFound("No ACH file was made for this register.")
        return Response(AchFileSerializer(register.ach_file).data)

    @extend_schema(
        request=AchRequestSerializer,
        responses={201: AchFileSerializer, 200: AchFileSerializer},
        description="Make the register's ACH file for the lump sums to employees with direct "
        "deposit (once: again, the same file answers 200).",
    )
    def post(self, request: Request, register_id: int) -> Response:
        register = self._register(register_id)
        made_before = register.ach_file_id is not None
        data = AchRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ach = bank_files.payout_register_ach(
            register=register,
            effective_date=data.validated_data.get("effective_date"),
            user=request.user,
        )
        code = status.HTTP_200_OK if made_before else status.HTTP_201_CREATED
        return Response(AchFileSerializer(ach).data, status=code)


class PayoutRegisterAchFileView(GenericAPIView):
    """The ACH file itself (full account numbers: the payout writers)."""

    permission_classes = [HasRole]
    roles = PAYOUT_WRITE_ROLES

    @extend_schema(responses={(200, "text/plain"): OpenApiTypes.STR})
    def get(self, request: Request, register_id: int) -> HttpResponse:
        register = PayoutRegister.objects.select_related("ach_file").filter(pk=register_id).first()
        if register is None or register.ach_file is None:
            raise NotFound("No ACH file was made for this register.")
        return ach_download(register.ach_file)


urlpatterns = [
    *ledger_api.urlpatterns,
    path(
        "payout-registers/<int:register_id>/ach/",
        PayoutRegisterAchView.as_view(),
        name="payout-register-ach",
    ),
    path(
        "payout-registers/<int:register_id>/ach/file/",
        PayoutRegisterAchFileView.as_view(),
        name="payout-register-ach-file",
    ),
    path("revest/preview/", RevestPreviewView.as_view(), name="revest-preview"),
    path("revest/apply/", RevestApplyView.as_view(), name="revest-apply"),
    path(
        "employees/<int:employee_id>/side-account/",
        SideAccountView.as_view(),
        name="employee-side-account",
    ),
    path(
        "employees/<int:employee_id>/side-account/withdrawals/",
        WithdrawalView.as_view(),
        name="employee-side-account-withdrawals",
    ),
    path(
        "employees/<int:employee_id>/continuation-payments/",
        ContinuationPaymentView.as_view(),
        name="employee-continuation-payments",
    ),
    path("payouts/", PayoutListView.as_view(), name="payouts"),
]


def register(router: BaseRouter) -> None:
    """Register this app's viewsets (vesting's, then the ledger's) on the shared router."""
    router.register("vesting-runs", VestingRunViewSet, basename="vesting-run")
    router.register("vesting-employer-years", EmployerYearViewSet, basename="vesting-employer-year")
    ledger_api.register(router)
    golive_api.register(router)
