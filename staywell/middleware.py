"""Refuse control characters in what people type, before any view or query sees them.

A NUL byte cannot be stored or even compared by PostgreSQL (``?search=%00`` was a 500
DataError), and the other control characters have no place in a search, a name or a
memo. This middleware is the one general place: the query string of every request, and
the fields of form and JSON bodies (not uploaded files), are checked with
:func:`staywell.names.control_character_error`.

- Under ``/api/``: 400 with DRF's field errors, ``{"search": ["The search contains ..."]}``.
- Pages: 400 with the page's message naming the field, the form's own text kept by the
  browser (Back).

Decision: tab, line feed and carriage return stay allowed in bodies (a memo of several
lines), not in query strings. Names are stricter still (``staywell.names``: the invisible
text-direction marks too), in their forms and serializers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from staywell.names import control_character_error

BODY_WHITESPACE = "\t\n\r"


class ControlCharacterMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        found = first_control_character(request)
        if found is not None:
            field, message = found
            field = field or "non_field_errors"  # a JSON body that is a list
            if request.path_info.startswith("/api/"):
                return JsonResponse({field: [message]}, status=400)
            return render(request, "400.html", {"field": field, "message": message}, status=400)
        return self.get_response(request)


def first_control_character(request: HttpRequest) -> tuple[str, str] | None:
    """(field, message) of the first value holding a refused control character, or None."""
    for field, value in _query_values(request):
        message = control_character_error(value, _label(field))
        if message:
            return field, message
    for field, value in _body_values(request):
        message = control_character_error(value, _label(field), allowed=BODY_WHITESPACE)
        if message:
            return field, message
    return None


def _label(field: str) -> str:
    return {"query": "query string", "non_field_errors": "form"}.get(field) or field.replace(
        "_", " "
    )


def _query_values(request: HttpRequest) -> Iterator[tuple[str, str]]:
    if not request.META.get("QUERY_STRING"):
        return
    for key, values in request.GET.lists():
        yield "query", key  # a parameter's name
        for value in values:
            yield key, value


def _body_values(request: HttpRequest) -> Iterator[tuple[str, str]]:
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    content_type = request.content_type or ""
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, values in request.POST.lists():
            yield key, key
            for value in values:
                yield key, value
    elif content_type == "application/json" and request.body:
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            return  # the parser's own 400 says so
        yield from _json_values("", data)


def _json_values(field: str, data: Any) -> Iterator[tuple[str, str]]:
    """The strings of a JSON document, each with its top-level field (DRF's error key)."""
    if isinstance(data, str):
        yield field, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield field or "non_field_errors", str(key)  # a field's name
            yield from _json_values(field or str(key), value)
    elif isinstance(data, list):
        for item in data:
            yield from _json_values(field, item)
