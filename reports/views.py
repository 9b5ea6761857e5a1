"""What the superintendent, the employees and payroll see. Thin: parse, call one selector
or service, render.

Decision (who sees what): the dashboard and the fund reports are for the superintendent
and administrators; the payroll export for payroll; the self-service pages for the
employee role, and only ever about ``request.user``'s own employee record: no URL of
this app takes an employee id.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.rules import parse_policy_year_param, policy_year_label
from reports import selectors, services
from reports.forms import FundReportForm, GenerateForm, PayrollAllForm, PayrollForm, ScopeForm
from reports.models import FundReportDocument
from staywell.access_log import Kind, record_read
from staywell.forms import add_service_errors
from staywell.models import Job
from staywell.roles import REPORT_READERS, Role, role_required
from vesting import selectors as vesting_selectors
from vesting.ledger import selectors as ledger_selectors


def _job_started(request: HttpRequest, job: Job | None, form: Any) -> HttpResponse | None:
    """After a form that starts a job: the progress bar (htmx) or the job's page; on a
    refusal, the form's errors (htmx) or ``None`` for the caller to re-render."""
    if request.htmx:
        if job is None:
            return render(request, "partials/_error_summary.html", {"form": form})
        return render(request, "partials/job_progress.html", {"job": job})
    return redirect("job_status", job_id=job.pk) if job else None


def _attachment(content: bytes, content_type: str, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


# --- Dashboard ---------------------------------------------------------------------------


@role_required(*REPORT_READERS)
def dashboard(request: HttpRequest) -> HttpResponse:
    form = ScopeForm(request.GET or None)
    employer = form.cleaned_data.get("employer") if form.is_valid() else None
    data = selectors.dashboard(employer_id=employer.pk if employer else None)
    context = {
        "form": form,
        "data": data,
        "charts": data.charts(),
        "revest_pending": vesting_selectors.revest_pending_count(),
        "fund_warnings": ledger_selectors.negative_fund_warnings(
            as_of=data.as_of, employer_id=data.employer_id
        ),
    }
    return render(request, "reports/dashboard.html", context)


# --- Year-end fund reports (R-FU4) --------------------------------------------------------


def _fund_reports_page(
    request: HttpRequest, generate: GenerateForm, status: int = 200
) -> HttpResponse:
    years = selectors.fund_report_years()
    context = {
        "view_form": FundReportForm(
            years=years, initial={"policy_year": policy_year_label(years[0]) if years else ""}
        ),
        "generate_form": generate,
        "documents": selectors.latest_documents(),
    }
    return render(request, "reports/fund_reports.html", context, status=status)


@role_required(*REPORT_READERS)
def fund_reports(request: HttpRequest) -> HttpResponse:
    """The issued reports, a form to view one, and "Generate now"."""
    return _fund_reports_page(request, GenerateForm(years=selectors.fund_report_years()))


@role_required(*REPORT_READERS)
@require_POST
def fund_reports_generate(request: HttpRequest) -> HttpResponse:
    """Generate every employer's and the pool's report now, as a job with progress."""
    form = GenerateForm(request.POST, years=selectors.fund_report_years())
    job = None
    if form.is_valid():
        try:
            year = form.cleaned_data["policy_year"]
            job = services.fund_reports_request(policy_year=year, requested_by=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _job_started(request, job, form) or _fund_reports_page(request, form, 400)


def _report_from_query(request: HttpRequest) -> selectors.FundReport:
    form = FundReportForm(request.GET, years=selectors.fund_report_years())
    if not form.is_valid():
        raise Http404("Choose a policy year that has ended.")
    employer = form.cleaned_data.get("employer")
    return selectors.fund_report(
        policy_year=form.cleaned_data["policy_year"], employer_id=employer.pk if employer else None
    )


def _year_label_redirect(request: HttpRequest) -> HttpResponse | None:
    """R-PY1: an older link's ``?policy_year=1985`` goes to ``?policy_year=1985-86``."""
    value = request.GET.get("policy_year", "")
    try:
        label = policy_year_label(parse_policy_year_param(value))
    except ValueError:
        return None
    if label == value:
        return None
    query = request.GET.copy()
    query["policy_year"] = label
    return redirect(f"{request.path}?{query.urlencode()}", permanent=True)


@role_required(*REPORT_READERS)
def fund_report(request: HttpRequest) -> HttpResponse:
    """One report on the page (``?policy_year=1985-86&employer=3``), computed now."""
    if moved := _year_label_redirect(request):
        return moved
    report = _report_from_query(request)
    document = selectors.latest_document(
        policy_year=report.policy_year, employer_id=report.employer_id
    )
    return render(request, "reports/fund_report.html", {"report": report, "document": document})


@role_required(*REPORT_READERS)
def fund_report_pdf(request: HttpRequest) -> HttpResponse:
    """The report as a PDF rendered now (the stored documents are the issued ones)."""
    if moved := _year_label_redirect(request):
        return moved
    report = _report_from_query(request)
    content = services.fund_report_pdf(report, printed_on=timezone.localdate())
    return _attachment(content, "application/pdf", services.fund_report_file_name(report))


@role_required(*REPORT_READERS)
def fund_report_document(request: HttpRequest, document_id: int) -> FileResponse:
    document = get_object_or_404(FundReportDocument, pk=document_id)
    return FileResponse(document.pdf.open("rb"), as_attachment=True, filename=document.file_name)


# --- Payroll export (R-PR2) --------------------------------------------------------------


def _payroll_page(request: HttpRequest, form: PayrollForm, status: int = 200) -> HttpResponse:
    """The form, and for a valid employer and month the preview of its charges."""
    preview = None
    if form.is_bound and form.is_valid():
        month = form.cleaned_data["month"]
        try:
            preview = selectors.payroll_preview(
                employer=form.cleaned_data["employer"], year=month.year, month=month.month
            )
        except ValidationError as exc:
            add_service_errors(form, exc, onto="month")
    context = {"form": form, "all_form": PayrollAllForm(initial=_this_month()), "preview": preview}
    return render(request, "reports/payroll.html", context, status=status)


def _this_month() -> dict[str, str]:
    """The month a payroll export starts on: today's (R-PR2: charged on its first day)."""
    return {"month": f"{timezone.localdate():%Y-%m}"}


@role_required(Role.PAYROLL)
def payroll(request: HttpRequest) -> HttpResponse:
    """Choose an employer and month; preview the charges per program."""
    return _payroll_page(request, PayrollForm(request.GET or None, initial=_this_month()))


@role_required(Role.PAYROLL)
@require_POST
def payroll_export(request: HttpRequest) -> HttpResponse:
    """Download the month's charges (CSV or XLSX); closes the month in the ledger once."""
    form = PayrollForm(request.POST)
    if form.is_valid():
        month = form.cleaned_data["month"]
        try:
            export = services.payroll_export(
                employer=form.cleaned_data["employer"],
                year=month.year,
                month=month.month,
                exported_by=request.user,
                fmt="xlsx" if request.POST.get("format") == "xlsx" else "csv",
            )
        except ValidationError as exc:
            add_service_errors(form, exc, onto=NON_FIELD_ERRORS)
        else:
            messages.info(request, export.message)
            response = _attachment(export.content, export.content_type, export.file_name)
            response["X-Month-Close"] = "closed-now" if export.closed_now else "already-closed"
            return response
    return _payroll_page(request, form, status=400)


@role_required(Role.PAYROLL)
@require_POST
def payroll_all(request: HttpRequest) -> HttpResponse:
    """Export every employer's month as one CSV, in the background (a job)."""
    form = PayrollAllForm(request.POST)
    job = None
    if form.is_valid():
        month = form.cleaned_data["month"]
        job = services.payroll_export_all_request(
            year=month.year, month=month.month, requested_by=request.user
        )
    page = PayrollForm(initial=_this_month())
    return _job_started(request, job, form) or render(
        request, "reports/payroll.html", {"form": page, "all_form": form}, status=400
    )


# --- Employee self-service ----------------------------------------------------------------


@role_required(Role.EMPLOYEE)
def my_account(request: HttpRequest) -> HttpResponse:
    employee = selectors.employee_for_self_service(request.user)
    data = selectors.self_service(employee) if employee else None
    if employee is not None:
        record_read(request, Kind.STATEMENT, object_id=employee.pk, employee_id=employee.pk)
    return render(request, "reports/my_account.html", {"employee": employee, "data": data})


@role_required(Role.EMPLOYEE)
def my_statement(request: HttpRequest) -> HttpResponse:
    employee = selectors.employee_for_self_service(request.user)
    if employee is None:
        raise Http404("Your login is not linked to an employee record.")
    content = services.statement_pdf(employee=employee)
    record_read(request, Kind.STATEMENT, object_id=employee.pk, employee_id=employee.pk)
    name = f"stay-well-statement-{timezone.localdate():%Y-%m-%d}.pdf"
    return _attachment(content, "application/pdf", name)
