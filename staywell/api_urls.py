"""The REST API at /api/v1/: one router; each app registers its endpoints."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from accounts import api as accounts_api
from claims import api as claims_api
from reports import api as reports_api
from reports.economics import api as economics_api
from vesting import api as vesting_api

router = DefaultRouter()
urlpatterns = []
for module in (accounts_api, vesting_api, claims_api, reports_api, economics_api):
    module.register(router)
    urlpatterns += getattr(module, "urlpatterns", [])
urlpatterns += router.urls
