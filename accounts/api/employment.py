"""An employee's hours and status changes and the continuations of coverage:
after a reduction (R-EL8) and after separation (R-VE8 / R-VE9)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import services
from accounts.api.common import actor, username
from accounts.models import ContinuationElection, HoursChange, SeparationContinuation


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
        return username(change.created_by)

    def get_continuation_elected(self, change: HoursChange) -> bool:
        return hasattr(change, "election")


class HoursChangeInputSerializer(serializers.Serializer):
    effective_date = serializers.DateField()
    weekly_hours = serializers.DecimalField(max_digits=7, decimal_places=2, help_text="0 to 80")
    status = serializers.CharField(
        required=False, allow_blank=True, help_text="regular|temporary; default: unchanged"
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


class EmploymentActions(viewsets.GenericViewSet):
    """The employee endpoints of hours changes and continuations."""

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
    # pagination_class=None: a plain array, in the schema too
    @action(detail=True, methods=["get", "post"], url_path="hours-changes", pagination_class=None)
    def hours_changes(self, request: Request, pk: str | None = None) -> Response:
        employee = self.get_object()
        if request.method == "GET":
            rows = employee.hours_changes.select_related("created_by", "election")
            return Response(HoursChangeSerializer(rows, many=True).data)
        data = HoursChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = services.employee_change_hours(
            employee=employee, created_by=actor(request), **data.validated_data
        )
        return Response(HoursChangeSerializer(change).data, status=status.HTTP_201_CREATED)

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
            employee=employee, created_by=actor(request), **data.validated_data
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
    # pagination_class=None: a plain array, in the schema too
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="continuation-elections",
        pagination_class=None,
    )
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
            created_by=actor(request),
        )
        return Response(
            ContinuationElectionSerializer(election).data, status=status.HTTP_201_CREATED
        )
