"""Vesting pages: the rollover runs (with a live progress bar), an employee's side account,
the payouts due and held with the county's registers, and the beneficiary flags.

Thin: parse, call one service or selector, render. Who may do what:

- runs: the superintendent and administrators start and follow them;
- side accounts: clerk, superintendent, administrator; an employee sees their own (others
  are 404, never 403);
- payouts and flags: clerk, superintendent, administrator see them; clerks and
  administrators make registers, record continuation premiums and name payees;
- re-vest of a completed year: the superintendent and administrators (preview, then
  confirm); the nightly list of pending differences is shown on that page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.rules import policy_year_label, policy_year_of
from staywell.access_log import Kind, record_read
from staywell.csv import csv_response
from staywell.db import parse_id
from staywell.forms import AchFileForm, add_service_errors
from staywell.roles import (
    PAYOUT_VIEW_ROLES,
    PAYOUT_WRITE_ROLES,
    REVEST_ROLES,
    SIDE_ACCOUNT_ROLES,
    VESTING_RUN_ROLES,
    Role,
    has_role,
    role_required,
)
from staywell.sorting import Sorting
from staywell.views import ach_download
from vesting import bank_files, payouts, revest, rollover, selectors
from vesting.forms import (
    ContinuationPaymentForm,
    FlagResolveForm,
    PayoutFilterForm,
    RegisterForm,
    RevestForm,
    RunStartForm,
    WithdrawalForm,
)
from vesting.models import Payout, PayoutRegister, VestingRun

PAGE_SIZE = 50


# --- Runs ----------------------------------------------------------------------------------


@role_required(*VESTING_RUN_ROLES)
def run_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    last_ended = policy_year_label(policy_year_of(today) - 1)
    form = RunStartForm(request.POST or None, initial={"policy_year": last_ended})
    if request.method == "POST" and form.is_valid():
        try:
            run = rollover.rollover_start(
                policy_year=form.cleaned_data["policy_year"],
                employer=form.cleaned_data["employer"],
                override_reason=form.cleaned_data["override_reason"],
                started_by=request.user,
                today=today,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"The rollover of {run.label} is {run.status_label.lower()}.")
            return redirect("vesting:run_detail", run_id=run.pk)
    page = Paginator(selectors.vesting_runs(), PAGE_SIZE).get_page(request.GET.get("page"))
    status = 400 if request.method == "POST" else 200
    return render(request, "vesting/run_list.html", {"form": form, "page": page}, status=status)


@role_required(*VESTING_RUN_ROLES)
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(
        VestingRun.objects.select_related("started_by", "employer", "override_by"), pk=run_id
    )
    steps = run.steps.select_related("employer").order_by("policy_year", "employer__code")
    return render(request, "vesting/run_detail.html", {"run": run, "steps": steps})


@role_required(*VESTING_RUN_ROLES)
def run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """The progress partial the run page polls every second (htmx)."""
    run = get_object_or_404(VestingRun, pk=run_id)
    return render(request, "vesting/_run_progress.html", {"run": run})


# --- Re-vest of a completed year -----------------------------------------------------------


@role_required(*REVEST_ROLES)
def revest_page(request: HttpRequest) -> HttpResponse:
    """Preview (GET with employer and year) and apply on confirmation (POST)."""
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = RevestForm(data)
    preview, status = None, 200
    if form.is_bound and form.is_valid():
        values = form.cleaned_data
        try:
            if request.method == "POST":
                applied = revest.revest_apply(
                    employer_id=values["employer"].pk,
                    policy_year=values["policy_year"],
                    fingerprint=values["fingerprint"] or "",
                    posted_by=request.user,
                )
                messages.success(
                    request,
                    f"{applied.employer_code} {applied.label} re-vested: "
                    f"{len(applied.changes)} change(s) posted.",
                )
                return redirect(request.path)
            preview = revest.revest_preview(
                employer_id=values["employer"].pk, policy_year=values["policy_year"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
    if form.is_bound and form.errors:
        status = 400
    context = {"form": form, "preview": preview, "pending": selectors.revest_pending()}
    return render(request, "vesting/revest.html", context, status=status)


# --- Side accounts -------------------------------------------------------------------------


def _side_account_page(
    request: HttpRequest,
    employee_id: int,
    *,
    withdrawal: WithdrawalForm | None = None,
    continuation: ContinuationPaymentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    employee = selectors.side_account_employee_for_user(request.user, employee_id)
    record_read(request, Kind.SIDE_ACCOUNT, object_id=employee.pk, employee_id=employee.pk)
    summary = selectors.side_account_summary(employee)
    return render(
        request,
        "vesting/side_account.html",
        {
            "summary": summary,
            "employee": employee,
            "withdrawal_form": withdrawal or WithdrawalForm(),
            "continuation_form": continuation or ContinuationPaymentForm(),
            "can_record": has_role(request.user, *PAYOUT_WRITE_ROLES)
            and employee.separation_date is not None
            and employee.separation_reason != "death",
            "is_staff": has_role(request.user, *SIDE_ACCOUNT_ROLES),
            "overpayments": selectors.overpayments_for(employee),
        },
        status=status,
    )


@role_required(*SIDE_ACCOUNT_ROLES, Role.EMPLOYEE)
def side_account(request: HttpRequest, employee_id: int) -> HttpResponse:
    return _side_account_page(request, employee_id)


@role_required(*SIDE_ACCOUNT_ROLES, Role.EMPLOYEE)
def side_account_withdrawal(request: HttpRequest, employee_id: int) -> HttpResponse:
    """R-VE5: a withdrawal or loan request, refused inline with the plan's reason."""
    if request.method != "POST":
        return redirect("vesting:side_account", employee_id=employee_id)
    employee = selectors.side_account_employee_for_user(request.user, employee_id)
    form = WithdrawalForm(request.POST)
    if form.is_valid():
        try:
            payouts.side_account_withdraw(
                employee=employee,
                amount=form.cleaned_data["amount"],
                kind=form.cleaned_data["kind"],
                on=timezone.localdate(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _side_account_page(request, employee_id, withdrawal=form, status=400)


@role_required(*PAYOUT_WRITE_ROLES)
def continuation_payment(request: HttpRequest, employee_id: int) -> HttpResponse:
    """R-VE8 / R-VE9: record a month of continued coverage paid from the side account."""
    if request.method != "POST":
        return redirect("vesting:side_account", employee_id=employee_id)
    employee = selectors.side_account_employee_for_user(request.user, employee_id)
    form = ContinuationPaymentForm(request.POST)
    if form.is_valid():
        try:
            payout = payouts.continuation_premium_record(
                employee=employee,
                month=form.cleaned_data["month"],
                amount=form.cleaned_data.get("premium"),
                posted_by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {"amount": "premium"})
        else:
            messages.success(
                request,
                f"{payout.due_on:%B %Y}: {payout.amount} paid from the side account"
                + (f", {payout.billed_amount} billed." if payout.billed_amount else "."),
            )
            return redirect("vesting:side_account", employee_id=employee_id)
    return _side_account_page(request, employee_id, continuation=form, status=400)


# --- Payouts -------------------------------------------------------------------------------


PAYOUT_COLUMNS = {
    "due": ("Due", ["due_on", "employee__last_name", "employee__first_name"]),
    "employee": ("Employee", ["employee__last_name", "employee__first_name"]),
    "employer": ("Employer", ["employee__employer__name"]),
    "kind": ("Kind", ["kind"]),
    "year": ("Policy year", ["policy_year"]),
    "amount": ("Amount", ["amount"]),
    "status": ("Status", ["status"]),
}


@role_required(*PAYOUT_VIEW_ROLES)
def payout_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = PayoutFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    employer = data.get("employer")
    rows = selectors.payouts_list(
        due_by=data.get("due_by"),
        status=data.get("status") or ("open" if not request.GET else None),
        kind=data.get("kind") or None,
        employer_id=employer.pk if employer else None,
        employee_id=data.get("employee"),
    )
    sort = Sorting(request.GET, PAYOUT_COLUMNS, default="due", tiebreak=("id",))
    page = Paginator(sort.apply(rows), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "vesting/payout_list.html",
        {
            "form": form,
            "page": page,
            "sort": sort,
            "query": query.urlencode(),
            "register_form": RegisterForm(initial={"date": today}, today=today),
            "can_register": has_role(request.user, *PAYOUT_WRITE_ROLES),
            "registers": selectors.payout_registers()[:10],
            "ach_form": AchFileForm(),
            "flag_count": selectors.beneficiary_flags().count(),
            "due_count": selectors.payouts_list(due_by=today).count(),
        },
    )


@role_required(*PAYOUT_WRITE_ROLES)
def register_create(request: HttpRequest) -> HttpResponse:
    """Put every payout due by the chosen day into a payout register, and post them."""
    if request.method != "POST":
        return redirect("vesting:payout_list")
    form = RegisterForm(request.POST, today=timezone.localdate())
    if form.is_valid():
        register = payouts.payouts_process(today=form.cleaned_data["date"], created_by=request.user)
        if register is None:
            messages.info(request, "No payout is due by that day: no register was made.")
        else:
            messages.success(
                request,
                f"Payout register #{register.pk}: {register.count} payouts, {register.total}.",
            )
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(reverse("vesting:payout_list"))


@role_required(*PAYOUT_VIEW_ROLES)
def register_csv(request: HttpRequest, register_id: int) -> HttpResponse:
    """The county's copy of a payout register, as CSV."""
    register = get_object_or_404(PayoutRegister, pk=register_id)
    rows = [_register_row(register, payout) for payout in selectors.payout_register_rows(register)]
    rows.append(["", "", "", "", "", "", "", "Total", f"{register.total:.2f}", ""])
    return csv_response(
        f"payout-register-{register.pk}-{register.date}.csv",
        [
            "register",
            "date",
            "employer",
            "employee_number",
            "employee",
            "kind",
            "policy_year",
            "payee",
            "amount",
            "transaction",
        ],
        rows,
    )


@role_required(*PAYOUT_WRITE_ROLES)
@require_POST
def register_ach(request: HttpRequest, register_id: int) -> HttpResponse:
    """Make the register's ACH file (PPD): lump sums to employees with direct deposit."""
    register = get_object_or_404(PayoutRegister, pk=register_id)
    form = AchFileForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("vesting:payout_list")
    try:
        ach = bank_files.payout_register_ach(
            register=register,
            effective_date=form.cleaned_data["effective_date"],
            user=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"ACH file {ach.file_name}: {ach.entry_count} payouts, ${ach.total:,.2f}, "
            f"effective {ach.effective_date:%B %-d, %Y}.",
        )
    return redirect("vesting:payout_list")


@role_required(*PAYOUT_WRITE_ROLES)
def register_ach_file(request: HttpRequest, register_id: int) -> HttpResponse:
    """The register's ACH file as made (full account numbers: the payout writers)."""
    register = get_object_or_404(PayoutRegister.objects.select_related("ach_file"), pk=register_id)
    if register.ach_file is None:
        raise Http404("No ACH file was made for this register.")
    return ach_download(register.ach_file)


def _register_row(register: PayoutRegister, payout: Payout) -> list[Any]:
    employee = payout.employee
    return [
        register.pk,
        register.date.isoformat(),
        employee.employer.code,
        employee.number,
        f"{employee.last_name}, {employee.first_name}",
        payout.get_kind_display(),
        policy_year_label(payout.policy_year) if payout.policy_year else "",
        payout.payee_name or employee.full_name,
        f"{payout.amount:.2f}",
        payout.transaction_id or "",
    ]


@role_required(*PAYOUT_VIEW_ROLES)
def beneficiary_flags(request: HttpRequest) -> HttpResponse:
    """R-VE10: deaths with no beneficiary on file; the clerk names the payee."""
    can_resolve = has_role(request.user, *PAYOUT_WRITE_ROLES)
    forms: dict[int, FlagResolveForm] = {}
    if request.method == "POST":
        if not can_resolve:
            return render(request, "403.html", status=403)
        payout_id = parse_id(request.POST.get("payout")) or 0
        form = FlagResolveForm(request.POST)
        if form.is_valid():
            try:
                payouts.beneficiary_flag_resolve(
                    payout=payout_id, payee_name=form.cleaned_data["payee_name"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, f"The balance will be paid to {form.cleaned_data['payee_name']}."
                )
                return redirect("vesting:beneficiary_flags")
        forms[payout_id] = form
    flags = list(selectors.beneficiary_flags())
    for payout_id, form in forms.items():
        if payout_id not in {flag.pk for flag in flags}:  # resolved meanwhile, or no such row
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
    rows = [(flag, forms.get(flag.pk) or FlagResolveForm()) for flag in flags]
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "vesting/beneficiary_flags.html",
        {"rows": rows, "can_resolve": can_resolve},
        status=status,
    )
