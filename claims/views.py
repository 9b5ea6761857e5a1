"""Claims pages: the clerk's entry screen, the claim page (void, adjust, attachments),
the list with totals, the administrator's file import, payment runs and their registers.
Thin: parse with a form, call one service or selector, render.

Who: benefits clerks enter, void, adjust, attach, import and make payment runs; the
superintendent and administrators read claims and registers; an employee reads their own
family's claims and attachments (others: 404); payroll sees none (403).

The entry screen is built for speed: the employee search and the live preview are htmx
requests of a few milliseconds (``hx-sync`` drops a stale preview when the clerk keeps
typing); saving swaps only the form, which comes back ready for the next claim of the
same family with the focus on the date of service.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from accounts.models import Employee
from accounts.rules import parse_policy_year, policy_year_label, policy_year_of
from claims import importer, remittance, selectors, services
from claims.forms import (
    AdjustForm,
    AttachmentForm,
    ClaimEntryForm,
    ClaimFilterForm,
    ImportForm,
    PaymentRunForm,
    RemittanceForm,
    VoidForm,
)
from claims.models import Claim, ClaimAttachment, PaymentRun
from staywell.access_log import Kind, record_read
from staywell.csv import csv_response
from staywell.db import parse_id
from staywell.forms import AchFileForm, UswdsForm
from staywell.history import history_rows
from staywell.jobs import job_get_for_user
from staywell.pdf import render_pdf
from staywell.roles import (
    CLAIM_READERS,
    CLAIM_VIEWERS,
    CLAIM_WRITERS,
    has_role,
    role_required,
)
from staywell.sorting import Sorting
from staywell.views import ach_download

PAGE_SIZE = 50
# The family's claims table: Jinja2 (staywell.templating), rendered with every claim entered.
FAMILY_CLAIMS = "claims/_family_claims.html"


# ---------------------------------------------------------------------------------------
# The entry screen
# ---------------------------------------------------------------------------------------


def _entry_family(value: Any) -> tuple[Employee | None, list[tuple[str, str]] | None]:
    """The family typed (its policyholder, with the employer) and its patient choices;
    (None, None) for none or an unknown id."""
    pk = parse_id(value)
    family = selectors.entry_family(pk) if pk is not None else None
    if family is None:
        return None, None
    return family.employee, [(p.value, p.label) for p in family.patients]


STEPS = ["date of service", "provider", "administrator's claim number", "billed", "allowed"]


def _preview_context(form: ClaimEntryForm, employee: Employee | None) -> dict[str, Any]:
    """The preview panel: the family's deductible for the year of the date of service
    (else the year last used), and the split this claim would get, or why not yet."""
    context: dict[str, Any] = {"preview": None, "family": None, "hints": [], "employee": employee}
    if employee is None:
        return context
    if not form.is_bound:  # a fresh form: the family's year, nothing typed yet
        year = form.initial.get("year") or selectors.latest_family_year(employee.pk)
        context["family"] = selectors.family_deductible(employee.pk, year) if year else None
        context["hints"] = STEPS
        return context
    data = getattr(form, "cleaned_data", {})
    try:
        preview = services.claim_preview(**form.service_kwargs())
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {}
        labels = {
            name: str(field.label).lower()
            for name, field in form.fields.items()
            if not field.widget.is_hidden and name != "confirm_duplicate"
        }
        context["hints"] = [labels[name] for name in labels if name in errors]
        context["problems"] = [
            message
            for name in ("date_of_service", "billed", "allowed", "patient")
            if form.data.get(name) and name in errors
            for message in errors[name]
        ]
    else:
        context["preview"] = preview
        context["family"] = preview.family
        return context
    day = data.get("date_of_service")
    year = policy_year_of(day) if day else data.get("year")
    if year is None:
        year = selectors.latest_family_year(employee.pk)
    if year is not None:
        context["family"] = selectors.family_deductible(employee.pk, year)
    return context


def _entry_context(
    request: HttpRequest, form: ClaimEntryForm, employee: Employee | None, **extra: Any
) -> dict[str, Any]:
    context = {
        "form": form,
        "employee": employee,
        "query": request.GET.get("q", "").strip() if employee is None else "",
        **extra,
    }
    if employee is None and context["query"]:
        context["results"] = selectors.entry_employee_search(context["query"], limit=20)
    if employee is not None:
        context.update(_preview_context(form, employee))
        saved = extra.get("saved")
        family = context.get("family")
        year = saved.policy_year if saved else (family.policy_year if family else None)
        fc = family_claims_context(request.user, employee.pk, year, family=family)
        # Jinja2 escaped what it wrote; its backend answers a plain string.
        html = render_to_string(FAMILY_CLAIMS, {"fc": fc}, request)
        context["family_claims_html"] = mark_safe(html)  # noqa: S308
        record_read(request, Kind.FAMILY_CLAIMS, object_id=employee.pk, employee_id=employee.pk)
        focus = extra.get("focus")
        first_error = next((name for name in form.errors if name in form.fields), None)
        if focus == "date":
            form.fields["date_of_service"].widget.attrs["autofocus"] = True
        elif focus == "error" and first_error and not extra.get("duplicates"):
            form.fields[first_error].widget.attrs["autofocus"] = True
    return context


@role_required(*CLAIM_WRITERS)
def entry(request: HttpRequest) -> HttpResponse:
    """The clerk's screen: find the family, enter a claim, see the split before saving."""
    if request.method == "POST":
        return _entry_save(request)
    employee, patients = _entry_family(request.GET.get("employee"))
    query = request.GET.get("q", "").strip()
    if employee is None and query:
        found = selectors.entry_employee_search(query, limit=2)
        if len(found) == 1:  # Enter in the search box with one match: straight to the family
            return redirect(f"{reverse('claims:entry')}?employee={found[0].pk}")
    saved = None
    saved_id = parse_id(request.GET.get("saved"))
    if employee is not None and saved_id is not None:
        saved = Claim.objects.filter(pk=saved_id, employee=employee).first()
    initial = {
        "patient": request.GET.get("patient", ""),
        "year": saved.policy_year if saved else None,
        **_date_defaults(),
        **{name: request.GET[name] for name in ("received_on", "paid_on") if request.GET.get(name)},
    }
    form = ClaimEntryForm(initial=initial, employee=employee, patients=patients)
    context = _entry_context(
        request, form, employee, saved=saved, focus="date" if saved else "patient"
    )
    return render(request, "claims/entry.html", context)


def _entry_save(request: HttpRequest) -> HttpResponse:
    employee, patients = _entry_family(request.POST.get("employee"))
    form = ClaimEntryForm(request.POST, employee=employee, patients=patients)
    duplicates: list[services.DuplicateMatch] = []
    if form.is_valid():
        try:
            claim = services.claim_enter(
                **form.service_kwargs(),
                **form.date_kwargs(),
                **form.payee_kwargs(),
                **form.category_kwargs(),
                entered_by=request.user,
                confirm_duplicate=form.cleaned_data["confirm_duplicate"],
                source=Claim.Source.ENTRY,
            )
        except services.DuplicateClaimError as exc:
            duplicates = exc.matches
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            if not request.htmx:
                query = urlencode(
                    {
                        "employee": claim.employee_id,
                        "patient": claim.patient_id or "",
                        "saved": claim.pk,
                        **_kept_dates(claim),
                    }
                )
                return redirect(f"{reverse('claims:entry')}?{query}")
            family = (
                claim.employee if claim.employee_id != getattr(employee, "pk", None) else employee
            )
            fresh = ClaimEntryForm(
                initial={
                    "patient": claim.patient_id or "",
                    "year": claim.policy_year,
                    **_date_defaults(),
                    **_kept_dates(claim),
                },
                employee=family,
                # The same family's patients, read for the form just saved.
                patients=form.fields["patient"].choices if family is employee else None,
            )
            context = _entry_context(request, fresh, family, saved=claim, focus="date")
            return render(request, "claims/_entry.html", context)
    context = _entry_context(request, form, employee, duplicates=duplicates, focus="error")
    template = "claims/_entry.html" if request.htmx else "claims/entry.html"
    # htmx swaps 200 responses only: the form with its errors is the answer, not a failure.
    return render(request, template, context, status=200 if request.htmx else 400)


def _date_defaults() -> dict[str, str]:
    """The entry form's dates: received and paid today unless the clerk types others."""
    today = timezone.localdate().isoformat()
    return {"received_on": today, "paid_on": today}


def _kept_dates(claim: Claim) -> dict[str, str]:
    """The next claim of a batch is received and paid on the same days, most often: the
    dates of the claim saved, where they are not today (the form's default)."""
    today = timezone.localdate()
    dates = {"received_on": claim.received_on, "paid_on": claim.paid_on or today}
    return {name: day.isoformat() for name, day in dates.items() if day != today}


@role_required(*CLAIM_WRITERS)
def entry_employees(request: HttpRequest) -> HttpResponse:
    """htmx: the employees whose name or number starts with what was typed."""
    query = request.GET.get("q", "").strip()
    return render(
        request,
        "claims/_employee_options.html",
        {"results": selectors.entry_employee_search(query), "query": query},
    )


@role_required(*CLAIM_WRITERS)
@require_POST
def entry_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the family's deductible and this claim's split, without saving."""
    employee, patients = _entry_family(request.POST.get("employee"))
    form = ClaimEntryForm(request.POST, employee=employee, patients=patients)
    form.is_valid()
    return render(request, "claims/_preview.html", _preview_context(form, employee))


# ---------------------------------------------------------------------------------------
# The claim page
# ---------------------------------------------------------------------------------------


def _claim_page(
    request: HttpRequest, claim: Claim, status: int = 200, **forms: Any
) -> HttpResponse:
    writer = selectors.can_write(request.user)
    staff = has_role(request.user, *CLAIM_READERS)
    record_read(request, Kind.CLAIM, object_id=claim.pk, employee_id=claim.employee_id)
    context = {
        "claim": claim,
        "writer": writer,
        "staff": staff,
        "void_form": forms.get("void_form") or VoidForm(prefix="void"),
        "adjust_form": forms.get("adjust_form") or AdjustForm(prefix="adjust"),
        "attachment_form": forms.get("attachment_form") or AttachmentForm(prefix="attach"),
        "family": selectors.family_deductible(claim.employee_id, claim.policy_year),
        **selectors.claim_history(claim),
    }
    return render(request, "claims/claim_detail.html", context, status=status)


@role_required(*CLAIM_VIEWERS)
def claim_detail(request: HttpRequest, claim_id: int) -> HttpResponse:
    return _claim_page(request, selectors.claim_get_for_user(request.user, claim_id))


@role_required(*CLAIM_READERS)
def claim_history(request: HttpRequest, claim_id: int) -> HttpResponse:
    """Every write to the claim, its adjustments and attachments (``staywell.history``)."""
    claim = selectors.claim_get_for_user(request.user, claim_id)
    record_read(request, Kind.CLAIM, object_id=claim.pk, employee_id=claim.employee_id)
    context = {
        "title": f"claim {claim.pk}",
        "scope": "the claim, its adjustments and attachments",
        "back_url": reverse("claims:detail", args=[claim.pk]),
        "rows": history_rows(references=claim),
    }
    return render(request, "history.html", context)


# ---------------------------------------------------------------------------------------
# The family's claims of a year, with void and adjust in place (entry screen, employee page)
# ---------------------------------------------------------------------------------------


def family_claims_context(
    user: Any,
    employee_id: int,
    year: int | None,
    *,
    family: selectors.FamilyDeductible | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The family's claims of the year (default: the latest with claims, else this one);
    ``family``: a deductible already read in this request, used when it is this family's
    of the same year (a preview's may be a retained policy's family, R-EL11)."""
    if year is None:
        year = selectors.latest_family_year(employee_id) or policy_year_of(timezone.localdate())
    if family is None or (family.employee_id, family.policy_year) != (employee_id, year):
        family = selectors.family_deductible(employee_id, year)
    return {
        "employee_id": employee_id,
        "family": family,
        "year_label": policy_year_label(year),
        "claims": selectors.family_year_claims(user, employee_id, year),
        "writer": selectors.can_write(user),
        **extra,
    }


@role_required(*CLAIM_READERS)
def family_claims(request: HttpRequest, employee_id: int) -> HttpResponse:
    """htmx: the family's claims of a year (``?year=1984-85``), for the employee page."""
    employee = get_object_or_404(Employee, pk=employee_id)
    try:
        year = parse_policy_year(request.GET["year"]) if request.GET.get("year") else None
    except ValueError:
        year = None
    context = {"fc": family_claims_context(request.user, employee.pk, year)}
    record_read(request, Kind.FAMILY_CLAIMS, object_id=employee.pk, employee_id=employee.pk)
    return render(request, FAMILY_CLAIMS, context)


INLINE_FORMS: dict[str, tuple[type[UswdsForm], str, str, str]] = {
    # kind: (form, url name, title, submit label)
    "void": (VoidForm, "claims:void", "Void claim {pk}", "Void claim {pk}"),
    "adjust": (AdjustForm, "claims:adjust", "Adjust claim {pk}", "Save the adjustment"),
}


def _inline_form(request: HttpRequest, claim: Claim, kind: str, form: Any = None) -> HttpResponse:
    """The void or adjustment form shown under the claim's row, its first (or first
    wrong) field focused."""
    form_class, url_name, title, submit = INLINE_FORMS[kind]
    form = form or form_class(prefix=f"{kind}-{claim.pk}")
    focus = next((name for name in form.errors if name in form.fields), next(iter(form.fields)))
    form.fields[focus].widget.attrs["autofocus"] = True
    context = {
        "form": form,
        "action": reverse(url_name, args=[claim.pk]),
        "title": title.format(pk=claim.pk),
        "submit": submit.format(pk=claim.pk),
        "opener": f"{kind}-open-{claim.pk}",
        "context_name": "family",
    }
    return render(request, "claims/_inline_form.html", context)


def _inline_done(request: HttpRequest, claim: Claim, done: str) -> HttpResponse:
    """After a void or adjustment in place: the family's claims swapped in whole, and
    the entry screen told to refresh its preview."""
    fc = family_claims_context(request.user, claim.employee_id, claim.policy_year, done=done)
    response = render(request, FAMILY_CLAIMS, {"fc": fc})
    response["HX-Retarget"] = "#family-claims"
    response["HX-Reswap"] = "innerHTML"
    response["HX-Trigger"] = "family-claims-changed"
    return response


@role_required(*CLAIM_WRITERS)
def claim_void_form(request: HttpRequest, claim_id: int) -> HttpResponse:
    return _inline_form(request, selectors.claim_get_for_user(request.user, claim_id), "void")


@role_required(*CLAIM_WRITERS)
def claim_adjust_form(request: HttpRequest, claim_id: int) -> HttpResponse:
    return _inline_form(request, selectors.claim_get_for_user(request.user, claim_id), "adjust")


@role_required(*CLAIM_WRITERS)
@require_POST
def claim_void(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = selectors.claim_get_for_user(request.user, claim_id)
    inline = bool(request.POST.get("inline"))
    form = VoidForm(request.POST, prefix=f"void-{claim.pk}" if inline else "void")
    if form.is_valid():
        try:
            services.claim_void(
                claim=claim,
                reason=form.cleaned_data["reason"],
                voided_by=request.user,
                effective_date=form.cleaned_data["effective_date"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            done = f"Claim {claim.pk} is voided; the family's other claims were re-split."
            if inline:
                return _inline_done(request, claim, done)
            messages.success(request, done)
            return redirect("claims:detail", claim.pk)
    if inline:
        return _inline_form(request, claim, "void", form)
    return _claim_page(request, claim, status=400, void_form=form)


@role_required(*CLAIM_WRITERS)
@require_POST
def claim_adjust(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = selectors.claim_get_for_user(request.user, claim_id)
    inline = bool(request.POST.get("inline"))
    form = AdjustForm(request.POST, prefix=f"adjust-{claim.pk}" if inline else "adjust")
    if form.is_valid():
        try:
            services.claim_adjust(
                claim=claim,
                allowed=form.cleaned_data["allowed"],
                reason=form.cleaned_data["reason"],
                adjusted_by=request.user,
                effective_date=form.cleaned_data["effective_date"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            done = f"Claim {claim.pk} is adjusted; the family's claims were re-split."
            if inline:
                return _inline_done(request, claim, done)
            messages.success(request, done)
            return redirect("claims:detail", claim.pk)
    if inline:
        return _inline_form(request, claim, "adjust", form)
    return _claim_page(request, claim, status=400, adjust_form=form)


@role_required(*CLAIM_WRITERS)
@require_POST
def attachment_add(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = selectors.claim_get_for_user(request.user, claim_id)
    form = AttachmentForm(request.POST, request.FILES, prefix="attach")
    if form.is_valid():
        try:
            attachment = services.claim_attachment_add(
                claim=claim, file=form.cleaned_data["file"], uploaded_by=request.user
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Attached {attachment.original_name}.")
            return redirect("claims:detail", claim.pk)
    return _claim_page(request, claim, status=400, attachment_form=form)


@role_required(*CLAIM_VIEWERS)
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    """An attachment, only to whoever may see its claim (staff readers, the employee
    whose family's claim it is); never from a public media URL."""
    attachment = get_object_or_404(
        ClaimAttachment.objects.select_related("claim"), pk=attachment_id
    )
    if not selectors.claims_visible_to(request.user).filter(pk=attachment.claim_id).exists():
        raise Http404("No such attachment.")
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=request.GET.get("inline") != "1",
        filename=attachment.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------------------
# The list
# ---------------------------------------------------------------------------------------


class TotalPaginator(Paginator):
    """A paginator that takes its count from the totals query already made."""

    def __init__(self, object_list: Any, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


CLAIM_COLUMNS = {
    "claim": ("Claim", ["id"]),
    "number": ("Number", ["admin_claim_number"]),
    "family": ("Family", ["employee__last_name", "employee__first_name"]),
    "service": ("Service", ["date_of_service"]),
    "received": ("Received", ["received_on"]),
    "paid": ("Paid", ["paid_on"]),
    "provider": ("Provider", ["provider"]),
    "status": ("Status", ["status"]),
    "allowed": ("Allowed", ["allowed"]),
    "trust_fund": ("Trust fund", ["trust_fund_amount"]),
}


@role_required(*CLAIM_VIEWERS)
def claim_list(request: HttpRequest) -> HttpResponse:
    form = ClaimFilterForm(request.GET or None)
    sort = Sorting(request.GET, CLAIM_COLUMNS, default="-claim", tiebreak=("id",))
    filters = form.filters()
    queryset = sort.apply(selectors.claim_list(request.user, filters))
    totals = selectors.claim_totals(request.user, filters)
    if filters.employee_id is not None:  # one family's claims
        family = filters.employee_id
        record_read(request, Kind.FAMILY_CLAIMS, object_id=family, employee_id=family)
    page = TotalPaginator(queryset, PAGE_SIZE, totals["count"]).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "totals": totals,
        "sort": sort,
        "query": form.querystring(),
        "writer": selectors.can_write(request.user),
    }
    return render(request, "claims/claim_list.html", context)


# ---------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------


@role_required(*CLAIM_WRITERS)
def claim_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    job = None
    if request.method == "POST" and form.is_valid():
        result = importer.import_file(file=form.cleaned_data["file"], user=request.user)
        if result.job is not None:
            return redirect(f"{reverse('claims:import')}?job={result.job.pk}")
    elif request.GET.get("job"):
        job = job_get_for_user(user=request.user, job_id=request.GET["job"])
    context = {
        "form": form,
        "result": result,
        "job": job,
        "columns": importer.COLUMN_DOCS,
        "max_rows": importer.MAX_ROWS,
    }
    status = 400 if result is not None and result.errors else 200
    return render(request, "claims/import.html", context, status=status)


@role_required(*CLAIM_WRITERS)
def remittance_import(request: HttpRequest) -> HttpResponse:
    """The claims administrator's 835: upload, then the job's progress and problems."""
    form = RemittanceForm(request.POST or None, request.FILES or None)
    job = upload = None
    if request.method == "POST" and form.is_valid():
        upload = remittance.remittance_upload(file=form.cleaned_data["file"], user=request.user)
        if upload.job is not None:
            return redirect(f"{reverse('claims:remittance_import')}?job={upload.job.pk}")
    elif request.GET.get("job"):
        job = job_get_for_user(user=request.user, job_id=request.GET["job"])
    context = {
        "form": form,
        "job": job,
        "problems": upload.problems if upload else [],
        "duplicate": upload.duplicate if upload else None,
        "remittances": selectors.remittances()[:20],
        "mapping": remittance.MAPPING,
    }
    status = 400 if (upload and upload.problems) or form.errors else 200
    return render(request, "claims/remittance_import.html", context, status=status)


@role_required(*CLAIM_WRITERS)
def import_template(request: HttpRequest) -> HttpResponse:
    return csv_response("claims-template.csv", importer.COLUMNS, importer.EXAMPLE_ROWS)


# ---------------------------------------------------------------------------------------
# Payment runs
# ---------------------------------------------------------------------------------------


RUN_COLUMNS = {
    "run": ("Run", ["number"]),
    "date": ("Date", ["paid_on"]),
    "checks": ("Checks", ["check_count"]),
    "claims": ("Claims", ["claim_count"]),
    "total": ("Total", ["total"]),
    "status": ("Status", ["status"]),
}


@role_required(*CLAIM_READERS)
def payment_runs(request: HttpRequest) -> HttpResponse:
    writer = selectors.can_write(request.user)
    if request.method == "POST":
        if not writer:
            raise PermissionDenied("Payment runs are made by benefits clerks.")
        form = PaymentRunForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
            return redirect("claims:payment_runs")
        try:
            run = services.payment_run_create(
                created_by=request.user, paid_on=form.cleaned_data["paid_on"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, f"Payment run {run.number}: {run.check_count} checks, ${run.total:,.2f}."
            )
            return redirect("claims:payment_run", run.number)
        return redirect("claims:payment_runs")
    sort = Sorting(request.GET, RUN_COLUMNS, default="-run", tiebreak=("number",))
    page = Paginator(sort.apply(selectors.payment_runs()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "sort": sort,
        "sort_query": f"sort={sort.value}",
        "waiting": selectors.payments_waiting(),
        "writer": writer,
        "run_form": PaymentRunForm(initial={"paid_on": timezone.localdate().isoformat()}),
    }
    return render(request, "claims/payment_runs.html", context)


def _run(number: int) -> PaymentRun:
    return get_object_or_404(
        PaymentRun.objects.select_related("created_by", "ach_file"), number=number
    )


@role_required(*CLAIM_READERS)
def payment_run(request: HttpRequest, number: int) -> HttpResponse:
    run = _run(number)
    if request.method == "POST":
        if not selectors.can_write(request.user):
            raise PermissionDenied("Payment runs are marked by benefits clerks.")
        try:
            services.payment_run_mark_issued(run=run, issued_by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"The checks of payment run {run.number} are issued.")
        return redirect("claims:payment_run", run.number)
    register = selectors.payment_run_register(run)
    context = {
        "run": run,
        "register": register,
        "writer": selectors.can_write(request.user),
        "ach": run.ach_file,
        "ach_payees": {e.get("payee") for e in (run.ach_file.entries if run.ach_file else [])},
        "ach_form": AchFileForm(),
    }
    return render(request, "claims/payment_run.html", context)


@role_required(*CLAIM_WRITERS)
@require_POST
def payment_run_ach(request: HttpRequest, number: int) -> HttpResponse:
    """Make the run's ACH file (CCD) for the payees with a bank account (once)."""
    run = _run(number)
    form = AchFileForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("claims:payment_run", run.number)
    try:
        ach = services.payment_run_ach(
            run=run, effective_date=form.cleaned_data["effective_date"], user=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"ACH file {ach.file_name}: {ach.entry_count} payments, ${ach.total:,.2f}, "
            f"effective {ach.effective_date:%B %-d, %Y}.",
        )
    return redirect("claims:payment_run", run.number)


@role_required(*CLAIM_WRITERS)
def payment_run_ach_file(request: HttpRequest, number: int) -> HttpResponse:
    """The run's ACH file as made (full account numbers: benefits clerks only)."""
    run = _run(number)
    if run.ach_file is None:
        raise Http404("No ACH file was made for this run.")
    return ach_download(run.ach_file)


@role_required(*CLAIM_READERS)
def payment_run_csv(request: HttpRequest, number: int) -> HttpResponse:
    register = selectors.payment_run_register(_run(number))
    return csv_response(f"payment-run-{number}.csv", PAYMENT_RUN_COLUMNS, _register_rows(register))


PAYMENT_RUN_COLUMNS = (
    "employer_code",
    "payee",
    "claim_id",
    "admin_claim_number",
    "employee",
    "patient",
    "date_of_service",
    "amount",
)


def _register_rows(register: Any) -> Iterator[list[Any]]:
    """Each check's lines, then its total; the grand total last."""
    for employer in register.employers:
        for payee in employer.payees:
            for line in payee.lines:
                yield [
                    employer.code,
                    payee.name,
                    line.claim_id,
                    line.admin_claim_number,
                    line.employee_name,
                    line.patient_name,
                    line.date_of_service.isoformat(),
                    f"{line.amount:.2f}",
                ]
            yield [employer.code, payee.name, "", "", "", "", "check total", f"{payee.total:.2f}"]
    yield ["", "", "", "", "", "", "grand total", f"{register.total:.2f}"]


@role_required(*CLAIM_READERS)
def payment_run_pdf(request: HttpRequest, number: int) -> HttpResponse:
    register = selectors.payment_run_register(_run(number))
    content = render_pdf(
        "claims/register_pdf.html",
        {
            "register": register,
            "run": register.run,
            "title": f"Payment run {number}: check register",
            "header_left": "Stay-Well · General Deductible Trust Fund",
            "header_right": f"Payment run {number}",
        },
        printed_on=timezone.localdate(),
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="payment-run-{number}.pdf"'
    return response
