"""Signing in: the lockout after wrong passwords (django-axes), the second factor
(django-otp: an authenticator app's TOTP codes and one-time recovery codes) and the
API tokens of a user's own page.

Decisions (the plan is silent; chosen as a plan administrator would):

- Decision: a username is locked from the address that tried it after
  ``AXES_FAILURE_LIMIT`` (5) wrong passwords in a row, for ``AXES_COOLOFF_TIME`` (30
  minutes) or until an administrator unlocks it; the right password during the lockout
  is refused too. Locking the pair (username, address) rather than the username alone
  keeps a stranger from locking a clerk out of the office by typing wrong passwords.
- Decision: every staff role (clerk, superintendent, payroll, administrator) signs in
  with a second factor; a staff user without one enrols before any page opens. An
  employee may turn it on (and off) on their own page; once on, it is asked at every
  sign-in. The administrator can reset a user's second factor (a lost phone): the user
  enrols again at the next sign-in.
- Decision: ten recovery codes are made at enrolment, shown once, each usable once in
  place of a code of the app; making new ones voids the old.
- Decision: an API token stands for a signed-in user: it is made on the user's own page,
  after the second factor, and shown once; it expires ``STAYWELL_TOKEN_TTL`` seconds
  (30 days) after it was made and can be revoked there at any time. A user has one
  token: making a new one revokes the old.
- Decision: a staff session ends after ``STAYWELL_STAFF_IDLE_TIMEOUT`` seconds (15
  minutes) without a request; an employee's lasts ``SESSION_COOKIE_AGE``.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import qrcode
import qrcode.image.svg
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from staywell.db import model_columns, model_from_row, parse_id, prepared_dicts
from staywell.roles import STAFF_ROLES, has_role

RECOVERY_DEVICE = "Recovery codes"
APP_DEVICE = "Authenticator app"
# The demo's staff users share this authenticator secret (base32), so that `make run`
# works with any authenticator app or `manage.py demo_code` (README).
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - public by design (demo)


def client_address(request: Any) -> str | None:
    """The client's address, behind ``STAYWELL_PROXY_COUNT`` proxies (as django-axes
    reads it): one reading for the lockout, the API throttle and the access log."""
    return get_client_ip_address(request)


# Lockout (django-axes) -------------------------------------------------------------------


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The sign-in page again, with the lockout said in place of the form's error (429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"locked": True, "lockout_minutes": minutes, "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=429)


def locked_usernames(usernames: list[str] | None = None) -> set[str]:
    """The usernames locked out now (from any address)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
    )
    if usernames is not None:
        attempts = attempts.filter(username__in=usernames)
    return set(attempts.values_list("username", flat=True))


def user_unlock(*, user: User) -> int:
    """Lift the lockout of ``user`` from every address; the number of records removed."""
    return int(reset(username=user.get_username()))


# Second factor (django-otp) ----------------------------------------------------------------


def second_factor_required(user: Any) -> bool:
    """Whether ``user`` must pass the second factor: every staff role, and any user who
    turned it on."""
    return has_role(user, *STAFF_ROLES) or has_second_factor(user)


# Whether a user has a confirmed authenticator app, read with the signed-in session's user
# (staywell.authentication.ModelBackend: the middleware asks on every page of every user).
_SECOND_FACTOR = "_staywell_second_factor"


def second_factor_column(user_alias: str) -> str:
    """The SELECT expression of :func:`has_second_factor` for the user row ``user_alias``."""
    table = TOTPDevice._meta.db_table
    found = f"SELECT 1 FROM {table} d WHERE d.user_id = {user_alias}.id AND d.confirmed"  # noqa: S608 - the table's name from the model, the alias from the caller's SQL
    return f'EXISTS({found}) AS "second_factor"'


def remember_second_factor(user: Any, value: bool) -> None:
    setattr(user, _SECOND_FACTOR, bool(value))


def has_second_factor(user: Any) -> bool:
    """Whether ``user`` has a confirmed authenticator app: as read with the session's user,
    else from the database. The functions below that add or remove one forget what was
    read, so that the rest of the request asks again."""
    remembered = getattr(user, _SECOND_FACTOR, None)
    if remembered is not None:
        return bool(remembered)
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@cache
def _app_device_sql() -> str:
    return f"""
        SELECT {model_columns(TOTPDevice, "d")} FROM {TOTPDevice._meta.db_table} d
         WHERE d.id = %s
    """  # noqa: S608 - names from the model; the id is bound


def is_app_device(persistent_id: str) -> bool:
    """Whether django-otp's persistent id (``otp_totp.totpdevice/<id>``) is an app's."""
    return persistent_id.partition("/")[0] == TOTPDevice.model_label()


def app_device(persistent_id: str) -> TOTPDevice | None:
    """The authenticator app of a persistent id (:func:`is_app_device`), read with a
    prepared statement; None if there is none."""
    device_id = parse_id(persistent_id.partition("/")[2])
    rows = prepared_dicts(_app_device_sql(), [device_id]) if device_id is not None else []
    return model_from_row(TOTPDevice, rows[0], prefix="d_") if rows else None


def _forget_second_factor(user: Any) -> None:
    if getattr(user, _SECOND_FACTOR, None) is not None:
        delattr(user, _SECOND_FACTOR)


def users_with_second_factor() -> set[int]:
    """The ids of the users with a confirmed authenticator app (one query)."""
    return set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))


def totp_device_start(*, user: User) -> TOTPDevice:
    """The authenticator app being set up (unconfirmed until its first code is typed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=False)


def totp_secret(device: TOTPDevice) -> str:
    """The secret as an authenticator app takes it typed: base32, in groups of four."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    """The set-up QR code as an inline SVG element (no script, no style attribute)."""
    image = qrcode.make(
        device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2
    )
    svg = image.to_string(encoding="unicode")
    return svg.replace("<svg ", '<svg role="img" aria-labelledby="qr-title" ', 1).replace(
        ">", '><title id="qr-title">QR code of the authenticator app set-up</title>', 1
    )


@transaction.atomic
def totp_device_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the app with a code it shows; the user's earlier app is replaced. Returns
    the new recovery codes (shown once). ``ValidationError`` on a wrong code."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if not device.verify_token(_digits(code)):
        raise ValidationError({"code": "That code is not the one the app shows. Try the new one."})
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _forget_second_factor(user)
    return recovery_codes_renew(user=user)


@transaction.atomic
def recovery_codes_renew(*, user: User) -> list[str]:
    """New recovery codes (the old ones stop working), each usable once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE, confirmed=True)
    codes = [
        f"{secrets.randbelow(10**4):04d}-{secrets.randbelow(10**4):04d}"
        for _ in range(settings.STAYWELL_RECOVERY_CODES)
    ]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def second_factor_verify(*, user: User, code: str) -> Any:
    """The device that accepts ``code``: six digits are the app's code, a code of the
    recovery codes' shape (``1234-5678``) is one of them (then used up). A wrong code
    counts against that device only. ``ValidationError`` on a wrong code, or while wrong
    codes are held back (django-otp's throttle)."""
    token = code.strip()
    recovery = len(_digits(token)) == 8
    kind = StaticDevice if recovery else TOTPDevice
    candidate = token if recovery else _digits(token)
    for device in devices_for_user(user, confirmed=True):
        if not isinstance(device, kind):
            continue
        allowed, _why = device.verify_is_allowed()
        if not allowed:
            raise ValidationError(
                {"code": "Too many wrong codes in a row: wait a moment, then try again."}
            )
        if candidate and device.verify_token(candidate):
            return device
    raise ValidationError({"code": "That code is not right. Type the code the app shows now."})


@transaction.atomic
def second_factor_remove(*, user: User) -> None:
    """Remove the user's app and recovery codes (their own choice if an employee; the
    administrator's reset after a lost phone)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    _forget_second_factor(user)


def _digits(code: str) -> str:
    return "".join(ch for ch in code if ch.isascii() and ch.isdigit())[:10]


@transaction.atomic
def demo_second_factor(*, user: User) -> TOTPDevice:
    """The demo's authenticator for ``user`` (the shared demo secret), confirmed."""
    TOTPDevice.objects.filter(user=user).delete()
    _forget_second_factor(user)
    return TOTPDevice.objects.create(
        user=user,
        name=APP_DEVICE,
        confirmed=True,
        key=base64.b32decode(DEMO_TOTP_SECRET).hex(),
    )


# API tokens -----------------------------------------------------------------------------


def token_expires(created: datetime) -> datetime:
    return created + timedelta(seconds=settings.STAYWELL_TOKEN_TTL)


def token_expired(created: datetime, now: datetime | None = None) -> bool:
    return (now or timezone.now()) >= token_expires(created)


@transaction.atomic
def token_create(*, user: User) -> Token:
    """A new API token for ``user`` (the old one is revoked)."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def token_revoke(*, user: User) -> bool:
    """Revoke the user's token; whether there was one."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)
