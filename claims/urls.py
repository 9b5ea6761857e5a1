from django.urls import path

from claims import payee_views, views

app_name = "claims"
urlpatterns = [
    path("claims/", views.claim_list, name="list"),
    path("claims/enter/", views.entry, name="entry"),
    path("claims/enter/employees/", views.entry_employees, name="entry_employees"),
    path("claims/enter/preview/", views.entry_preview, name="entry_preview"),
    path("claims/<int:claim_id>/", views.claim_detail, name="detail"),
    path("claims/<int:claim_id>/history/", views.claim_history, name="history"),
    path("claims/<int:claim_id>/void/", views.claim_void, name="void"),
    path("claims/<int:claim_id>/void/form/", views.claim_void_form, name="void_form"),
    path("claims/<int:claim_id>/adjust/form/", views.claim_adjust_form, name="adjust_form"),
    path("claims/family/<int:employee_id>/", views.family_claims, name="family"),
    path("claims/<int:claim_id>/adjust/", views.claim_adjust, name="adjust"),
    path("claims/<int:claim_id>/attachments/", views.attachment_add, name="attachment_add"),
    path(
        "claims/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path("claims/payees/", payee_views.payee_list, name="payee_list"),
    path("claims/payees/new/", payee_views.payee_create, name="payee_create"),
    path("claims/payees/<int:payee_id>/", payee_views.payee_edit, name="payee_edit"),
    path("claims/payees/suggest/", payee_views.payee_suggest, name="payee_suggest"),
    path("claims/import/", views.claim_import, name="import"),
    path("claims/import/template.csv", views.import_template, name="import_template"),
    path("claims/import/835/", views.remittance_import, name="remittance_import"),
    path("claims/payment-runs/", views.payment_runs, name="payment_runs"),
    path("claims/payment-runs/<int:number>/", views.payment_run, name="payment_run"),
    path(
        "claims/payment-runs/<int:number>/register.csv",
        views.payment_run_csv,
        name="payment_run_csv",
    ),
    path("claims/payment-runs/<int:number>/ach/", views.payment_run_ach, name="payment_run_ach"),
    path(
        "claims/payment-runs/<int:number>/payment-run.ach",
        views.payment_run_ach_file,
        name="payment_run_ach_file",
    ),
    path(
        "claims/payment-runs/<int:number>/register.pdf",
        views.payment_run_pdf,
        name="payment_run_pdf",
    ),
]
