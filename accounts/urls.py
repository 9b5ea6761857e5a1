from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("employees/", views.employee_list, name="employee_list"),
    path("employees/hire/", views.employee_hire, name="employee_hire"),
    path("employees/hire/programs/", views.program_options, name="program_options"),
    path("employees/<int:employee_id>/", views.employee_detail, name="employee_detail"),
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
    path("census/", views.census_import, name="census_import"),
    path("census/template.csv", views.census_template, name="census_template"),
]
