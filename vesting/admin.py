"""Django admin for the ledger: read-only. Money moves only through vesting.services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vesting.models import Account, Fund, MonthClose, Posting, Transaction


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PostingInline(admin.TabularInline):
    model = Posting
    fields = ["account", "direction", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Fund)
class FundAdmin(ReadOnlyAdmin):
    list_display = ["employer", "kind"]
    list_filter = ["kind"]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["name", "fund", "employee", "normal_balance", "never_negative"]
    list_filter = ["fund__kind"]
    search_fields = ["name", "employee__last_name", "employee__number"]
    list_select_related = ["fund__employer", "employee"]
    raw_id_fields = ["employee"]


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "employer", "kind", "effective_date", "memo", "reference", "posted_at"]
    list_filter = ["kind"]
    date_hierarchy = "effective_date"
    search_fields = ["memo", "reference", "idempotency_key"]
    list_select_related = ["employer"]
    raw_id_fields = ["employee", "reverses"]
    inlines = [PostingInline]


@admin.register(MonthClose)
class MonthCloseAdmin(ReadOnlyAdmin):
    list_display = [
        "employer",
        "year",
        "month",
        "employer_amount",
        "employee_amount",
        "transaction",
    ]
    list_filter = ["employer"]
