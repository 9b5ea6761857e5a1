"""The app's own middleware: no caching of what it serves, the sign-in rules (second
factor, idle staff sessions) and the access log's one write per request."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control

from staywell import access_log, signin
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
