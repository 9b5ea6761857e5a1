"""The payee directory's pages (benefits clerks): the list, a new payee, edit one; and
the entry screen's suggestions while a provider's name is typed (htmx)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from claims import selectors
from claims.forms import PayeeForm
from claims.models import Payee
from claims.services import payees
from staywell.roles import CLAIM_WRITERS, role_required
from staywell.sorting import Sorting

PAGE_SIZE = 50
PAYEE_COLUMNS = {
    "name": ("Name", ["name"]),
    "claims": ("Claims", ["claim_count"]),
    "active": ("Active", ["active"]),
    "created": ("Added", ["created_at"]),
}


@role_required(*CLAIM_WRITERS)
def payee_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    sort = Sorting(request.GET, PAYEE_COLUMNS, default="name")
    queryset = sort.apply(selectors.payee_list(search))
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"page": page, "sort": sort, "search": search, "query": query.urlencode()}
    return render(request, "claims/payee_list.html", context)


def _payee_form_page(request: HttpRequest, payee: Payee | None) -> HttpResponse:
    form = PayeeForm(request.POST or None, instance=payee)
    if request.method == "POST" and form.is_valid():
        try:
            if payee is None:
                payee = payees.payee_create(**form.cleaned_data)
            else:
                payee = payees.payee_update(payee=payee, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Saved payee {payee.name}.")
            return redirect("claims:payee_list")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "claims/payee_form.html", {"form": form, "payee": payee}, status=status)


@role_required(*CLAIM_WRITERS)
def payee_create(request: HttpRequest) -> HttpResponse:
    return _payee_form_page(request, None)


@role_required(*CLAIM_WRITERS)
def payee_edit(request: HttpRequest, payee_id: int) -> HttpResponse:
    return _payee_form_page(request, get_object_or_404(Payee, pk=payee_id))


@role_required(*CLAIM_WRITERS)
def payee_suggest(request: HttpRequest) -> HttpResponse:
    """htmx: the payee a provider's name goes to, and near spellings to pick from."""
    text = request.GET.get("provider", "")
    context = {"suggestions": selectors.payee_suggestions(text), "typed": text.strip()}
    return render(request, "claims/_payee_suggestions.html", context)
