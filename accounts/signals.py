"""Signals accounts sends, so that higher apps can react without accounts importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction of ``accounts.services.employee_separate``, after the
# employee's separation date and reason are saved and coverage recomputed.
# Arguments: employee (accounts.models.Employee).
employee_separated = Signal()
