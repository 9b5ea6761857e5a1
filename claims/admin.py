"""Claims in the Django admin: read-only views for administrators (writes go through the
services: a claim is never edited once paid, R-CL5)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from claims.models import Claim, ClaimEvent, FamilyYear, PaymentRun


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "admin_claim_number",
        "employee",
        "patient_name",
        "date_of_service",
        "allowed",
        "status",
        "trust_fund_amount",
        "employee_amount",
        "carrier_amount",
    )
    list_filter = ("status", "policy_year")
    search_fields = ("admin_claim_number",)
    raw_id_fields = ("employee", "patient", "family_year", "payment_transaction", "duplicate_of")


@admin.register(FamilyYear)
class FamilyYearAdmin(ReadOnlyAdmin):
    list_display = ("employee", "policy_year", "absorbed", "trust_fund_paid", "claim_count")
    raw_id_fields = ("employee",)


@admin.register(PaymentRun)
class PaymentRunAdmin(ReadOnlyAdmin):
    list_display = ("number", "status", "total", "check_count", "claim_count", "created_at")


@admin.register(ClaimEvent)
class ClaimEventAdmin(ReadOnlyAdmin):
    list_display = ("claim", "action", "user", "at")
    raw_id_fields = ("claim",)
