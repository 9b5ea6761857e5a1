"""Django admin for the ledger: read-only. Money moves only through vesting.ledger."""

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


# --- Vesting: read-only too; runs, lines and payouts change only through services.

from vesting.models import (  # noqa: E402
    Overpayment,
    Payout,
    PayoutRegister,
    VestingAdjustment,
    VestingLine,
    VestingRun,
    VestingRunEmployerStep,
)


@admin.register(VestingRun)
class VestingRunAdmin(ReadOnlyAdmin):
    list_display = [
        "policy_year",
        "employer",
        "status",
        "employers_done",
        "employers_total",
        "amount_vested",
        "override_reason",
    ]
    list_filter = ["status"]


@admin.register(VestingRunEmployerStep)
class VestingRunEmployerStepAdmin(ReadOnlyAdmin):
    list_display = ["policy_year", "employer", "status", "run", "lines_written", "amount_vested"]
    list_filter = ["status", "policy_year"]
    list_select_related = ["run", "employer"]


@admin.register(VestingLine)
class VestingLineAdmin(ReadOnlyAdmin):
    list_display = [
        "employee",
        "policy_year",
        "allotment",
        "trust_fund_claims",
        "amount",
        "outcome",
    ]
    list_filter = ["outcome", "policy_year"]
    search_fields = ["employee__last_name", "employee__number"]
    list_select_related = ["employee"]
    raw_id_fields = ["employee", "spouse", "transaction", "run", "settled_run"]


@admin.register(VestingAdjustment)
class VestingAdjustmentAdmin(ReadOnlyAdmin):
    list_display = ["line", "kind", "claim_amount", "recovered", "overpaid", "paid_on", "reference"]
    list_filter = ["kind"]
    raw_id_fields = ["line", "transaction"]


@admin.register(Overpayment)
class OverpaymentAdmin(ReadOnlyAdmin):
    list_display = ["employee", "policy_year", "amount", "recorded_on"]
    list_select_related = ["employee"]
    raw_id_fields = ["employee", "line", "adjustment", "transaction"]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["employee", "kind", "policy_year", "amount", "due_on", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["employee__last_name", "employee__number", "payee_name"]
    list_select_related = ["employee"]
    raw_id_fields = ["employee", "register", "transaction"]


@admin.register(PayoutRegister)
class PayoutRegisterAdmin(ReadOnlyAdmin):
    list_display = ["id", "date", "count", "total", "created_by"]
