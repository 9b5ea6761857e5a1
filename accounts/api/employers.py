"""Employers (school districts and county offices) and their monthly premium charges."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import selectors, services
from accounts.api.common import MONTH_PARAMETER, ChargeLineSerializer, parse_month
from accounts.models import Employer
from staywell.roles import STAFF_ROLES, HasRole, Role


class EmployerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Employer
        fields = ["id", "code", "name"]


class EmployerUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)


class ProgramTotalsSerializer(serializers.Serializer):
    program_code = serializers.CharField()
    employer = serializers.DecimalField(max_digits=14, decimal_places=2)
    employee = serializers.DecimalField(max_digits=14, decimal_places=2)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)


class MonthlyChargesSerializer(serializers.Serializer):
    employer = serializers.IntegerField()
    month = serializers.CharField()
    employee_count = serializers.IntegerField()
    employer_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    employee_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    programs = ProgramTotalsSerializer(many=True)
    lines = ChargeLineSerializer(many=True)


class EmployerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """School districts and county offices of the pool."""

    queryset = Employer.objects.order_by("code")
    serializer_class = EmployerSerializer
    permission_classes = [HasRole]
    roles = STAFF_ROLES
    write_roles = (Role.ADMINISTRATOR,)
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends: list = []

    @extend_schema(
        examples=[OpenApiExample("County office", value={"code": "MCOE", "name": "Mendocino COE"})]
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        employer = services.employer_create(**data.validated_data)
        return Response(EmployerSerializer(employer).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EmployerUpdateSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = EmployerUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        employer = services.employer_update(employer=self.get_object(), **data.validated_data)
        return Response(EmployerSerializer(employer).data)

    @extend_schema(
        parameters=[MONTH_PARAMETER],
        responses=MonthlyChargesSerializer,
        description="R-PR2: the month's premium charges of every covered employee, by payer, "
        "with totals by program (payroll deductions and program charges).",
    )
    @action(detail=True, methods=["get"])
    def charges(self, request: Request, pk: str | None = None) -> Response:
        employer = self.get_object()
        year, month = parse_month(request.query_params.get("month"))
        charges = selectors.monthly_premium_charges(employer_id=employer.pk, year=year, month=month)
        return Response(
            MonthlyChargesSerializer(
                {
                    "employer": employer.pk,
                    "month": f"{year:04d}-{month:02d}",
                    "employee_count": charges.employee_count,
                    "employer_total": charges.total(payer="employer"),
                    "employee_total": charges.total(payer="employee"),
                    "total": charges.total(),
                    "programs": [
                        {"program_code": code, **totals}
                        for code, totals in charges.totals_by_program().items()
                    ],
                    "lines": charges.lines,
                }
            ).data
        )
