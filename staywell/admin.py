"""The Django admin's site: administrators only, signed in with the second factor."""

from __future__ import annotations

from typing import Any

from django_otp.admin import OTPAdminSite

from staywell.roles import Role, has_role


class StaywellAdminSite(OTPAdminSite):
    """django-otp's admin site (its sign-in form asks the app's code too), for the
    administrator role only."""

    def has_permission(self, request: Any) -> bool:
        return super().has_permission(request) and has_role(request.user, Role.ADMINISTRATOR)
