"""Members and coverage services against real PostgreSQL.

Timelines are materialized by the services (R-EL1..R-EL11) and premium charges read
from them (R-PR1, R-PR2). Expected amounts are computed by hand from the 1983 schedule
that ships as data: FULL employer 133.93 + 41.67 + 30.00 = 205.60; THREE_QUARTER
employer 133.93 + 22.50 = 156.43, employee 7.50; SELF_PAY employee 133.93 + 30.00.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from accounts import rules, selectors, services
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
    PlanYear,
)
from tests.factories import ProgramFactory, UserFactory, hire

pytestmark = pytest.mark.django_db

D = Decimal


def timeline(employee: Employee) -> list[tuple]:
    return [(s.start, s.end, s.tier, s.source) for s in selectors.coverage_timeline_for(employee)]


def lines(employee: Employee, year: int, month: int) -> dict[tuple[str, str], Decimal]:
    return {
        (line.line, line.payer): line.amount
        for line in selectors.premium_lines_for(employee, year, month)
    }


def totals(employee: Employee, year: int, month: int) -> tuple[Decimal, Decimal]:
    found = selectors.premium_lines_for(employee, year, month)
    return (
        sum((x.amount for x in found if x.payer == "employer"), D("0")),
        sum((x.amount for x in found if x.payer == "employee"), D("0")),
    )


def snapshot() -> dict[str, list]:
    """Every accounts row, to prove a refused change left the database unchanged."""
    models = (
        Employer,
        Employee,
        HoursChange,
        ContinuationElection,
        CoverageSegment,
        CoverageOverride,
        Marriage,
        Dependent,
        BeneficiaryDesignation,
    )
    return {
        model.__name__: sorted(map(repr, model.objects.order_by("pk").values_list()))
        for model in models
    }


# ---------------------------------------------------------------------------------------
# R-PR1: the 1983 schedule ships as data
# ---------------------------------------------------------------------------------------


def test_R_PR1_the_1983_schedule_ships_as_a_data_migration():
    plan_year = PlanYear.objects.get(start_year=1983)
    rows = {row.tier: row for row in plan_year.premium_schedules.all()}
    assert set(rows) == {"full", "three_quarter", "self_pay"}
    assert rows["full"].employer_total == D("205.60")
    assert rows["full"].employee_total == D("0.00")
    assert rows["three_quarter"].employer_total == D("156.43")
    assert rows["three_quarter"].employee_total == D("7.50")
    assert rows["self_pay"].employer_total == D("0.00")
    assert rows["self_pay"].employee_total == D("163.93")
    assert plan_year.label == "1983-84"


# ---------------------------------------------------------------------------------------
# Eligibility tiers and coverage dates, materialized
# ---------------------------------------------------------------------------------------


def test_R_EL6_hired_on_the_11th_is_covered_from_the_first_of_the_second_month():
    employee = hire(hire_date=date(1983, 8, 11))
    assert timeline(employee) == [
        (date(1983, 8, 11), date(1983, 9, 30), "none", "hire"),
        (date(1983, 10, 1), None, "full", "hire"),
    ]


def test_R_EL6_hired_on_the_10th_is_covered_from_the_first_of_the_next_month():
    employee = hire(hire_date=date(1983, 8, 10))
    assert timeline(employee)[1] == (date(1983, 9, 1), None, "full", "hire")


def test_R_EL1_temporary_is_never_covered_nor_charged():
    employee = hire(hire_date=date(1983, 7, 5), status="temporary")
    assert timeline(employee) == [(date(1983, 7, 5), None, "none", "hire")]
    assert selectors.premium_lines_for(employee, 1983, 10) == []


def test_R_EL2_full_tier_employer_pays_205_60_a_month_in_1983():
    employee = hire(hire_date=date(1983, 7, 1), weekly_hours=D("30.00"))
    assert lines(employee, 1983, 9) == {
        ("major_medical", "employer"): D("133.93"),
        ("trust_fund", "employer"): D("41.67"),
        ("dental", "employer"): D("30.00"),
    }
    assert totals(employee, 1983, 9) == (D("205.60"), D("0"))


def test_R_EL3_three_quarter_employer_156_43_employee_7_50():
    employee = hire(hire_date=date(1983, 7, 1), weekly_hours=D("29.99"))
    assert selectors.coverage_timeline_for(employee)[1].tier == "three_quarter"
    assert lines(employee, 1983, 12) == {
        ("major_medical", "employer"): D("133.93"),
        ("dental", "employer"): D("22.50"),
        ("dental", "employee"): D("7.50"),
    }


def test_R_EL4_under_20_hours_is_covered_only_when_enrolled_paying_everything():
    not_enrolled = hire(hire_date=date(1983, 7, 1), weekly_hours=D("19.99"))
    enrolled = hire(hire_date=date(1983, 7, 1), weekly_hours=D("15"), self_pay_enrolled=True)
    assert [s.tier for s in selectors.coverage_timeline_for(not_enrolled)] == ["none"]
    assert selectors.coverage_timeline_for(enrolled)[1].tier == "self_pay"
    assert totals(enrolled, 1983, 8) == (D("0"), D("163.93"))
    # Enrolling later (a correction of the employee) recomputes the timeline.
    services.employee_update(employee=not_enrolled, self_pay_enrolled=True)
    assert selectors.coverage_timeline_for(not_enrolled)[1].tier == "self_pay"


def test_R_EL5_grandfathered_employer_pays_the_plan_year_share_of_the_full_cost():
    employee = hire(hire_date=date(1979, 3, 1), weekly_hours=D("15"), grandfathered=True)
    assert selectors.coverage_timeline_for(employee)[1].tier == "grandfathered"
    # 1983 plan-year share 0.50 of 133.93 (66.965 -> 66.97 half-up) and of 30.00.
    assert lines(employee, 1984, 1) == {
        ("major_medical", "employer"): D("66.97"),
        ("major_medical", "employee"): D("66.96"),
        ("dental", "employer"): D("15.00"),
        ("dental", "employee"): D("15.00"),
    }


def test_R_EL5_only_someone_employed_on_june_30_1979_can_be_grandfathered():
    program = ProgramFactory()
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        hire(program=program, hire_date=date(1979, 7, 2), weekly_hours=D("15"), grandfathered=True)
    assert "June 30, 1979" in error.value.message_dict["grandfathered"][0]
    assert snapshot() == before


def test_R_EL7_hours_raised_to_30_full_tier_from_the_first_of_the_next_month():
    employee = hire(hire_date=date(1982, 7, 1), weekly_hours=D("25"))
    services.employee_change_hours(
        employee=employee, effective_date=date(1983, 10, 1), weekly_hours=D("30")
    )
    assert timeline(employee)[-2:] == [
        (date(1982, 8, 1), date(1983, 10, 31), "three_quarter", "hire"),
        (date(1983, 11, 1), None, "full", "increase"),
    ]
    assert totals(employee, 1983, 10) == (D("156.43"), D("7.50"))
    assert totals(employee, 1983, 11) == (D("205.60"), D("0"))
    employee.refresh_from_db()
    assert (employee.status, employee.weekly_hours) == ("regular", D("30.00"))


def test_R_EL7_temporary_placed_on_regular_status_is_covered_next_month():
    employee = hire(hire_date=date(1983, 7, 5), status="temporary", weekly_hours=D("40"))
    services.employee_change_hours(
        employee=employee, effective_date=date(1984, 2, 15), weekly_hours=D("40"), status="regular"
    )
    assert timeline(employee)[-1] == (date(1984, 3, 1), None, "full", "increase")


def test_R_EL8_reduction_effective_in_august_moves_to_the_lower_tier_on_october_1():
    employee = hire(hire_date=date(1982, 7, 1))
    services.employee_change_hours(
        employee=employee, effective_date=date(1983, 8, 15), weekly_hours=D("25")
    )
    assert timeline(employee)[-1] == (date(1983, 10, 1), None, "three_quarter", "reduction")
    assert totals(employee, 1983, 9) == (D("205.60"), D("0"))


def test_R_EL8_elected_continuation_employer_pays_the_lower_tiers_employer_share():
    employee = hire(hire_date=date(1982, 7, 1))
    reduction = services.employee_change_hours(
        employee=employee, effective_date=date(1983, 11, 15), weekly_hours=D("25")
    )
    services.continuation_elect(
        employee=employee, reduction_id=reduction.pk, elected_on=date(1983, 11, 20)
    )
    segments = selectors.coverage_timeline_for(employee)
    election = segments[-2]
    assert (election.start, election.end, election.tier) == (
        date(1983, 12, 1),
        date(1984, 6, 30),
        "full",
    )
    assert election.employee_pays_difference and election.employer_basis == "three_quarter"
    assert (segments[-1].start, segments[-1].tier) == (date(1984, 7, 1), "three_quarter")
    # December 1983: the employer pays the THREE_QUARTER employer share (156.43), the
    # employee the rest of the FULL cost: the trust fund 41.67 and dental 7.50.
    assert lines(employee, 1983, 12) == {
        ("major_medical", "employer"): D("133.93"),
        ("trust_fund", "employee"): D("41.67"),
        ("dental", "employer"): D("22.50"),
        ("dental", "employee"): D("7.50"),
    }
    charges = selectors.monthly_premium_charges(
        employer_id=employee.employer_id, year=1983, month=12
    )
    assert charges.total(payer="employer") == D("156.43")
    assert charges.total(payer="employee") == D("49.17")


def test_R_EL8_no_election_for_a_reduction_effective_july_to_september():
    employee = hire(hire_date=date(1982, 7, 1))
    reduction = services.employee_change_hours(
        employee=employee, effective_date=date(1983, 9, 1), weekly_hours=D("25")
    )
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.continuation_elect(
            employee=employee, reduction_id=reduction.pk, elected_on=date(1983, 9, 2)
        )
    assert "no choice" in error.value.message_dict["reduction"][0]
    assert snapshot() == before


def test_R_EL8_election_after_the_lower_tier_started_is_refused():
    employee = hire(hire_date=date(1982, 7, 1))
    reduction = services.employee_change_hours(
        employee=employee, effective_date=date(1984, 1, 10), weekly_hours=D("25")
    )
    with pytest.raises(ValidationError) as error:
        services.continuation_elect(
            employee=employee, reduction_id=reduction.pk, elected_on=date(1984, 2, 1)
        )
    assert "1984-01-31" in error.value.message_dict["elected_on"][0]


def test_R_EL9_coverage_ends_on_the_last_day_of_the_month_of_separation():
    employee = hire(hire_date=date(1982, 7, 1))
    services.employee_separate(
        employee=employee, separation_date=date(1984, 3, 16), reason="resignation"
    )
    assert timeline(employee)[-2:] == [
        (date(1982, 8, 1), date(1984, 3, 31), "full", "hire"),
        (date(1984, 4, 1), None, "none", "separation"),
    ]
    assert totals(employee, 1984, 3) == (D("205.60"), D("0"))
    assert selectors.premium_lines_for(employee, 1984, 4) == []


def test_R_VE9_post_separation_continuation_the_person_pays_everything():
    employee = hire(hire_date=date(1982, 7, 1))
    services.employee_separate(
        employee=employee, separation_date=date(1984, 1, 20), reason="resignation"
    )
    services.separation_continuation_elect(
        employee=employee, elected_on=date(1984, 1, 25), until=date(1984, 4, 30)
    )
    assert lines(employee, 1984, 2) == {
        ("major_medical", "employee"): D("133.93"),
        ("dental", "employee"): D("30.00"),
    }
    assert selectors.premium_lines_for(employee, 1984, 5) == []
    with pytest.raises(ValidationError):  # a second continuation
        services.separation_continuation_elect(employee=employee, elected_on=date(1984, 2, 1))


def test_R_VE9_continuation_beyond_three_months_is_refused_and_nothing_saved():
    employee = hire(hire_date=date(1982, 7, 1))
    services.employee_separate(
        employee=employee, separation_date=date(1984, 1, 20), reason="resignation"
    )
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.separation_continuation_elect(
            employee=employee, elected_on=date(1984, 1, 25), until=date(1984, 5, 31)
        )
    assert "R-VE9" in error.value.message_dict["until"][0]
    assert snapshot() == before


def test_R_EL10_override_replaces_computed_dates_and_keeps_reason_and_author():
    clerk = UserFactory(username="clerk-ov", role="clerk")
    employee = hire(hire_date=date(1983, 8, 11))
    services.coverage_override_add(
        employee=employee,
        start=date(1983, 9, 1),
        end=date(1983, 9, 30),
        tier="full",
        reason="Transfer from Ukiah USD, covered there through August",
        created_by=clerk,
    )
    segment = selectors.coverage_timeline_for(employee)[1]
    assert (segment.start, segment.end, segment.tier, segment.source) == (
        date(1983, 9, 1),
        date(1983, 9, 30),
        "full",
        "override",
    )
    assert segment.reason == "Transfer from Ukiah USD, covered there through August"
    assert segment.author == "clerk-ov"
    assert totals(employee, 1983, 9) == (D("205.60"), D("0"))


def test_R_EL10_an_override_without_a_reason_is_refused():
    clerk = UserFactory(username="clerk-ov2", role="clerk")
    employee = hire(hire_date=date(1983, 8, 11))
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.coverage_override_add(
            employee=employee,
            start=date(1983, 9, 1),
            end=None,
            tier="full",
            reason="  ",
            created_by=clerk,
        )
    assert "reason" in error.value.message_dict
    assert snapshot() == before


def test_R_EL11_marriage_ends_one_policy_and_the_spouse_becomes_a_dependent():
    program = ProgramFactory()
    husband = hire(program=program, first_name="Robert", last_name="Okafor")
    wife = hire(program=program, first_name="Grace", last_name="Lindqvist")
    services.dependent_add(
        employee=wife,
        relationship="child",
        first_name="Ada",
        last_name="Lindqvist",
        birth_date=date(1978, 1, 2),
    )
    marriage = services.employees_marry(
        employee_a_id=husband.pk,
        employee_b_id=wife.pk,
        married_on=date(1983, 9, 17),
        retained_id=husband.pk,
    )
    assert marriage.other_id == wife.pk
    assert timeline(wife)[-2:] == [
        (date(1980, 8, 1), date(1983, 9, 30), "full", "hire"),
        (date(1983, 10, 1), None, "none", "marriage"),
    ]
    assert selectors.premium_lines_for(wife, 1983, 10) == []
    assert totals(husband, 1983, 10) == (D("205.60"), D("0"))
    spouse = husband.dependents.get(relationship="spouse")
    assert (spouse.spouse_employee_id, spouse.covered_from) == (wife.pk, date(1983, 10, 1))
    assert husband.dependents.filter(relationship="child", first_name="Ada").exists()
    assert wife.dependents.get(first_name="Ada").ended_on == date(1983, 9, 30)


def test_R_EL11_one_active_marriage_per_employee_also_in_the_database():
    program = ProgramFactory()
    a, b, c = (hire(program=program) for _ in range(3))
    services.employees_marry(
        employee_a_id=a.pk, employee_b_id=b.pk, married_on=date(1983, 9, 17), retained_id=a.pk
    )
    with pytest.raises(ValidationError) as error:
        services.employees_marry(
            employee_a_id=c.pk, employee_b_id=b.pk, married_on=date(1984, 1, 7), retained_id=c.pk
        )
    assert "already married" in error.value.message_dict["employee_b"][0]
    # The trigger refuses what the service would have refused, even for raw writes.
    with pytest.raises(IntegrityError), transaction.atomic():
        Marriage.objects.create(employee_a=c, employee_b=b, married_on=date(1984, 1, 7), retained=c)


# ---------------------------------------------------------------------------------------
# Validation leaves nothing behind
# ---------------------------------------------------------------------------------------


def test_hours_change_validation_and_nothing_half_saved():
    employee = hire(hire_date=date(1982, 7, 1))
    before = snapshot()
    for kwargs, field in (
        ({"effective_date": date(1982, 6, 30), "weekly_hours": D("20")}, "effective_date"),
        ({"effective_date": date(1983, 1, 3), "weekly_hours": D("-1")}, "weekly_hours"),
        ({"effective_date": date(1983, 1, 3), "weekly_hours": D("80.01")}, "weekly_hours"),
        ({"effective_date": date(1983, 1, 3), "weekly_hours": D("20"), "status": "x"}, "status"),
    ):
        with pytest.raises(ValidationError) as error:
            services.employee_change_hours(employee=employee, **kwargs)
        assert field in error.value.message_dict
    assert snapshot() == before


def test_separation_twice_or_before_hire_is_refused():
    employee = hire(hire_date=date(1982, 7, 1))
    with pytest.raises(ValidationError) as error:
        services.employee_separate(
            employee=employee, separation_date=date(1982, 6, 1), reason="resignation"
        )
    assert "before the hire date" in error.value.message_dict["separation_date"][0]
    services.employee_separate(
        employee=employee, separation_date=date(1984, 6, 1), reason="retirement"
    )
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.employee_separate(
            employee=employee, separation_date=date(1984, 7, 1), reason="resignation"
        )
    assert "already separated on 1984-06-01" in error.value.message_dict["separation_date"][0]
    assert snapshot() == before


def test_beneficiary_shares_may_not_total_more_than_100_percent():
    employee = hire()
    services.beneficiary_designate(
        employee=employee,
        name="Ann",
        relationship="daughter",
        share_percent=D("60"),
        signed_date=date(1983, 1, 4),
    )
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.beneficiary_designate(
            employee=employee,
            name="Ben",
            relationship="son",
            share_percent=D("40.01"),
            signed_date=date(1983, 1, 4),
        )
    assert "100.01%" in error.value.message_dict["share_percent"][0]
    assert snapshot() == before
    # A new statement replacing the old one may name new shares.
    services.beneficiary_designate(
        employee=employee,
        name="Ben",
        relationship="son",
        share_percent=D("100"),
        signed_date=date(1984, 2, 1),
        replace_current=True,
    )
    current = employee.beneficiaries.filter(revoked_on=None)
    assert [(b.name, b.share_percent) for b in current] == [("Ben", D("100.00"))]


def test_a_second_current_spouse_is_refused_by_service_and_database():
    employee = hire()
    services.dependent_add(employee=employee, relationship="spouse", first_name="A", last_name="B")
    with pytest.raises(ValidationError):
        services.dependent_add(
            employee=employee, relationship="spouse", first_name="C", last_name="D"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Dependent.objects.create(
            employee=employee, relationship="spouse", first_name="C", last_name="D"
        )


def test_coverage_segments_cannot_overlap_in_the_database():
    employee = hire(hire_date=date(1983, 8, 11))
    with pytest.raises(IntegrityError), transaction.atomic():
        CoverageSegment.objects.create(
            employee=employee, start=date(1983, 12, 1), end=None, tier="full", source="hire"
        )


# ---------------------------------------------------------------------------------------
# R-PR2: monthly charges (what payroll, the ledger and the reports read)
# ---------------------------------------------------------------------------------------


def test_R_PR2_month_charged_only_when_covered_on_the_first():
    employee = hire(hire_date=date(1983, 9, 5))  # covered from October 1 (R-EL6)
    assert selectors.premium_lines_for(employee, 1983, 9) == []
    assert totals(employee, 1983, 10) == (D("205.60"), D("0"))
    services.employee_separate(
        employee=employee, separation_date=date(1984, 3, 1), reason="resignation"
    )
    assert totals(employee, 1984, 3) == (D("205.60"), D("0"))  # covered on March 1
    assert selectors.premium_lines_for(employee, 1984, 4) == []


def test_R_PR2_monthly_charges_by_payer_and_program(django_assert_max_num_queries):
    employer = Employer.objects.create(code="MCOE", name="Mendocino County Office of Education")
    special = ProgramFactory(employer=employer, code="6500", categorically_funded=True)
    admin = ProgramFactory(employer=employer, code="0100")
    hire(program=special, hire_date=date(1983, 7, 1), last_name="Able")  # FULL
    hire(program=special, hire_date=date(1983, 7, 1), last_name="Baker", weekly_hours=D("25"))
    hire(program=admin, hire_date=date(1983, 7, 1), last_name="Cole")  # FULL
    hire(program=admin, hire_date=date(1983, 7, 1), last_name="Diaz", status="temporary")
    hire(program=admin, hire_date=date(1983, 9, 12), last_name="Eng")  # from November
    other = hire(hire_date=date(1983, 7, 1))  # another employer: not in these charges

    with django_assert_max_num_queries(2):
        charges = selectors.monthly_premium_charges(employer_id=employer.pk, year=1983, month=10)
    assert charges.employee_count == 3
    assert charges.total(payer="employer") == D("205.60") * 2 + D("156.43")
    assert charges.total(payer="employee") == D("7.50")
    assert charges.total(line="trust_fund") == D("83.34")
    assert charges.total(line="dental", payer="employee") == D("7.50")
    assert charges.totals_by_program() == {
        "0100": {"employer": D("205.60"), "employee": D("0.00"), "total": D("205.60")},
        "6500": {"employer": D("362.03"), "employee": D("7.50"), "total": D("369.53")},
    }
    first = charges.lines[0]
    assert (first.program_code, first.employee_name, first.line, first.payer, first.amount) == (
        "0100",
        "Cole, Pat",
        "major_medical",
        "employer",
        D("133.93"),
    )
    assert {line.employee_id for line in charges.lines}.isdisjoint({other.pk})
    november = selectors.monthly_premium_charges(employer_id=employer.pk, year=1983, month=11)
    assert november.employee_count == 4

    pool = selectors.monthly_premium_charges_all(year=1983, month=10)
    assert pool[employer.pk].lines == charges.lines
    assert pool[other.employer_id].total() == D("205.60")


def test_charges_for_a_year_without_a_premium_schedule_are_a_clear_error():
    employee = hire(hire_date=date(1983, 7, 1))
    with pytest.raises(ValidationError) as error:
        selectors.premium_lines_for(employee, 1990, 1)
    assert "1989-90" in error.value.message_dict["month"][0]


def test_covered_on_the_first_is_one_query(django_assert_num_queries):
    hire(hire_date=date(1983, 7, 1))
    hire(hire_date=date(1983, 7, 1), weekly_hours=D("22"))
    hire(hire_date=date(1983, 7, 1), status="temporary")
    with django_assert_num_queries(1):
        tiers = sorted(selectors.covered_on(day=date(1983, 10, 1)).values_list("tier", flat=True))
    assert tiers == ["full", "three_quarter"]


# ---------------------------------------------------------------------------------------
# Selectors for the clerk's pages
# ---------------------------------------------------------------------------------------


def test_employee_list_filters_by_name_number_tier_and_status(django_assert_num_queries):
    program = ProgramFactory()
    smith = hire(program=program, last_name="Smith", number="1201", hire_date=date(1983, 7, 1))
    hire(program=program, last_name="Smithers", weekly_hours=D("25"), hire_date=date(1983, 7, 1))
    hire(program=program, last_name="Jones", status="temporary", hire_date=date(1983, 7, 1))
    on = date(1984, 1, 1)

    def names(**filters):
        return [e.last_name for e in selectors.employee_list(on=on, **filters)]

    assert names(search="smi") == ["Smith", "Smithers"]
    assert names(search="120") == ["Smith"]
    assert names(tier="full") == ["Smith"]
    assert names(tier="none") == ["Jones"]
    assert names(status="temporary") == ["Jones"]
    assert names(employer_id=program.employer_id, tier="three_quarter") == ["Smithers"]
    with django_assert_num_queries(1):
        rows = list(selectors.employee_list(on=on))
    assert {(e.pk, e.current_tier) for e in rows} >= {(smith.pk, "full")}
    assert rows[0].employer.code and rows[0].program.code  # joined, no extra queries


def test_employees_without_a_beneficiary_are_listed():
    program = ProgramFactory()
    with_one = hire(program=program, last_name="Has")
    hire(program=program, last_name="Lacks")
    services.beneficiary_designate(
        employee=with_one,
        name="X",
        relationship="spouse",
        share_percent=D("100"),
        signed_date=date(1981, 1, 1),
    )
    found = selectors.employees_without_beneficiary(employer_id=program.employer_id)
    assert [e.last_name for e in found] == ["Lacks"]


# ---------------------------------------------------------------------------------------
# Demo data and the synthetic pool
# ---------------------------------------------------------------------------------------


def test_seed_members_builds_a_mendocino_like_office_through_the_services():
    from accounts.demo import demo_family_employee, seed_members

    user = UserFactory(username="employee", role="employee")
    family = seed_members(employee_user=user)
    assert family == demo_family_employee()
    assert family.user == user
    assert Employee.objects.filter(employer__code="MCOE").count() >= 165
    assert Employer.objects.count() >= 3
    assert family.dependents.filter(relationship="child").count() == 2
    assert selectors.premium_lines_for(family, 1984, 9)  # covered, FULL
    assert selectors.coverage_timeline_for(family)[-1].tier == "full"
    assert Marriage.objects.count() == 1
    assert Employee.objects.exclude(separation_date=None).count() >= 3
    assert selectors.employees_without_beneficiary().exists()
    assert set(PlanYear.objects.values_list("start_year", flat=True)) >= set(range(1979, 1987))
    revised = PlanYear.objects.get(start_year=1985).premium_schedules.get(tier="full")
    assert (revised.major_medical_employer, revised.dental_employer) == (D("141.30"), D("34.00"))
    tiers = set(selectors.covered_on(day=date(1984, 9, 1)).values_list("tier", flat=True))
    assert tiers == {"full", "three_quarter", "self_pay", "grandfathered"}
    count = Employee.objects.count()
    assert seed_members() == family and Employee.objects.count() == count  # idempotent


def test_generate_pool_writes_the_same_timelines_the_services_compute():
    call_command("generate_pool", employers=3, employees=90, years=4, seed=7, prefix="T")
    employees = Employee.objects.filter(employer__code__startswith="T")
    assert employees.count() == 90
    assert not employees.filter(coverage_segments=None).exists()
    for employee in employees.order_by("pk")[:40]:
        stored = [
            (s.start, s.end, s.tier, s.source, s.employer_basis)
            for s in selectors.coverage_timeline_for(employee)
        ]
        services.employee_recompute_coverage(employee=employee)
        recomputed = [
            (s.start, s.end, s.tier, s.source, s.employer_basis)
            for s in selectors.coverage_timeline_for(employee)
        ]
        assert stored == recomputed
    with pytest.raises(Exception, match="exist already"):
        call_command("generate_pool", employers=1, employees=5, prefix="T")


def test_rule_segments_round_trip_to_the_pure_rules():
    employee = hire(hire_date=date(1983, 8, 11))
    segments = selectors.rule_segments(selectors.coverage_timeline_for(employee))
    assert rules.tier_on(segments, date(1983, 10, 1)) is rules.Tier.FULL
    assert rules.months_in_tier(segments, policy_start_year=1983, tier=rules.Tier.FULL) == 9
