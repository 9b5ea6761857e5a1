from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from staywell import views

admin.site.site_header = "Stay-Well administration"
admin.site.site_title = "Stay-Well"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("administration/", views.administration, name="administration"),
    path("healthz", views.healthz, name="healthz"),
    path("jobs/<uuid:job_id>/", views.job_status, name="job_status"),
    path("jobs/<uuid:job_id>/download/", views.job_download, name="job_download"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("staywell.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="schema"), name="api_docs"),
    re_path(r"^api/(?P<rest>.*)$", views.api_not_found, name="api_not_found"),
    path("", include("accounts.urls")),
    path("", include("vesting.urls")),
    path("", include("claims.urls")),
    path("", include("reports.urls")),
]

handler403 = "staywell.views.permission_denied"
handler404 = "staywell.views.page_not_found"
handler500 = "staywell.views.server_error"
