"""Go-live: an existing plan brought in as of a cut-over date (vesting.golive).

The plan's figures are chosen by hand; every expected amount below is worked out from
them and the rules (R-FU4 lines, R-VE7 dates, R-CL6 reductions), not read back from the code.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from reports import selectors as reports
from staywell.csv import csv_bytes
from tests.factories import EmployerFactory, ProgramFactory, hire, mark_separated, pay_claim
from vesting import golive, ledger
from vesting.ledger import selectors as ledger_selectors
from vesting.models import GoLive, Payout, Transaction, VestingLine
from vesting.payouts import payouts_process, runout_claim_paid, side_account_balance

pytestmark = pytest.mark.django_db

D = Decimal
CUTOVER = date(1985, 6, 30)
TODAY = date(1985, 7, 10)


def upload(rows, name="golive.csv"):
    return SimpleUploadedFile(name, csv_bytes(golive.COLUMNS, rows), content_type="text/csv")


@pytest.fixture
def plan():
    program = ProgramFactory(employer=EmployerFactory(code="MCS", name="Mendocino County Schools"))
    ann = hire(program=program, number="A1", first_name="Ann", last_name="Able")
    bob = hire(program=program, number="B1", first_name="Bob", last_name="Baker")
    # Bob left before the cut-over; the earlier administrator paid part of his money.
    bob = mark_separated(bob, on=date(1985, 3, 31))
    return program.employer, ann, bob


# Held at the cut-over: Ann 400 + 450 = 850; Bob 0 + 300 + 125 = 425; Vested Trust 1,275.
GOOD = [
    ("MCS", "general_trust", "", "", "8,725.00", ""),  # 10,000 forward - 1,275 vested
    ("MCS", "vested_trust", "", "", "1275.00", ""),
    ("MCS", "district", "", "", "500.00", ""),  # 700 interest - 250 costs + 50 unvested
    ("MCS", "balance_forward", "", "", "10000.00", ""),
    ("MCS", "refunds_to_date", "", "", "800.00", ""),
    ("MCS", "interest_forward", "", "", "700.00", ""),
    ("MCS", "admin_forward", "", "", "(250.00)", ""),
    ("MCS", "unvested_forward", "", "", "50.00", ""),
    ("MCS", "vested", "A1", "1983-84", "400.00", ""),
    ("MCS", "vested", "A1", "1984-85", "450.00", ""),
    ("MCS", "vested", "B1", "1982-83", "300.00", "300.00"),
    ("MCS", "vested", "B1", "1983", "500.00", "200.00"),
    ("MCS", "vested", "B1", "1984-85", "125.00", "0"),
]


def go_live(rows, cutover=CUTOVER):
    check = golive.golive_check(file=upload(rows), cutover=cutover, today=TODAY)
    assert check.ok, check.errors
    confirmed = golive.golive_confirm(go_live=check.go_live)
    return golive.golive_import(confirmed.pk)


def test_a_file_with_errors_is_refused_whole_with_row_and_column_messages(plan):
    bad = [
        *GOOD[:6],
        ("MCS", "admin_forward", "", "", "250.00", ""),  # row 8: a cost entered positive
        ("XXX", "district", "", "", "1.00", ""),  # row 9
        ("MCS", "vested", "Z9", "1983-84", "400.00", ""),  # row 10
        ("MCS", "vested", "A1", "1984-85", "12.345", ""),  # row 11
        ("MCS", "vested", "A1", "1985-86", "100.00", ""),  # row 12: not ended by the cut-over
        ("MCS", "vested", "A1", "1983-84", "400.00", "50.00"),  # row 13: Ann has not left
        ("MCS", "unvested_forward", "", "", "50.00", ""),
        ("MCS", "vested", "B1", "1982-83", "99999999999999999999", ""),  # row 15: absurd
    ]
    check = golive.golive_check(file=upload(bad), cutover=CUTOVER, today=TODAY)
    found = {(e["row"], e["field"]) for e in check.errors}
    assert {
        (8, "amount"),
        (9, "employer_code"),
        (10, "employee_number"),
        (11, "amount"),
        (12, "policy_year"),
        (13, "paid_out"),
        (15, "amount"),
        (3, "amount"),  # the Vested Trust Fund 1,275.00 is not what the rows hold (0.00)
    } <= found
    messages = {(e["row"], e["field"]): e["message"] for e in check.errors}
    assert "admin_forward is a deduction" in messages[(8, "amount")]
    assert "Unknown employer code 'XXX'" in messages[(9, "employer_code")]
    assert "1985-86 had not ended" in messages[(12, "policy_year")]
    assert not GoLive.objects.exists()
    assert not Transaction.objects.exists()
    assert not VestingLine.objects.exists()


def test_a_cutover_that_is_not_a_month_end_is_refused():
    check = golive.golive_check(file=upload(GOOD), cutover=date(1985, 6, 15), today=TODAY)
    assert check.errors == [
        {
            "row": None,
            "field": "cutover",
            "message": "The cut-over is a month end (such as June 30), not June 15.",
        }
    ]


def test_go_live_posts_every_fund_and_the_vested_years(plan):
    employer, ann, bob = plan
    done = go_live(GOOD)
    assert done.status == GoLive.Status.COMPLETED
    balances = ledger_selectors.employer_fund_balances(employer.pk, as_of=CUTOVER)
    assert balances["general_trust"] == D("8725.00")
    assert balances["vested_trust"] == D("1275.00")
    assert balances["district"] == D("500.00")
    assert balances["opening_balance"] == D("10000.00") + D("500.00") + D("800.00")
    assert side_account_balance(ann) == D("850.00")
    assert side_account_balance(bob) == D("425.00")
    lines = {
        (line.employee.number, line.policy_year): (line.amount, line.vested_on, line.outcome)
        for line in VestingLine.objects.select_related("employee")
    }
    assert lines == {
        ("A1", 1983): (D("400.00"), date(1984, 7, 1), "vested"),
        ("A1", 1984): (D("450.00"), date(1985, 7, 1), "vested"),
        ("B1", 1982): (D("300.00"), date(1983, 7, 1), "vested"),
        ("B1", 1983): (D("500.00"), date(1984, 7, 1), "vested"),
        ("B1", 1984): (D("125.00"), date(1985, 3, 31), "vested"),  # separation year, R-VE4
    }
    # The months to the cut-over were the earlier administrator's.
    assert ledger.next_month_to_close(employer.pk) == date(1985, 7, 1)


def test_the_same_file_twice_posts_once(plan):
    go_live(GOOD)
    posted = Transaction.objects.count()
    again = golive.golive_check(file=upload(GOOD), cutover=CUTOVER, today=TODAY)
    assert again.already_imported and not again.errors
    golive.golive_import(again.go_live.pk)
    assert Transaction.objects.count() == posted
    assert GoLive.objects.count() == 1
    # Another file for an employer that went live is refused, row by row.
    changed = [*GOOD[:-1], ("MCS", "vested", "B1", "1984-85", "125.00", "0.00")]
    refused = golive.golive_check(file=upload(changed), cutover=CUTOVER, today=TODAY)
    assert refused.errors[0]["field"] == "employer_code"
    assert "went live as of 1985-06-30 already" in refused.errors[0]["message"]


def test_R_VE7_payouts_of_carried_in_years_and_nothing_paid_twice(plan):
    _, _, bob = plan
    go_live(GOOD)
    payouts = {
        p.policy_year: (p.amount, p.status, p.due_on) for p in Payout.objects.filter(employee=bob)
    }
    assert payouts == {
        1982: (D("300.00"), "paid", date(1985, 3, 31)),  # paid in full before go-live
        # The year before the separation year: six months after June 30, 1984, or at
        # separation if later (R-VE7); 200.00 of it was paid before go-live.
        1983: (D("300.00"), "scheduled", date(1985, 3, 31)),
        # The separation year's amount: six months after the separation (R-VE7).
        1984: (D("125.00"), "held", date(1985, 10, 1)),
    }
    assert Payout.objects.get(employee=bob, policy_year=1982).paid_on == CUTOVER
    register = payouts_process(today=date(1985, 7, 15))
    assert register.total == D("300.00")  # only the 1983-84 rest; the held year waits
    assert side_account_balance(bob) == D("125.00")
    assert payouts_process(today=date(1985, 9, 30)) is None
    register = payouts_process(today=date(1985, 10, 1))
    assert register.total == D("125.00")
    assert side_account_balance(bob) == D("0.00")


def test_R_CL6_a_runout_claim_reduces_a_carried_in_year(plan):
    _, ann, bob = plan
    go_live(GOOD)
    pay_claim(
        employee=ann, amount="60.00", paid_on=date(1985, 7, 20), service_date=date(1985, 5, 2)
    )
    recovered = runout_claim_paid(
        employee=ann, policy_year=1984, amount=D("60.00"), paid_on=date(1985, 7, 20), reference="c1"
    )
    assert recovered == D("60.00")
    assert VestingLine.objects.get(employee=ann, policy_year=1984).amount == D("390.00")
    assert side_account_balance(ann) == D("790.00")
    # Bob's held separation-year amount is reduced before it is paid (R-VE7, R-CL6).
    pay_claim(
        employee=bob, amount="40.00", paid_on=date(1985, 8, 1), service_date=date(1985, 2, 10)
    )
    assert runout_claim_paid(
        employee=bob, policy_year=1984, amount=D("40.00"), paid_on=date(1985, 8, 1), reference="c2"
    ) == D("40.00")
    assert Payout.objects.get(employee=bob, policy_year=1984).amount == D("85.00")
    # A year paid out in full before go-live gives nothing back.
    assert runout_claim_paid(
        employee=bob, policy_year=1982, amount=D("10.00"), paid_on=date(1985, 8, 1), reference="c3"
    ) == D("0.00")


def test_the_next_fund_report_carries_the_figures_forward_and_ties(plan):
    employer, ann, _ = plan
    go_live(GOOD)
    pay_claim(
        employee=ann, amount="60.00", paid_on=date(1985, 7, 20), service_date=date(1985, 5, 2)
    )
    payouts_process(today=date(1985, 7, 15))  # Bob's 300.00
    report = reports.fund_report(policy_year=1985, employer_id=employer.pk)
    figures = report.figures()
    assert figures["balance_forward"] == D("10000.00")
    assert figures["prior_refunds"] == D("-300.00")
    assert figures["prior_year_claims"] == D("-60.00")
    assert figures["employee_cumulative_total"] == D("9640.00")
    assert figures["interest_forward"] == D("700.00")
    assert figures["admin_forward"] == D("-250.00")
    assert figures["unvested_forward"] == D("50.00")
    assert figures["district_subtotal"] == D("500.00")
    assert figures["total_refunds_to_date"] == D("1100.00")  # 800 before go-live + 300
    assert report.ties, report.checks


MID_YEAR = [
    ("MCS", "general_trust", "", "", "10100.00", ""),  # 10,950 employees' money - 850 vested
    ("MCS", "vested_trust", "", "", "850.00", ""),
    ("MCS", "district", "", "", "550.00", ""),  # 700 - 250 + 90 - 40 + 50
    ("MCS", "balance_forward", "", "", "10000.00", ""),
    ("MCS", "refunds_to_date", "", "", "800.00", ""),
    ("MCS", "interest_forward", "", "", "700.00", ""),
    ("MCS", "admin_forward", "", "", "-250.00", ""),
    ("MCS", "employer_cost", "", "", "3000.00", ""),
    ("MCS", "claims_processed", "", "", "-1200.00", ""),
    ("MCS", "prior_year_claims", "", "", "-300.00", ""),
    ("MCS", "prior_refunds", "", "", "-400.00", ""),
    ("MCS", "current_refunds", "", "", "-100.00", ""),
    ("MCS", "unvested_adjustment", "", "", "-50.00", ""),
    ("MCS", "interest_earned", "", "", "90.00", ""),
    ("MCS", "admin_expenses", "", "", "-40.00", ""),
    ("MCS", "unvested_year", "", "", "50.00", ""),
    ("MCS", "vested", "A1", "1983-84", "400.00", ""),
    ("MCS", "vested", "A1", "1984-85", "450.00", ""),
    # The families' trust-fund claims of the year to date: 500 + 400 + 300 = 1,200.
    ("MCS", "ytd_trust_claims", "A1", "", "500.00", ""),
    ("MCS", "ytd_trust_claims", "C1", "", "400.00", ""),
    ("MCS", "ytd_trust_claims", "D1", "", "300.00", ""),
]


def test_a_mid_year_cutover_puts_the_year_to_date_on_the_current_year_lines(plan):
    employer, _, _ = plan
    program = ProgramFactory(employer=employer)
    hire(program=program, number="C1")
    hire(program=program, number="D1")
    check = golive.golive_check(
        file=upload(MID_YEAR), cutover=date(1985, 12, 31), today=date(1986, 1, 10)
    )
    assert check.ok, check.errors
    golive.golive_import(golive.golive_confirm(go_live=check.go_live).pk)
    ledger.post_employer_contribution(employer=employer, year=1986, month=2, amount=D("1000.00"))
    figures = reports.fund_report(policy_year=1985, employer_id=employer.pk).figures()
    expected = {
        "balance_forward": D("10000.00"),
        "unvested_adjustment": D("-50.00"),
        "prior_refunds": D("-400.00"),
        "prior_year_claims": D("-300.00"),
        "employer_cost": D("4000.00"),  # 3,000 to date + February's 1,000
        "claims_processed": D("-1200.00"),
        "current_refunds": D("-100.00"),
        "employee_cumulative_total": D("11950.00"),
        "interest_forward": D("700.00"),
        "interest_earned": D("90.00"),
        "admin_forward": D("-250.00"),
        "admin_expenses": D("-40.00"),
        "unvested_forward": D("0.00"),
        "unvested_year": D("50.00"),
        "district_subtotal": D("550.00"),
        "total_refunds_to_date": D("1300.00"),  # 800 + 400 + 100
    }
    assert {key: figures[key] for key in expected} == expected
    following = reports.fund_report(policy_year=1986, employer_id=employer.pk)
    assert following.balance_forward == D("11950.00")
    assert following.interest_forward == D("790.00")
    assert following.admin_forward == D("-290.00")
    assert following.unvested_forward == D("50.00")
    assert following.total_refunds_to_date == D("1300.00")
    assert following.ties
    assert ledger.next_month_to_close(employer.pk) == date(1986, 1, 1)


def test_a_june_30_cutover_has_no_year_to_date_figures(plan):
    rows = [*GOOD, ("MCS", "employer_cost", "", "", "10.00", "")]
    check = golive.golive_check(file=upload(rows), cutover=CUTOVER, today=TODAY)
    assert [(e["row"], e["field"]) for e in check.errors] == [(15, "item")]
    assert "A June 30 cut-over has no year-to-date figures" in check.errors[0]["message"]


def test_the_figures_must_tie_before_anything_is_posted(plan):
    rows = [*GOOD]
    rows[0] = ("MCS", "general_trust", "", "", "8700.00", "")  # 25.00 short
    rows[2] = ("MCS", "district", "", "", "450.00", "")
    check = golive.golive_check(file=upload(rows), cutover=CUTOVER, today=TODAY)
    messages = {(e["row"], e["field"]): e["message"] for e in check.errors}
    assert set(messages) == {(2, "amount"), (4, "amount")}
    assert "add up to 10000.00" in messages[(2, "amount")]
    assert "add up to 500.00" in messages[(4, "amount")]
    assert not GoLive.objects.exists()


def test_separations_in_the_file_are_checked_and_recorded(plan):
    _, ann, _ = plan
    rows = [*GOOD]
    rows[8] = ("MCS", "vested", "A1", "1983-84", "400.00", "", "1985-07-31", "")  # after
    rows[9] = ("MCS", "vested", "A1", "1984-85", "450.00", "", "1985-05-31", "quit")
    check = golive.golive_check(file=upload(rows), cutover=CUTOVER, today=TODAY)
    found = {(e["row"], e["field"]): e["message"] for e in check.errors}
    assert "after the cut-over" in found[(10, "separation_date")]
    assert "Choose resignation, retirement" in found[(11, "separation_reason")]
    rows[8] = ("MCS", "vested", "A1", "1983-84", "400.00", "400.00", "1985-05-31", "retirement")
    rows[9] = ("MCS", "vested", "A1", "1984-85", "450.00", "", "", "")
    rows[1] = ("MCS", "vested_trust", "", "", "875.00", "")  # 450 + 425
    rows[0] = ("MCS", "general_trust", "", "", "9125.00", "")
    go_live(rows)
    ann.refresh_from_db()
    assert (ann.separation_date, ann.separation_reason) == (date(1985, 5, 31), "retirement")
    payouts = {p.policy_year: (p.amount, p.status) for p in Payout.objects.filter(employee=ann)}
    # 1983-84 was paid before go-live; 1984-85, the separation year, six months after.
    assert payouts == {1983: (D("400.00"), "paid"), 1984: (D("450.00"), "held")}
    assert side_account_balance(ann) == D("450.00")


def test_R_VE7_a_separation_after_go_live_holds_the_carried_in_year_before_it(plan):
    from accounts import services as member_services

    _, ann, _ = plan
    go_live(GOOD)
    member_services.employee_separate(
        employee=ann, separation_date=date(1985, 9, 30), reason="resignation"
    )
    payouts = {
        p.policy_year: (p.amount, p.status, p.due_on)
        for p in Payout.objects.filter(employee=ann, policy_year__in=[1983, 1984])
    }
    assert payouts == {
        1983: (D("400.00"), "scheduled", date(1985, 9, 30)),  # earlier years: at separation
        # The year before the separation year: six months after June 30, 1985 (R-VE7's
        # own example: January 1 after a September separation).
        1984: (D("450.00"), "held", date(1986, 1, 1)),
    }
    payouts_process(today=date(1985, 10, 1))
    statuses = dict(
        Payout.objects.filter(employee=ann, policy_year__in=[1983, 1984]).values_list(
            "policy_year", "status"
        )
    )
    assert statuses == {1983: "paid", 1984: "held"}  # 1984-85 waits for January 1, 1986
    assert side_account_balance(ann) >= D("450.00")


def test_the_rollover_of_a_carried_in_year_vests_nothing_again(plan):
    from vesting import rollover

    employer, ann, bob = plan
    go_live(GOOD)
    posted = Transaction.objects.count()
    # Its months need no closes: the year ended by the cut-over (refused otherwise).
    run = rollover.rollover_start(policy_year=1984, today=date(1985, 7, 1), queue=False)
    run = rollover.rollover_execute(run.pk)
    assert run.status == "completed"
    assert Transaction.objects.count() == posted
    assert VestingLine.objects.filter(employee__employer=employer).count() == 5
    assert (side_account_balance(ann), side_account_balance(bob)) == (D("850.00"), D("425.00"))
