from django.urls import path

from reports import views
from reports.economics import views as economics

app_name = "reports"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("fund-reports/", views.fund_reports, name="fund_reports"),
    path("fund-reports/generate/", views.fund_reports_generate, name="fund_reports_generate"),
    path("fund-reports/report/", views.fund_report, name="fund_report"),
    path("fund-reports/report.pdf", views.fund_report_pdf, name="fund_report_pdf"),
    path(
        "fund-reports/documents/<int:document_id>/",
        views.fund_report_document,
        name="fund_report_document",
    ),
    path("economics/", economics.results, name="economics"),
    path("economics/results.csv", economics.results_csv, name="economics_results_csv"),
    path("economics/projection/", economics.projection, name="economics_projection"),
    path("economics/scenarios/", economics.scenario_save, name="economics_scenario_save"),
    path(
        "economics/scenarios/<int:scenario_id>/delete/",
        economics.scenario_delete,
        name="economics_scenario_delete",
    ),
    path("economics/report.pdf", economics.report_pdf, name="economics_pdf"),
    path("economics/utilization/", economics.utilization, name="economics_utilization"),
    path(
        "economics/utilization/compute/",
        economics.utilization_compute,
        name="economics_utilization_compute",
    ),
    path("payroll/", views.payroll, name="payroll"),
    path("payroll/export/", views.payroll_export, name="payroll_export"),
    path("payroll/all/", views.payroll_all, name="payroll_all"),
    path("my/", views.my_account, name="my_account"),
    path("my/statement.pdf", views.my_statement, name="my_statement"),
]
