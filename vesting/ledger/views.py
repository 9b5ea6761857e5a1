"""Ledger pages: fund balances, fund accounts, statements, transactions, month close,
interest and expense entry. Thin: parse, call one selector or service, render.

Decision: superintendent, administrator and clerk see funds; only the superintendent's
office and administrators post interest and expenses and close months (services doc).
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse

from staywell.db import parse_id
from staywell.forms import add_service_errors
from staywell.roles import LEDGER_POST_ROLES, LEDGER_VIEW_ROLES, has_role, role_required
from vesting import ledger
from vesting.ledger import selectors
from vesting.ledger.forms import (
    AsOfForm,
    ExpenseForm,
    InterestForm,
    MonthCloseForm,
    StatementFilterForm,
    new_idempotency_key,
)
from vesting.models import Account, Fund, Transaction

PAGE_SIZE = 50


@role_required(*LEDGER_VIEW_ROLES)
def fund_list(request: HttpRequest) -> HttpResponse:
    form = AsOfForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    employer = data.get("employer")
    employer_id = employer.pk if employer else None
    overview = selectors.fund_overview(as_of=data.get("as_of"), employer_id=employer_id)
    warnings = selectors.negative_fund_warnings(as_of=data.get("as_of"), employer_id=employer_id)
    context = {"form": form, "as_of": data.get("as_of"), "can_post": _can_post(request)}
    return render(
        request, "vesting/fund_list.html", {**context, **overview, "fund_warnings": warnings}
    )


@role_required(*LEDGER_VIEW_ROLES)
def fund_detail(request: HttpRequest, fund_id: int) -> HttpResponse:
    fund = get_object_or_404(Fund.objects.select_related("employer"), pk=fund_id)
    form = AsOfForm(request.GET or None)
    as_of = form.cleaned_data.get("as_of") if form.is_valid() else None
    accounts = selectors.accounts_with_balances(fund, as_of=as_of).order_by("name", "id")
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "vesting/fund_detail.html",
        {
            "fund": fund,
            "page": page,
            "as_of": as_of,
            "total": selectors.fund_balance(fund, as_of=as_of),
            "query": _query_without_page(request),
            "fund_warnings": [
                warning
                for warning in selectors.negative_fund_warnings(
                    as_of=as_of, employer_id=fund.employer_id
                )
                if warning.kind == fund.kind
            ],
        },
    )


@role_required(*LEDGER_VIEW_ROLES)
def account_statement(request: HttpRequest, account_id: int) -> HttpResponse:
    account = get_object_or_404(
        Account.objects.select_related("fund__employer", "employee"), pk=account_id
    )
    form = StatementFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    period = selectors.statement_range(account, data.get("date_from"), data.get("date_to"))
    opening, entries = selectors.account_statement(
        account, period.date_from, period.date_to, data.get("kind") or None
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "vesting/account_statement.html",
        {
            "account": account,
            "form": form,
            "period": period,
            "opening": opening,
            "page": page,
            "closing": selectors.account_balance(account, as_of=period.date_to),
            "query": _query_without_page(request),
        },
    )


@role_required(*LEDGER_VIEW_ROLES)
def transaction_detail(request: HttpRequest, transaction_id: int) -> HttpResponse:
    try:
        tx = selectors.transaction_detail(transaction_id)
    except Transaction.DoesNotExist:
        return render(request, "404.html", status=404)
    return render(
        request,
        "vesting/transaction_detail.html",
        {"tx": tx, "employee_url": _employee_url(tx.employee_id)},
    )


@role_required(*LEDGER_VIEW_ROLES)
def month_close(request: HttpRequest) -> HttpResponse:
    can_post = _can_post(request)
    form = MonthCloseForm(request.POST or None, initial=_next_close_initial(request))
    if request.method == "POST":
        if not can_post:
            raise PermissionDenied(
                "Closing a month is for the superintendent's office and administrators."
            )
        if form.is_valid():
            month: date = form.cleaned_data["month"]
            try:
                close = ledger.month_close(
                    employer_id=form.cleaned_data["employer"].pk,
                    year=month.year,
                    month=month.month,
                    closed_by=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"{close.employer.name}: {month:%B %Y} is closed.")
                return redirect(f"{reverse('vesting:month_close')}?employer={close.employer_id}")
    employer_id = parse_id(request.GET.get("employer"))
    closes = selectors.month_closes(employer_id)
    page = Paginator(closes, PAGE_SIZE).get_page(request.GET.get("page"))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "vesting/month_close.html",
        {
            "form": form,
            "page": page,
            "can_post": can_post,
            "employers": selectors.employers(),
            "employer_id": employer_id,
            "query": _query_without_page(request),
        },
        status=status,
    )


@role_required(*LEDGER_POST_ROLES)
def interest_new(request: HttpRequest) -> HttpResponse:
    return _entry(request, InterestForm, "interest")


@role_required(*LEDGER_POST_ROLES)
def expense_new(request: HttpRequest) -> HttpResponse:
    return _entry(request, ExpenseForm, "expense")


def _entry(request: HttpRequest, form_class: type, what: str) -> HttpResponse:
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        common = {
            "employer": data["employer"],
            "amount": data["amount"],
            "period_start": data["period_start"],
            "period_end": data["period_end"],
            "posted_by": request.user,
            "idempotency_key": data["idempotency_key"] or None,
        }
        try:
            if what == "interest":
                tx = ledger.post_interest(
                    **common, earned_by=data["earned_by"], memo=data.get("memo", "")
                )
            else:
                tx = ledger.post_administrative_expense(
                    **common, description=data["description"], payee_name=data["payee_name"]
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
            form.data = form.data.copy()
            form.data["idempotency_key"] = new_idempotency_key()
        else:
            messages.success(
                request, f"Posted {tx.get_kind_display().lower()} of {data['amount']}."
            )
            return redirect("vesting:transaction_detail", transaction_id=tx.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "vesting/entry_form.html", {"form": form, "what": what}, status=status)


def _can_post(request: HttpRequest) -> bool:
    return has_role(request.user, *LEDGER_POST_ROLES)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _next_close_initial(request: HttpRequest) -> dict[str, object]:
    employer_id = parse_id(request.GET.get("employer"))
    if employer_id is None:
        return {}
    following = ledger.next_month_to_close(employer_id)
    return {"employer": employer_id, **({"month": following} if following else {})}


def _employee_url(employee_id: int | None) -> str | None:
    """The employee's page, when the members app has one."""
    if employee_id is None:
        return None
    for name in ("accounts:employee_detail", "accounts:employee"):
        try:
            return reverse(name, args=[employee_id])
        except NoReverseMatch:
            continue
    return None
