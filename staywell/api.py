"""API plumbing shared by every app: errors as field messages, never a traceback."""

from __future__ import annotations

import copy
from datetime import date
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from staywell.db import parse_id
from staywell.money import MONEY_MAX_DIGITS


class MoneyField(serializers.DecimalField):
    """A typed amount of money (R-PY2): dollars and cents a money column holds, not
    negative (``-0`` neither); ``NaN``, ``Infinity``, more than 14 digits or 2 decimals are
    the field's error (DRF's checks), never a 500."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if value is not None and value.is_signed():
            raise serializers.ValidationError("The amount cannot be negative.")
        return value


class QuickFieldsSerializer(serializers.Serializer):
    """A serializer made quickly, for the busiest endpoints (claim entry).

    DRF deep-copies every declared field for each serializer it makes, running each
    field's ``__init__`` again: about 0.3 ms for a claim's 25 fields, on every answer.
    Here a plain field is copied shallowly: the copy is bound to this serializer (its
    own name, parent and source) and shares the declared field's options, validators
    and messages, which nothing changes once declared. A field holding fields (a nested
    serializer, a list or dict field's child, a relation's) is still deep-copied: those
    are bound to the field that holds them."""

    def get_fields(self) -> dict[str, serializers.Field]:
        deep = _fields_holding_fields(type(self))
        return {
            name: copy.deepcopy(field) if name in deep else _shallow_copy(field)
            for name, field in self._declared_fields.items()
        }


def _shallow_copy(field: serializers.Field) -> serializers.Field:
    """``copy.copy(field)`` without its generic protocol (a fifth of the time)."""
    new = object.__new__(type(field))
    new.__dict__.update(field.__dict__)
    return new


@cache
def _fields_holding_fields(serializer_class: type[serializers.Serializer]) -> frozenset[str]:
    """The names of the declared fields that hold fields (:func:`_holds_fields`)."""
    declared = serializer_class._declared_fields  # type: ignore[attr-defined]
    return frozenset(name for name, field in declared.items() if _holds_fields(field))


def _holds_fields(field: serializers.Field) -> bool:
    return isinstance(field, serializers.BaseSerializer) or any(
        hasattr(field, name) for name in ("child", "child_relation")
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn a service's ``django.core.exceptions.ValidationError`` into a 400 with field errors."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail: Any = {
                ("non_field_errors" if field == "__all__" else field): messages
                for field, messages in exc.message_dict.items()
            }
        else:
            detail = {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)


def query_int(request: Any, name: str) -> int | None:
    """An id from the query string (``None`` when absent); a 400 naming it otherwise."""
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    number = parse_id(value)
    if number is None:
        raise exceptions.ValidationError({name: [f"{value!r} is not an id."]})
    return number


def query_date(request: Any, name: str) -> date | None:
    """A date from the query string, YYYY-MM-DD (``None`` when absent); a 400 otherwise."""
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise exceptions.ValidationError({name: ["Give a date as YYYY-MM-DD."]}) from None


class StableOrderingFilter(OrderingFilter):
    """DRF's ``?ordering=`` (``ordering_fields`` is the view's whitelist; anything else is
    ignored), always ended by the primary key in the direction of the first field, so
    that pages neither repeat nor skip a row (``staywell.sorting`` for the pages)."""

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> Any:
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if ordering and not any(field.lstrip("-") in ("id", "pk") for field in ordering):
            ordering.append("-id" if str(ordering[0]).startswith("-") else "id")
        return ordering


class AchEntrySerializer(serializers.Serializer):
    employer = serializers.CharField(help_text="The employer's code (its batch)")
    reference = serializers.CharField(help_text='e.g. "payee 7", "payout 12"')
    name = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    account = serializers.CharField(help_text="The account, masked: ****6789")


class AchFileSerializer(serializers.Serializer):
    """An ACH file made (``vesting.models.AchFile``): its control figures and what it
    pays, accounts masked; the file itself is at ``file``."""

    kind = serializers.CharField(help_text="CCD (providers) | PPD (employees)")
    title = serializers.CharField()
    file_name = serializers.CharField()
    effective_date = serializers.DateField(help_text="The day the bank credits the accounts")
    created_at = serializers.DateTimeField()
    file_id_modifier = serializers.CharField()
    batch_count = serializers.IntegerField()
    entry_count = serializers.IntegerField()
    entry_hash = serializers.IntegerField(
        help_text="Sum of the receiving banks' ids, last ten digits"
    )
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    entries = AchEntrySerializer(many=True)


class AchRequestSerializer(serializers.Serializer):
    effective_date = serializers.DateField(
        required=False, allow_null=True, help_text="Default: the next weekday"
    )
