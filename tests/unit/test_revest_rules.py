"""The pure rules of a re-vest (vesting.rules.revest_amount, revest_decrease_split)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vesting.rules import revest_amount, revest_decrease_split

D = Decimal


def test_no_new_data_keeps_the_amount_and_what_the_trust_fund_bears():
    # 500.00 vested and paid; a 40.00 run-out claim the trust fund bore (R-CL6): the year
    # computes to 460.00 and keeps 500.00.
    assert revest_amount(computed=D("460.00"), current=D("500.00"), borne=D("40.00")) == (
        D("500.00"),
        D("40.00"),
    )


def test_voiding_the_borne_claim_releases_it():
    assert revest_amount(computed=D("500.00"), current=D("500.00"), borne=D("40.00")) == (
        D("500.00"),
        D("0.00"),
    )


def test_a_lower_allotment_lowers_the_year_but_keeps_what_is_borne():
    assert revest_amount(computed=D("360.00"), current=D("500.00"), borne=D("40.00")) == (
        D("400.00"),
        D("40.00"),
    )


def test_an_increase_is_the_computed_amount():
    assert revest_amount(computed=D("500.00"), current=D("380.00"), borne=D("0.00")) == (
        D("500.00"),
        D("0.00"),
    )


def test_a_decrease_takes_what_is_held_and_the_rest_is_overpaid():
    assert revest_decrease_split(decrease=D("249.98"), held=D("0.00")) == (D("0.00"), D("249.98"))
    assert revest_decrease_split(decrease=D("250.00"), held=D("200.00")) == (
        D("200.00"),
        D("50.00"),
    )
    assert revest_decrease_split(decrease=D("100.00"), held=D("500.00")) == (
        D("100.00"),
        D("0.00"),
    )


def test_negative_inputs_are_refused():
    with pytest.raises(ValueError):
        revest_amount(computed=D("-1.00"), current=D("0.00"), borne=D("0.00"))
    with pytest.raises(ValueError):
        revest_decrease_split(decrease=D("-1.00"), held=D("0.00"))
