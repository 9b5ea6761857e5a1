"""REST endpoints of this app, registered on the /api/v1/ router.

Thin: parse input with a serializer, call one service or selector, serialize the result.
Services raise ``django.core.exceptions.ValidationError``; ``staywell.api`` turns it into a
400 with field errors, and the service's transaction leaves the database unchanged.

Who may do what: staff roles read everything; an employee reads only their own record
(another id answers 404, never 403); clerks and administrators write members and
coverage; administrators write employers, programs, plan years with their premium
schedules, and users (``users``: administrators only, reading too).

One module per resource: ``employers``, ``programs``, ``plan_years``, ``users``, ``marriages`` and
``employees``, whose endpoints of hours and continuations (``employment``), family
(``family``), coverage and premiums (``coverage``) and direct deposit (``exchange``, with the
trading partners' identifiers, administrators only) live in their own modules; what they
share is in ``common``.
"""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import BaseRouter

from accounts.api.common import parse_month
from accounts.api.employees import EmployeeViewSet
from accounts.api.employers import EmployerViewSet
from accounts.api.exchange import EnrollmentFileDetailView, EnrollmentFileView, TradingPartnersView
from accounts.api.marriages import MarriageViewSet
from accounts.api.plan_years import PlanYearViewSet
from accounts.api.programs import ProgramViewSet
from accounts.api.users import UserViewSet

__all__ = [
    "EmployeeViewSet",
    "EmployerViewSet",
    "EnrollmentFileDetailView",
    "EnrollmentFileView",
    "MarriageViewSet",
    "PlanYearViewSet",
    "ProgramViewSet",
    "TradingPartnersView",
    "UserViewSet",
    "parse_month",
    "register",
    "urlpatterns",
]

urlpatterns: list = [
    path("trading-partners/", TradingPartnersView.as_view(), name="trading-partners"),
    path("enrollment-files/", EnrollmentFileView.as_view(), name="enrollment-files"),
    path(
        "enrollment-files/<uuid:job_id>/",
        EnrollmentFileDetailView.as_view(),
        name="enrollment-file",
    ),
]


def register(router: BaseRouter) -> None:
    """Register this app's viewsets on the shared router."""
    router.register("employers", EmployerViewSet, basename="employer")
    router.register("programs", ProgramViewSet, basename="program")
    router.register("plan-years", PlanYearViewSet, basename="plan-year")
    router.register("employees", EmployeeViewSet, basename="employee")
    router.register("marriages", MarriageViewSet, basename="marriage")
    router.register("users", UserViewSet, basename="user")
