"""The trading partners' identifiers (administrators), employees' direct deposit (clerks
and administrators write; the employee reads their own, masked) and the carrier's 834
files (clerks and administrators):
``accounts.exchange`` decides, as on the pages. An account number is never answered in
full: ``account`` is masked (``****6789``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import enrollment, exchange
from accounts.api.common import actor
from accounts.models import BankAccountType, DirectDeposit, TradingPartners
from staywell.jobs import job_get_for_user
from staywell.roles import MEMBER_WRITERS, PLAN_CONFIGURATION_WRITERS, HasRole


def _qualifier() -> serializers.CharField:
    return serializers.CharField(
        required=False, allow_blank=True, help_text="|".join(exchange.QUALIFIERS)
    )


def _text(max_length: int) -> serializers.CharField:
    # Lengths and characters are checked by the service (one message for pages and API).
    return serializers.CharField(
        required=False, allow_blank=True, help_text=f"At most {max_length}"
    )


class TradingPartnersSerializer(serializers.Serializer):
    plan_qualifier = _qualifier()
    plan_id = _text(15)
    plan_name = _text(60)
    administrator_qualifier = _qualifier()
    administrator_id = _text(15)
    administrator_name = _text(60)
    carrier_qualifier = _qualifier()
    carrier_id = _text(15)
    carrier_name = _text(60)
    carrier_tax_id = _text(9)
    group_policy_number = _text(50)
    bank_routing_number = _text(9)
    bank_name = _text(23)
    immediate_origin = _text(10)
    origin_name = _text(23)
    company_name = _text(16)
    company_id = _text(10)
    last_interchange_number = serializers.IntegerField(
        read_only=True, help_text="ISA13 of the last file the plan wrote"
    )
    updated_at = serializers.DateTimeField(read_only=True)


class TradingPartnersView(APIView):
    """The identifiers of the plan's X12 (835, 834) and ACH files: administrators."""

    permission_classes = [HasRole]
    roles = PLAN_CONFIGURATION_WRITERS

    @extend_schema(responses=TradingPartnersSerializer)
    def get(self, request: Request) -> Response:
        return Response(TradingPartnersSerializer(exchange.trading_partners()).data)

    @extend_schema(
        request=TradingPartnersSerializer,
        responses=TradingPartnersSerializer,
        examples=[
            OpenApiExample(
                "The partners",
                value={
                    "plan_id": "STAYWELLPLAN",
                    "administrator_id": "VALLEYTPA",
                    "carrier_id": "941234567",
                    "carrier_qualifier": "30",
                    "carrier_name": "Pacific Mutual",
                    "bank_routing_number": "121000358",
                    "immediate_origin": "1946000123",
                    "company_name": "Stay Well Plan",
                    "company_id": "1946000123",
                },
                request_only=True,
            )
        ],
        description="Every identifier at once (those left out are saved blank).",
    )
    def put(self, request: Request) -> Response:
        data = TradingPartnersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row: TradingPartners = exchange.trading_partners_update(
            values=data.validated_data, user=actor(request)
        )
        return Response(TradingPartnersSerializer(row).data)


class DirectDepositSerializer(serializers.Serializer):
    routing_number = serializers.CharField(allow_blank=True)
    account_number = serializers.CharField(
        allow_blank=True, write_only=True, help_text="Kept encrypted; never answered"
    )
    account_type = serializers.CharField(
        default=BankAccountType.CHECKING, help_text="|".join(BankAccountType.values)
    )
    account = serializers.CharField(
        source="account_masked", read_only=True, help_text="The last four digits: ****6789"
    )
    updated_at = serializers.DateTimeField(read_only=True)


class DirectDepositActions(viewsets.GenericViewSet):
    """The employee endpoint of direct deposit (payouts by ACH)."""

    @extend_schema(methods=["GET"], responses=DirectDepositSerializer)
    @extend_schema(
        methods=["POST"],
        request=DirectDepositSerializer,
        responses=DirectDepositSerializer,
        examples=[
            OpenApiExample(
                "A checking account",
                value={
                    "routing_number": "121000358",
                    "account_number": "000123456789",
                    "account_type": "checking",
                },
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["get", "post"], url_path="direct-deposit")
    def direct_deposit(self, request: Request, pk: str | None = None) -> Response:
        employee: Any = self.get_object()
        if request.method == "GET":
            deposit = DirectDeposit.objects.filter(employee=employee).first()
            if deposit is None:
                raise NotFound("No direct deposit: payouts are paid by check.")
            return Response(DirectDepositSerializer(deposit).data)
        data = DirectDepositSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deposit = exchange.direct_deposit_set(
            employee=employee, user=actor(request), **data.validated_data
        )
        return Response(DirectDepositSerializer(deposit).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"], url_path="direct-deposit/removal")
    def direct_deposit_removal(self, request: Request, pk: str | None = None) -> Response:
        if not exchange.direct_deposit_remove(employee=self.get_object()):
            raise NotFound("No direct deposit to stop.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class EnrollmentRequestSerializer(serializers.Serializer):
    month = serializers.RegexField(
        r"^\d{4}-\d{1,2}$",
        help_text="YYYY-MM, e.g. 1986-09",
        error_messages={"invalid": "Give the month as YYYY-MM, e.g. 1986-09."},
    )
    kind = serializers.CharField(help_text="changes|full")
    employer = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="One employer; default all (a transaction set each)",
    )


class EnrollmentFileSerializer(serializers.Serializer):
    job = serializers.UUIDField(source="pk")
    title = serializers.CharField()
    status = serializers.CharField()
    percent = serializers.IntegerField()
    message = serializers.CharField()
    errors = serializers.ListField(
        child=serializers.DictField(), help_text="Problems by segment and element"
    )
    lines = serializers.SerializerMethodField()
    file = serializers.SerializerMethodField()

    def get_lines(self, job: Any) -> list[dict[str, str]]:
        """What the file lists: member id, name, change, tier, date."""
        return list(job.parameters.get("lines", []))

    def get_file(self, job: Any) -> str | None:
        return reverse("job_download", args=[job.pk]) if job.result else None


class EnrollmentFileView(APIView):
    """The carrier's 834 of a month (``accounts.enrollment``): queued (202), then
    followed; the file downloads once pyx12 found it valid."""

    permission_classes = [HasRole]
    roles = MEMBER_WRITERS

    @extend_schema(
        request=EnrollmentRequestSerializer,
        responses={202: EnrollmentFileSerializer},
        examples=[
            OpenApiExample(
                "September's changes",
                value={"month": "1986-09", "kind": "changes"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = EnrollmentRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        year, month = (int(part) for part in data.validated_data["month"].split("-"))
        if not 1 <= month <= 12:
            raise ValidationError({"month": ["Give the month as YYYY-MM, e.g. 1986-09."]})
        job = enrollment.enrollment_request(
            month=date(year, month, 1),
            kind=data.validated_data["kind"],
            employer=data.validated_data.get("employer"),
            user=actor(request),
        )
        return Response(EnrollmentFileSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class EnrollmentFileDetailView(APIView):
    permission_classes = [HasRole]
    roles = MEMBER_WRITERS

    @extend_schema(responses=EnrollmentFileSerializer)
    def get(self, request: Request, job_id: str) -> Response:
        job = job_get_for_user(user=request.user, job_id=job_id)
        if job is None or job.kind != enrollment.JOB_KIND:
            raise NotFound("No such 834 file.")
        return Response(EnrollmentFileSerializer(job).data)
