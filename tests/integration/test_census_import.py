"""Census import (accounts.census) against PostgreSQL: all or nothing, idempotent."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from accounts import census, services
from accounts.models import ContinuationElection, CoverageSegment, Employee, HoursChange
from tests.factories import EmployerFactory, ProgramFactory, UserFactory, hire

pytestmark = pytest.mark.django_db

HEADER = (
    "employer_code,employee_number,last_name,first_name,birth_date,hire_date,status,"
    "weekly_hours,effective_date,program_code,grandfathered"
)
ANA = "MCOE,1234,Rivera,Ana,1951-04-02,1983-08-11,regular,40,,0100,no"
TOM = "MCOE,1235,Lee,Tom,06/15/1948,09/01/1980,regular,25,,6500,"
KIM = "NCUSD,77,Moss,Kim,,1979-03-01,regular,15,,0000,yes"


@pytest.fixture
def codes():
    mcoe = EmployerFactory(code="MCOE", name="Mendocino County Office of Education")
    ncusd = EmployerFactory(code="NCUSD", name="North Coast USD")
    return {
        "0100": ProgramFactory(employer=mcoe, code="0100"),
        "6500": ProgramFactory(employer=mcoe, code="6500"),
        "0000": ProgramFactory(employer=ncusd, code="0000"),
    }


def run(*lines: str, encoding: str = "utf-8", **kwargs) -> census.CensusResult:
    data = ("\r\n".join(lines) + "\r\n").encode(encoding) if lines else b""
    return census.census_import(file=io.BytesIO(data), **kwargs)


def state() -> list:
    """Every employee with its hours history and coverage: the import's whole effect."""
    return [
        (
            employee.employer.code,
            employee.number,
            employee.program.code,
            employee.status,
            employee.weekly_hours,
            list(
                employee.hours_changes.order_by("effective_date").values_list(
                    "effective_date", "status", "weekly_hours"
                )
            ),
            list(
                CoverageSegment.objects.filter(employee=employee)
                .order_by("start")
                .values_list("start", "end", "tier", "source")
            ),
        )
        for employee in Employee.objects.select_related("employer", "program").order_by("pk")
    ]


def test_R_EL6_valid_census_hires_everyone_with_their_coverage(codes):
    clerk = UserFactory(username="censusclerk", role="clerk")
    result = run(HEADER, ANA, TOM, KIM, user=clerk)
    assert result.errors == []
    assert (result.rows, result.created, result.changed, result.unchanged) == (3, 3, 0, 0)
    assert result.saved
    ana = Employee.objects.get(number="1234")
    assert ana.birth_date == date(1951, 4, 2)
    assert ana.hours_changes.get().created_by == clerk
    first = (
        CoverageSegment.objects.filter(employee=ana).exclude(tier="none").order_by("start").first()
    )
    assert (first.start, first.tier) == (date(1983, 10, 1), "full")  # hired Aug 11 (R-EL6)
    tom = Employee.objects.get(number="1235")
    assert (tom.hire_date, tom.birth_date, tom.weekly_hours) == (
        date(1980, 9, 1),
        date(1948, 6, 15),
        Decimal("25"),
    )
    assert tom.program == codes["6500"]
    kim = Employee.objects.get(number="77")
    assert kim.grandfathered and kim.employer.code == "NCUSD"


def test_reimporting_the_same_file_changes_nothing(codes):
    run(HEADER, ANA, TOM, KIM)
    before = state()
    result = run(HEADER, ANA, TOM, KIM)
    assert result.errors == []
    assert (result.created, result.changed, result.unchanged) == (0, 0, 3)
    assert state() == before


def test_one_bad_row_rejects_the_whole_file_with_the_row_number(codes):
    result = run(HEADER, ANA, "MCOE,1236,Lee,Tom,,1980-09-01,regular,85,,6500,", KIM)
    assert not result.saved
    assert result.errors == [
        {"row": 3, "field": "weekly_hours", "message": "Weekly hours must be from 0 to 80, not 85."}
    ]
    assert Employee.objects.count() == 0
    assert HoursChange.objects.count() == 0


def test_every_bad_row_is_listed_and_nothing_is_written(codes):
    hire(
        program=codes["0100"],
        number="500",
        last_name="Oak",
        first_name="Al",
        hire_date=date(1980, 7, 1),
    )
    before = state()
    result = run(
        HEADER,
        ANA,
        "XX,1,Doe,Jo,,1980-07-01,regular,40,,0100,",  # unknown employer
        "MCOE,2,Doe,Jo,,1980-07-01,regular,40,,9999,",  # unknown program
        "MCOE,3,Doe,Jo,,1980-13-01,regular,40,,0100,",  # bad date
        "MCOE,4,Doe,Jo,,1980-07-01,sometimes,40,,0100,",  # bad status
        "MCOE,5,Doe,Jo,,1980-07-01,regular,-1,,0100,",  # hours below 0
        "MCOE,6,Doe,Jo,,1985-07-01,regular,40,,0100,yes",  # R-EL5 after 1979 (a service's check)
        "MCOE,1234,Rivera,Ana,,1983-08-11,regular,40,,0100,",  # twice in the file
        "MCOE,,Doe,,,1980-07-01,regular,40,,0100,",  # number and first name missing
        "MCOE,500,Oak,Bob,,1980-07-01,regular,40,,0100,",  # another person's number
    )
    assert not result.saved
    found = {(error["row"], error["field"]) for error in result.errors}
    assert found == {
        (3, "employer_code"),
        (4, "program_code"),
        (5, "hire_date"),
        (6, "status"),
        (7, "weekly_hours"),
        (8, "grandfathered"),
        (9, "employee_number"),
        (10, "employee_number"),
        (10, "first_name"),
        (11, "first_name"),
    }
    by_row = {error["row"]: error["message"] for error in result.errors}
    assert by_row[3] == "Unknown employer code 'XX'."
    assert by_row[4] == "Unknown program '9999' for employer MCOE."
    assert by_row[8] == "Only an employee employed on June 30, 1979 can be grandfathered (R-EL5)."
    assert by_row[9] == "Employee MCOE 1234 is already on row 2; one row per employee."
    assert "has first name Al on file, not Bob" in by_row[11]
    assert state() == before


def test_R_EL8_hours_change_by_reimport_with_a_new_effective_date(codes):
    run(HEADER, ANA)
    reduced = "MCOE,1234,Rivera,Ana,1951-04-02,1983-08-11,regular,25,1984-01-15,0100,no"
    result = run(HEADER, reduced, TOM)
    assert result.errors == []
    assert (result.created, result.changed, result.unchanged) == (1, 1, 0)
    ana = Employee.objects.get(number="1234")
    assert list(ana.hours_changes.values_list("effective_date", "weekly_hours")) == [
        (date(1983, 8, 11), Decimal("40.00")),
        (date(1984, 1, 15), Decimal("25.00")),
    ]
    assert ana.weekly_hours == Decimal("25.00")
    lower = CoverageSegment.objects.get(employee=ana, tier="three_quarter")
    assert lower.start == date(1984, 2, 1)  # R-EL8: no election through the census
    assert not ContinuationElection.objects.exists()
    before = state()
    again = run(HEADER, reduced, TOM)
    assert (again.created, again.changed, again.unchanged) == (0, 0, 2)
    assert state() == before
    # The first file again (no effective date: it states today's hours, 40) now differs
    # from the record and asks for the date rather than guessing one.
    stale = run(HEADER, ANA)
    assert [error["field"] for error in stale.errors] == ["effective_date"]
    assert state() == before


def test_changed_hours_without_an_effective_date_are_refused(codes):
    run(HEADER, ANA)
    before = state()
    result = run(HEADER, ANA.replace(",40,", ",25,"))
    assert result.errors == [
        {
            "row": 2,
            "field": "effective_date",
            "message": "The status or hours differ from the record (40.00 hours, regular, "
            "since 1983-08-11); give the date the change takes effect.",
        }
    ]
    assert state() == before


def test_an_hours_change_dated_before_the_hire_is_refused(codes):
    run(HEADER, ANA)
    before = state()
    result = run(HEADER, "MCOE,1234,Rivera,Ana,,1983-08-11,regular,25,1983-08-01,0100,")
    assert result.errors[0]["row"] == 2
    assert result.errors[0]["field"] == "effective_date"
    assert "before the hire date" in result.errors[0]["message"]
    assert state() == before


def test_a_program_transfer_counts_as_a_change(codes):
    run(HEADER, ANA)
    result = run(HEADER, ANA.replace(",0100,", ",6500,"))
    assert (result.changed, result.unchanged) == (1, 0)
    assert Employee.objects.get(number="1234").program == codes["6500"]


def test_check_only_reports_the_counts_and_saves_nothing(codes):
    result = run(HEADER, ANA, TOM, check_only=True)
    assert result.errors == [] and not result.saved
    assert result.created == 2
    assert Employee.objects.count() == 0


def test_a_non_utf8_file_is_refused_with_a_clear_message(codes):
    result = run(HEADER, "MCOE,1234,Muñoz,Ana,,1983-08-11,regular,40,,0100,", encoding="latin-1")
    assert len(result.errors) == 1
    assert result.errors[0]["row"] == 2
    assert result.errors[0]["message"].startswith("The file is not UTF-8 text.")
    assert "CSV UTF-8" in result.errors[0]["message"]
    assert Employee.objects.count() == 0


def test_a_utf8_file_with_a_byte_order_mark_and_accents_is_read(codes):
    data = (
        "\ufeff" + HEADER + "\r\nMCOE,1234,Muñoz,Ana,,1983-08-11,Regular,40,,0100,\r\n"
    ).encode()
    result = census.census_import(file=io.BytesIO(data))
    assert result.errors == []
    assert Employee.objects.get().last_name == "Muñoz"


def test_a_missing_column_is_named(codes):
    header = HEADER.replace(",weekly_hours", "")
    result = run(header, ANA.replace(",40,", ","))
    assert result.errors == [
        {
            "row": 1,
            "field": "header",
            "message": "Missing column: weekly_hours. The first row must name the columns: "
            + HEADER.replace(",", ", ")
            + ".",
        }
    ]


def test_columns_in_another_order_and_extra_columns_are_fine(codes):
    header = "Employee_Number,EMPLOYER_CODE,note," + ",".join(HEADER.split(",")[2:])
    row = "1234,MCOE,hello," + ",".join(ANA.split(",")[2:])
    result = run(header, row)
    assert result.errors == []
    assert result.ignored_columns == ["note"]
    assert Employee.objects.get().number == "1234"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ((), "The file is empty."),
        ((HEADER,), "The file has no employee rows."),
    ],
)
def test_an_empty_file_or_a_header_alone_is_refused(codes, lines, message):
    result = run(*lines)
    assert [error["message"] for error in result.errors] == [message]


def test_a_file_over_the_row_limit_is_refused_without_reading_it_all(codes, monkeypatch):
    monkeypatch.setattr(census, "MAX_ROWS", 2)
    result = run(HEADER, ANA, TOM, KIM)
    assert result.errors == [
        {
            "row": 4,
            "field": "file",
            "message": "The file has more than 2 rows; split it (e.g. by employer) and import "
            "the parts one by one.",
        }
    ]
    assert Employee.objects.count() == 0


def test_a_row_with_too_many_values_is_refused(codes):
    result = run(HEADER, ANA + ",surplus")
    assert result.errors[0]["row"] == 2 and "12 values" in result.errors[0]["message"]


def test_blank_lines_are_skipped(codes):
    result = run(HEADER, ANA, "", ",,,,,,,,,,", TOM)
    assert result.errors == [] and result.created == 2


def test_the_template_is_the_header_row():
    assert census.template_csv() == HEADER + "\r\n"


def test_a_separated_employee_in_the_census_is_unchanged(codes):
    run(HEADER, ANA)
    ana = Employee.objects.get()
    services.employee_separate(employee=ana, separation_date=date(1985, 6, 30), reason="retirement")
    assert run(HEADER, ANA).unchanged == 1
