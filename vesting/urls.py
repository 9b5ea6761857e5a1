from django.urls import path

app_name = "vesting"
urlpatterns: list = []
