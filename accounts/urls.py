from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("employees/", views.employee_list, name="employee_list"),
]
