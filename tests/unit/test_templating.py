"""The Jinja2 engine's helpers (staywell.templating) write what Django's engine wrote in
the templates they replace."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template.defaultfilters import floatformat
from django.urls import reverse, set_script_prefix

from staywell.templating import money, url


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


@pytest.mark.parametrize(
    ("name", "args", "written"),
    [
        ("claims:detail", (1,), "/claims/1/"),
        ("claims:void_form", (1056781,), "/claims/1056781/void/form/"),
        ("claims:adjust_form", (2_147_483_647,), "/claims/2147483647/adjust/form/"),
        ("claims:list", (), "/claims/"),
    ],
)
def test_url_writes_the_path_reverse_writes(name, args, written):
    """url() puts the ids into a path reversed once per name: the same path as reverse."""
    assert reverse(name, args=args) == written
    assert url(name, *args) == written
    assert url(name, *args) == written  # the second time from the name's path kept


def test_url_follows_the_script_prefix_and_refuses_what_reverse_refuses():
    from django.urls import NoReverseMatch

    try:
        set_script_prefix("/plan/")
        assert url("claims:detail", 7) == "/plan/claims/7/" == reverse("claims:detail", args=[7])
    finally:
        set_script_prefix("/")
    assert url("claims:detail", 7) == "/claims/7/"
    with pytest.raises(NoReverseMatch):
        url("claims:detail")
    with pytest.raises(NoReverseMatch):
        url("claims:detail", 1, 2)
