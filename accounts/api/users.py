"""Users of the installation, their role and employee record; administrators only
(``accounts.configuration`` decides, as on the pages)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import User
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import configuration
from accounts.api.common import actor
from accounts.models import Employee
from staywell.roles import USER_ADMINISTRATORS, HasRole, Role, primary_role

ROLE_VALUES = [role.value for role in Role]


class UserSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField(
        help_text="clerk|superintendent|payroll|employee|administrator"
    )
    employee = serializers.SerializerMethodField(help_text="The linked employee record's id.")

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_active",
            "role",
            "employee",
        ]

    def get_role(self, user: User) -> str | None:
        role = primary_role(user)
        return role.value if role else None

    def get_employee(self, user: User) -> int | None:
        employee = getattr(user, "employee", None)
        return employee.pk if employee else None


class _UserWriteSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=ROLE_VALUES)
    employee = serializers.IntegerField(required=False, allow_null=True, default=None)


class UserCreateSerializer(_UserWriteSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, trim_whitespace=False)


class UserUpdateSerializer(_UserWriteSerializer):
    is_active = serializers.BooleanField(default=True)


class PasswordSerializer(serializers.Serializer):
    password = serializers.CharField(write_only=True, trim_whitespace=False)


class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Users and their one role; an employee user is linked to their employee record.
    Users are deactivated (``is_active``), never deleted."""

    queryset = User.objects.order_by("username").prefetch_related(
        "groups", Prefetch("employee", queryset=Employee.objects.only("id", "user_id"))
    )
    serializer_class = UserSerializer
    permission_classes = [HasRole]
    roles = USER_ADMINISTRATORS
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends: list = []

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = UserCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        user = configuration.user_create(employee_id=values.pop("employee"), **values)
        return Response(UserSerializer(_fresh(user)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserUpdateSerializer, responses=UserSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = cast(User, self.get_object())
        current = UserSerializer(user).data
        data = UserUpdateSerializer(data={**current, **request.data})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        user = configuration.user_update(
            user=user, acting=actor(request), employee_id=values.pop("employee"), **values
        )
        return Response(UserSerializer(_fresh(user)).data)

    @extend_schema(request=PasswordSerializer, responses={204: None})
    @action(detail=True, methods=["post"])
    def password(self, request: Request, pk: str | None = None) -> Response:
        """Set a new password (AUTH_PASSWORD_VALIDATORS)."""
        data = PasswordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        configuration.user_set_password(
            user=self.get_object(), password=data.validated_data["password"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


def _fresh(user: User) -> User:
    return User.objects.prefetch_related("groups").get(pk=user.pk)
