from django.urls import path

from accounts import access_log_views, enrollment_views, views
from accounts import configuration_views as configuration

app_name = "accounts"
urlpatterns = [
    path("employees/", views.employee_list, name="employee_list"),
    path("employees/hire/", views.employee_hire, name="employee_hire"),
    path("employees/hire/programs/", views.program_options, name="program_options"),
    path("employees/<int:employee_id>/", views.employee_detail, name="employee_detail"),
    path("employees/<int:employee_id>/history/", views.employee_history, name="employee_history"),
    path("employees/<int:employee_id>/hours/", views.hours_change, name="hours_change"),
    path("employees/<int:employee_id>/separation/", views.separation, name="separation"),
    path("employees/<int:employee_id>/marriage/", views.marriage, name="marriage"),
    path("employees/<int:employee_id>/dependents/add/", views.dependent_add, name="dependent_add"),
    path(
        "employees/<int:employee_id>/dependents/<int:dependent_id>/remove/",
        views.dependent_remove,
        name="dependent_remove",
    ),
    path(
        "employees/<int:employee_id>/beneficiaries/add/",
        views.beneficiary_add,
        name="beneficiary_add",
    ),
    path(
        "employees/<int:employee_id>/beneficiaries/<int:beneficiary_id>/revoke/",
        views.beneficiary_revoke,
        name="beneficiary_revoke",
    ),
    path("employees/<int:employee_id>/overrides/add/", views.override_add, name="override_add"),
    path(
        "employees/<int:employee_id>/direct-deposit/", views.direct_deposit, name="direct_deposit"
    ),
    path(
        "employees/<int:employee_id>/direct-deposit/remove/",
        views.direct_deposit_remove,
        name="direct_deposit_remove",
    ),
    path("census/", views.census_import, name="census_import"),
    path("enrollment/", enrollment_views.enrollment_page, name="enrollment"),
    path("census/template.csv", views.census_template, name="census_template"),
    # The administrator's pages
    path("administration/plan-years/", configuration.plan_year_list, name="plan_year_list"),
    path("administration/plan-years/new/", configuration.plan_year_create, name="plan_year_create"),
    path(
        "administration/plan-years/<str:policy_year>/",
        configuration.plan_year_detail,
        name="plan_year_detail",
    ),
    path(
        "administration/plan-years/<str:policy_year>/edit/",
        configuration.plan_year_edit,
        name="plan_year_edit",
    ),
    path(
        "administration/plan-years/<str:policy_year>/schedule/",
        configuration.schedule_revise,
        name="schedule_revise",
    ),
    path("administration/employers/", configuration.employer_list, name="employer_list"),
    path("administration/employers/new/", configuration.employer_create, name="employer_create"),
    path(
        "administration/employers/<int:employer_id>/",
        configuration.employer_edit,
        name="employer_edit",
    ),
    path("administration/programs/new/", configuration.program_create, name="program_create"),
    path(
        "administration/programs/<int:program_id>/",
        configuration.program_edit,
        name="program_edit",
    ),
    path(
        "administration/trading-partners/",
        configuration.trading_partners,
        name="trading_partners",
    ),
    path("administration/access-log/", access_log_views.access_log, name="access_log"),
    path("administration/access-log.csv", access_log_views.access_log_csv, name="access_log_csv"),
    path("administration/users/", configuration.user_list, name="user_list"),
    path(
        "administration/users/<int:user_id>/unlock/", configuration.user_unlock, name="user_unlock"
    ),
    path(
        "administration/users/<int:user_id>/two-factor-reset/",
        configuration.user_two_factor_reset,
        name="user_two_factor_reset",
    ),
    path("administration/users/new/", configuration.user_create, name="user_create"),
    path("administration/users/<int:user_id>/", configuration.user_edit, name="user_edit"),
    path(
        "administration/users/<int:user_id>/password/",
        configuration.user_password,
        name="user_password",
    ),
]
