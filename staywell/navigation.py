"""The navigation of each role, as a template context processor."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from staywell.roles import (
    LEDGER_VIEW_ROLES,
    REPORT_READERS,
    VESTING_RUN_ROLES,
    Role,
    primary_role,
    user_roles,
)

# (label, url name, roles that see it). Entries whose URL does not exist are skipped.
NAVIGATION: list[tuple[str, str, tuple[Role, ...]]] = [
    ("Employees", "accounts:employee_list", (Role.CLERK,)),
    ("Enter claims", "claims:entry", (Role.CLERK,)),
    ("Claims", "claims:list", (Role.CLERK, Role.SUPERINTENDENT)),
    ("Census import", "accounts:census_import", (Role.CLERK,)),
    ("Dashboard", "reports:dashboard", REPORT_READERS),
    ("Plan economics", "reports:economics", REPORT_READERS),
    ("Funds", "vesting:fund_list", LEDGER_VIEW_ROLES),
    ("Vesting", "vesting:run_list", VESTING_RUN_ROLES),
    ("Payouts", "vesting:payout_list", (Role.CLERK, Role.SUPERINTENDENT)),
    ("Fund reports", "reports:fund_reports", (Role.SUPERINTENDENT,)),
    ("Payroll export", "reports:payroll", (Role.PAYROLL,)),
    ("My account", "reports:my_account", (Role.EMPLOYEE,)),
    ("Administration", "administration", (Role.ADMINISTRATOR,)),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    roles = user_roles(user)
    if not roles:
        return {"nav_items": [], "user_role": None}
    items = []
    for label, name, allowed in NAVIGATION:
        if not roles & set(allowed):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "current": False})
    # The current section is the longest link that starts the path (/claims/enter/ is
    # "Enter claims", not also "Claims").
    matches = [item for item in items if request.path.startswith(item["url"])]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["current"] = True
    role = primary_role(user)
    return {"nav_items": items, "user_role": role.label if role else None}
