"""Policy years with their settings and premium schedules (read only)."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from accounts.models import TIER_CHOICES, PlanYear, PremiumSchedule
from staywell.roles import STAFF_ROLES, HasRole


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


class PlanYearViewSet(viewsets.ReadOnlyModelViewSet):
    """Policy years (R-PY1) with their settings and premium schedules (R-PR1); configured by
    an administrator in the Django admin."""

    queryset = PlanYear.objects.prefetch_related("premium_schedules").order_by("start_year")
    serializer_class = PlanYearSerializer
    permission_classes = [HasRole]
    roles = STAFF_ROLES
    filterset_fields = ["start_year"]
