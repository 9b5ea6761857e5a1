from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("payroll/", views.payroll, name="payroll"),
    path("my/", views.my_account, name="my_account"),
]
