"""Signals vesting sends, so that higher apps can react without vesting importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent (inside the finishing transaction) when a VestingRun completes.
# Arguments: policy_year (int, e.g. 1984 for 1984-85), run_id (int).
rollover_completed = Signal()
