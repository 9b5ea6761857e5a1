"""The go-live page: download the template, upload the plan's file with its cut-over
date, see every problem by row and column (nothing saved) or the figures per employer,
confirm, and follow the import's progress bar (``vesting.golive``).

Who: administrators check and import; the superintendent sees the go-lives and their
status (read-only).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from staywell.csv import csv_response
from staywell.db import parse_id
from staywell.forms import UswdsForm
from staywell.roles import GOLIVE_VIEW_ROLES, GOLIVE_WRITE_ROLES, has_role, role_required
from vesting import golive
from vesting.ledger.forms import DateInput
from vesting.models import GoLive


class GoLiveForm(UswdsForm):
    cutover = forms.DateField(
        label="Cut-over date",
        widget=DateInput,
        help_text="The month end the figures are as of, usually June 30.",
        error_messages={"required": "Enter the cut-over date.", "invalid": "Enter a date."},
    )
    file = forms.FileField(
        label="The plan's go-live file (CSV)",
        help_text="UTF-8 CSV with the columns below; the first row names them.",
        error_messages={"required": "Choose the CSV file to check."},
    )


def _page_url(go_live: GoLive) -> str:
    return f"{reverse('vesting:golive')}?go_live={go_live.pk}"


@role_required(*GOLIVE_VIEW_ROLES)
def golive_page(request: HttpRequest) -> HttpResponse:
    writer = has_role(request.user, *GOLIVE_WRITE_ROLES)
    form = GoLiveForm(request.POST or None, request.FILES or None)
    check = None
    if request.method == "POST":
        if not writer:
            raise PermissionDenied("Only an administrator imports a go-live file.")
        if form.is_valid():
            check = golive.golive_check(
                file=form.cleaned_data["file"],
                cutover=form.cleaned_data["cutover"],
                user=request.user,
            )
            if not check.errors and check.go_live is not None:
                return redirect(_page_url(check.go_live))
            for error in check.errors:
                if error["field"] == "cutover":
                    form.add_error("cutover", error["message"])
    selected_id = parse_id(request.GET.get("go_live"))
    selected = golive.golive_list().filter(pk=selected_id).first() if selected_id else None
    context = {
        "form": form,
        "check": check if check and not form.errors else None,
        "selected": selected,
        "go_lives": golive.golive_list()[:20],
        "writer": writer,
        "columns": golive.COLUMN_DOCS,
        "items": golive.ITEM_DOCS,
        "max_rows": golive.MAX_ROWS,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "vesting/golive.html", context, status=status)


@require_POST
@role_required(*GOLIVE_WRITE_ROLES)
def golive_confirm(request: HttpRequest, go_live_id: int) -> HttpResponse:
    go_live = get_object_or_404(GoLive, pk=go_live_id)
    return redirect(_page_url(golive.golive_confirm(go_live=go_live, user=request.user)))


@role_required(*GOLIVE_WRITE_ROLES)
def golive_template(request: HttpRequest) -> HttpResponse:
    return csv_response("go-live-template.csv", golive.COLUMNS, golive.EXAMPLE_ROWS)
