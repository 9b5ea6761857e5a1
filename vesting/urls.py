"""The vesting app's pages (namespace ``vesting``): the ledger's, then vesting's."""

from django.urls import path

from vesting import golive_views, views
from vesting.ledger import urls as ledger_urls

app_name = "vesting"
urlpatterns = [
    *ledger_urls.urlpatterns,
    # Vesting: runs, side accounts, payouts.
    path("vesting/runs/", views.run_list, name="run_list"),
    path("vesting/runs/<int:run_id>/", views.run_detail, name="run_detail"),
    path("vesting/runs/<int:run_id>/progress/", views.run_progress, name="run_progress"),
    path("vesting/revest/", views.revest_page, name="revest"),
    path(
        "employees/<int:employee_id>/side-account/",
        views.side_account,
        name="side_account",
    ),
    path(
        "employees/<int:employee_id>/side-account/withdrawal/",
        views.side_account_withdrawal,
        name="side_account_withdrawal",
    ),
    path(
        "employees/<int:employee_id>/side-account/continuation/",
        views.continuation_payment,
        name="continuation_payment",
    ),
    path("vesting/payouts/", views.payout_list, name="payout_list"),
    path("vesting/payouts/registers/new/", views.register_create, name="register_create"),
    path(
        "vesting/payouts/registers/<int:register_id>.csv",
        views.register_csv,
        name="register_csv",
    ),
    path(
        "vesting/payouts/registers/<int:register_id>/ach/", views.register_ach, name="register_ach"
    ),
    path(
        "vesting/payouts/registers/<int:register_id>.ach",
        views.register_ach_file,
        name="register_ach_file",
    ),
    path("vesting/payouts/flags/", views.beneficiary_flags, name="beneficiary_flags"),
    # Go-live: an existing plan brought in as of a cut-over date.
    path("vesting/go-live/", golive_views.golive_page, name="golive"),
    path("vesting/go-live/template.csv", golive_views.golive_template, name="golive_template"),
    path(
        "vesting/go-live/<int:go_live_id>/confirm/",
        golive_views.golive_confirm,
        name="golive_confirm",
    ),
]
