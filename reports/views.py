"""What the superintendent, the employees and payroll see."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Employer
from staywell.roles import Role, role_required


@role_required(Role.SUPERINTENDENT, Role.ADMINISTRATOR)
def dashboard(request: HttpRequest) -> HttpResponse:
    employers = Employer.objects.annotate(employee_count=Count("employees")).order_by("name")
    return render(request, "reports/dashboard.html", {"employers": employers})


@role_required(Role.PAYROLL)
def payroll(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/payroll.html", {"employers": Employer.objects.order_by("name")})


@role_required(Role.EMPLOYEE)
def my_account(request: HttpRequest) -> HttpResponse:
    employee = getattr(request.user, "employee", None)
    return render(request, "reports/my_account.html", {"employee": employee})
