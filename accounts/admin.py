from django.contrib import admin

from accounts.models import Employee, Employer, PlanYear, PremiumSchedule, Program


@admin.register(Employer)
class EmployerAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "employer", "categorically_funded"]
    list_filter = ["employer", "categorically_funded"]
    search_fields = ["code", "name"]


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = ["number", "last_name", "first_name", "employer", "status", "weekly_hours"]
    list_filter = ["employer", "status"]
    search_fields = ["number", "last_name", "first_name"]
    raw_id_fields = ["user", "program"]


class PremiumScheduleInline(admin.TabularInline):
    model = PremiumSchedule
    extra = 0


@admin.register(PlanYear)
class PlanYearAdmin(admin.ModelAdmin):
    list_display = [
        "label",
        "deductible",
        "maximum_vest",
        "separation_year_vests",
        "prior_year_hold_from",
    ]
    inlines = [PremiumScheduleInline]


@admin.register(PremiumSchedule)
class PremiumScheduleAdmin(admin.ModelAdmin):
    list_display = ["plan_year", "tier", "employer_total", "employee_total"]
    list_filter = ["plan_year", "tier"]
