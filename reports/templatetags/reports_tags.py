"""Money as the reports print it: thousands separators, two places, negatives in
parentheses the way the 1986 fund report prints them (R-FU4)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


def _plain(value: Decimal) -> str:
    return f"{abs(value):,.2f}"


@register.filter
def accounting(value: Any) -> str:
    """``Decimal("-9258.05")`` -> ``"(9,258.05)"``; ``Decimal("173824.12")`` -> ``"173,824.12"``."""
    if value is None or value == "":
        return ""
    amount = Decimal(value)
    return f"({_plain(amount)})" if amount < 0 else _plain(amount)


@register.filter
def dollars(value: Any) -> str:
    """``Decimal("-12.5")`` -> ``"-$12.50"``; for cards and tables outside the fund report."""
    if value is None or value == "":
        return ""
    amount = Decimal(value)
    return f"-${_plain(amount)}" if amount < 0 else f"${_plain(amount)}"


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """``{{ totals|get:key }}`` for dict lookups with a computed key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag
def share(shares: Any, line: str, payer: str) -> Any:
    """One (line, payer) amount of a payroll row or total."""
    return shares.get((line, payer), Decimal("0.00"))


@register.filter
def add_money(value: Any, other: Any) -> Decimal:
    """Exact sum of two amounts in a template (``add`` would go through int)."""
    return Decimal(value or 0) + Decimal(other or 0)
