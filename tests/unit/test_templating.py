"""The Jinja2 engine's helpers (staywell.templating) write what Django's engine wrote in
the templates they replace."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template.defaultfilters import floatformat

from staywell.templating import money


@pytest.mark.parametrize(
    ("amount", "written"),
    [
        (Decimal("0"), "0.00"),
        (Decimal("0.05"), "0.05"),
        (Decimal("500"), "500.00"),
        (Decimal("1234.5"), "1,234.50"),
        (Decimal("1000000.01"), "1,000,000.01"),
        (Decimal("-1234.56"), "-1,234.56"),
        (Decimal("99999999999999.99"), "99,999,999,999,999.99"),
    ],
)
def test_money_writes_an_amount_as_floatformat_2g_does(amount, written):
    assert money(amount) == written
    assert floatformat(amount, "2g") == written


def test_money_writes_nothing_for_no_amount():
    assert money(None) == ""
    assert floatformat(None, "2g") == ""
