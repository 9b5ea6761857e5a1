"""Exact money: Decimal cents, rounded half-up, split without losing a cent (R-PY2).

Every amount in Stay-Well passes through these helpers; no float ever touches money.
:func:`money` rounds, so it is for amounts the plan computes (deductible / 12, a share of
a premium); an amount a person types or uploads is never rounded: more than two decimal
places is refused as bad input (R-PY2) by the entry path's own check (DRF and Django
``DecimalField(decimal_places=2)``, ``claims.rules.validate_amounts``,
``vesting.ledger.posting.money_amount``).

Every money column is ``DecimalField(max_digits=14, decimal_places=2)``: the largest
amount it holds is :data:`MONEY_MAX`, 999,999,999,999.99. A typed amount beyond it (twenty
nines, ``1e308``), not finite (``NaN``, ``Infinity``) or signed (``-0``, a negative) is a
field error, never a 500 (:func:`typed_money_error`; the form field
``staywell.forms.MoneyField`` and the serializer field ``staywell.api.MoneyField``).

Decision: no amount a person types is negative, so ``-0`` is refused with the negatives
("cannot be negative") rather than read as zero: a minus sign typed is a mistake to show,
and corrections are reversing transactions the code makes, never typed negatives.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MONEY_MAX_DIGITS = 14  # every money column: DecimalField(max_digits=14, decimal_places=2)
MONEY_MAX = Decimal("999999999999.99")  # the largest amount such a column holds

__all__ = [
    "CENT",
    "MONEY_MAX",
    "MONEY_MAX_DIGITS",
    "ZERO",
    "cents",
    "from_cents",
    "money",
    "split_by_weights",
    "split_evenly",
    "to_cents",
    "typed_money_error",
]


def typed_money_error(amount: Decimal, label: str = "The amount") -> str | None:
    """Why an amount a person typed is not dollars and cents a money column can hold
    (``None`` when it is): not finite, negative (``-0`` too), above :data:`MONEY_MAX`, or
    more than two decimals. ``label`` starts the message ("The billed amount")."""
    if not amount.is_finite():
        return f"{label} is not a number; enter dollars and cents, like 125.00."
    if amount.is_signed():
        return f"{label} cannot be negative."
    if amount > MONEY_MAX:
        return f"{label} is more than ${MONEY_MAX:,}; check the amount."
    if amount != amount.quantize(CENT):
        return f"{label} has more than two decimals; enter dollars and cents, like 125.50."
    return None


def money(value: Decimal | int | str) -> Decimal:
    """Quantize a value to cents, rounding half-up. Floats are refused."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a Decimal, int or str")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount of money: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount of money: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def cents(value: Decimal | int | str) -> Decimal:
    """Alias of :func:`money` that reads well in expressions: ``cents("41.666")``."""
    return money(value)


def to_cents(value: Decimal | int | str) -> int:
    """Integer number of cents of an amount (rounded half-up)."""
    return int(money(value) * 100)


def from_cents(value: int) -> Decimal:
    """Decimal amount of an integer number of cents."""
    return (Decimal(value) / 100).quantize(CENT)


def split_evenly(total: Decimal, parts: int) -> list[Decimal]:
    """Split ``total`` into ``parts`` amounts that sum exactly to it.

    Each part is ``total / parts`` rounded half-up to the cent; the last part absorbs the
    rounding difference (100.00 in three parts: 33.33, 33.33, 33.34). Not for the monthly
    shares of the deductible: those are all equal and capped when added up (R-PY2,
    ``accounts.rules.months_of_deductible``).
    """
    if parts < 1:
        raise ValueError("parts must be at least 1")
    total = money(total)
    share = money(total / parts)
    result = [share] * (parts - 1)
    result.append(total - share * (parts - 1))
    return result


def split_by_weights(total: Decimal, weights: Sequence[int] | Iterable[int]) -> list[Decimal]:
    """Split ``total`` in proportion to integer weights, exactly, largest remainder first."""
    weights = list(weights)
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise ValueError("weights must be non-negative and not all zero")
    total_cents = to_cents(total)
    weight_sum = sum(weights)
    raw = [total_cents * w for w in weights]
    base = [r // weight_sum for r in raw]
    remainders = sorted(range(len(weights)), key=lambda i: (-(raw[i] % weight_sum), i))
    for i in remainders[: total_cents - sum(base)]:
        base[i] += 1
    return [from_cents(c) for c in base]
