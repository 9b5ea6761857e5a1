"""REST endpoints of this app, registered on the /api/v1/ router."""

from __future__ import annotations

from rest_framework.routers import BaseRouter

urlpatterns: list = []


def register(router: BaseRouter) -> None:
    """Register this app's viewsets on the shared router."""
