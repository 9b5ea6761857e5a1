"""Policy years with their settings and premium schedules: read by staff, written by
administrators (``accounts.configuration`` decides, as on the pages)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import configuration
from accounts.models import TIER_CHOICES, PlanYear, PremiumSchedule
from staywell.api import MoneyField
from staywell.roles import PLAN_CONFIGURATION_WRITERS, STAFF_ROLES, HasRole


class PremiumScheduleSerializer(serializers.ModelSerializer):
    tier = serializers.ChoiceField(choices=TIER_CHOICES, read_only=True)
    effective_from = serializers.DateField(
        read_only=True, help_text="The first month these rates apply (a revision's month)."
    )
    employer_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    employee_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = PremiumSchedule
        fields = [
            "tier",
            "effective_from",
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
    locked = serializers.SerializerMethodField(
        help_text="Setting -> why it cannot change any more (closed months, the rollover)."
    )

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
            "locked",
        ]

    def get_locked(self, plan_year: PlanYear) -> dict[str, str]:
        return configuration.plan_year_locks(plan_year)


class PlanYearSettingsSerializer(serializers.Serializer):
    """A plan year's settings as typed (R-CL1, R-VE2, R-EL5, R-VE4, R-VE7)."""

    deductible = MoneyField()
    maximum_vest = MoneyField()
    carrier_maximum = MoneyField()
    grandfathered_employer_share = serializers.DecimalField(
        max_digits=5, decimal_places=4, min_value=0, max_value=1
    )
    separation_year_vests = serializers.BooleanField(default=True)
    prior_year_hold_from = serializers.ChoiceField(
        choices=PlanYear.PriorYearHold.choices, default=PlanYear.PriorYearHold.YEAR_END
    )


class PlanYearCreateSerializer(PlanYearSettingsSerializer):
    start_year = serializers.IntegerField(min_value=1900, max_value=2999)


class TierRatesSerializer(serializers.Serializer):
    """One tier's monthly rates (R-PR1); an omitted line is 0.00."""

    tier = serializers.ChoiceField(choices=[t.value for t in configuration.SCHEDULE_TIERS])
    major_medical_employer = MoneyField(required=False)
    major_medical_employee = MoneyField(required=False)
    trust_fund_employer = MoneyField(required=False)
    trust_fund_employee = MoneyField(required=False)
    dental_employer = MoneyField(required=False)
    dental_employee = MoneyField(required=False)


class ScheduleRevisionSerializer(serializers.Serializer):
    effective_from = serializers.DateField(
        help_text="The first day of the month the rates apply from (a month of the year)."
    )
    rates = TierRatesSerializer(many=True)


class PlanYearViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Policy years (R-PY1) with their settings and premium schedules (R-PR1)."""

    queryset = PlanYear.objects.prefetch_related("premium_schedules").order_by("start_year")
    serializer_class = PlanYearSerializer
    permission_classes = [HasRole]
    roles = STAFF_ROLES
    write_roles = PLAN_CONFIGURATION_WRITERS
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["start_year"]

    @extend_schema(
        request=PlanYearCreateSerializer,
        responses={201: PlanYearSerializer},
        examples=[
            OpenApiExample(
                "1986-87",
                value={
                    "start_year": 1986,
                    "deductible": "500.00",
                    "maximum_vest": "500.00",
                    "carrier_maximum": "1000000.00",
                    "grandfathered_employer_share": "0.5000",
                },
            )
        ],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = PlanYearCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan_year = configuration.plan_year_create(**data.validated_data)
        return Response(PlanYearSerializer(plan_year).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PlanYearSettingsSerializer, responses=PlanYearSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = PlanYearSettingsSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        plan_year = configuration.plan_year_update(
            plan_year=self.get_object(), **data.validated_data
        )
        return Response(PlanYearSerializer(plan_year).data)

    @extend_schema(
        request=ScheduleRevisionSerializer,
        responses={201: PlanYearSerializer},
        description="R-PR1: a revision of the premium schedule from a month of the year; "
        "refused for a month that is closed or followed by a closed month. Totals are computed.",
    )
    @action(detail=True, methods=["post"], url_path="schedule")
    def schedule(self, request: Request, pk: str | None = None) -> Response:
        plan_year = self.get_object()
        data = ScheduleRevisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rates = {}
        for item in data.validated_data["rates"]:
            values = dict(item)
            rates[values.pop("tier")] = values
        configuration.premium_schedule_revise(
            plan_year=plan_year, effective_from=data.validated_data["effective_from"], rates=rates
        )
        plan_year = self.get_queryset().get(pk=plan_year.pk)
        return Response(PlanYearSerializer(plan_year).data, status=status.HTTP_201_CREATED)
