from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from staywell import account_views, views
from staywell.admin import StaywellAdminSite

# The Django admin: administrators only, after the second factor (staywell.admin).
admin.site.__class__ = StaywellAdminSite
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
    path("account/", account_views.account, name="account"),
    path("account/token/", account_views.token_create, name="token_create"),
    path("account/token/revoke/", account_views.token_revoke, name="token_revoke"),
    path(
        "account/recovery-codes/", account_views.recovery_codes_renew, name="recovery_codes_renew"
    ),
    path("account/two-factor-off/", account_views.two_factor_remove, name="two_factor_remove"),
    # Open to a user who owes the second factor (staywell.middleware.SECOND_FACTOR_OPEN).
    path("account/two-factor/verify/", account_views.two_factor_verify, name="two_factor_verify"),
    path("account/two-factor/setup/", account_views.two_factor_setup, name="two_factor_setup"),
    path("administration/", views.administration, name="administration"),
    path("healthz", views.healthz, name="healthz"),
    path("jobs/<uuid:job_id>/", views.job_status, name="job_status"),
    path("jobs/<uuid:job_id>/download/", views.job_download, name="job_download"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("staywell.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", views.ApiDocsView.as_view(url_name="schema"), name="api_docs"),
    re_path(r"^api/(?P<rest>.*)$", views.api_not_found, name="api_not_found"),
    path("", include("accounts.urls")),
    path("", include("vesting.urls")),
    path("", include("claims.urls")),
    path("", include("reports.urls")),
]

handler403 = "staywell.views.permission_denied"
handler404 = "staywell.views.page_not_found"
handler500 = "staywell.views.server_error"
