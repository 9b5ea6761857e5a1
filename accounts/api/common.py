"""What the endpoints of this app share: the month parameter, the acting user, the
writers of members, the charge line and the lookup of an employee's child record."""

from __future__ import annotations

import re
from typing import Any, cast

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(value: str | None) -> tuple[int, int]:
    """``"1984-09"`` -> ``(1984, 9)``; anything else is a 400 on ``month``."""
    match = _MONTH.match((value or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError({"month": ["Give the month as YYYY-MM, e.g. 1984-09."]})
    return int(match.group(1)), int(match.group(2))


def actor(request: Request) -> User:
    """The authenticated user (HasRole has refused anonymous requests already)."""
    return cast(User, request.user)


def username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


MONTH_PARAMETER = OpenApiParameter(
    "month", OpenApiTypes.STR, required=True, description="YYYY-MM, e.g. 1984-09"
)


class ChargeLineSerializer(serializers.Serializer):
    employee_id = serializers.IntegerField()
    employee_number = serializers.CharField()
    employee_name = serializers.CharField()
    program_code = serializers.CharField()
    tier = serializers.CharField()
    line = serializers.CharField(help_text="major_medical|trust_fund|dental")
    payer = serializers.CharField(help_text="employer|employee")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


def child_or_404(queryset: QuerySet[Any], child_id: str | None) -> Any:
    try:
        return queryset.get(pk=int(child_id or ""))
    except (queryset.model.DoesNotExist, ValueError):
        raise Http404("Not found.") from None
