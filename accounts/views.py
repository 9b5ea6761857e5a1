"""Clerk pages for members and coverage. Thin: parse with a form, call one
selector or service (through the form's ``save``), render.

Who: benefits clerks and administrators. Employees have their own self-service page and
get 403 here (``role_required``); an unknown employee id is a 404.

Decision: the list counts its matches only up to ``COUNT_LIMIT`` (10,000): past that it
says "more than 10,000" and offers the first 200 pages, so that a broad filter over a
pool of 100,000 never counts the whole pool; a clerk narrows the search instead.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import cached_property

from accounts import census, forms, rules, selectors
from accounts.models import BeneficiaryDesignation, Dependent, DirectDeposit, Employee
from staywell.access_log import Kind, record_read
from staywell.csv import csv_response
from staywell.history import history_rows
from staywell.roles import MEMBER_WRITERS, role_required
from staywell.sorting import Sorting

PAGE_SIZE = 50
COUNT_LIMIT = 10_000


class CappedPaginator(Paginator):
    """A paginator whose count stops at ``COUNT_LIMIT`` (one bounded COUNT query)."""

    @cached_property
    def count(self) -> int:
        return self.object_list[: COUNT_LIMIT + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > COUNT_LIMIT


def _posted(request: HttpRequest, *, files: bool = False) -> tuple[Any, ...]:
    """The form data of a POST (even an empty one: it shows "required"), else None."""
    if request.method != "POST":
        return (None, None) if files else (None,)
    return (request.POST, request.FILES) if files else (request.POST,)


def _page(queryset: QuerySet[Employee], number: Any) -> Any:
    page = CappedPaginator(queryset, PAGE_SIZE).get_page(number)
    for employee in page:
        employee.tier = rules.Tier(employee.current_tier or rules.Tier.NONE)
    return page


EMPLOYEE_COLUMNS = {
    "name": ("Name", ["last_name", "first_name"]),
    "number": ("Number", ["number"]),
    "employer": ("Employer", ["employer__code"]),
    "program": ("Program", ["program__code"]),
    "status": ("Status", ["status"]),
    "hours": ("Weekly hours", ["weekly_hours"]),
    "hired": ("Hired", ["hire_date"]),
    "separated": ("Separated", ["separation_date"]),
}


@role_required(*MEMBER_WRITERS)
def employee_list(request: HttpRequest) -> HttpResponse:
    form = forms.EmployeeFilterForm(request.GET)
    sort = Sorting(request.GET, EMPLOYEE_COLUMNS, default="name", tiebreak=("id",))
    queryset = sort.apply(selectors.employee_directory(**form.filters()))
    page = _page(queryset, request.GET.get("page"))
    partial = bool(request.htmx) and not request.htmx.history_restore_request
    query = "&".join(part for part in (form.querystring(), f"sort={sort.value}") if part)
    context = {"form": form, "page": page, "query": query, "partial": partial, "sort": sort}
    context["count_limit"] = COUNT_LIMIT
    template = "accounts/_employee_results.html" if partial else "accounts/employee_list.html"
    return render(request, template, context)


def _form_page(request: HttpRequest, form: forms.ServiceForm, employee: Employee | None) -> Any:
    """Shared by every form page: on a valid POST call the service via ``form.save``;
    its ValidationError goes back on the form; success redirects to the employee page."""
    if request.method == "POST" and form.is_valid():
        try:
            result = form.save(user=request.user)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, form.success_message(result))
            return redirect("accounts:employee_detail", (employee or result).pk)
    return render(request, "accounts/employee_form.html", {"form": form, "employee": employee})


@role_required(*MEMBER_WRITERS)
def employee_hire(request: HttpRequest) -> HttpResponse:
    return _form_page(request, forms.HireForm(*_posted(request)), None)


@role_required(*MEMBER_WRITERS)
def program_options(request: HttpRequest) -> HttpResponse:
    """htmx: the hire form's program select for the employer chosen (swapped in place)."""
    form = forms.HireForm(initial={"employer": request.GET.get("employer")})
    return render(request, "accounts/_program_options.html", {"field": form["program"]})


@role_required(*MEMBER_WRITERS)
def employee_detail(request: HttpRequest, employee_id: int) -> HttpResponse:
    employee = selectors.employee_get_for_user(request.user, employee_id)
    record_read(request, Kind.EMPLOYEE, object_id=employee.pk, employee_id=employee.pk)
    month_form = forms.MonthForm(request.GET)
    file = selectors.employee_file(employee)
    context = {
        "employee": employee,
        "file": file,
        "grid": selectors.coverage_by_month(file.segments),
        "month_names": selectors.MONTH_ABBREVIATIONS,
        "tier_today": rules.Tier(employee.current_tier or rules.Tier.NONE),
        "month_form": month_form,
        "premiums": month_form.premiums(employee),
        "direct_deposit": DirectDeposit.objects.filter(employee=employee).first(),
    }
    partial = request.htmx and request.htmx.target == "premium-lines"
    template = "accounts/_premium_lines.html" if partial else "accounts/employee_detail.html"
    return render(request, template, context)


@role_required(*MEMBER_WRITERS)
def employee_history(request: HttpRequest, employee_id: int) -> HttpResponse:
    """Every write to the employee's records (``staywell.history``): the employee, hours,
    marriages, dependents, beneficiaries, coverage."""
    employee = selectors.employee_get_for_user(request.user, employee_id)
    record_read(request, Kind.EMPLOYEE, object_id=employee.pk, employee_id=employee.pk)
    context = {
        "title": f"{employee.last_name}, {employee.first_name}",
        "scope": "the employee's record, family, beneficiaries and coverage",
        "back_url": reverse("accounts:employee_detail", args=[employee.pk]),
        "rows": history_rows(references=employee),
    }
    return render(request, "history.html", context)


def _employee_form(form_class: type[forms.EmployeeForm]) -> Any:
    """A page with one form about one employee (hours, separation, marriage, ...)."""

    @role_required(*MEMBER_WRITERS)
    def view(request: HttpRequest, employee_id: int) -> HttpResponse:
        employee = selectors.employee_get_for_user(request.user, employee_id)
        return _form_page(request, form_class(*_posted(request), employee=employee), employee)

    view.__name__ = view.__qualname__ = f"{form_class.__name__}_view"
    return view


hours_change = _employee_form(forms.HoursChangeForm)
separation = _employee_form(forms.SeparationForm)
marriage = _employee_form(forms.MarriageForm)
dependent_add = _employee_form(forms.DependentAddForm)
beneficiary_add = _employee_form(forms.BeneficiaryForm)
override_add = _employee_form(forms.OverrideForm)
direct_deposit = _employee_form(forms.DirectDepositForm)
direct_deposit_remove = _employee_form(forms.DirectDepositRemoveForm)


@role_required(*MEMBER_WRITERS)
def dependent_remove(request: HttpRequest, employee_id: int, dependent_id: int) -> HttpResponse:
    employee = selectors.employee_get_for_user(request.user, employee_id)
    dependent = get_object_or_404(Dependent, pk=dependent_id, employee=employee)
    form = forms.DependentRemoveForm(*_posted(request), employee=employee, dependent=dependent)
    return _form_page(request, form, employee)


@role_required(*MEMBER_WRITERS)
def beneficiary_revoke(request: HttpRequest, employee_id: int, beneficiary_id: int) -> HttpResponse:
    employee = selectors.employee_get_for_user(request.user, employee_id)
    beneficiary = get_object_or_404(BeneficiaryDesignation, pk=beneficiary_id, employee=employee)
    form = forms.BeneficiaryRevokeForm(
        *_posted(request), employee=employee, beneficiary=beneficiary
    )
    return _form_page(request, form, employee)


@role_required(*MEMBER_WRITERS)
def census_import(request: HttpRequest) -> HttpResponse:
    form = forms.CensusUploadForm(*_posted(request, files=True))
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = census.census_import(
            file=upload, user=request.user, check_only=form.cleaned_data["check_only"]
        )
    context = {
        "form": form,
        "result": result,
        "columns": census.COLUMN_DOCS,
        "max_rows": census.MAX_ROWS,
    }
    return render(request, "accounts/census_import.html", context)


@role_required(*MEMBER_WRITERS)
def census_template(request: HttpRequest) -> HttpResponse:
    return csv_response("census-template.csv", census.COLUMNS)
