"""R-PY2: no float anywhere near money. Introspects every installed model."""

from __future__ import annotations

from django.apps import apps
from django.db import models

from vesting.models import MONEY

MONEY_FIELDS = (
    "Posting.amount",
    "AccountBalance.balance",
    "AccountDayTotal.net_change",
    "FundDayTotal.net_change",
    "FundMonthTotal.net_change",
    "FundKindMonthTotal.net_change",
    "TrustClaimTotal.paid",
    "MonthClose.employer_amount",
    "MonthClose.employee_amount",
    # Vesting: runs, lines, payouts, registers, run-out adjustments.
    "VestingRun.amount_vested",
    "VestingRun.amount_to_district",
    "VestingRunEmployerStep.amount_vested",
    "VestingRunEmployerStep.amount_to_district",
    "VestingLine.allotment",
    "VestingLine.trust_fund_claims",
    "VestingLine.unused",
    "VestingLine.amount",
    "VestingLine.runout_recovered",
    "PayoutRegister.total",
    "Payout.amount",
    "Payout.billed_amount",
    "VestingAdjustment.claim_amount",
    "VestingAdjustment.recovered",
    # Re-vests of completed years: what a line was and became, what the trust fund bore,
    # what could not be taken back (an overpayment); the nightly list's totals.
    "VestingAdjustment.amount_before",
    "VestingAdjustment.amount_after",
    "VestingAdjustment.borne",
    "VestingAdjustment.overpaid",
    "Overpayment.amount",
    "RevestPending.increase",
    "RevestPending.decrease",
    # The ACH files made for the bank: the dollars each credits.
    "AchFile.total",
)


def test_no_installed_model_has_a_float_field():
    floats = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models(include_auto_created=True)
        for field in model._meta.get_fields()
        if isinstance(field, models.FloatField)
    ]
    assert floats == []


def test_every_money_field_of_the_ledger_is_exact_cents():
    fields = {
        f"{model.__name__}.{field.name}": field
        for model in apps.get_app_config("vesting").get_models()
        for field in model._meta.concrete_fields
    }
    for name in MONEY_FIELDS:
        assert isinstance(fields[name], models.DecimalField), name
    decimals = {name: f for name, f in fields.items() if isinstance(f, models.DecimalField)}
    assert set(decimals) == set(MONEY_FIELDS)
    for name, field in decimals.items():
        assert (field.max_digits, field.decimal_places) == (14, 2), name
    assert MONEY == {"max_digits": 14, "decimal_places": 2}
