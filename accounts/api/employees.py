"""Employees of the plan: the list, hire, update and separation; the endpoints of
their history, family and coverage come from the action classes composed here."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import rules, selectors, services
from accounts.api.common import actor
from accounts.api.coverage import CoverageActions
from accounts.api.employment import EmploymentActions
from accounts.api.exchange import DirectDepositActions
from accounts.api.family import FamilyActions
from accounts.models import Employee
from staywell.access_log import Kind, record_read
from staywell.api import query_date, query_int
from staywell.roles import MEMBER_WRITERS, STAFF_ROLES, HasRole, Role


class EmployeeSerializer(serializers.ModelSerializer):
    employer = serializers.IntegerField(source="employer_id", read_only=True)
    employer_code = serializers.CharField(source="employer.code", read_only=True)
    program = serializers.IntegerField(source="program_id", read_only=True)
    program_code = serializers.CharField(source="program.code", read_only=True)
    current_tier = serializers.SerializerMethodField()
    # Blank until the employee separates: "" is in the schema's choices too.
    separation_reason = serializers.ChoiceField(
        choices=Employee.SeparationReason.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Employee
        fields = [
            "id",
            "employer",
            "employer_code",
            "program",
            "program_code",
            "number",
            "first_name",
            "last_name",
            "birth_date",
            "hire_date",
            "status",
            "weekly_hours",
            "grandfathered",
            "grandfathered_elected",
            "self_pay_enrolled",
            "separation_date",
            "separation_reason",
            "current_tier",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.CharField(help_text="Tier today: " + "|".join(t.value for t in rules.Tier))
    )
    def get_current_tier(self, employee: Employee) -> str:
        """The tier today (``selectors`` annotate it); none = not covered."""
        return getattr(employee, "current_tier", None) or rules.Tier.NONE.value


class EmployeeHireSerializer(serializers.Serializer):
    employer = serializers.IntegerField(help_text="Employer id")
    program = serializers.IntegerField(help_text="Program (budget code) id of that employer")
    number = serializers.CharField(allow_blank=True, help_text="Unique within the employer")
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    hire_date = serializers.DateField()
    status = serializers.CharField(default=Employee.Status.REGULAR, help_text="regular|temporary")
    weekly_hours = serializers.DecimalField(max_digits=7, decimal_places=2, help_text="0 to 80")
    grandfathered = serializers.BooleanField(default=False, help_text="R-EL5")
    grandfathered_elected = serializers.BooleanField(default=True, help_text="R-EL5")
    self_pay_enrolled = serializers.BooleanField(default=False, help_text="R-EL4")


class EmployeeUpdateSerializer(serializers.Serializer):
    number = serializers.CharField(required=False, allow_blank=True)
    first_name = serializers.CharField(required=False, allow_blank=True)
    last_name = serializers.CharField(required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    hire_date = serializers.DateField(required=False)
    program = serializers.IntegerField(required=False)
    grandfathered = serializers.BooleanField(required=False)
    grandfathered_elected = serializers.BooleanField(required=False)
    self_pay_enrolled = serializers.BooleanField(required=False)


class SeparationInputSerializer(serializers.Serializer):
    separation_date = serializers.DateField(help_text="Last day of employment")
    reason = serializers.CharField(
        allow_blank=True, help_text="resignation|retirement|death|change_of_employer"
    )


EMPLOYEE_LIST_PARAMETERS = [
    OpenApiParameter("search", OpenApiTypes.STR, description="Start of a name or number"),
    OpenApiParameter("employer", OpenApiTypes.INT),
    OpenApiParameter("program", OpenApiTypes.INT),
    OpenApiParameter("tier", OpenApiTypes.STR, enum=[t.value for t in rules.Tier]),
    OpenApiParameter("status", OpenApiTypes.STR, enum=Employee.Status.values),
    OpenApiParameter("separated", OpenApiTypes.BOOL),
    OpenApiParameter("on", OpenApiTypes.DATE, description="Day of the tier (default today)"),
]


@extend_schema_view(
    list=extend_schema(parameters=EMPLOYEE_LIST_PARAMETERS),
    partial_update=extend_schema(request=EmployeeUpdateSerializer),
)
class EmployeeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    EmploymentActions,
    FamilyActions,
    CoverageActions,
    DirectDepositActions,
    viewsets.GenericViewSet,
):
    """Members of the plan, their history, family, beneficiaries, coverage and premiums.

    An employee sees only their own record; another id answers 404.
    """

    serializer_class = EmployeeSerializer
    permission_classes = [HasRole]
    roles = (*STAFF_ROLES, Role.EMPLOYEE)
    write_roles = MEMBER_WRITERS
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends: list = []
    queryset = Employee.objects.none()  # for the schema; get_queryset decides

    def get_queryset(self) -> QuerySet[Employee]:
        request = self.request
        tier = request.query_params.get("tier") or None
        if tier is not None and tier not in {t.value for t in rules.Tier}:
            raise ValidationError({"tier": [f"Unknown tier {tier!r}."]})
        separated = request.query_params.get("separated")
        return selectors.employee_list(
            search=request.query_params.get("search"),
            employer_id=query_int(request, "employer"),
            program_id=query_int(request, "program"),
            tier=tier,
            status=request.query_params.get("status") or None,
            separated=None if separated in (None, "") else separated.lower() in ("1", "true"),
            on=query_date(request, "on"),
            user=request.user,
        )

    def get_object(self) -> Employee:
        """The employee (404 unless the caller may see them); a read (GET) of the record
        or of its family, coverage or history is noted in the access log."""
        employee = selectors.employee_get_for_user(self.request.user, self.kwargs["pk"])
        if self.request.method in ("GET", "HEAD"):
            record_read(self.request, Kind.EMPLOYEE, object_id=employee.pk, employee_id=employee.pk)
        return employee

    @extend_schema(
        request=EmployeeHireSerializer,
        responses={201: EmployeeSerializer},
        examples=[
            OpenApiExample(
                "Hire a full-time teacher",
                description="Hired on the 11th: coverage starts the first of the second "
                "month after (R-EL6), here 1984-10-01.",
                value={
                    "employer": 1,
                    "program": 3,
                    "number": "1047",
                    "first_name": "Ruth",
                    "last_name": "Alvarez",
                    "birth_date": "1948-03-02",
                    "hire_date": "1984-08-11",
                    "status": "regular",
                    "weekly_hours": "40.00",
                },
                request_only=True,
            )
        ],
    )
    def create(self, request: Request) -> Response:
        data = EmployeeHireSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        employee = services.employee_hire(
            employer_id=values.pop("employer"),
            program_id=values.pop("program"),
            created_by=actor(request),
            **values,
        )
        return Response(self._out(employee), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        employee = self.get_object()
        data = EmployeeUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "program" in values:
            values["program_id"] = values.pop("program")
        employee = services.employee_update(employee=employee, **values)
        return Response(self._out(employee))

    def _out(self, employee: Employee) -> dict[str, Any]:
        fresh = selectors.employee_list().get(pk=employee.pk)
        return EmployeeSerializer(fresh).data

    @extend_schema(
        request=SeparationInputSerializer,
        responses=EmployeeSerializer,
        description="R-EL9: coverage ends on the last day of the month employment ends.",
        examples=[
            OpenApiExample(
                "Retirement",
                value={"separation_date": "1985-06-14", "reason": "retirement"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def separation(self, request: Request, pk: str | None = None) -> Response:
        employee = self.get_object()
        data = SeparationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        employee = services.employee_separate(
            employee=employee, created_by=actor(request), **data.validated_data
        )
        return Response(self._out(employee))
