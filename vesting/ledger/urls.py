"""The ledger's pages, mounted by :mod:`vesting.urls` in the ``vesting`` namespace."""

from django.urls import path

from vesting.ledger import views

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
]
