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
# Claims first: a URL is matched against the patterns in order (well over a hundred), and
# claim entry is the API's busiest request. The prefixes are distinct, so the order changes
# nothing else.
for module in (claims_api, accounts_api, vesting_api, reports_api, economics_api):
    module.register(router)
    urlpatterns += getattr(module, "urlpatterns", [])
urlpatterns += router.urls
