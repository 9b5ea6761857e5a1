"""Who may open what: every route of the URL conf and every operation of the OpenAPI
schema, for every role and anonymous, with the ids of the user's own records and of
another employee's.

ACCESS below is the one table of who may do what. A route or operation missing from it
fails ``test_every_route_and_operation_has_an_access_rule``: adding a page or an endpoint
means adding one line here, e.g.::

    "claims:detail": "clerk superintendent administrator employee:own",
    "GET /api/v1/claims/{id}/": "clerk superintendent administrator employee:own",

Words of a rule: a role (clerk, superintendent, payroll, employee, administrator) admits
that role; ``employee:own`` admits an employee to their own records only (another
employee's answer 403 or 404); ``authenticated`` admits any signed-in user; ``public``
admits anyone (anonymous too); ``staff-admin`` is the Django admin (its own login, users
marked staff only). Everyone else is refused: anonymous visitors are sent to the login
page (pages) or answered 401/403 (API); a signed-in user without the role gets 403.
"Admitted" means no 401/403, no 5xx and no redirect to the login page (a 404 for an id
that names nothing, a 400 for an empty body and a 405 for a GET of a form's POST are
admitted answers).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts import exchange
from claims.services.attachments import claim_attachment_add
from tests.factories import (
    BeneficiaryDesignationFactory,
    DependentFactory,
    UserFactory,
    claims_family,
    enter_claim,
    hire,
)
from vesting import ledger

ROLES = ("clerk", "superintendent", "payroll", "employee", "administrator")
# The other family's name: an employee must never see it, whatever page or id they try.
OTHER_NAME = "Zelinskaya"

# fmt: off
ACCESS: dict[str, str] = {
    # Pages (URL conf names)
    "account": "authenticated",
    "accounts:access_log": "administrator",
    "accounts:access_log_csv": "administrator",
    "accounts:employee_history": "clerk administrator",
    "accounts:user_two_factor_reset": "administrator",
    "accounts:user_unlock": "administrator",
    "claims:history": "clerk superintendent administrator",
    "recovery_codes_renew": "authenticated",
    "token_create": "authenticated",
    "token_revoke": "authenticated",
    "two_factor_remove": "authenticated",
    "two_factor_setup": "authenticated",
    "two_factor_verify": "authenticated",
    "accounts:beneficiary_add": "clerk administrator",
    "accounts:beneficiary_revoke": "clerk administrator",
    "accounts:census_import": "clerk administrator",
    "accounts:census_template": "clerk administrator",
    "accounts:dependent_add": "clerk administrator",
    "accounts:dependent_remove": "clerk administrator",
    "accounts:employee_detail": "clerk administrator",
    "accounts:direct_deposit": "clerk administrator",
    "accounts:direct_deposit_remove": "clerk administrator",
    "accounts:enrollment": "clerk administrator",
    "accounts:trading_partners": "administrator",
    "claims:payment_run_ach": "clerk",
    "claims:payment_run_ach_file": "clerk",
    "claims:remittance_import": "clerk",
    "vesting:register_ach": "clerk administrator",
    "vesting:register_ach_file": "clerk administrator",
    "accounts:employee_hire": "clerk administrator",
    "accounts:employee_list": "clerk administrator",
    "accounts:employer_create": "administrator",
    "accounts:employer_edit": "administrator",
    "accounts:employer_list": "administrator",
    "accounts:hours_change": "clerk administrator",
    "accounts:marriage": "clerk administrator",
    "accounts:override_add": "clerk administrator",
    "accounts:plan_year_create": "administrator",
    "accounts:plan_year_detail": "administrator",
    "accounts:plan_year_edit": "administrator",
    "accounts:plan_year_list": "administrator",
    "accounts:program_create": "administrator",
    "accounts:program_edit": "administrator",
    "accounts:program_options": "clerk administrator",
    "accounts:schedule_revise": "administrator",
    "accounts:separation": "clerk administrator",
    "accounts:user_create": "administrator",
    "accounts:user_edit": "administrator",
    "accounts:user_list": "administrator",
    "accounts:user_password": "administrator",
    "admin:*": "staff-admin",
    "administration": "administrator",
    "api_docs": "clerk superintendent payroll administrator",
    "claims:adjust": "clerk",
    "claims:adjust_form": "clerk",
    "claims:attachment": "clerk superintendent employee:own administrator",
    "claims:attachment_add": "clerk",
    "claims:detail": "clerk superintendent employee:own administrator",
    "claims:entry": "clerk",
    "claims:entry_employees": "clerk",
    "claims:entry_preview": "clerk",
    "claims:family": "clerk superintendent administrator",
    "claims:import": "clerk",
    "claims:import_template": "clerk",
    "claims:list": "clerk superintendent employee administrator",
    "claims:payee_create": "clerk",
    "claims:payee_edit": "clerk",
    "claims:payee_list": "clerk",
    "claims:payee_suggest": "clerk",
    "claims:payment_run": "clerk superintendent administrator",
    "claims:payment_run_csv": "clerk superintendent administrator",
    "claims:payment_run_pdf": "clerk superintendent administrator",
    "claims:payment_runs": "clerk superintendent administrator",
    "claims:void": "clerk",
    "claims:void_form": "clerk",
    "healthz": "public",
    "home": "authenticated",
    "job_download": "authenticated",
    "job_status": "authenticated",
    "login": "public",
    "logout": "public",
    "reports:dashboard": "superintendent administrator",
    "reports:economics": "superintendent administrator",
    "reports:economics_pdf": "superintendent administrator",
    "reports:economics_projection": "superintendent administrator",
    "reports:economics_results_csv": "superintendent administrator",
    "reports:economics_scenario_delete": "superintendent administrator",
    "reports:economics_scenario_save": "superintendent administrator",
    "reports:economics_utilization": "superintendent administrator",
    "reports:economics_utilization_compute": "superintendent administrator",
    "reports:fund_report": "superintendent administrator",
    "reports:fund_report_document": "superintendent administrator",
    "reports:fund_report_pdf": "superintendent administrator",
    "reports:fund_reports": "superintendent administrator",
    "reports:fund_reports_generate": "superintendent administrator",
    "reports:my_account": "employee",
    "reports:my_statement": "employee",
    "reports:payroll": "payroll",
    "reports:payroll_all": "payroll",
    "reports:payroll_export": "payroll",
    "schema": "clerk superintendent payroll administrator",
    "vesting:account_statement": "clerk superintendent administrator",
    "vesting:beneficiary_flags": "clerk superintendent administrator",
    "vesting:continuation_payment": "clerk administrator",
    "vesting:expense_new": "superintendent administrator",
    "vesting:fund_detail": "clerk superintendent administrator",
    "vesting:fund_list": "clerk superintendent administrator",
    "vesting:golive": "superintendent administrator",
    "vesting:golive_confirm": "administrator",
    "vesting:golive_template": "administrator",
    "vesting:interest_new": "superintendent administrator",
    "vesting:month_close": "clerk superintendent administrator",
    "vesting:payout_list": "clerk superintendent administrator",
    "vesting:register_create": "clerk administrator",
    "vesting:register_csv": "clerk superintendent administrator",
    "vesting:revest": "superintendent administrator",
    "vesting:run_detail": "superintendent administrator",
    "vesting:run_list": "superintendent administrator",
    "vesting:run_progress": "superintendent administrator",
    "vesting:side_account": "clerk superintendent employee:own administrator",
    "vesting:side_account_withdrawal": "clerk superintendent employee:own administrator",
    "vesting:transaction_detail": "clerk superintendent administrator",
    # The API (schema operations)
    "GET /api/v1/claim-imports/{id}/": "clerk",
    "GET /api/v1/claims/": "clerk superintendent employee administrator",
    "GET /api/v1/claims/{id}/": "clerk superintendent employee:own administrator",
    "GET /api/v1/employees/": "authenticated",
    "GET /api/v1/employees/{employee_id}/side-account/": (
        "clerk superintendent employee:own administrator"
    ),
    "GET /api/v1/employees/{id}/": "clerk superintendent payroll employee:own administrator",
    "GET /api/v1/employees/{id}/beneficiaries/": (
        "clerk superintendent payroll employee:own administrator"
    ),
    "GET /api/v1/employees/{id}/continuation-elections/": (
        "clerk superintendent payroll employee:own administrator"
    ),
    "GET /api/v1/employees/{id}/coverage/": (
        "clerk superintendent payroll employee:own administrator"
    ),
    "GET /api/v1/employees/{id}/dependents/": (
        "clerk superintendent payroll employee:own administrator"
    ),
    "GET /api/v1/employees/{id}/hours-changes/": (
        "clerk superintendent payroll employee:own administrator"
    ),
    "GET /api/v1/employees/{id}/overrides/": (
        "clerk superintendent payroll employee:own administrator"
    ),
    "GET /api/v1/employees/{id}/premium-lines/": (
        "clerk superintendent payroll employee:own administrator"
    ),
    "GET /api/v1/employers/": "clerk superintendent payroll administrator",
    "GET /api/v1/employers/{id}/": "clerk superintendent payroll administrator",
    "GET /api/v1/employers/{id}/charges/": "clerk superintendent payroll administrator",
    "GET /api/v1/family-deductible/": "clerk superintendent employee administrator",
    "GET /api/v1/fund-reports/{policy_year}/": "superintendent administrator",
    "GET /api/v1/funds/": "clerk superintendent administrator",
    "GET /api/v1/funds/pool/": "clerk superintendent administrator",
    "GET /api/v1/funds/{id}/": "clerk superintendent administrator",
    "GET /api/v1/go-lives/": "superintendent administrator",
    "GET /api/v1/go-lives/{id}/": "superintendent administrator",
    "GET /api/v1/ledger/accounts/": "clerk superintendent administrator",
    "GET /api/v1/ledger/accounts/{id}/": "clerk superintendent administrator",
    "GET /api/v1/ledger/accounts/{id}/statement/": "clerk superintendent administrator",
    "GET /api/v1/ledger/month-closes/": "clerk superintendent administrator",
    "GET /api/v1/ledger/transactions/": "clerk superintendent administrator",
    "GET /api/v1/ledger/transactions/{id}/": "clerk superintendent administrator",
    "GET /api/v1/marriages/": "clerk superintendent payroll administrator",
    "GET /api/v1/marriages/{id}/": "clerk superintendent payroll administrator",
    "GET /api/v1/me/": "employee",
    "GET /api/v1/payment-runs/": "clerk superintendent administrator",
    "GET /api/v1/payment-runs/{number}/": "clerk superintendent administrator",
    "DELETE /api/v1/economics/scenarios/{scenario_id}/": "superintendent administrator",
    "GET /api/v1/economics/projection/": "superintendent administrator",
    "GET /api/v1/economics/results/": "superintendent administrator",
    "GET /api/v1/economics/scenarios/": "superintendent administrator",
    "GET /api/v1/economics/scenarios/{scenario_id}/": "superintendent administrator",
    "GET /api/v1/economics/utilization/": "superintendent administrator",
    "GET /api/v1/economics/utilization/jobs/{job_id}/": "superintendent administrator",
    "POST /api/v1/economics/scenarios/": "superintendent administrator",
    "POST /api/v1/economics/utilization/": "superintendent administrator",
    "PUT /api/v1/economics/scenarios/{scenario_id}/": "superintendent administrator",
    "GET /api/v1/employees/{id}/direct-deposit/": (
        "clerk superintendent payroll employee:own administrator"
    ),
    "POST /api/v1/employees/{id}/direct-deposit/": "clerk administrator",
    "POST /api/v1/employees/{id}/direct-deposit/removal/": "clerk administrator",
    "GET /api/v1/enrollment-files/{job_id}/": "clerk administrator",
    "POST /api/v1/enrollment-files/": "clerk administrator",
    "GET /api/v1/payment-runs/{number}/ach/": "clerk superintendent administrator",
    "POST /api/v1/payment-runs/{number}/ach/": "clerk",
    "GET /api/v1/payment-runs/{number}/ach/file/": "clerk",
    "GET /api/v1/payout-registers/{register_id}/ach/": "clerk superintendent administrator",
    "POST /api/v1/payout-registers/{register_id}/ach/": "clerk administrator",
    "GET /api/v1/payout-registers/{register_id}/ach/file/": "clerk administrator",
    "GET /api/v1/remittances/": "clerk superintendent administrator",
    "GET /api/v1/remittances/{id}/": "clerk superintendent administrator",
    "POST /api/v1/remittances/": "clerk",
    "GET /api/v1/trading-partners/": "administrator",
    "PUT /api/v1/trading-partners/": "administrator",
    "GET /api/v1/payouts/": "clerk superintendent administrator",
    "GET /api/v1/payroll/charges/": "payroll",
    "GET /api/v1/plan-years/": "clerk superintendent payroll administrator",
    "GET /api/v1/plan-years/{id}/": "clerk superintendent payroll administrator",
    "GET /api/v1/programs/": "clerk superintendent payroll administrator",
    "GET /api/v1/programs/{id}/": "clerk superintendent payroll administrator",
    "GET /api/v1/revest/preview/": "superintendent administrator",
    "GET /api/v1/users/": "administrator",
    "GET /api/v1/users/{id}/": "administrator",
    "GET /api/v1/vesting-employer-years/": "superintendent administrator",
    "GET /api/v1/vesting-employer-years/{id}/": "superintendent administrator",
    "GET /api/v1/vesting-runs/": "superintendent administrator",
    "GET /api/v1/vesting-runs/{id}/": "superintendent administrator",
    "PATCH /api/v1/employees/{id}/": "clerk administrator",
    "PATCH /api/v1/employers/{id}/": "administrator",
    "PATCH /api/v1/plan-years/{id}/": "administrator",
    "PATCH /api/v1/programs/{id}/": "administrator",
    "PATCH /api/v1/users/{id}/": "administrator",
    "POST /api/v1/claims/": "clerk",
    "POST /api/v1/claims/import/": "clerk",
    "POST /api/v1/claims/preview/": "clerk",
    "POST /api/v1/claims/{id}/adjust/": "clerk",
    "POST /api/v1/claims/{id}/void/": "clerk",
    "POST /api/v1/employees/": "clerk administrator",
    "POST /api/v1/employees/{employee_id}/continuation-payments/": "clerk administrator",
    "POST /api/v1/employees/{employee_id}/side-account/withdrawals/": (
        "clerk superintendent employee:own administrator"
    ),
    "POST /api/v1/employees/{id}/beneficiaries/": "clerk administrator",
    "POST /api/v1/employees/{id}/beneficiaries/{beneficiary_id}/revocation/": "clerk administrator",
    "POST /api/v1/employees/{id}/continuation-elections/": "clerk administrator",
    "POST /api/v1/employees/{id}/dependents/": "clerk administrator",
    "POST /api/v1/employees/{id}/dependents/{dependent_id}/removal/": "clerk administrator",
    "POST /api/v1/employees/{id}/hours-changes/": "clerk administrator",
    "POST /api/v1/employees/{id}/overrides/": "clerk administrator",
    "POST /api/v1/employees/{id}/separation-continuation/": "clerk administrator",
    "POST /api/v1/employees/{id}/separation/": "clerk administrator",
    "POST /api/v1/employers/": "administrator",
    "POST /api/v1/go-lives/": "administrator",
    "POST /api/v1/go-lives/{id}/confirm/": "administrator",
    "POST /api/v1/ledger/expenses/": "superintendent administrator",
    "POST /api/v1/ledger/interest/": "superintendent administrator",
    "POST /api/v1/ledger/month-closes/": "superintendent administrator",
    "POST /api/v1/marriages/": "clerk administrator",
    "POST /api/v1/payment-runs/": "clerk",
    "POST /api/v1/payroll/exports/": "payroll",
    "POST /api/v1/plan-years/": "administrator",
    "POST /api/v1/plan-years/{id}/schedule/": "administrator",
    "POST /api/v1/programs/": "administrator",
    "POST /api/v1/revest/apply/": "superintendent administrator",
    "POST /api/v1/revest/preview/": "superintendent administrator",
    "POST /api/v1/users/": "administrator",
    "POST /api/v1/users/{id}/password/": "administrator",
    "POST /api/v1/vesting-runs/": "superintendent administrator",
}
# fmt: on

# Routes that are no page of their own: the API's format-suffix twins (the same views as
# their schema operations) and the catch-all JSON 404 of /api/.
NOT_ROUTES = re.compile(r"\(\?P<format>|^\^api/\(\?P<rest>")


@dataclass(frozen=True)
class Case:
    key: str  # the rule's key: "namespace:name" or "METHOD /api/v1/path/"
    method: str
    url: str
    whose: str  # "own", "other" (the employee's own records, another's) or "any"


# --- The routes and operations ---------------------------------------------------------


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            space = ":".join(filter(None, [namespace, entry.namespace or ""]))
            yield from _walk(entry, prefix + str(entry.pattern), space)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry


def page_routes() -> dict[str, tuple[str, list[str]]]:
    """Every route outside /api/v1/ by its rule key: (route, its URL arguments)."""
    routes: dict[str, tuple[str, list[str]]] = {}
    for route, namespace, entry in _walk(get_resolver()):
        if NOT_ROUTES.search(route) or route.startswith("api/v1/"):
            continue
        if namespace == "admin":
            key = "admin:*"  # the Django admin: one rule for all its pages
        else:
            key = ":".join(filter(None, [namespace, entry.name or route]))
        arguments = list(entry.pattern.regex.groupindex)
        routes.setdefault(key, (route, arguments))
    return routes


def admin_urls() -> list[str]:
    """The Django admin's index and the list page of each of its models."""
    from django.apps import apps
    from django.contrib import admin

    return ["/admin/"] + [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in apps.get_models()
        if admin.site.is_registered(model)
    ]


def api_operations(schema: dict[str, Any]) -> list[tuple[str, str]]:
    methods = ("get", "post", "put", "patch", "delete")
    return [
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in methods
    ]


def all_keys(schema: dict[str, Any]) -> set[str]:
    keys = set(page_routes())
    keys |= {f"{method} {path}" for method, path in api_operations(schema)}
    return keys


# --- The records the URLs name ---------------------------------------------------------


@dataclass
class World:
    """The employee user's own family and another family of the same employer."""

    own: Any
    other: Any
    values: dict[str, Any]  # URL argument -> value for arguments that name no person's record
    own_ids: dict[str, Any]
    other_ids: dict[str, Any]


def build_world() -> World:
    own, spouse, _ = claims_family()
    other = hire(
        program=own.program, hire_date=date(1983, 7, 1), first_name="Oksana", last_name=OTHER_NAME
    )
    other_dependent = DependentFactory(employee=other)
    user = UserFactory(username="matrix-employee", role="employee")
    own.user = user
    own.save(update_fields=["user"])
    own_claim = enter_claim(own, Decimal("100.00"))
    other_claim = enter_claim(other, Decimal("80.00"))
    own_beneficiary = BeneficiaryDesignationFactory(employee=own)
    other_beneficiary = BeneficiaryDesignationFactory(employee=other)
    own_attachment, other_attachment = (
        claim_attachment_add(
            claim=claim, file=SimpleUploadedFile("bill.pdf", b"%PDF-1.4 matrix", "application/pdf")
        )
        for claim in (own_claim, other_claim)
    )
    for employee in (own, other):  # payouts by ACH (removed by a POST of the matrix)
        exchange.direct_deposit_set(
            employee=employee, routing_number="121000358", account_number="000123456789"
        )
    own_account = ledger.side_account_for(own)
    other_account = ledger.side_account_for(other)
    accounts = ledger.ledger_accounts_for_employer(own.employer_id)
    values = {
        "fund_id": accounts.general_trust.fund_id,
        "transaction_id": own_claim.payment_transaction_id,
        "policy_year": "1984-85",
        "employer_id": own.employer_id,
        "program_id": own.program_id,
        "user_id": user.pk,
        "payee_id": own_claim.payee_id,
        "job_id": uuid.uuid4(),
        "rest": "nothing-here",
    }
    own_ids = {
        "employee_id": own.pk,
        "claim_id": own_claim.pk,
        "account_id": own_account.pk,
        "dependent_id": spouse.pk,
        "beneficiary_id": own_beneficiary.pk,
        "attachment_id": own_attachment.pk,
    }
    other_ids = {
        "employee_id": other.pk,
        "claim_id": other_claim.pk,
        "account_id": other_account.pk,
        "dependent_id": other_dependent.pk,
        "beneficiary_id": other_beneficiary.pk,
        "attachment_id": other_attachment.pk,
    }
    return World(own, other, values, own_ids, other_ids)


# The {id} of an API path, by the collection it follows: a person's record or another.
PERSONAL_COLLECTIONS = {
    "employees": "employee_id",
    "claims": "claim_id",
    "ledger/accounts": "account_id",
}
MISSING = 999_999  # an id that names nothing


def _api_url(path: str, ids: dict[str, Any], world: World) -> tuple[str, bool]:
    """The URL of a schema path, and whether a person's record is in it."""
    personal = False

    def value(match: re.Match[str]) -> str:
        nonlocal personal
        name = match.group(1)
        before = path[: match.start()].rstrip("/").removeprefix("/api/v1/")
        if name == "id":
            name = PERSONAL_COLLECTIONS.get(before, "id")
        if name in ids:
            personal = True
            return str(ids[name])
        if name == "policy_year":
            return "1984-85"
        if before == "claim-imports":
            return str(uuid.UUID(int=MISSING))
        return str(world.values.get(name, MISSING))

    return re.sub(r"\{(\w+)\}", value, path), personal


def cases(schema: dict[str, Any], world: World) -> list[Case]:
    found: list[Case] = []
    for key, (_, arguments) in sorted(page_routes().items()):
        if key == "admin:*":
            found += [Case(key, "GET", url, "any") for url in admin_urls()]
            continue
        personal = any(name in world.own_ids for name in arguments)
        for whose, ids in (("own", world.own_ids), ("other", world.other_ids)):
            kwargs = {n: ids.get(n, world.values.get(n, MISSING)) for n in arguments}
            url = reverse(key, kwargs=kwargs)
            found.append(Case(key, "GET", url, whose if personal else "any"))
            if not personal:
                break
    for method, path in api_operations(schema):
        key = f"{method} {path}"
        for whose, ids in (("own", world.own_ids), ("other", world.other_ids)):
            url, personal = _api_url(path, ids, world)
            found.append(Case(key, method, url, whose if personal else "any"))
            if not personal:
                break
    # Signing out last: the user stays signed in for every other case.
    return sorted(found, key=lambda case: case.key == "logout")


# --- Requests and the expected answers ---------------------------------------------------


def answer(client: Client, case: Case):
    """The answer a person gets. A page that only takes a form (405 to GET) is sent an
    empty form; a page's redirect elsewhere than the login page is followed (a page that
    sends to another decides nothing itself)."""
    if case.method != "GET":
        send = getattr(client, case.method.lower())
        return send(case.url, {}, content_type="application/json")
    response = client.get(case.url)
    if case.url.startswith("/api/"):
        return response
    if response.status_code == 405:
        response = client.post(case.url, {})
    hops = 0
    while response.status_code in (301, 302) and hops < 3:
        location = response["Location"]
        if "/login/" in location or not location.startswith("/"):
            break
        response = client.get(location)
        hops += 1
    return response


def outcome(response) -> str:
    """What a person would notice: refused (401/403), sent to log in, an error, or let in."""
    status = response.status_code
    if status == 500:  # 503 is /healthz saying a service is down: an answer, not a fault
        return "error"
    if status in (401, 403):
        return "refused"
    location = response.get("Location", "") if status in (301, 302) else ""
    if "/login/" in location:
        return "login"
    return "admitted"


def expected(rule: str, role: str | None, case: Case) -> set[str]:
    """The outcomes the rule allows for ``role`` (None: anonymous)."""
    words = set(rule.split())
    api = case.url.startswith("/api/")
    if "public" in words:
        return {"admitted", "login"}  # the login and logout pages end on the login page
    if role is None:
        return {"refused"} if api else {"login"}
    if "staff-admin" in words:
        return {"login"}  # the admin's own login page: none of these users is staff
    if role in words or "authenticated" in words:
        return {"admitted"}
    if role == "employee" and "employee:own" in words:
        if case.whose == "other":
            return {"refused", "not found"}
        return {"admitted"}
    return {"refused"}


def observed(response, case: Case) -> str:
    result = outcome(response)
    if result == "admitted" and response.status_code == 404 and case.whose == "other":
        return "not found"
    return result


# --- The tests ----------------------------------------------------------------------------


@pytest.fixture
def schema(administrator_client) -> dict[str, Any]:
    return administrator_client.get("/api/schema/?format=json").json()


@pytest.mark.django_db
def test_every_route_and_operation_has_an_access_rule(schema):
    missing = sorted(all_keys(schema) - set(ACCESS))
    assert missing == [], (
        "Routes or API operations with no access rule: add one line each to ACCESS in "
        f"{__file__}:\n" + "\n".join(f'    "{key}": "...",' for key in missing)
    )
    stale = sorted(set(ACCESS) - all_keys(schema))
    assert stale == [], f"Access rules for routes that no longer exist: {stale}"


def _content(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _client(role: str | None, world: World) -> Client:
    client = Client()
    if role == "employee":
        client.force_login(world.own.user)
    elif role is not None:
        client.force_login(UserFactory(username=f"matrix-{role}", role=role))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "anonymous"])
def test_access_matrix(role, schema):
    world = build_world()
    client = _client(role, world)
    wrong = []
    for case in cases(schema, world):
        rule = ACCESS.get(case.key)
        if rule is None:
            continue  # test_every_route_and_operation_has_an_access_rule names it
        response = answer(client, case)
        got = observed(response, case)
        if got not in expected(rule, role, case):
            wrong.append(f"{case.method} {case.url} [{case.whose}] -> {response.status_code} {got}")
        elif role == "employee" and OTHER_NAME.encode() in _content(response):
            wrong.append(f"{case.method} {case.url} [{case.whose}] shows another family's name")
    assert wrong == [], f"{role or 'anonymous'}: {len(wrong)} answers against ACCESS:\n" + (
        "\n".join(wrong)
    )
