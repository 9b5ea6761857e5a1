"""Signals vesting sends, so that higher apps can react without vesting importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent (inside the finishing transaction) when a VestingRun completes.
# Arguments: policy_year (int, e.g. 1984 for 1984-85), run_id (int).
rollover_completed = Signal()

# Sent by ``manage.py ledger_check`` after the ledger's own checks: each receiver returns
# a list of problems (strings; empty when its totals agree), which the command reports
# with the ledger's (claims: the claims list's totals, recomputed from the claims).
integrity_check = Signal()
