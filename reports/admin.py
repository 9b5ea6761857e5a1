"""Django admin: the issued fund reports, read-only (they are produced by the app)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from reports.models import FundReportDocument


@admin.register(FundReportDocument)
class FundReportDocumentAdmin(admin.ModelAdmin):
    list_display = ["policy_year", "employer", "created_at", "created_by", "pdf"]
    list_filter = ["policy_year"]
    readonly_fields = ["policy_year", "employer", "pdf", "job", "created_at", "created_by"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
