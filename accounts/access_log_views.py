"""The administrator's page of the access log of health data (``staywell.access_log``):
search by user, employee, kind of record and dates; sorted by column; paginated; the
same search as a CSV file."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts import selectors
from accounts.forms import date_field
from staywell.csv import csv_response
from staywell.forms import UswdsForm
from staywell.models import AccessRecord
from staywell.roles import USER_ADMINISTRATORS, role_required
from staywell.sorting import Sorting

PAGE_SIZE = 50
COLUMNS = {
    "at": ("When", ["at"]),
    "user": ("Who", ["user__username"]),
    "kind": ("What", ["kind", "object_id"]),
    "employee": ("Employee", ["employee_id"]),
    "ip": ("From", ["ip"]),
}
CSV_HEADER = [
    "when",
    "username",
    "kind",
    "object_id",
    "employee_id",
    "employee_number",
    "employee_name",
    "via",
    "path",
    "ip_address",
    "user_agent",
]


class AccessLogFilterForm(UswdsForm):
    mark_required = False
    user = forms.CharField(label="Username", required=False, max_length=150)
    employee = forms.CharField(
        label="Employee", required=False, max_length=30, help_text="Number or id."
    )
    kind = forms.ChoiceField(
        label="Record", required=False, choices=[("", "Any"), *AccessRecord.Kind.choices]
    )
    date_from = date_field("From", required=False)
    date_to = date_field("To", required=False)

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {"username": "", "employee": "", "kind": "", "date_from": None, "date_to": None}
        data = self.cleaned_data
        return {
            "username": data["user"],
            "employee": data["employee"],
            "kind": data["kind"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }


@role_required(*USER_ADMINISTRATORS)
def access_log(request: HttpRequest) -> HttpResponse:
    form = AccessLogFilterForm(request.GET or None)
    sort = Sorting(request.GET, COLUMNS, default="-at", tiebreak=("id",))
    records = sort.apply(selectors.access_records(**form.filters()))
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    csv_query = query.copy()
    csv_query.pop("sort", None)
    context = {
        "form": form,
        "page": page,
        "sort": sort,
        "query": query.urlencode(),
        "csv_query": csv_query.urlencode(),
    }
    return render(request, "accounts/configuration/access_log.html", context)


@role_required(*USER_ADMINISTRATORS)
def access_log_csv(request: HttpRequest) -> HttpResponse:
    """The search as CSV, every row (latest first)."""
    form = AccessLogFilterForm(request.GET or None)
    records = selectors.access_records(**form.filters()).order_by("-at", "-id")
    rows = (
        [
            timezone.localtime(record.at).isoformat(timespec="seconds"),
            record.user.username,
            record.kind,
            record.object_id,
            record.employee_id,
            record.employee_number or "",
            f"{record.employee_last_name or ''}, {record.employee_first_name or ''}".strip(", "),
            record.via,
            record.path,
            record.ip or "",
            record.user_agent,
        ]
        for record in records.iterator(chunk_size=2000)
    )
    name = f"access-log-{timezone.localdate():%Y-%m-%d}.csv"
    return csv_response(name, CSV_HEADER, rows)
