"""An employee's coverage timeline, coverage overrides and premium lines."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import rules, selectors, services
from accounts.api.common import MONTH_PARAMETER, ChargeLineSerializer, actor, parse_month, username
from accounts.models import TIER_CHOICES, CoverageOverride, CoverageSegment
from staywell.money import ZERO


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
        return username(override.created_by)


class PremiumLinesSerializer(serializers.Serializer):
    employee = serializers.IntegerField()
    month = serializers.CharField()
    tier = serializers.CharField()
    employer_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    employee_total = serializers.DecimalField(max_digits=14, decimal_places=2)
    lines = ChargeLineSerializer(many=True)


class CoverageActions(viewsets.GenericViewSet):
    """The employee endpoints of coverage and premiums."""

    @extend_schema(responses=CoverageSegmentSerializer(many=True))
    # pagination_class=None: a plain array, in the schema too
    @action(detail=True, methods=["get"], pagination_class=None)
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
    # pagination_class=None: a plain array, in the schema too
    @action(detail=True, methods=["get", "post"], pagination_class=None)
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
            created_by=actor(request),
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
