"""Ledger pages and API through the test client: who sees what, inline errors, nothing
posted on bad input, and the demo ledger on screen."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services as members
from accounts.demo import ensure_plan_years
from tests.factories import EmployeeFactory, EmployerFactory, ProgramFactory
from vesting import demo
from vesting import ledger as ledger_ops
from vesting.ledger import selectors
from vesting.models import MonthClose, Transaction

pytestmark = pytest.mark.django_db

D = Decimal
VIEWERS = ["superintendent_client", "administrator_client", "clerk_client"]
OUTSIDERS = ["payroll_client", "employee_client"]
PAGES = ["/funds/", "/funds/month-close/"]


@pytest.fixture
def demo_employer():
    """A small employer with two full-time employees, and a demo ledger for 1983-84."""
    ensure_plan_years(1983, 1984)  # premium schedules: 1983-84 ships, 1984-85 is demo data
    employer = EmployerFactory(code="MCOE", name="Mendocino County Office of Education")
    program = ProgramFactory(employer=employer, code="0100")
    for number in ("1", "2"):
        members.employee_hire(
            employer_id=employer.pk,
            program_id=program.pk,
            number=number,
            first_name="Pat",
            last_name=f"Worker{number}",
            hire_date=date(1983, 6, 1),
            weekly_hours=D("40"),
        )
    demo.seed_ledger([employer], first_year=1983, last_year=1983)
    return employer


@pytest.fixture
def ledger(demo_employer):
    return ledger_ops.ledger_accounts_for_employer(demo_employer)


def contributed(employer) -> Decimal:
    return sum((c.total for c in MonthClose.objects.filter(employer=employer)), D("0.00"))


def _text(response) -> str:
    """The page's text, tags removed, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# --- Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("client_name", VIEWERS)
@pytest.mark.parametrize("path", PAGES)
def test_staff_see_the_ledger_pages(request, client_name, path):
    assert request.getfixturevalue(client_name).get(path).status_code == 200


@pytest.mark.parametrize("client_name", OUTSIDERS)
@pytest.mark.parametrize(
    "path", [*PAGES, "/funds/interest/new/", "/api/v1/funds/", "/api/v1/ledger/month-closes/"]
)
def test_employees_and_payroll_never_see_the_ledger(request, client_name, path):
    assert request.getfixturevalue(client_name).get(path).status_code == 403


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/funds/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/api/v1/funds/").status_code in (401, 403)


@pytest.mark.parametrize("path", ["/funds/interest/new/", "/funds/expenses/new/"])
def test_the_clerk_cannot_enter_interest_or_expenses(clerk_client, path):
    assert clerk_client.get(path).status_code == 403


# --- Pages with the demo ledger -------------------------------------------------------------


def test_fund_balances_show_for_the_demo_data(superintendent_client, demo_employer, ledger):
    response = superintendent_client.get("/funds/")
    text = _text(response)
    assert response.status_code == 200
    # 2 employees x 12 months of the trust-fund line (41.67 a month each).
    assert "Mendocino County Office of Education" in text
    assert f"{contributed(demo_employer):,.2f}" in text
    balances = selectors.employer_fund_balances(demo_employer.pk)
    assert f"{balances['district']:,.2f}" in text
    assert "<caption>Fund balances per employer" in response.content.decode()
    as_of = _text(superintendent_client.get("/funds/?as_of=1983-07-31"))
    assert "83.34" in as_of  # July only


def test_the_fund_list_costs_the_same_queries_for_more_employers(
    superintendent_client, demo_employer
):
    with CaptureQueriesContext(connection) as few:
        superintendent_client.get("/funds/")
    for _ in range(4):
        ledger_ops.ledger_accounts_for_employer(EmployerFactory())
    with CaptureQueriesContext(connection) as many:
        superintendent_client.get("/funds/")
    assert len(many) == len(few)


def test_an_accounts_statement_shows_entries_with_a_running_balance(clerk_client, ledger):
    response = clerk_client.get(f"/funds/accounts/{ledger.general_trust.pk}/")
    text = _text(response)
    assert response.status_code == 200
    assert "Statement: General Deductible Trust Fund" in text
    assert "Monthly employer contribution" in text
    assert "Opening balance (Jul 1, 1983) 0.00" in text
    assert f"Closing balance (Jun 1, 1984) {contributed(ledger_employer(ledger)):,.2f}" in text
    assert "83.34 83.34" in text and "83.34 166.68" in text  # in, then balance
    filtered = clerk_client.get(
        f"/funds/accounts/{ledger.district.pk}/?kind=interest"
    ).content.decode()
    rows = filtered[filtered.rindex("<tbody>") : filtered.rindex("</tbody>")]  # the entries
    assert "Interest earned" in rows and "Administrative expense" not in rows
    bad = clerk_client.get(
        f"/funds/accounts/{ledger.district.pk}/?date_from=1984-01-01&date_to=1983-01-01"
    )
    assert "The range cannot end before it starts." in _text(bad)


def test_a_statement_paginates(clerk_client):
    employer = EmployerFactory()
    for day in range(1, 61):
        ledger_ops.post_claim_payment(
            employer=employer, amount="1.00", effective_date=date(1985, 1, day % 28 + 1)
        )
    account = ledger_ops.ledger_accounts_for_employer(employer).general_trust
    first = _text(clerk_client.get(f"/funds/accounts/{account.pk}/?date_from=1985-01-01"))
    assert "Page 1 of 2" in first
    second = _text(clerk_client.get(f"/funds/accounts/{account.pk}/?date_from=1985-01-01&page=2"))
    assert "Page 2 of 2" in second and "-60.00" in second


def test_a_fund_lists_its_accounts(superintendent_client, ledger):
    fund = ledger.funds["general_trust"]
    text = _text(superintendent_client.get(f"/funds/{fund.pk}/"))
    total = f"{contributed(ledger_employer(ledger)):,.2f}"
    assert "General Deductible Trust Fund" in text and total in text


def test_a_transactions_detail_shows_its_cause_and_reversal(superintendent_client, demo_employer):
    employee = EmployeeFactory(employer=demo_employer, first_name="Rosa", last_name="Diaz")
    tx = ledger_ops.post_claim_payment(
        employer=demo_employer,
        amount="45.00",
        effective_date=date(1984, 3, 2),
        payee_name="Ukiah Dental Group",
        employee=employee,
        reference="claim 123",
    )
    reversal = ledger_ops.post_reversal(
        transaction=tx, reason="billed twice", effective_date=date(1984, 3, 9)
    )
    text = _text(superintendent_client.get(f"/funds/transactions/{tx.pk}/"))
    assert "Claim payment from the trust fund" in text
    assert "Reference: claim 123" in text
    assert "Diaz, Rosa" in text
    assert f"Reversed by transaction #{reversal.pk}" in text
    assert "Ukiah Dental Group" in text
    back = _text(superintendent_client.get(f"/funds/transactions/{reversal.pk}/"))
    assert f"Reverses transaction #{tx.pk}" in back and "billed twice" in back
    assert superintendent_client.get("/funds/transactions/999999/").status_code == 404


# --- Month close ----------------------------------------------------------------------------


def test_the_month_close_page_shows_the_closed_months(clerk_client, demo_employer):
    text = _text(clerk_client.get(f"/funds/month-close/?employer={demo_employer.pk}"))
    assert "1984-06" in text and "1983-07" in text
    assert "Close the month" not in text  # the clerk only reads


def test_the_superintendent_closes_the_next_month(superintendent_client, demo_employer):
    page = superintendent_client.get(f"/funds/month-close/?employer={demo_employer.pk}")
    assert 'value="1984-07"' in page.content.decode()  # the next month is offered
    response = superintendent_client.post(
        "/funds/month-close/", {"employer": demo_employer.pk, "month": "1984-07"}
    )
    assert response.status_code == 302
    close = MonthClose.objects.get(employer=demo_employer, year=1984, month=7)
    assert close.transaction is not None
    again = superintendent_client.post(
        "/funds/month-close/", {"employer": demo_employer.pk, "month": "1984-07"}
    )
    assert again.status_code == 302
    assert MonthClose.objects.filter(employer=demo_employer).count() == 13


def test_closing_a_month_out_of_order_shows_an_inline_error(superintendent_client, demo_employer):
    response = superintendent_client.post(
        "/funds/month-close/", {"employer": demo_employer.pk, "month": "1984-09"}
    )
    assert response.status_code == 400
    assert "the next month to close is July 1984" in _text(response)


def test_the_clerk_cannot_close_a_month(clerk_client, demo_employer):
    response = clerk_client.post(
        "/funds/month-close/", {"employer": demo_employer.pk, "month": "1984-07"}
    )
    assert response.status_code == 403
    assert not MonthClose.objects.filter(employer=demo_employer, year=1984, month=7).exists()


# --- Interest and expenses ------------------------------------------------------------------


def _interest(employer, **changes):
    return {
        "employer": employer.pk,
        "earned_by": "general_trust",
        "amount": "120.50",
        "period_start": "1984-04-01",
        "period_end": "1984-06-30",
        "idempotency_key": "form-1",
        **changes,
    }


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5.00", "The amount must be more than zero."),
        ("0", "The amount must be more than zero."),
        ("twelve", "Enter an amount of money, such as 125.50."),
        ("12.345", "Enter dollars and cents: at most two digits after the decimal point."),
        ("", "Enter the amount."),
    ],
)
def test_bad_interest_shows_inline_errors_and_posts_nothing(
    superintendent_client, ledger, amount, message
):
    before = Transaction.objects.count()
    response = superintendent_client.post(
        "/funds/interest/new/", _interest(ledger_employer(ledger), amount=amount)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'class="usa-error-message"' in html and 'aria-invalid="true"' in html
    assert 'id="id_amount-error"' in html
    described = re.search(r'name="amount"[^>]*aria-describedby="([^"]*)"', html)
    assert described is not None and "id_amount-error" in described.group(1).split()
    assert Transaction.objects.count() == before


def test_a_period_that_ends_before_it_starts_is_refused(superintendent_client, ledger):
    response = superintendent_client.post(
        "/funds/interest/new/", _interest(ledger_employer(ledger), period_end="1984-03-01")
    )
    assert response.status_code == 400
    assert "The period cannot end before it starts." in _text(response)


def test_interest_is_posted_to_the_district_account_once(superintendent_client, ledger):
    before = selectors.account_balance(ledger.district)
    response = superintendent_client.post(
        "/funds/interest/new/", _interest(ledger_employer(ledger))
    )
    assert response.status_code == 302
    tx = Transaction.objects.get(idempotency_key="form-1")
    assert response["Location"] == f"/funds/transactions/{tx.pk}/"
    assert selectors.account_balance(ledger.district) == before + D("120.50")
    again = superintendent_client.post("/funds/interest/new/", _interest(ledger_employer(ledger)))
    assert again.status_code == 302  # a double submission: same transaction
    assert Transaction.objects.filter(idempotency_key="form-1").count() == 1
    assert selectors.account_balance(ledger.district) == before + D("120.50")


def test_the_administrator_enters_an_expense(administrator_client, ledger):
    response = administrator_client.post(
        "/funds/expenses/new/",
        {
            "employer": ledger.employer_id,
            "description": "Printing of claim forms",
            "amount": "64.10",
            "period_start": "1984-06-01",
            "period_end": "1984-06-30",
            "payee_name": "Ukiah Press",
        },
    )
    assert response.status_code == 302
    tx = Transaction.objects.get(memo="Printing of claim forms")
    assert {(p.account.name, p.direction) for p in tx.postings.all()} == {
        ("Ukiah Press", "debit"),
        ("District account", "credit"),
    }


def ledger_employer(ledger):
    from accounts.models import Employer

    return Employer.objects.get(pk=ledger.employer_id)


# --- API ------------------------------------------------------------------------------------


def test_the_api_lists_funds_with_balances(clerk_client, demo_employer):
    rows = clerk_client.get(f"/api/v1/funds/?employer={demo_employer.pk}").json()
    general = next(r for r in rows if r["fund_kind"] == "general_trust")
    assert general["balance"] == f"{contributed(demo_employer):.2f}"
    early = clerk_client.get(f"/api/v1/funds/?employer={demo_employer.pk}&as_of=1983-08-31").json()
    assert next(r for r in early if r["fund_kind"] == "general_trust")["balance"] == "166.68"
    pool = clerk_client.get("/api/v1/funds/pool/?as_of=1983-07-31").json()
    assert pool["general_trust"] == "83.34"
    bad_date = clerk_client.get("/api/v1/funds/?as_of=yesterday")
    assert bad_date.status_code == 400
    assert bad_date.json() == {"as_of": ["Give a date as YYYY-MM-DD."]}
    # A digit that is not an ASCII digit (a superscript two) is refused too, not a 500.
    bad_id = clerk_client.get("/api/v1/funds/?employer=%C2%B2")
    assert bad_id.status_code == 400
    assert bad_id.json() == {"employer": ["'²' is not an id."]}
    assert clerk_client.get("/funds/?employer=%C2%B2").status_code == 200  # the pool, as unset


def test_the_api_gives_an_accounts_statement_and_a_transaction(clerk_client, ledger):
    url = f"/api/v1/ledger/accounts/{ledger.general_trust.pk}/statement/?date_from=1983-07-01&date_to=1983-09-30"
    body = clerk_client.get(url).json()
    assert body["count"] == 3 and body["opening_balance"] == "0.00"
    assert [r["running_balance"] for r in body["results"]] == ["83.34", "166.68", "250.02"]
    tx = clerk_client.get(
        f"/api/v1/ledger/transactions/{body['results'][0]['transaction']}/"
    ).json()
    assert tx["kind"] == "employer_contribution" and len(tx["postings"]) == 2


def test_the_api_posts_interest_once_per_key(superintendent_client, ledger):
    payload = {
        "employer": ledger.employer_id,
        "amount": "99.99",
        "period_start": "1984-01-01",
        "period_end": "1984-03-31",
        "earned_by": "vested_trust",
    }
    first = superintendent_client.post(
        "/api/v1/ledger/interest/",
        payload,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="api-interest-1",
    )
    assert first.status_code == 201
    again = superintendent_client.post(
        "/api/v1/ledger/interest/",
        payload,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="api-interest-1",
    )
    # A replay answers as the first call did, marked as a replay.
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    changed = superintendent_client.post(
        "/api/v1/ledger/interest/",
        {**payload, "amount": "1.00"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="api-interest-1",
    )
    assert (
        changed.status_code == 400 and "different payload" in changed.json()["idempotency_key"][0]
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "-1.00"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"earned_by": "bank"}, "earned_by"),
        ({"period_end": "2999-12-31"}, "period_end"),
    ],
)
def test_bad_api_input_is_a_400_with_field_errors_and_posts_nothing(
    superintendent_client, ledger, changes, field
):
    payload = {
        "employer": ledger.employer_id,
        "amount": "10.00",
        "period_start": "1984-01-01",
        "period_end": "1984-03-31",
        "earned_by": "general_trust",
        **changes,
    }
    before = Transaction.objects.count()
    response = superintendent_client.post(
        "/api/v1/ledger/interest/", payload, content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert Transaction.objects.count() == before


def test_the_api_posts_expenses_and_closes_months(
    administrator_client, clerk_client, demo_employer
):
    expense = administrator_client.post(
        "/api/v1/ledger/expenses/",
        {
            "employer": demo_employer.pk,
            "amount": "35.00",
            "period_start": "1984-06-01",
            "period_end": "1984-06-30",
            "description": "Postage",
        },
        content_type="application/json",
    )
    assert expense.status_code == 201
    assert {p["fund_kind"] for p in expense.json()["postings"]} == {"payees", "district"}
    body = {"employer": demo_employer.pk, "year": 1984, "month": 7}
    closed = administrator_client.post(
        "/api/v1/ledger/month-closes/", body, content_type="application/json"
    )
    assert closed.status_code == 201, closed.json()
    assert closed.json()["transaction"]
    again = administrator_client.post(
        "/api/v1/ledger/month-closes/", body, content_type="application/json"
    )
    assert again.status_code == 201 and again.json() == closed.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in closed
    refused = clerk_client.post(
        "/api/v1/ledger/month-closes/", body, content_type="application/json"
    )
    assert refused.status_code == 403
    listed = clerk_client.get(f"/api/v1/ledger/month-closes/?employer={demo_employer.pk}").json()
    assert listed["count"] == 13


def test_the_clerk_cannot_post_through_the_api(clerk_client, ledger):
    response = clerk_client.post(
        "/api/v1/ledger/interest/",
        {
            "employer": ledger.employer_id,
            "amount": "1.00",
            "period_start": "1984-01-01",
            "period_end": "1984-01-31",
            "earned_by": "general_trust",
        },
        content_type="application/json",
    )
    assert response.status_code == 403


def test_the_ledger_endpoints_are_in_the_openapi_schema(administrator_client):
    schema = administrator_client.get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/funds/",
        "/api/v1/funds/pool/",
        "/api/v1/ledger/accounts/{id}/statement/",
        "/api/v1/ledger/transactions/{id}/",
        "/api/v1/ledger/interest/",
        "/api/v1/ledger/expenses/",
        "/api/v1/ledger/month-closes/",
    ):
        assert path in schema["paths"], path
    interest = schema["paths"]["/api/v1/ledger/interest/"]["post"]
    assert interest["requestBody"]["content"]["application/json"]["examples"]
