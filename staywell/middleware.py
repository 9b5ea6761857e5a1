"""The app's own middleware: control characters refused before any view sees them, no
caching of what it serves, the sign-in rules (second factor, idle staff sessions) and the
access log's one write per request.

Control characters (:class:`ControlCharacterMiddleware`): refuse control characters in what people type, before any view or query sees them.

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
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django_otp import middleware as otp_middleware

from staywell import access_log, signin
from staywell.names import control_character_error
from staywell.roles import STAFF_ROLES, has_role

Handler = Callable[[HttpRequest], HttpResponse]

# Paths a signed-in user who still owes the second factor may open.
SECOND_FACTOR_OPEN = ("/login/", "/logout/", "/account/two-factor/", "/static/", "/healthz")
LAST_SEEN = "staywell_last_seen"  # session key: when the session's last request came (s)
LAST_SEEN_STEP = 60  # seconds: the session is written at most once a minute for it


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every response the app renders: its pages and API
    carry health or money data (static files, served before this, keep their caching)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_cache_control(response, no_store=True, private=True)
        return response


class SignInMiddleware:
    """A staff session idle for ``STAYWELL_STAFF_IDLE_TIMEOUT`` ends; a user who owes the
    second factor (``signin.second_factor_required``) gets no page but the ones that
    let them pass it. The API refuses such a session itself
    (``staywell.authentication.SessionAuthentication``)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        api = request.path_info.startswith("/api/")
        if self._idle(request) and not api:
            messages.info(request, "You were logged out after a time without activity.")
            return redirect(_with_next(reverse("login"), request))
        if api or request.path_info.startswith(SECOND_FACTOR_OPEN):
            return self.get_response(request)
        if not user.is_verified() and signin.second_factor_required(user):
            if signin.has_second_factor(user):
                return redirect(_with_next(reverse("two_factor_verify"), request))
            return redirect(_with_next(reverse("two_factor_setup"), request))
        return self.get_response(request)

    @staticmethod
    def _idle(request: HttpRequest) -> bool:
        """Whether the staff session was idle too long (then it is ended); else note now."""
        if not has_role(request.user, *STAFF_ROLES):
            return False
        now = int(time.time())
        last = request.session.get(LAST_SEEN)
        if isinstance(last, int) and now - last > settings.STAYWELL_STAFF_IDLE_TIMEOUT:
            logout(request)
            return True
        if not isinstance(last, int) or now - last >= LAST_SEEN_STEP:
            request.session[LAST_SEEN] = now
        return False


def _with_next(url: str, request: HttpRequest) -> str:
    if request.method != "GET" or request.path_info in ("/", ""):
        return url
    return f"{url}?{urlencode({'next': request.get_full_path()})}"


class OTPMiddleware(otp_middleware.OTPMiddleware):
    """django-otp's middleware (``request.user.is_verified()``), reading a staff session's
    authenticator app with a prepared statement (``signin.app_device``): django-otp's
    ``Device.from_persistent_id`` is an ORM query compiled again on every staff page."""

    def _device_from_persistent_id(self, persistent_id: str) -> Any:
        normalized = self._normalize_persistent_id(persistent_id)
        if signin.is_app_device(normalized):
            return signin.app_device(normalized)
        return super()._device_from_persistent_id(persistent_id)  # a recovery code's


class AccessLogMiddleware:
    """Collects the request's reads of health data (``access_log.record_read``) and writes
    them in one INSERT when the answer is a success."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reads: list[tuple[int, str, int, int]] = []
        setattr(request, access_log.READS_ATTRIBUTE, reads)
        response = self.get_response(request)
        if reads and response.status_code < 400:
            access_log.write_reads(request, reads)
        return response


BODY_WHITESPACE = "\t\n\r"


class ControlCharacterMiddleware:
    def __init__(self, get_response: Handler) -> None:
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
