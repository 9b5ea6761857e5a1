"""Snapshots of the database, to prove that refused input changed nothing."""

from __future__ import annotations

from accounts.models import (
    BeneficiaryDesignation,
    ContinuationElection,
    CoverageOverride,
    CoverageSegment,
    Dependent,
    Employee,
    Employer,
    HoursChange,
    Marriage,
    Program,
    SeparationContinuation,
)

ACCOUNTS_MODELS = (
    Employer,
    Program,
    Employee,
    HoursChange,
    ContinuationElection,
    SeparationContinuation,
    CoverageSegment,
    CoverageOverride,
    Marriage,
    Dependent,
    BeneficiaryDesignation,
)


def accounts_snapshot() -> dict[str, list]:
    """Every members and coverage row, in a comparable form."""
    return {
        model.__name__: sorted(map(repr, model.objects.order_by("pk").values_list()))
        for model in ACCOUNTS_MODELS
    }
