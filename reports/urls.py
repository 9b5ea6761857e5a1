from django.urls import path

from reports import views

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
    path("payroll/", views.payroll, name="payroll"),
    path("payroll/export/", views.payroll_export, name="payroll_export"),
    path("payroll/all/", views.payroll_all, name="payroll_all"),
    path("my/", views.my_account, name="my_account"),
    path("my/statement.pdf", views.my_statement, name="my_statement"),
]
