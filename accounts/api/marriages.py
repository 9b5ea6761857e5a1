"""Marriages of two employees of the plan (R-EL11)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import services
from accounts.api.common import actor
from accounts.models import Marriage
from staywell.roles import MEMBER_WRITERS, STAFF_ROLES, HasRole


class MarriageSerializer(serializers.ModelSerializer):
    employee_a = serializers.IntegerField(source="employee_a_id")
    employee_b = serializers.IntegerField(source="employee_b_id")
    retained = serializers.IntegerField(source="retained_id", help_text="employee_a or employee_b")

    class Meta:
        model = Marriage
        fields = ["id", "employee_a", "employee_b", "married_on", "retained", "ended_on"]
        read_only_fields = ["id", "ended_on"]


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
            created_by=actor(request),
        )
        return Response(MarriageSerializer(marriage).data, status=status.HTTP_201_CREATED)
