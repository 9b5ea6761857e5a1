"""Roles are Django groups. Every page and API endpoint names the roles it admits.

One place decides who may see what: the decorators, mixin and DRF permission here,
plus the per-record ``get_..._for_user`` selectors of each app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import BasePermission


class Role(StrEnum):
    CLERK = "clerk"  # benefits clerk: members, claims
    SUPERINTENDENT = "superintendent"  # funds, dashboards, reports; read-only
    PAYROLL = "payroll"  # monthly premium exports
    EMPLOYEE = "employee"  # self-service, own records only
    ADMINISTRATOR = "administrator"  # plan configuration, users

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.CLERK: "Benefits clerk",
    Role.SUPERINTENDENT: "Superintendent",
    Role.PAYROLL: "Payroll",
    Role.EMPLOYEE: "Employee",
    Role.ADMINISTRATOR: "Administrator",
}

# The page each role lands on after login, in order of precedence for a user with several.
ROLE_HOME = {
    Role.ADMINISTRATOR: "administration",
    Role.SUPERINTENDENT: "reports:dashboard",
    Role.CLERK: "accounts:employee_list",
    Role.PAYROLL: "reports:payroll",
    Role.EMPLOYEE: "reports:my_account",
}

STAFF_ROLES = (Role.CLERK, Role.SUPERINTENDENT, Role.PAYROLL, Role.ADMINISTRATOR)

# Who may do what, named by what it allows; each page and endpoint admits one of these.
MEMBER_WRITERS = (Role.CLERK, Role.ADMINISTRATOR)  # employees, coverage, census import
CLAIM_READERS = (Role.CLERK, Role.SUPERINTENDENT, Role.ADMINISTRATOR)  # every claim
CLAIM_VIEWERS = (*CLAIM_READERS, Role.EMPLOYEE)  # claim pages: an employee sees their own
CLAIM_WRITERS = (Role.CLERK,)  # enter, void, adjust, import; payment runs
REPORT_READERS = (Role.SUPERINTENDENT, Role.ADMINISTRATOR)  # dashboard, fund reports
# Plan years and their settings, premium schedules, employers and programs: write.
PLAN_CONFIGURATION_WRITERS = (Role.ADMINISTRATOR,)
USER_ADMINISTRATORS = (Role.ADMINISTRATOR,)  # users, their roles, passwords (read and write)


def user_roles(user: Any) -> frozenset[Role]:
    """The roles of a user (cached on the user object for the request)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_staywell_roles", None)
    if cached is None:
        cached = remember_roles(user, user.groups.values_list("name", flat=True))
    return cached


def remember_roles(user: Any, group_names: Iterable[str]) -> frozenset[Role]:
    """Cache on ``user`` the roles of its group names (read with the user, saving a query)."""
    names = set(group_names)
    roles = frozenset(role for role in Role if role.value in names)
    if user.is_superuser:
        roles = roles | {Role.ADMINISTRATOR}
    user._staywell_roles = roles
    return roles


def has_role(user: Any, *roles: Role) -> bool:
    return bool(user_roles(user) & set(roles))


def primary_role(user: Any) -> Role | None:
    roles = user_roles(user)
    return next((role for role in ROLE_HOME if role in roles), None)


def role_required(
    *roles: Role,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """View decorator: login first, then one of ``roles`` or a 403 page."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request.user, *roles):
                raise PermissionDenied(_denied_message(roles))
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = tuple(roles)  # type: ignore[attr-defined]
        return wrapper

    return decorator


class RoleRequiredMixin(LoginRequiredMixin):
    """Class-based view mixin: set ``roles`` to the roles admitted."""

    roles: tuple[Role, ...] = ()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not has_role(request.user, *self.roles):
            raise PermissionDenied(_denied_message(self.roles))
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class HasRole(BasePermission):
    """DRF permission: the view sets ``roles``; write methods may set ``write_roles``."""

    message = "Your role does not give access to this endpoint."

    def has_permission(self, request: Any, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        roles: Iterable[Role] = getattr(view, "roles", ())
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            roles = getattr(view, "write_roles", roles)
        return has_role(request.user, *roles)


class IsStaff(BasePermission):
    """DRF permission: any staff role (the API schema and its documentation)."""

    message = "The API schema and its documentation are for the staff roles."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = getattr(request, "user", None)
        return bool(user and user.is_authenticated and has_role(user, *STAFF_ROLES))


def _denied_message(roles: Iterable[Role]) -> str:
    names = ", ".join(role.label for role in roles)
    return f"This page is for: {names}."


def role_group(role: Role | str) -> Any:
    """The group of a role (created if missing, e.g. after a test flushed the database)."""
    from django.contrib.auth.models import Group

    return Group.objects.get_or_create(name=Role(role).value)[0]


# Who may do what in the vesting app: the trust-fund ledger, vesting runs and payouts.
LEDGER_VIEW_ROLES = (Role.SUPERINTENDENT, Role.ADMINISTRATOR, Role.CLERK)
LEDGER_POST_ROLES = (Role.SUPERINTENDENT, Role.ADMINISTRATOR)
VESTING_RUN_ROLES = (Role.SUPERINTENDENT, Role.ADMINISTRATOR)  # start runs, see their pages
REVEST_ROLES = (Role.SUPERINTENDENT, Role.ADMINISTRATOR)  # re-vest a completed year
SIDE_ACCOUNT_ROLES = (Role.CLERK, Role.SUPERINTENDENT, Role.ADMINISTRATOR)
PAYOUT_VIEW_ROLES = (Role.CLERK, Role.SUPERINTENDENT, Role.ADMINISTRATOR)
PAYOUT_WRITE_ROLES = (Role.CLERK, Role.ADMINISTRATOR)  # registers, continuation, flags
GOLIVE_VIEW_ROLES = (Role.SUPERINTENDENT, Role.ADMINISTRATOR)  # go-live imports, read
GOLIVE_WRITE_ROLES = (Role.ADMINISTRATOR,)  # check and import a go-live file
