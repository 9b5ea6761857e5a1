"""The plan's eligibility, coverage and premium rules as pure functions.

No ORM and no clock: every date is passed in. Each rule cites its ID in
``../shared/plan-rules.md`` (R-PY*, R-EL*, R-PR*).
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum


class Tier(StrEnum):
    """Coverage tier of an employee on a day (Administrative Procedures I and II)."""

    FULL = "full"  # R-EL2: regular, 30+ hours/week, employer pays 100%
    THREE_QUARTER = "three_quarter"  # R-EL3: regular, 20-29 hours/week, 75%
    SELF_PAY = "self_pay"  # R-EL4: regular, under 20 hours, pays the entire cost
    GRANDFATHERED = "grandfathered"  # R-EL5: under 20 hours, covered pro-rata before 7/1/1979
    NONE = "none"  # not covered (temporary, R-EL1; before coverage starts; after it ends)

    @property
    def label(self) -> str:
        return TIER_LABELS[self]


TIER_LABELS: dict[Tier, str] = {
    Tier.FULL: "Full (30+ hours)",
    Tier.THREE_QUARTER: "Three-quarter (20-29 hours)",
    Tier.SELF_PAY: "Self-pay (under 20 hours)",
    Tier.GRANDFATHERED: "Grandfathered (under 20 hours)",
    Tier.NONE: "Not covered",
}


# R-PY1: the policy (contract) year runs July 1 to June 30 and is named "1984-85".
_LABEL = re.compile(r"^\s*(\d{4})\s*[-/]\s*(\d{2}|\d{4})\s*$")


def policy_year_of(day: date) -> int:
    """R-PY1: the first calendar year of the policy year containing ``day``."""
    return day.year if day.month >= 7 else day.year - 1


def policy_year_start(start_year: int) -> date:
    """R-PY1: July 1 of the policy year's first year."""
    return date(start_year, 7, 1)


def policy_year_end(start_year: int) -> date:
    """R-PY1: June 30 of the policy year's second year."""
    return date(start_year + 1, 6, 30)


def policy_year_label(start_year: int) -> str:
    """R-PY1: ``1984`` -> ``"1984-85"``."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def parse_policy_year(label: str) -> int:
    """R-PY1: ``"1984-85"`` (or ``"1984-1985"``, ``"1984/85"``) -> ``1984``.

    Raises ``ValueError`` with a readable message for anything else.
    """
    match = _LABEL.match(label)
    if not match:
        raise ValueError(f"{label!r} is not a policy year; write it like 1984-85")
    first, second = int(match.group(1)), match.group(2)
    expected = first + 1
    if (len(second) == 2 and int(second) != expected % 100) or (
        len(second) == 4 and int(second) != expected
    ):
        raise ValueError(f"{label!r} is not a policy year; the second year must follow the first")
    return first


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def first_of_next_month(day: date) -> date:
    return add_months(day, 1)
