"""A user's own sign-in pages: the second factor (set up, verify after the password,
recovery codes) and the API token (make, revoke), on ``/account/`` and
``/account/two-factor/...``. The rules are in ``staywell.signin``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from rest_framework.authtoken.models import Token

from staywell import signin
from staywell.forms import AppCodeForm, SecondFactorForm
from staywell.roles import STAFF_ROLES, has_role


def _next(request: HttpRequest) -> str:
    """Where to go once signed in: the ``next`` asked for, if it is this site's."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and safe else reverse("home")


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The step after the password: a code of the app, or a recovery code."""
    if not signin.has_second_factor(request.user):
        return redirect(f"{reverse('two_factor_setup')}?next={_next(request)}")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = signin.second_factor_verify(user=request.user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            otp_login(request, device)
            if device.name == signin.RECOVERY_DEVICE:
                left = signin.recovery_codes_left(request.user)
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. Make new ones on "
                    "your account page if you are running short.",
                )
            return redirect(_next(request))
    context = {"form": form, "next": _next(request)}
    return render(request, "registration/two_factor_verify.html", context)


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: the QR code and the secret, then its first code.
    Replacing an app needs a session that passed the second factor."""
    user: Any = request.user
    if signin.has_second_factor(user) and not user.is_verified():
        return redirect(f"{reverse('two_factor_verify')}?next={reverse('two_factor_setup')}")
    device = signin.totp_device_start(user=user)
    form = AppCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = signin.totp_device_confirm(
                user=user, device=device, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            device.refresh_from_db()
            otp_login(request, device)
            return _recovery_codes_page(request, codes, first=True)
    context = {
        "form": form,
        "qr_svg": signin.totp_qr_svg(device),
        "secret": signin.totp_secret(device),
        "next": _next(request),
        "required": has_role(user, *STAFF_ROLES),
    }
    return render(request, "account/two_factor_setup.html", context)


def _recovery_codes_page(request: HttpRequest, codes: list[str], *, first: bool) -> HttpResponse:
    """The recovery codes, shown this once (never stored in a form the page can show)."""
    context = {"codes": codes, "first": first, "next": _next(request)}
    return render(request, "account/recovery_codes.html", context)


@require_POST
@login_required
def recovery_codes_renew(request: HttpRequest) -> HttpResponse:
    if not signin.has_second_factor(request.user):
        return redirect("account")
    return _recovery_codes_page(
        request, signin.recovery_codes_renew(user=request.user), first=False
    )


@require_POST
@login_required
def two_factor_remove(request: HttpRequest) -> HttpResponse:
    """An employee turns the second factor off (staff cannot: it is required)."""
    if has_role(request.user, *STAFF_ROLES):
        messages.error(request, "Your role signs in with two factors: it cannot be turned off.")
    else:
        signin.second_factor_remove(user=request.user)
        messages.success(request, "Two-factor sign-in is off.")
    return redirect("account")


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The user's own page: the second factor and the API token."""
    user: Any = request.user
    token = Token.objects.filter(user=user).first()
    context = {
        "has_second_factor": signin.has_second_factor(user),
        "required": has_role(user, *STAFF_ROLES),
        "codes_left": signin.recovery_codes_left(user),
        "token": token,
        "token_expires": signin.token_expires(token.created) if token else None,
        "token_expired": signin.token_expired(token.created) if token else False,
    }
    return render(request, "account/account.html", context)


@require_POST
@login_required
def token_create(request: HttpRequest) -> HttpResponse:
    """A new API token, its key shown this once."""
    token = signin.token_create(user=request.user)
    context = {"key": token.key, "expires": signin.token_expires(token.created)}
    return render(request, "account/token_created.html", context)


@require_POST
@login_required
def token_revoke(request: HttpRequest) -> HttpResponse:
    if signin.token_revoke(user=request.user):
        messages.success(request, "Your API token is revoked: it no longer opens the API.")
    return redirect("account")
