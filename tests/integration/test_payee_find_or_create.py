"""The payee of a typed provider is found without locking its row: claims of one provider
(a hospital) entered at once by several clerks do not wait for each other's commit."""

from __future__ import annotations

import pytest

from claims.models import Payee
from claims.services.payees import payee_for_provider
from tests.concurrency import held_open, no_lock_wait

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_provider_s_payee_is_created_once_then_found_by_its_key():
    first = payee_for_provider("Dr. Helen Ames")
    again = payee_for_provider("Dr. Helen Ames, M.D.")

    assert again.pk == first.pk
    assert again.name == "Dr. Helen Ames"
    assert Payee.objects.filter(key=first.key).count() == 1


def test_a_clerk_finds_the_payee_while_another_clerk_s_claim_of_it_is_not_committed():
    payee = payee_for_provider("Ukiah Valley Medical Center")

    # Another clerk's claim of the provider, not committed yet: finding the payee must not
    # wait for it.
    with held_open(lambda: payee_for_provider("Ukiah Valley Medical Center")):
        with no_lock_wait():
            found = payee_for_provider("UKIAH VALLEY MEDICAL CENTER")

    assert found.pk == payee.pk
