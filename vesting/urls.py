from django.urls import path

from vesting import views, views_vesting

app_name = "vesting"
urlpatterns = [
    path("funds/", views.fund_list, name="fund_list"),
    path("funds/<int:fund_id>/", views.fund_detail, name="fund_detail"),
    path("funds/accounts/<int:account_id>/", views.account_statement, name="account_statement"),
    path(
        "funds/transactions/<int:transaction_id>/",
        views.transaction_detail,
        name="transaction_detail",
    ),
    path("funds/month-close/", views.month_close, name="month_close"),
    path("funds/interest/new/", views.interest_new, name="interest_new"),
    path("funds/expenses/new/", views.expense_new, name="expense_new"),
    # Vesting (issue 6): runs, side accounts, payouts.
    path("vesting/runs/", views_vesting.run_list, name="run_list"),
    path("vesting/runs/<int:run_id>/", views_vesting.run_detail, name="run_detail"),
    path("vesting/runs/<int:run_id>/progress/", views_vesting.run_progress, name="run_progress"),
    path(
        "employees/<int:employee_id>/side-account/",
        views_vesting.side_account,
        name="side_account",
    ),
    path(
        "employees/<int:employee_id>/side-account/withdrawal/",
        views_vesting.side_account_withdrawal,
        name="side_account_withdrawal",
    ),
    path(
        "employees/<int:employee_id>/side-account/continuation/",
        views_vesting.continuation_payment,
        name="continuation_payment",
    ),
    path("vesting/payouts/", views_vesting.payout_list, name="payout_list"),
    path("vesting/payouts/registers/new/", views_vesting.register_create, name="register_create"),
    path(
        "vesting/payouts/registers/<int:register_id>.csv",
        views_vesting.register_csv,
        name="register_csv",
    ),
    path("vesting/payouts/flags/", views_vesting.beneficiary_flags, name="beneficiary_flags"),
]
