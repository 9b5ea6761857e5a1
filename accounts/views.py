"""Clerk pages for members and coverage."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Employee
from staywell.roles import Role, role_required


@role_required(Role.CLERK)
def employee_list(request: HttpRequest) -> HttpResponse:
    employees = Employee.objects.select_related("employer", "program").order_by(
        "last_name", "first_name"
    )
    page = Paginator(employees, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/employee_list.html", {"page": page})
