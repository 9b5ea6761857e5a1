"""R-PY2: what a typed amount must be to go into a money column (14 digits, 2 decimals)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from staywell.money import MONEY_MAX, typed_money_error


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("99999999999999999999", "The amount is more than $999,999,999,999.99; check the amount."),
        ("1e308", "The amount is more than $999,999,999,999.99; check the amount."),
        ("1000000000000.00", "The amount is more than $999,999,999,999.99; check the amount."),
        ("NaN", "The amount is not a number; enter dollars and cents, like 125.00."),
        ("Infinity", "The amount is not a number; enter dollars and cents, like 125.00."),
        ("-0", "The amount cannot be negative."),
        ("-99999999999999999999", "The amount cannot be negative."),
        ("1e-5", "The amount has more than two decimals; enter dollars and cents, like 125.50."),
    ],
)
def test_an_absurd_typed_amount_is_refused_with_its_reason(typed, message):
    assert typed_money_error(Decimal(typed)) == message


@pytest.mark.parametrize("typed", ["0", "0.00", "125.5", "999999999999.99", "1E+3"])
def test_dollars_and_cents_a_column_holds_are_accepted(typed):
    assert typed_money_error(Decimal(typed)) is None
    assert MONEY_MAX == Decimal("999999999999.99")
