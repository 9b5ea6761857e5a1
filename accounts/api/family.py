"""An employee's dependents and beneficiaries."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import services
from accounts.api.common import actor, child_or_404
from accounts.models import BeneficiaryDesignation, Dependent


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


class FamilyActions(viewsets.GenericViewSet):
    """The employee endpoints of dependents and beneficiaries."""

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
    # pagination_class=None: a plain array, in the schema too
    @action(detail=True, methods=["get", "post"], pagination_class=None)
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
        dependent = child_or_404(employee.dependents.all(), dependent_id)
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
    # pagination_class=None: a plain array, in the schema too
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def beneficiaries(self, request: Request, pk: str | None = None) -> Response:
        employee = self.get_object()
        if request.method == "GET":
            return Response(BeneficiarySerializer(employee.beneficiaries.all(), many=True).data)
        data = BeneficiarySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        beneficiary = services.beneficiary_designate(
            employee=employee, created_by=actor(request), **data.validated_data
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
        beneficiary = child_or_404(employee.beneficiaries.all(), beneficiary_id)
        data = BeneficiaryRevocationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        beneficiary = services.beneficiary_revoke(beneficiary=beneficiary, **data.validated_data)
        return Response(BeneficiarySerializer(beneficiary).data)
