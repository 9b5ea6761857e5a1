"""REST endpoints of this app, registered on the /api/v1/ router.

Thin: parse input with a serializer, call one service or selector, serialize the result.
Services raise ``django.core.exceptions.ValidationError``; ``staywell.api`` turns it into a
400 with field errors, and the service's transaction leaves the database unchanged.

Who may do what: staff roles read everything; an employee reads only their own record
(another id answers 404, never 403); clerks and administrators write members and
coverage; administrators write employers and programs; plan years and premium schedules
are configured in the Django admin and read here.
"""

from __future__ import annotations

import re
from typing import Any, cast

from django.contrib.auth.models import User
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
from rest_framework.routers import BaseRouter

from accounts import rules, selectors, services
from accounts.models import (
    TIER_CHOICES,
    BeneficiaryDesignation,
    ContinuationElection,
    CoverageOverride,
    CoverageSegment,
    Dependent,
    Employee,
    Employer,
    HoursChange,
    Marriage,
    PlanYear,
    PremiumSchedule,
    Program,
    SeparationContinuation,
)
from staywell.api import query_date, query_int
from staywell.money import ZERO
from staywell.roles import MEMBER_WRITERS, STAFF_ROLES, HasRole, Role

urlpatterns: list = []

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(value: str | None) -> tuple[int, int]:
    """``"1984-09"`` -> ``(1984, 9)``; anything else is a 400 on ``month``."""
    match = _MONTH.match((value or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError({"month": ["Give the month as YYYY-MM, e.g. 1984-09."]})
    return int(match.group(1)), int(match.group(2))


def _actor(request: Request) -> User:
    """The authenticated user (HasRole has refused anonymous requests already)."""
    return cast(User, request.user)


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


# ---------------------------------------------------------------------------------------
# Serializers
# ---------------------------------------------------------------------------------------


class EmployerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Employer
        fields = ["id", "code", "name"]


class ProgramSerializer(serializers.ModelSerializer):
    employer = serializers.IntegerField(source="employer_id")

    class Meta:
        model = Program
        fields = ["id", "employer", "code", "name", "categorically_funded"]


class ProgramUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True)
    categorically_funded = serializers.BooleanField(required=False)


class EmployerUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)


class PremiumScheduleSerializer(serializers.ModelSerializer):
    tier = serializers.ChoiceField(choices=TIER_CHOICES, read_only=True)
    employer_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    employee_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = PremiumSchedule
        fields = [
            "tier",
            "major_medical_employer",
            "major_medical_employee",
            "trust_fund_employer",
            "trust_fund_employee",
            "dental_employer",
            "dental_employee",
            "employer_total",
            "employee_total",
        ]


class PlanYearSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]
    premium_schedules = PremiumScheduleSerializer(many=True, read_only=True)

    class Meta:
        model = PlanYear
        fields = [
            "id",
            "start_year",
            "label",
            "deductible",
            "maximum_vest",
            "carrier_maximum",
            "grandfathered_employer_share",
            "separation_year_vests",
            "prior_year_hold_from",
            "premium_schedules",
        ]


class EmployeeSerializer(serializers.ModelSerializer):
    employer = serializers.IntegerField(source="employer_id", read_only=True)
    employer_code = serializers.CharField(source="employer.code", read_only=True)
    program = serializers.IntegerField(source="program_id", read_only=True)
    program_code = serializers.CharField(source="program.code", read_only=True)
    current_tier = serializers.SerializerMethodField()

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


class HoursChangeSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()
    continuation_elected = serializers.SerializerMethodField()

    class Meta:
        model = HoursChange
        fields = [
            "id",
            "effective_date",
            "status",
            "weekly_hours",
            "continuation_elected",
            "created_by",
            "created_at",
        ]

    def get_created_by(self, change: HoursChange) -> str | None:
        return _username(change.created_by)

    def get_continuation_elected(self, change: HoursChange) -> bool:
        return hasattr(change, "election")


class HoursChangeInputSerializer(serializers.Serializer):
    effective_date = serializers.DateField()
    weekly_hours = serializers.DecimalField(max_digits=7, decimal_places=2, help_text="0 to 80")
    status = serializers.CharField(
        required=False, allow_blank=True, help_text="regular|temporary; default: unchanged"
    )


class SeparationInputSerializer(serializers.Serializer):
    separation_date = serializers.DateField(help_text="Last day of employment")
    reason = serializers.CharField(
        allow_blank=True, help_text="resignation|retirement|death|change_of_employer"
    )


class SeparationContinuationSerializer(serializers.ModelSerializer):
    class Meta:
        model = SeparationContinuation
        fields = ["id", "elected_on", "until", "dental"]


class SeparationContinuationInputSerializer(serializers.Serializer):
    elected_on = serializers.DateField()
    until = serializers.DateField(
        required=False, allow_null=True, help_text="Last covered day; empty: retirees, indefinitely"
    )
    dental = serializers.BooleanField(default=True)


class MarriageSerializer(serializers.ModelSerializer):
    employee_a = serializers.IntegerField(source="employee_a_id")
    employee_b = serializers.IntegerField(source="employee_b_id")
    retained = serializers.IntegerField(source="retained_id", help_text="employee_a or employee_b")

    class Meta:
        model = Marriage
        fields = ["id", "employee_a", "employee_b", "married_on", "retained", "ended_on"]
        read_only_fields = ["id", "ended_on"]


class DependentSerializer(serializers.ModelSerializer):
    spouse_employee = serializers.IntegerField(source="spouse_employee_id", read_only=True)

    class Meta:
        model = Dependent
        fields = [
            "id",
            "relationship",
            "first_name",
            "last_name",
            "birth_date",
            "spouse_employee",
            "covered_from",
            "ended_on",
            "end_reason",
        ]
        read_only_fields = ["id", "spouse_employee", "ended_on", "end_reason"]
        extra_kwargs = {
            "relationship": {"help_text": "spouse|child"},
            "first_name": {"allow_blank": True},
            "last_name": {"allow_blank": True},
        }


class DependentRemovalSerializer(serializers.Serializer):
    ended_on = serializers.DateField(help_text="Last day on the policy")
    reason = serializers.CharField(required=False, allow_blank=True)


class BeneficiarySerializer(serializers.ModelSerializer):
    replace_current = serializers.BooleanField(
        default=False, write_only=True, help_text="Revoke the current beneficiaries first"
    )

    class Meta:
        model = BeneficiaryDesignation
        fields = [
            "id",
            "name",
            "relationship",
            "share_percent",
            "signed_date",
            "revoked_on",
            "replace_current",
        ]
        read_only_fields = ["id", "revoked_on"]
        extra_kwargs = {
            "name": {"allow_blank": True},
            "relationship": {"allow_blank": True},
            # Range checked by the service (one message for pages and API).
            "share_percent": {"max_digits": 7, "decimal_places": 2, "validators": []},
        }


class BeneficiaryRevocationSerializer(serializers.Serializer):
    revoked_on = serializers.DateField()


class CoverageSegmentSerializer(serializers.ModelSerializer):
    tier = serializers.ChoiceField(choices=TIER_CHOICES, read_only=True)
    tier_label = serializers.SerializerMethodField()
    employer_basis = serializers.CharField(
        read_only=True,
        help_text="R-EL8 elected continuation: the tier whose employer share the employer "
        "pays (empty otherwise)",
    )

    class Meta:
        model = CoverageSegment
        fields = [
            "start",
            "end",
            "tier",
            "tier_label",
            "source",
            "employer_basis",
            "employee_pays_difference",
            "dental",
            "reason",
            "author",
        ]

    def get_tier_label(self, segment: CoverageSegment) -> str:
        return rules.Tier(segment.tier).label


class CoverageOverrideSerializer(serializers.ModelSerializer):
    tier = serializers.ChoiceField(choices=TIER_CHOICES)
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = CoverageOverride
        fields = ["id", "start", "end", "tier", "reason", "created_by", "created_at"]
        read_only_fields = ["id", "created_by", "created_at"]
        extra_kwargs = {
            "reason": {"allow_blank": True, "help_text": "Required (R-EL10)"},
            "end": {"required": False},
        }

    def get_created_by(self, override: CoverageOverride) -> str | None:
        return _username(override.created_by)


class ContinuationElectionSerializer(serializers.ModelSerializer):
    reduction = serializers.IntegerField(
        source="reduction_id", help_text="Id of the reducing hours change"
    )
    reduction_effective_date = serializers.DateField(
        source="reduction.effective_date", read_only=True
    )

    class Meta:
        model = ContinuationElection
        fields = ["id", "reduction", "reduction_effective_date", "elected_on"]
        read_only_fields = ["id"]


class ChargeLineSerializer(serializers.Serializer):
    employee_id = serializers.IntegerField()
    employee_number = serializers.CharField()
    employee_name = serializers.CharField()
    program_code = serializers.CharField()
    tier = serializers.CharField()
    line = serializers.CharField(help_text="major_medical|trust_fund|dental")
    payer = serializers.CharField(help_text="employer|employee")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class PremiumLinesSerializer(serializers.Serializer):
    employee = serializers.IntegerField()
    month = serializers.CharField()
    tier = serializers.CharField()
    employer_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    employee_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    lines = ChargeLineSerializer(many=True)


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


MONTH_PARAMETER = OpenApiParameter(
    "month", OpenApiTypes.STR, required=True, description="YYYY-MM, e.g. 1984-09"
)


# ---------------------------------------------------------------------------------------
# ViewSets
# ---------------------------------------------------------------------------------------


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


class ProgramViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Budget codes positions are charged to; ``categorically_funded`` (II.H)."""

    queryset = Program.objects.order_by("employer_id", "code")
    serializer_class = ProgramSerializer
    permission_classes = [HasRole]
    roles = STAFF_ROLES
    write_roles = (Role.ADMINISTRATOR,)
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["employer", "categorically_funded"]

    @extend_schema(
        examples=[
            OpenApiExample(
                "Special education (categorical)",
                value={
                    "employer": 1,
                    "code": "6500",
                    "name": "Special education",
                    "categorically_funded": True,
                },
            )
        ]
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        program = services.program_create(
            employer_id=values["employer_id"],
            code=values["code"],
            name=values["name"],
            categorically_funded=values.get("categorically_funded", False),
        )
        return Response(ProgramSerializer(program).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProgramUpdateSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = ProgramUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        program = services.program_update(program=self.get_object(), **data.validated_data)
        return Response(ProgramSerializer(program).data)


class PlanYearViewSet(viewsets.ReadOnlyModelViewSet):
    """Policy years (R-PY1) with their settings and premium schedules (R-PR1); configured by
    an administrator in the Django admin."""

    queryset = PlanYear.objects.prefetch_related("premium_schedules").order_by("start_year")
    serializer_class = PlanYearSerializer
    permission_classes = [HasRole]
    roles = STAFF_ROLES
    filterset_fields = ["start_year"]


class MarriageViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """R-EL11: two employees of the plan married; one policy between them."""

    queryset = Marriage.objects.order_by("-married_on", "pk")
    serializer_class = MarriageSerializer
    permission_classes = [HasRole]
    roles = STAFF_ROLES
    write_roles = MEMBER_WRITERS
    filter_backends: list = []

    @extend_schema(
        examples=[
            OpenApiExample(
                "Two enrolled employees marry",
                description="The policy of employee 12 ends on 1984-10-01; from then on "
                "employee 12 is a dependent on employee 7's policy.",
                value={
                    "employee_a": 7,
                    "employee_b": 12,
                    "married_on": "1984-09-15",
                    "retained": 7,
                },
            )
        ]
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        marriage = services.employees_marry(
            employee_a_id=values["employee_a_id"],
            employee_b_id=values["employee_b_id"],
            married_on=values["married_on"],
            retained_id=values["retained_id"],
            created_by=_actor(request),
        )
        return Response(MarriageSerializer(marriage).data, status=status.HTTP_201_CREATED)


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
        return selectors.employee_get_for_user(self.request.user, self.kwargs["pk"])

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
            created_by=_actor(request),
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

    # -- hours and status ---------------------------------------------------------------

    @extend_schema(methods=["GET"], responses=HoursChangeSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=HoursChangeInputSerializer,
        responses={201: HoursChangeSerializer},
        description="R-EL7 increase / R-EL8 reduction of weekly hours or a change of status.",
        examples=[
            OpenApiExample(
                "Reduced to 25 hours",
                description="Effective 1984-11-05: THREE_QUARTER from 1984-12-01 unless the "
                "employee elects to continue (R-EL8).",
                value={"effective_date": "1984-11-05", "weekly_hours": "25.00"},
                request_only=True,
            ),
            OpenApiExample(
                "Temporary placed on regular status",
                value={"effective_date": "1984-02-15", "weekly_hours": "30", "status": "regular"},
                request_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["get", "post"], url_path="hours-changes")
    def hours_changes(self, request: Request, pk: str | None = None) -> Response:
        employee = self.get_object()
        if request.method == "GET":
            rows = employee.hours_changes.select_related("created_by", "election")
            return Response(HoursChangeSerializer(rows, many=True).data)
        data = HoursChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = services.employee_change_hours(
            employee=employee, created_by=_actor(request), **data.validated_data
        )
        return Response(HoursChangeSerializer(change).data, status=status.HTTP_201_CREATED)

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
            employee=employee, created_by=_actor(request), **data.validated_data
        )
        return Response(self._out(employee))

    @extend_schema(
        request=SeparationContinuationInputSerializer,
        responses={201: SeparationContinuationSerializer},
        description="R-VE8 / R-VE9: coverage continued after separation, the person paying.",
        examples=[
            OpenApiExample(
                "Three months after a resignation",
                value={"elected_on": "1985-03-20", "until": "1985-06-30", "dental": True},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"], url_path="separation-continuation")
    def separation_continuation(self, request: Request, pk: str | None = None) -> Response:
        employee = self.get_object()
        data = SeparationContinuationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.separation_continuation_elect(
            employee=employee, created_by=_actor(request), **data.validated_data
        )
        return Response(
            SeparationContinuationSerializer(record).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(methods=["GET"], responses=ContinuationElectionSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=ContinuationElectionSerializer,
        responses={201: ContinuationElectionSerializer},
        description="R-EL8: keep the prior coverage to June 30 after a reduction effective "
        "October 1 to May 31, paying what the employer no longer pays.",
        examples=[
            OpenApiExample(
                "Elect to continue",
                value={"reduction": 31, "elected_on": "1984-11-20"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["get", "post"], url_path="continuation-elections")
    def continuation_elections(self, request: Request, pk: str | None = None) -> Response:
        employee = self.get_object()
        if request.method == "GET":
            rows = employee.continuation_elections.select_related("reduction")
            return Response(ContinuationElectionSerializer(rows, many=True).data)
        data = ContinuationElectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        election = services.continuation_elect(
            employee=employee,
            reduction_id=data.validated_data["reduction_id"],
            elected_on=data.validated_data["elected_on"],
            created_by=_actor(request),
        )
        return Response(
            ContinuationElectionSerializer(election).data, status=status.HTTP_201_CREATED
        )

    # -- family and beneficiaries ---------------------------------------------------------

    @extend_schema(methods=["GET"], responses=DependentSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=DependentSerializer,
        responses={201: DependentSerializer},
        examples=[
            OpenApiExample(
                "A child",
                value={
                    "relationship": "child",
                    "first_name": "Maya",
                    "last_name": "Alvarez",
                    "birth_date": "1979-05-04",
                },
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["get", "post"])
    def dependents(self, request: Request, pk: str | None = None) -> Response:
        employee = self.get_object()
        if request.method == "GET":
            return Response(DependentSerializer(employee.dependents.all(), many=True).data)
        data = DependentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dependent = services.dependent_add(employee=employee, **data.validated_data)
        return Response(DependentSerializer(dependent).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DependentRemovalSerializer,
        responses=DependentSerializer,
        parameters=[OpenApiParameter("dependent_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"], url_path=r"dependents/(?P<dependent_id>\d+)/removal")
    def dependent_removal(
        self, request: Request, pk: str | None = None, dependent_id: str | None = None
    ) -> Response:
        employee = self.get_object()
        dependent = _child_or_404(employee.dependents.all(), dependent_id)
        data = DependentRemovalSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dependent = services.dependent_remove(dependent=dependent, **data.validated_data)
        return Response(DependentSerializer(dependent).data)

    @extend_schema(methods=["GET"], responses=BeneficiarySerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=BeneficiarySerializer,
        responses={201: BeneficiarySerializer},
        description="III.D.7: a beneficiary from the signed statement; current shares may "
        "not total more than 100%.",
        examples=[
            OpenApiExample(
                "Spouse, half",
                value={
                    "name": "Daniel Alvarez",
                    "relationship": "spouse",
                    "share_percent": "50.00",
                    "signed_date": "1984-08-11",
                },
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["get", "post"])
    def beneficiaries(self, request: Request, pk: str | None = None) -> Response:
        employee = self.get_object()
        if request.method == "GET":
            return Response(BeneficiarySerializer(employee.beneficiaries.all(), many=True).data)
        data = BeneficiarySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        beneficiary = services.beneficiary_designate(
            employee=employee, created_by=_actor(request), **data.validated_data
        )
        return Response(BeneficiarySerializer(beneficiary).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=BeneficiaryRevocationSerializer,
        responses=BeneficiarySerializer,
        parameters=[OpenApiParameter("beneficiary_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"beneficiaries/(?P<beneficiary_id>\d+)/revocation",
    )
    def beneficiary_revocation(
        self, request: Request, pk: str | None = None, beneficiary_id: str | None = None
    ) -> Response:
        employee = self.get_object()
        beneficiary = _child_or_404(employee.beneficiaries.all(), beneficiary_id)
        data = BeneficiaryRevocationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        beneficiary = services.beneficiary_revoke(beneficiary=beneficiary, **data.validated_data)
        return Response(BeneficiarySerializer(beneficiary).data)

    # -- coverage and premiums ------------------------------------------------------------

    @extend_schema(responses=CoverageSegmentSerializer(many=True))
    @action(detail=True, methods=["get"])
    def coverage(self, request: Request, pk: str | None = None) -> Response:
        """The computed coverage timeline (R-EL6..R-EL11), oldest first; ``end`` null =
        open; ``tier`` none = not covered."""
        employee = self.get_object()
        segments = selectors.coverage_timeline_for(employee)
        return Response(CoverageSegmentSerializer(segments, many=True).data)

    @extend_schema(methods=["GET"], responses=CoverageOverrideSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=CoverageOverrideSerializer,
        responses={201: CoverageOverrideSerializer},
        description="R-EL10: override the computed coverage; the reason is required and the "
        "author is recorded.",
        examples=[
            OpenApiExample(
                "Transfer from another district",
                value={
                    "start": "1984-09-01",
                    "end": "1984-09-30",
                    "tier": "full",
                    "reason": "Transfer from Ukiah USD; covered there through August.",
                },
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["get", "post"])
    def overrides(self, request: Request, pk: str | None = None) -> Response:
        employee = self.get_object()
        if request.method == "GET":
            rows = employee.coverage_overrides.select_related("created_by")
            return Response(CoverageOverrideSerializer(rows, many=True).data)
        data = CoverageOverrideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        override = services.coverage_override_add(
            employee=employee,
            start=data.validated_data["start"],
            end=data.validated_data.get("end"),
            tier=data.validated_data["tier"],
            reason=data.validated_data["reason"],
            created_by=_actor(request),
        )
        return Response(CoverageOverrideSerializer(override).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[MONTH_PARAMETER], responses=PremiumLinesSerializer)
    @action(detail=True, methods=["get"], url_path="premium-lines")
    def premium_lines(self, request: Request, pk: str | None = None) -> Response:
        """R-PR1 / R-PR2: the month's premium lines (none when not covered on the 1st)."""
        employee = self.get_object()
        year, month = parse_month(request.query_params.get("month"))
        lines = selectors.premium_lines_for(employee, year, month)
        tier = lines[0].tier if lines else rules.Tier.NONE.value
        return Response(
            PremiumLinesSerializer(
                {
                    "employee": employee.pk,
                    "month": f"{year:04d}-{month:02d}",
                    "tier": tier,
                    "employer_total": sum((x.amount for x in lines if x.payer == "employer"), ZERO),
                    "employee_total": sum((x.amount for x in lines if x.payer == "employee"), ZERO),
                    "lines": lines,
                }
            ).data
        )


def _child_or_404(queryset: QuerySet[Any], child_id: str | None) -> Any:
    from django.http import Http404

    try:
        return queryset.get(pk=int(child_id or ""))
    except (queryset.model.DoesNotExist, ValueError):
        raise Http404("Not found.") from None


def register(router: BaseRouter) -> None:
    """Register this app's viewsets on the shared router."""
    router.register("employers", EmployerViewSet, basename="employer")
    router.register("programs", ProgramViewSet, basename="program")
    router.register("plan-years", PlanYearViewSet, basename="plan-year")
    router.register("employees", EmployeeViewSet, basename="employee")
    router.register("marriages", MarriageViewSet, basename="marriage")
