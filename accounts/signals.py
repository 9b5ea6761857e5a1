"""Signals accounts sends, so that higher apps can react without accounts importing them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.dispatch import Signal

# Sent inside the transaction of ``accounts.services.employee_separate``, after the
# employee's separation date and reason are saved and coverage recomputed.
# Arguments: employee (accounts.models.Employee).
employee_separated = Signal()


@dataclass(frozen=True)
class PlanYearUse:
    """What the ledger has done with a plan year, as a receiver of
    :data:`plan_year_use_asked` answers it."""

    closed_months: frozenset[date] = field(default_factory=frozenset)  # months closed
    rollover_started: bool = False  # an employer-year of its July 1 rollover exists


# Sent by ``accounts.configuration`` before a plan year's settings or premium schedule
# change, to learn which of its months are closed and whether its rollover has run.
# Arguments: start_year (int). Each receiver returns a PlanYearUse.
plan_year_use_asked = Signal()


def plan_year_use(start_year: int) -> PlanYearUse:
    """The answers of every receiver, together."""
    months: set[date] = set()
    rolled = False
    for _receiver, answer in plan_year_use_asked.send(sender=PlanYearUse, start_year=start_year):
        if isinstance(answer, PlanYearUse):
            months |= answer.closed_months
            rolled = rolled or answer.rollover_started
    return PlanYearUse(frozenset(months), rolled)
