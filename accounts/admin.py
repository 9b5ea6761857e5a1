"""Django admin: administrators configure plan years and premium schedules (R-PR1) here.

Members and coverage are written through ``accounts.services`` (the API and the clerk
pages); in the admin the history and the computed timeline are read-only, so that a
change can never bypass the recomputation of coverage.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from accounts import configuration
from accounts.models import (
    BeneficiaryDesignation,
    CoverageOverride,
    CoverageSegment,
    Dependent,
    Employee,
    Employer,
    HoursChange,
    Marriage,
    PlanYear,
    PremiumSchedule,
    Program,
)
from staywell.forms import MoneyField


@admin.register(Employer)
class EmployerAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "employer", "categorically_funded"]
    list_filter = ["employer", "categorically_funded"]
    search_fields = ["code", "name"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HoursChangeInline(ReadOnlyInline):
    model = HoursChange
    fields = ["effective_date", "status", "weekly_hours", "created_by", "created_at"]
    readonly_fields = fields


class CoverageSegmentInline(ReadOnlyInline):
    model = CoverageSegment
    fields = ["start", "end", "tier", "source", "employer_basis", "reason", "author"]
    readonly_fields = fields


class CoverageOverrideInline(ReadOnlyInline):
    model = CoverageOverride
    fields = ["start", "end", "tier", "reason", "created_by", "created_at"]
    readonly_fields = fields


class DependentInline(ReadOnlyInline):
    model = Dependent
    fields = ["relationship", "first_name", "last_name", "birth_date", "covered_from", "ended_on"]
    readonly_fields = fields
    fk_name = "employee"


class BeneficiaryInline(ReadOnlyInline):
    model = BeneficiaryDesignation
    fields = ["name", "relationship", "share_percent", "signed_date", "revoked_on"]
    readonly_fields = fields


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    """Read-only here: hire, change hours, separate etc. through the services."""

    list_display = ["number", "last_name", "first_name", "employer", "status", "weekly_hours"]
    list_filter = ["employer", "status", "grandfathered"]
    search_fields = ["number", "last_name", "first_name"]
    raw_id_fields = ["user", "program"]
    inlines = [
        HoursChangeInline,
        CoverageSegmentInline,
        CoverageOverrideInline,
        DependentInline,
        BeneficiaryInline,
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Only the login link may be changed here; everything else goes through services.
        return [f.name for f in Employee._meta.fields if f.name not in ("user",)]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Marriage)
class MarriageAdmin(admin.ModelAdmin):
    list_display = ["employee_a", "employee_b", "married_on", "retained", "ended_on"]
    raw_id_fields = ["employee_a", "employee_b", "retained"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Amounts and shares typed here are refused when negative (-0 too), not finite or too long
MONEY_FORM_FIELDS = {models.DecimalField: {"form_class": MoneyField}}


class PremiumScheduleInline(admin.TabularInline):
    model = PremiumSchedule
    extra = 0
    formfield_overrides = MONEY_FORM_FIELDS
    # Revisions from a month are made on the administrator's own pages, which refuse a
    # closed month; a row added here applies from the plan year's first month.
    readonly_fields = ["effective_from"]


@admin.register(PlanYear)
class PlanYearAdmin(admin.ModelAdmin):
    """R-PY1 / R-PR1: a plan year's numbers, its plan settings and premium schedule.

    Premium charges are computed from these rows when they are read, so a correction
    here changes every later read of the year's charges.
    """

    list_display = [
        "label",
        "deductible",
        "maximum_vest",
        "grandfathered_employer_share",
        "separation_year_vests",
        "prior_year_hold_from",
    ]
    inlines = [PremiumScheduleInline]
    formfield_overrides = MONEY_FORM_FIELDS

    def get_readonly_fields(self, request: Any, obj: PlanYear | None = None) -> Any:
        """The settings closed months or the rollover have locked (``accounts.configuration``)."""
        locked = list(configuration.plan_year_locks(obj)) if obj is not None else []
        return [*super().get_readonly_fields(request, obj), *locked]


@admin.register(PremiumSchedule)
class PremiumScheduleAdmin(admin.ModelAdmin):
    list_display = ["plan_year", "tier", "effective_from", "employer_total", "employee_total"]
    formfield_overrides = MONEY_FORM_FIELDS
    readonly_fields = ["effective_from"]
    list_filter = ["plan_year", "tier"]
