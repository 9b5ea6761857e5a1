"""Random sequences of every ledger operation against an in-memory model (hypothesis).

After every step: every transaction balances (the database's own deferred check is fired
with SET CONSTRAINTS ALL IMMEDIATE), all postings sum to zero, each account's balance
equals the model's, and no side account is negative.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.factories import EmployeeFactory, EmployerFactory
from vesting import ledger
from vesting.ledger import (
    ADMINISTRATIVE_EXPENSES_ACCOUNT,
    BANK_ACCOUNT,
    CARRIER_ACCOUNT,
    PAYEES_ACCOUNT,
    PAYROLL_DEDUCTIONS_ACCOUNT,
    PROGRAM_CHARGES_ACCOUNT,
    selectors,
)
from vesting.models import AccountBalance, Transaction

ZERO = Decimal("0.00")
amounts = st.integers(min_value=1, max_value=200_000).map(lambda c: Decimal(c) / 100)
days = st.integers(min_value=0, max_value=364).map(lambda n: date(1985, 7, 1) + timedelta(days=n))
people = st.integers(min_value=0, max_value=2)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.employer = EmployerFactory()
        self.ledger = ledger.ledger_accounts_for_employer(self.employer)
        reasons = ["resignation", "retirement", "death"]
        self.employees = [
            EmployeeFactory(
                employer=self.employer, separation_date=date(1985, 6, 30), separation_reason=reason
            )
            for reason in reasons
        ]
        self.sides = [ledger.side_account_for(e) for e in self.employees]
        self.payouts = [ledger.payee_account_for(self.employer, employee=e) for e in self.employees]
        self.model: dict[int, Decimal] = defaultdict(lambda: ZERO)
        self.effects: dict[int, list[tuple[int, Decimal]]] = {}  # tx id -> (account, change)
        self.reversed: set[int] = set()
        self.keyed: list[tuple[str, object]] = []  # (key, replay callable)
        self.month = 0
        self.gtf = self.ledger.general_trust.pk
        self.district = self.ledger.district.pk

    # -- helpers --------------------------------------------------------------------------

    def apply(self, tx: Transaction, changes: list[tuple[int, Decimal]]) -> None:
        assert tx.pk not in self.effects
        self.effects[tx.pk] = changes
        for account_id, change in changes:
            self.model[account_id] += change

    def side_pays(self, who: int, amount: Decimal, post, changes) -> None:
        side = self.sides[who].pk
        if self.model[side] < amount:
            with pytest.raises(ValidationError, match="never go below zero"):
                post()
            return
        self.apply(post(), changes)

    # -- operations -----------------------------------------------------------------------

    @rule(amount=amounts, employee_share=st.sampled_from([ZERO, Decimal("41.67")]))
    def contribution(self, amount: Decimal, employee_share: Decimal) -> None:
        self.month += 1
        year, month = 1984 + (self.month - 1) // 12, (self.month - 1) % 12 + 1
        key = f"contribution:{self.employer.pk}:{year:04d}-{month:02d}"

        def post() -> Transaction:
            return ledger.post_employer_contribution(
                employer=self.employer,
                year=year,
                month=month,
                amount=amount,
                employee_amount=employee_share,
            )

        tx = post()
        self.apply(
            tx,
            [
                (self.gtf, amount + employee_share),
                (self.ledger.account(PROGRAM_CHARGES_ACCOUNT).pk, amount),
                *(
                    [(self.ledger.account(PAYROLL_DEDUCTIONS_ACCOUNT).pk, employee_share)]
                    if employee_share
                    else []
                ),
            ],
        )
        self.keyed.append((key, (post, tx.pk)))

    @rule(amount=amounts, day=days, key=st.booleans())
    def claim_payment(self, amount: Decimal, day: date, key: bool) -> None:
        idempotency_key = f"claim-{self.employer.pk}-{len(self.effects)}" if key else None

        def post() -> Transaction:
            return ledger.post_claim_payment(
                employer=self.employer,
                amount=amount,
                effective_date=day,
                reference="claim",
                idempotency_key=idempotency_key,
            )

        tx = post()
        self.apply(tx, [(self.ledger.account(PAYEES_ACCOUNT).pk, amount), (self.gtf, -amount)])
        if idempotency_key:
            self.keyed.append((idempotency_key, (post, tx.pk)))

    @rule(who=people, amount=amounts, day=days)
    def vesting_transfer(self, who: int, amount: Decimal, day: date) -> None:
        tx = ledger.post_vesting_transfer(
            employee=self.employees[who], amount=amount, policy_year=1984, effective_date=day
        )
        self.apply(tx, [(self.sides[who].pk, amount), (self.gtf, -amount)])

    @rule(amount=amounts, day=days)
    def unvested_transfer(self, amount: Decimal, day: date) -> None:
        tx = ledger.post_unvested_transfer(
            employer=self.employer, amount=amount, policy_year=1984, effective_date=day
        )
        self.apply(tx, [(self.district, amount), (self.gtf, -amount)])

    @rule(who=people, amount=amounts, day=days)
    def lump_sum(self, who: int, amount: Decimal, day: date) -> None:
        self.side_pays(
            who,
            amount,
            lambda: ledger.post_lump_sum_payout(
                employee=self.employees[who], amount=amount, effective_date=day
            ),
            [(self.payouts[who].pk, amount), (self.sides[who].pk, -amount)],
        )

    @rule(who=st.sampled_from([0, 1]), amount=amounts, day=days)
    def continuation_premium(self, who: int, amount: Decimal, day: date) -> None:
        self.side_pays(
            who,
            amount,
            lambda: ledger.post_continuation_premium(
                employee=self.employees[who], amount=amount, month=day.replace(day=1)
            ),
            [(self.ledger.account(CARRIER_ACCOUNT).pk, amount), (self.sides[who].pk, -amount)],
        )

    @rule(amount=amounts, day=days)
    def beneficiary_payment(self, amount: Decimal, day: date) -> None:
        beneficiary = ledger.payee_account_for(self.employer, name="Beneficiary Pat Doe")
        self.side_pays(
            2,
            amount,
            lambda: ledger.post_beneficiary_payment(
                employee=self.employees[2],
                amount=amount,
                beneficiary_name="Pat Doe",
                effective_date=day,
            ),
            [(beneficiary.pk, amount), (self.sides[2].pk, -amount)],
        )

    @rule(amount=amounts, earned_by=st.sampled_from(["general_trust", "vested_trust", "district"]))
    def interest(self, amount: Decimal, earned_by: str) -> None:
        tx = ledger.post_interest(
            employer=self.employer,
            amount=amount,
            period_start=date(1985, 7, 1),
            period_end=date(1985, 9, 30),
            earned_by=earned_by,
            today=date(1986, 7, 1),
        )
        self.apply(tx, [(self.district, amount), (self.ledger.account(BANK_ACCOUNT).pk, amount)])

    @rule(amount=amounts)
    def administrative_expense(self, amount: Decimal) -> None:
        tx = ledger.post_administrative_expense(
            employer=self.employer,
            amount=amount,
            period_start=date(1985, 7, 1),
            period_end=date(1985, 9, 30),
            description="Claims administration",
            today=date(1986, 7, 1),
        )
        self.apply(
            tx,
            [
                (self.ledger.account(ADMINISTRATIVE_EXPENSES_ACCOUNT).pk, amount),
                (self.district, -amount),
            ],
        )

    @precondition(lambda self: self.effects)
    @rule(data=st.data())
    def reversal(self, data: st.DataObject) -> None:
        tx_id = data.draw(st.sampled_from(sorted(self.effects)))
        original = Transaction.objects.get(pk=tx_id)
        if original.kind == "reversal":
            with pytest.raises(ValidationError, match="cannot be reversed"):
                ledger.post_reversal(transaction=original, reason="test")
            return
        if tx_id in self.reversed:
            with pytest.raises(ValidationError, match="already reversed"):
                ledger.post_reversal(transaction=original, reason="test")
            return
        undo = [(account, -change) for account, change in self.effects[tx_id]]
        overdraws = any(
            self.model[account] + change < 0
            for account, change in undo
            if account in {side.pk for side in self.sides}
        )
        if overdraws:
            with pytest.raises(ValidationError, match="never go below zero"):
                ledger.post_reversal(transaction=original, reason="test")
            return
        reversal = ledger.post_reversal(
            transaction=original, reason="test", effective_date=date(1986, 6, 30)
        )
        self.reversed.add(tx_id)
        self.apply(reversal, undo)

    @precondition(lambda self: self.keyed)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        _, (post, tx_id) = data.draw(st.sampled_from(self.keyed))
        assert post().pk == tx_id  # the same transaction, nothing posted

    # -- invariants -----------------------------------------------------------------------

    @invariant()
    def every_transaction_balances(self) -> None:
        with connection.cursor() as cursor:
            # Fire the deferred constraint triggers now (they would at commit).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(
                "SELECT t.id FROM vesting_transaction t JOIN vesting_posting p "
                "ON p.transaction_id = t.id WHERE t.employer_id = %s GROUP BY t.id "
                "HAVING count(*) < 2 OR sum(CASE WHEN p.direction = 'debit' THEN p.amount "
                "ELSE -p.amount END) <> 0",
                [self.employer.pk],
            )
            assert cursor.fetchall() == []
            cursor.execute(
                "SELECT coalesce(sum(CASE WHEN direction = 'debit' THEN amount ELSE -amount END), 0) "
                "FROM vesting_posting"
            )
            assert cursor.fetchone()[0] == 0
        assert Transaction.objects.filter(employer=self.employer).count() == len(self.effects)

    @invariant()
    def balances_equal_the_model(self) -> None:
        stored = dict(
            AccountBalance.objects.filter(account__fund__employer=self.employer).values_list(
                "account_id", "balance"
            )
        )
        for account_id, expected in self.model.items():
            assert stored.get(account_id, ZERO) == expected, account_id
            assert selectors.account_balance(account_id, as_of=date(1986, 12, 31)) == expected
        for account_id, value in stored.items():
            assert value == self.model[account_id]

    @invariant()
    def no_side_account_is_negative(self) -> None:
        for side in self.sides:
            assert selectors.account_balance(side) >= 0

    def teardown(self) -> None:
        assert selectors.balances_check() == []


@pytest.mark.django_db
def test_random_sequences_of_ledger_operations_keep_every_invariant():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
