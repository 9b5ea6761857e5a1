"""Programs: the budget codes positions are charged to."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import services
from accounts.models import Program
from staywell.roles import STAFF_ROLES, HasRole, Role


class ProgramSerializer(serializers.ModelSerializer):
    employer = serializers.IntegerField(source="employer_id")

    class Meta:
        model = Program
        fields = ["id", "employer", "code", "name", "categorically_funded"]


class ProgramUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True)
    categorically_funded = serializers.BooleanField(required=False)


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
