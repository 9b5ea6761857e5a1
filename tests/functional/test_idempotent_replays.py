"""Idempotent endpoints answer a replay as the first call was answered, with a marker, also
when the calls arrive at once (threads, each its own PostgreSQL connection)."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client

from tests.factories import EmployerFactory, UserFactory
from vesting.models import MonthClose, Posting, Transaction

pytestmark = pytest.mark.django_db(transaction=True)

CALLERS = 10


def _at_once(call) -> list:
    """``call()`` from CALLERS threads released together; their responses."""
    barrier = threading.Barrier(CALLERS)
    responses: list = [None] * CALLERS

    def run(number: int) -> None:
        try:
            barrier.wait()
            responses[number] = call()
        except BaseException as exc:
            responses[number] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return responses


def _client(role: str) -> Client:
    client = Client()
    client.force_login(UserFactory(username=f"{role}-replays", role=role))
    return client


def test_ten_concurrent_interest_posts_with_one_key_all_get_the_first_answer():
    employer = EmployerFactory(code="RPL")
    client = _client("superintendent")
    payload = {
        "employer": employer.pk,
        "amount": "1520.75",
        "period_start": "1985-04-01",
        "period_end": "1985-06-30",
        "earned_by": "general_trust",
        "effective_date": "1985-06-30",
    }

    def post():
        return client.post(
            "/api/v1/ledger/interest/",
            payload,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="interest-RPL-1985Q2",
        )

    responses = _at_once(post)
    assert [type(r).__name__ for r in responses if not hasattr(r, "status_code")] == []
    assert [r.status_code for r in responses] == [201] * CALLERS
    bodies = [r.json() for r in responses]
    assert all(body == bodies[0] for body in bodies)
    assert {p["amount"] for p in bodies[0]["postings"]} == {"1520.75"}
    # Exactly one call posted; the nine others are marked as replays.
    assert sorted(r.get("Idempotent-Replayed", "") for r in responses) == [""] + ["true"] * 9
    assert Transaction.objects.filter(idempotency_key="interest-RPL-1985Q2").count() == 1
    assert Posting.objects.count() == 2

    later = post()
    assert (later.status_code, later.json(), later["Idempotent-Replayed"]) == (
        201,
        bodies[0],
        "true",
    )


def test_ten_concurrent_closes_of_one_month_all_get_the_first_answer():
    employer = EmployerFactory(code="RPM")
    client = _client("administrator")
    body = {"employer": employer.pk, "year": 1984, "month": 7}

    def close():
        return client.post("/api/v1/ledger/month-closes/", body, content_type="application/json")

    with time_machine.travel(date(1984, 8, 2)):
        responses = _at_once(close)
    assert [getattr(r, "status_code", r) for r in responses] == [201] * CALLERS
    bodies = [r.json() for r in responses]
    assert all(b == bodies[0] for b in bodies)
    assert (bodies[0]["year"], bodies[0]["month"]) == (1984, 7)
    assert sorted(r.get("Idempotent-Replayed", "") for r in responses) == [""] + ["true"] * 9
    assert MonthClose.objects.filter(employer=employer).count() == 1


def test_a_replay_with_another_amount_is_refused_with_a_field_error():
    employer = EmployerFactory(code="RPC")
    client = _client("superintendent")
    payload = {
        "employer": employer.pk,
        "amount": "10.00",
        "period_start": "1985-04-01",
        "period_end": "1985-06-30",
        "earned_by": "general_trust",
        "effective_date": "1985-06-30",
        "idempotency_key": "rpc-1",
    }
    first = client.post("/api/v1/ledger/interest/", payload, content_type="application/json")
    assert first.status_code == 201
    changed = client.post(
        "/api/v1/ledger/interest/", {**payload, "amount": "10.01"}, content_type="application/json"
    )
    assert changed.status_code in (400, 409)
    assert "idempotency_key" in changed.json()
    assert Transaction.objects.get().postings.first().amount == Decimal("10.00")
