"""The payee of a typed provider is found without locking its row: claims of one provider
(a hospital) entered at once by several clerks do not wait for each other's commit."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from claims.models import Payee
from claims.services.payees import payee_for_provider

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_provider_s_payee_is_created_once_then_found_by_its_key():
    first = payee_for_provider("Dr. Helen Ames")
    again = payee_for_provider("Dr. Helen Ames, M.D.")

    assert again.pk == first.pk
    assert again.name == "Dr. Helen Ames"
    assert Payee.objects.filter(key=first.key).count() == 1


def test_a_clerk_finds_the_payee_while_another_clerk_s_claim_of_it_is_not_committed():
    payee = payee_for_provider("Ukiah Valley Medical Center")
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def other_clerk() -> None:
        try:
            with transaction.atomic():  # the other clerk's claim, not committed yet
                payee_for_provider("Ukiah Valley Medical Center")
                holding.set()
                release.wait(10)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            holding.set()
        finally:
            connection.close()

    thread = threading.Thread(target=other_clerk)
    thread.start()
    try:
        assert holding.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:  # waiting for a row lock would fail here
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            found = payee_for_provider("UKIAH VALLEY MEDICAL CENTER")
    finally:
        release.set()
        thread.join(10)

    assert errors == []
    assert found.pk == payee.pk
