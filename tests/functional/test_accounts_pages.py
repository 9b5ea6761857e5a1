"""The clerk's member pages through the test client.

Every refused input shows its message next to the field (inside the field's error form
group, linked from the input's aria-describedby and from the error summary) and leaves
the database exactly as it was.
"""

from __future__ import annotations

import html
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import (
    BeneficiaryDesignation,
    ContinuationElection,
    CoverageOverride,
    Dependent,
    Employee,
    SeparationContinuation,
)
from tests.factories import (
    BeneficiaryDesignationFactory,
    DependentFactory,
    EmployerFactory,
    ProgramFactory,
    hire,
)
from tests.snapshots import accounts_snapshot as snapshot

pytestmark = pytest.mark.django_db

D = Decimal
DASH = "\u2013"  # the grid's "not covered" (an en dash)


# ---------------------------------------------------------------------------------------
# Helpers: a small DOM of the page, the database before and after
# ---------------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        return " ".join(
            " ".join((child if isinstance(child, str) else child.text()).split())
            for child in self.children
        ).strip()

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        return [
            node
            for node in self.iter()
            if (tag is None or node.tag == tag)
            and (cls is None or cls in node.classes)
            and all(
                node.attrs.get(name.replace("_", "-")) == value for name, value in attrs.items()
            )
        ]

    def by_id(self, element_id: str) -> Node | None:
        return next((node for node in self.iter() if node.attrs.get("id") == element_id), None)

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("root", {}, None)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {name: value or "" for name, value in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def dom(response) -> Node:
    builder = _Builder()
    builder.feed(response.content.decode())
    return builder.root


def text(response) -> str:
    """The page's HTML with character references resolved (Ana Rivera's, not &#x27;)."""
    return html.unescape(response.content.decode())


def assert_inline_error(response, field: str, fragment: str) -> None:
    """The message is next to the field: in the field's error group, described by it,
    and linked from the error summary at the top of the form."""
    assert response.status_code == 200, response.status_code
    page = dom(response)
    error = page.by_id(f"id_{field}-error")
    assert error is not None, f"no inline error for {field}: {text(response)[:3000]}"
    assert fragment in error.text(), error.text()
    group = next(node for node in error.ancestors() if "usa-form-group" in node.classes)
    assert "usa-form-group--error" in group.classes
    control = group.by_id(f"id_{field}") or group.by_id(f"id_{field}_0")
    assert control is not None, f"the {field} control is not in its error group"
    assert f"id_{field}-error" in control.attrs.get("aria-describedby", "")
    summary = page.by_id("error-summary")
    assert summary is not None
    assert any(
        link.attrs.get("href") in (f"#id_{field}", f"#id_{field}_0") and fragment in link.text()
        for link in summary.find_all("a")
    )


def grid(response) -> dict[str, list[str]]:
    """The coverage grid: plan year -> the twelve visible cell texts (July first)."""
    table = dom(response).find_all("table", cls="sw-grid")[0]
    rows = {}
    for row in table.find_all("tr")[1:]:
        label = row.find_all("th")[0].text()
        rows[label] = [
            cell.find_all("span", aria_hidden="true")[0].text().replace(" ", "")
            for cell in row.find_all("td")
        ]
    return rows


def detail_url(employee) -> str:
    return reverse("accounts:employee_detail", args=[employee.pk])


# ---------------------------------------------------------------------------------------
# The employee list
# ---------------------------------------------------------------------------------------


@pytest.fixture
def people():
    north = ProgramFactory(employer=EmployerFactory(code="NORTH", name="North USD"), code="0100")
    south = ProgramFactory(employer=EmployerFactory(code="SOUTH", name="South USD"), code="6500")
    return {
        "rivera": hire(program=north, number="1001", last_name="Rivera", first_name="Ana"),
        "rivers": hire(
            program=south,
            number="2002",
            last_name="Rivers",
            first_name="Tom",
            weekly_hours=D("25"),
        ),
        "lee": hire(program=north, number="1003", last_name="Lee", first_name="Rita"),
        "temp": hire(
            program=south,
            number="2004",
            last_name="Moss",
            first_name="Kim",
            status="temporary",
        ),
    }


def names(response) -> list[str]:
    table = dom(response).find_all("table")[0]
    return [row.find_all("th")[0].text() for row in table.find_all("tr")[1:] if row.find_all("th")]


def test_list_searches_by_the_start_of_a_name_or_number(clerk_client, people):
    url = reverse("accounts:employee_list")
    assert names(clerk_client.get(url, {"q": "rive"})) == ["Rivera, Ana", "Rivers, Tom"]
    assert names(clerk_client.get(url, {"q": "ri"})) == ["Lee, Rita", "Rivera, Ana", "Rivers, Tom"]
    assert names(clerk_client.get(url, {"q": "200"})) == ["Moss, Kim", "Rivers, Tom"]
    assert names(clerk_client.get(url, {"q": "ana rive"})) == ["Rivera, Ana"]
    empty = clerk_client.get(url, {"q": "zzz"})
    assert "No employee matches" in text(empty)
    assert "0 employees match" in text(empty)


def test_list_filters_by_employer_program_tier_status_and_employment(clerk_client, people):
    url = reverse("accounts:employee_list")
    south = people["rivers"].employer
    assert names(clerk_client.get(url, {"employer": south.pk})) == ["Moss, Kim", "Rivers, Tom"]
    assert names(clerk_client.get(url, {"program": "0100"})) == ["Lee, Rita", "Rivera, Ana"]
    # R-EL2 / R-EL3 / R-EL1: the tier today of 40-hour, 25-hour and temporary employees.
    assert names(clerk_client.get(url, {"tier": "full"})) == ["Lee, Rita", "Rivera, Ana"]
    assert names(clerk_client.get(url, {"tier": "three_quarter"})) == ["Rivers, Tom"]
    assert names(clerk_client.get(url, {"tier": "none"})) == ["Moss, Kim"]
    assert names(clerk_client.get(url, {"status": "temporary"})) == ["Moss, Kim"]
    services.employee_separate(
        employee=people["lee"], separation_date=date(1985, 6, 30), reason="retirement"
    )
    assert names(clerk_client.get(url, {"employment": "separated"})) == ["Lee, Rita"]
    assert "Lee, Rita" not in names(clerk_client.get(url, {"employment": "active"}))
    combined = clerk_client.get(url, {"q": "ri", "employer": people["rivera"].employer_id})
    assert names(combined) == ["Lee, Rita", "Rivera, Ana"]
    # A bad filter value is ignored, not a server error.
    assert clerk_client.get(url, {"employer": "abc", "tier": "gold"}).status_code == 200


def test_list_shows_tier_hours_and_links_to_the_employee_page(clerk_client, people):
    response = clerk_client.get(reverse("accounts:employee_list"), {"q": "rivers"})
    row = dom(response).find_all("tbody")[0].find_all("tr")[0]
    cells = [cell.text() for cell in row.find_all("td")]
    assert cells[:6] == ["2002", "SOUTH", "6500", "Regular", "25.00", "Three-quarter (20-29 hours)"]
    assert row.find_all("a")[0].attrs["href"] == detail_url(people["rivers"])


def test_list_search_box_autofocuses_and_searches_as_you_type_with_a_no_js_fallback(
    clerk_client, people
):
    page = dom(clerk_client.get(reverse("accounts:employee_list")))
    box = page.by_id("id_q")
    assert box.attrs["type"] == "search"
    assert "autofocus" in box.attrs
    assert box.attrs["hx-trigger"] == "input changed delay:200ms, search"
    assert box.attrs["hx-target"] == "#employee-results"
    assert box.attrs["hx-push-url"] == "true"
    assert page.find_all("label", **{"for": "id_q"})
    form = next(node for node in box.ancestors() if node.tag == "form")
    assert form.attrs["method"] == "get"
    assert form.find_all("button", type="submit")
    table = page.find_all("table")[0]
    assert table.find_all("caption")
    assert all(th.attrs.get("scope") for th in table.find_all("th"))


def test_list_htmx_request_gets_only_the_results_and_the_count(clerk_client, people):
    response = clerk_client.get(
        reverse("accounts:employee_list"), {"q": "rive"}, headers={"HX-Request": "true"}
    )
    content = text(response)
    assert "<h1>" not in content
    assert 'hx-swap-oob="true"' in content
    assert "2 employees match" in content
    assert names(response) == ["Rivera, Ana", "Rivers, Tom"]


def _pool(size: int) -> None:
    program = ProgramFactory()
    Employee.objects.bulk_create(
        [
            Employee(
                employer_id=program.employer_id,
                program=program,
                number=f"{index:05d}",
                first_name="Pat",
                last_name=f"Name{index:05d}",
                hire_date=date(1980, 7, 1),
                status="regular",
                weekly_hours=D("40"),
            )
            for index in range(size)
        ]
    )


def test_list_paginates_50_a_page(clerk_client):
    _pool(120)
    url = reverse("accounts:employee_list")
    first = clerk_client.get(url)
    assert len(names(first)) == 50
    assert names(first)[0] == "Name00000, Pat"
    last = clerk_client.get(url, {"page": 3})
    assert len(names(last)) == 20
    assert names(last)[-1] == "Name00119, Pat"
    content = text(last)
    assert "120 employees match" in content
    assert "page 3 of 3" in content
    nav = dom(last).find_all("nav", cls="usa-pagination")[0]
    assert any(a.attrs.get("aria-current") == "page" and a.text() == "3" for a in nav.find_all("a"))
    filtered = clerk_client.get(url, {"q": "name0011", "page": 1})
    assert len(names(filtered)) == 10
    assert "usa-pagination" not in text(filtered)


@pytest.mark.parametrize("size", [3, 60])
def test_list_queries_do_not_grow_with_the_rows(clerk_client, django_assert_num_queries, size):
    _pool(size)
    clerk_client.get(reverse("accounts:employee_list"))  # warm the session
    # The session comes from Redis; the user with its roles, and the second-factor device,
    # from prepared statements (staywell.db.prepared_rows, not counted here); then
    # employers, program codes (filters); count, page of rows.
    with django_assert_num_queries(4):
        response = clerk_client.get(reverse("accounts:employee_list"))
    assert len(names(response)) == min(size, 50)


def test_list_count_stops_at_the_limit(clerk_client, monkeypatch):
    from accounts import views

    monkeypatch.setattr(views, "COUNT_LIMIT", 10)
    _pool(15)
    response = clerk_client.get(reverse("accounts:employee_list"))
    assert "More than 10 employees match" in text(response)


# ---------------------------------------------------------------------------------------
# The employee page
# ---------------------------------------------------------------------------------------


def test_R_EL6_employee_page_hired_1983_08_11_is_first_covered_in_october(clerk_client):
    employee = hire(
        hire_date=date(1983, 8, 11), last_name="Rivera", first_name="Ana", number="1234"
    )
    response = clerk_client.get(detail_url(employee))
    assert response.status_code == 200
    content = text(response)
    assert "<h1>Ana Rivera</h1>" in content
    # Before the hire (July, August 1): empty; September: not covered; October on: Full.
    assert grid(response) == {
        "1983-84": ["", "", DASH, "F", "F", "F", "F", "F", "F", "F", "F", "F"]
    }
    assert (
        "From October 1, 1983 on: <strong>Full (30+ hours)</strong> (hire), with no later change"
        in content
    )
    assert "Plan year" in content and ">Jul<" in content and ">Jun<" in content
    for words in (
        "F</b> Full (30+ hours)",
        "¾</b> Three-quarter",
        "S</b> Self-pay",
        "G</b> Grandfathered",
        f"{DASH}</b> Not covered",
    ):
        assert words in content


def test_R_EL8_timeline_marks_the_elected_continuation_across_plan_years(clerk_client):
    employee = hire(hire_date=date(1983, 8, 11))
    change = services.employee_change_hours(
        employee=employee, effective_date=date(1984, 1, 15), weekly_hours=D("25")
    )
    services.continuation_elect(
        employee=employee, reduction_id=change.pk, elected_on=date(1984, 1, 20)
    )
    rows = grid(clerk_client.get(detail_url(employee)))
    assert rows["1983-84"] == ["", "", DASH, "F", "F", "F", "F", "FE", "FE", "FE", "FE", "FE"]
    assert rows["1984-85"][0] == "¾"
    content = text(clerk_client.get(detail_url(employee)))
    assert "The employer pays the Three-quarter (20-29 hours) share" in content
    assert "Yes, signed 1984-01-20" in content


def test_R_EL10_employee_page_lists_the_override_with_reason_and_author(clerk_client, clerk_user):
    employee = hire(hire_date=date(1983, 8, 11))
    clerk_user.first_name, clerk_user.last_name = "Carla", "Clerk"
    clerk_user.save()
    services.coverage_override_add(
        employee=employee,
        start=date(1983, 9, 1),
        end=date(1983, 9, 30),
        tier="full",
        reason="Transfer from Ukiah USD, covered there",
        created_by=clerk_user,
    )
    response = clerk_client.get(detail_url(employee))
    assert grid(response)["1983-84"][2] == "FO"
    assert "Reason: Transfer from Ukiah USD, covered there (by Carla Clerk)" in text(response)


def test_employee_page_header_family_beneficiaries_and_history(clerk_client):
    employee = hire(
        hire_date=date(1980, 7, 1),
        last_name="Rivera",
        first_name="Ana",
        number="1234",
        birth_date=date(1950, 3, 4),
    )
    services.employee_change_hours(
        employee=employee, effective_date=date(1984, 9, 1), weekly_hours=D("37.5")
    )
    DependentFactory(employee=employee, first_name="Luz", last_name="Rivera")
    BeneficiaryDesignationFactory(employee=employee, name="Luz Rivera", relationship="daughter")
    response = clerk_client.get(detail_url(employee))
    page = dom(response)
    facts = {
        node.find_all("dt")[0].text(): node.find_all("dd")[0].text()
        for node in page.find_all("dl", cls="sw-facts")[0].find_all("div")
    }
    assert facts["Employee number"] == "1234"
    assert facts["Employer"] == f"{employee.employer.name} ({employee.employer.code})"
    assert facts["Program"].startswith(employee.program.code)
    assert facts["Status"] == "Regular"
    assert facts["Weekly hours"] == "37.50"
    assert facts["Hire date"] == "July 1, 1980"
    assert facts["Separation"] == "Still employed"
    assert facts["Tier today"] == "Full (30+ hours)"
    content = text(response)
    assert "Luz Rivera" in content and "Child" in content and "daughter" in content
    assert "100.00%" in content
    assert "No beneficiary on file" not in content
    assert "1984-09-01" in content and "37.50" in content
    for name in (
        "hours_change",
        "separation",
        "marriage",
        "dependent_add",
        "beneficiary_add",
        "override_add",
    ):
        assert reverse(f"accounts:{name}", args=[employee.pk]) in content


def test_R_VE10_employee_page_warns_when_no_beneficiary_is_on_file(clerk_client):
    employee = hire()
    page = dom(clerk_client.get(detail_url(employee)))
    warning = page.by_id("no-beneficiary")
    assert warning is not None and "usa-alert--warning" in warning.classes
    assert "No beneficiary on file" in warning.text()
    assert "R-VE10" in warning.text()
    revoked = BeneficiaryDesignationFactory(employee=employee, revoked_on=date(1984, 1, 1))
    assert "No beneficiary on file" in text(clerk_client.get(detail_url(employee)))
    BeneficiaryDesignationFactory(employee=employee, name="Someone Else")
    assert "No beneficiary on file" not in text(clerk_client.get(detail_url(employee)))
    assert revoked.name in text(clerk_client.get(detail_url(employee)))


def test_R_PR2_premium_lines_for_the_chosen_month(clerk_client):
    employee = hire(hire_date=date(1983, 8, 11))
    october = clerk_client.get(detail_url(employee), {"month": "1983-10"})
    table = dom(october).by_id("premium-lines").find_all("table")[0]
    body = table.find_all("tbody")[0].find_all("tr")
    lines = [[cell.text() for cell in row.find_all("td")] for row in body]
    # R-PR1 1983 FULL: 133.93 + 41.67 + 30.00 = 205.60, all the employer's.
    assert [line[0] for line in lines] == [
        "Major medical premium",
        "Deductible Trust Fund contribution",
        "Dental premium",
    ]
    assert {line[1] for line in lines} == {"Employer (program charge)"}
    assert [line[-1] for line in lines] == ["133.93", "41.67", "30.00"]
    assert all("sw-money" in row.find_all("td")[-1].classes for row in body)
    totals = {
        row.find_all("th")[0].text(): row.find_all("td")[0].text()
        for row in table.find_all("tfoot")[0].find_all("tr")
    }
    assert totals == {"Employer total": "205.60", "Employee total": "0.00", "Total": "205.60"}
    assert "Premium lines for October 1983" in text(october)
    september = clerk_client.get(detail_url(employee), {"month": "1983-09"})
    assert "not covered on its first day" in text(september)
    partial = clerk_client.get(
        detail_url(employee),
        {"month": "1983-10"},
        headers={"HX-Request": "true", "HX-Target": "premium-lines"},
    )
    assert "<h1>" not in text(partial) and "133.93" in text(partial)
    no_schedule = clerk_client.get(detail_url(employee), {"month": "2030-01"})
    assert "has no premium schedule" in text(no_schedule)
    bad = clerk_client.get(detail_url(employee), {"month": "October"})
    assert_month_error = dom(bad).by_id("id_month-error")
    assert assert_month_error is not None and "1984-10" in assert_month_error.text()


def test_employee_page_unknown_id_is_404(clerk_client):
    assert clerk_client.get("/employees/999999/").status_code == 404


def test_employee_page_queries_are_bounded(clerk_client, django_assert_max_num_queries):
    employee = hire()
    for index in range(5):
        DependentFactory(employee=employee)
        BeneficiaryDesignationFactory(employee=employee, share_percent=D("10"), name=f"B{index}")
    # 15, and the second-factor device of the session and the access log's one INSERT.
    with django_assert_max_num_queries(17):
        clerk_client.get(detail_url(employee), {"month": "1983-10"})


# ---------------------------------------------------------------------------------------
# Forms: happy paths
# ---------------------------------------------------------------------------------------


def hire_data(of_program, **changes):
    data = {
        "employer": of_program.employer_id,
        "program": of_program.pk,
        "number": "7001",
        "last_name": "Rivera",
        "first_name": "Ana",
        "birth_date": "1951-04-02",
        "hire_date": "1983-08-11",
        "status": "regular",
        "weekly_hours": "40",
    }
    data.update(changes)
    return data


def test_R_EL6_hire_form_hires_and_says_when_coverage_starts(clerk_client, clerk_user):
    program = ProgramFactory()
    response = clerk_client.post(reverse("accounts:employee_hire"), hire_data(program), follow=True)
    employee = Employee.objects.get(number="7001")
    assert response.redirect_chain[-1][0] == detail_url(employee)
    content = text(response)
    assert "Coverage starts October 1, 1983 in the Full (30+ hours) tier (R-EL6)" in content
    assert employee.hours_changes.get().created_by == clerk_user
    assert employee.birth_date == date(1951, 4, 2)


def test_hire_form_accepts_us_dates_and_filters_programs_by_employer(clerk_client):
    program = ProgramFactory()
    other = ProgramFactory()
    data = hire_data(program, hire_date="08/10/1983", birth_date="")
    clerk_client.post(reverse("accounts:employee_hire"), data)
    assert Employee.objects.get(number="7001").hire_date == date(1983, 8, 10)
    options = clerk_client.get(
        reverse("accounts:program_options"), {"employer": program.employer_id}
    ).content.decode()
    assert f'value="{program.pk}"' in options and f'value="{other.pk}"' not in options
    form = dom(clerk_client.get(reverse("accounts:employee_hire")))
    assert form.by_id("id_employer").attrs["hx-get"] == reverse("accounts:program_options")


def test_R_EL1_hiring_a_temporary_says_there_is_no_coverage(clerk_client):
    program = ProgramFactory()
    response = clerk_client.post(
        reverse("accounts:employee_hire"), hire_data(program, status="temporary"), follow=True
    )
    assert "No coverage from this status and these hours" in text(response)


def test_R_EL7_hours_increase_is_saved_without_asking(clerk_client):
    employee = hire(hire_date=date(1983, 8, 11), weekly_hours=D("25"))
    response = clerk_client.post(
        reverse("accounts:hours_change", args=[employee.pk]),
        {"effective_date": "1984-01-15", "status": "regular", "weekly_hours": "40"},
        follow=True,
    )
    assert "Recorded 40.00 hours a week (regular) from January 15, 1984." in text(response)
    assert grid(response)["1983-84"][7] == "F"  # February 1984 (R-EL7)


def test_R_EL8_reduction_in_october_offers_the_election(clerk_client):
    employee = hire(hire_date=date(1983, 8, 11))
    url = reverse("accounts:hours_change", args=[employee.pk])
    before = snapshot()
    data = {"effective_date": "1984-01-15", "status": "regular", "weekly_hours": "25"}
    asked = clerk_client.post(url, data)
    assert_inline_error(asked, "election", "ask the employee")
    content = text(asked)
    assert "Continue the prior coverage to June 30, paying the difference" in content
    assert "Take the lower tier" in content
    assert "keep the Full (30+ hours) coverage until June 30, 1984" in content
    assert "must be signed by January 31, 1984" in content
    assert snapshot() == before  # nothing saved while the question is open
    response = clerk_client.post(
        url, {**data, "election": "continue", "elected_on": "1984-01-20"}, follow=True
    )
    assert "continues to June 30, 1984; the employee pays the difference (R-EL8)" in (
        text(response)
    )
    election = ContinuationElection.objects.get(employee=employee)
    assert election.reduction.effective_date == date(1984, 1, 15)
    assert grid(response)["1983-84"][7:] == ["FE"] * 5


def test_R_EL8_taking_the_lower_tier_records_no_election(clerk_client):
    employee = hire(hire_date=date(1983, 8, 11))
    response = clerk_client.post(
        reverse("accounts:hours_change", args=[employee.pk]),
        {
            "effective_date": "1984-01-15",
            "status": "regular",
            "weekly_hours": "25",
            "election": "lower",
        },
        follow=True,
    )
    assert "The Three-quarter (20-29 hours) tier starts February 1, 1984 (R-EL8)." in (
        text(response)
    )
    assert not ContinuationElection.objects.exists()
    assert grid(response)["1983-84"][7] == "¾"


def test_R_EL8_reduction_in_august_asks_nothing_and_lowers_the_tier_on_october_1(clerk_client):
    employee = hire(hire_date=date(1980, 7, 1))
    response = clerk_client.post(
        reverse("accounts:hours_change", args=[employee.pk]),
        {"effective_date": "1984-08-15", "status": "regular", "weekly_hours": "25"},
        follow=True,
    )
    assert response.redirect_chain, text(response)[:2000]
    assert grid(response)["1984-85"][:4] == ["F", "F", "F", "¾"]


def test_R_EL8_election_signed_too_late_saves_neither_the_change_nor_the_election(clerk_client):
    employee = hire(hire_date=date(1983, 8, 11))
    before = snapshot()
    response = clerk_client.post(
        reverse("accounts:hours_change", args=[employee.pk]),
        {
            "effective_date": "1984-01-15",
            "status": "regular",
            "weekly_hours": "25",
            "election": "continue",
            "elected_on": "1984-02-05",
        },
    )
    assert_inline_error(response, "elected_on", "had to be signed by 1984-01-31")
    assert snapshot() == before


def test_R_EL9_separation_form_ends_coverage_on_the_last_day_of_the_month(clerk_client):
    employee = hire(hire_date=date(1980, 7, 1))
    response = clerk_client.post(
        reverse("accounts:separation", args=[employee.pk]),
        {"separation_date": "1984-09-15", "reason": "resignation", "continue_coverage": "no"},
        follow=True,
    )
    assert "Coverage ends September 30, 1984 (R-EL9)." in text(response)
    employee.refresh_from_db()
    assert employee.separation_date == date(1984, 9, 15)
    assert grid(response)["1984-85"][:4] == ["F", "F", "F", DASH]


def test_R_VE9_separation_with_a_three_month_continuation(clerk_client):
    employee = hire(hire_date=date(1980, 7, 1))
    response = clerk_client.post(
        reverse("accounts:separation", args=[employee.pk]),
        {
            "separation_date": "1984-09-15",
            "reason": "resignation",
            "continue_coverage": "yes",
            "until": "1984-12-31",
            "dental": "on",
            "elected_on": "1984-09-20",
        },
        follow=True,
    )
    assert "Coverage continues until December 31, 1984." in text(response)
    assert SeparationContinuation.objects.get(employee=employee).until == date(1984, 12, 31)
    assert grid(response)["1984-85"][3:7] == ["SC", "SC", "SC", DASH]


def test_R_VE9_continuation_too_long_saves_not_even_the_separation(clerk_client):
    employee = hire(hire_date=date(1980, 7, 1))
    before = snapshot()
    response = clerk_client.post(
        reverse("accounts:separation", args=[employee.pk]),
        {
            "separation_date": "1984-09-15",
            "reason": "resignation",
            "continue_coverage": "yes",
            "until": "1985-01-31",
            "elected_on": "1984-09-20",
        },
    )
    assert_inline_error(response, "until", "at most to 1984-12-31 (R-VE9)")
    assert snapshot() == before


def test_R_EL11_marriage_form(clerk_client):
    program = ProgramFactory()
    ana = hire(program=program, number="1", first_name="Ana", last_name="Rivera")
    tom = hire(program=program, number="2", first_name="Tom", last_name="Lee")
    response = clerk_client.post(
        reverse("accounts:marriage", args=[ana.pk]),
        {
            "spouse_employer": program.employer_id,
            "spouse_number": "2",
            "married_on": "1984-05-20",
            "retained": "this",
        },
        follow=True,
    )
    content = text(response)
    assert (
        "Ana Rivera's policy is retained; Tom Lee is a dependent on it from June 1, 1984 (R-EL11)."
        in content
    )
    assert "This employee's policy is retained" in content
    assert Dependent.objects.get(employee=ana, relationship="spouse").spouse_employee == tom
    tom_page = clerk_client.get(detail_url(tom))
    assert "The spouse's policy is retained" in text(tom_page)
    assert grid(tom_page)["1983-84"][-1] == DASH  # June 1984: a dependent on Ana's policy


def test_dependent_add_and_remove(clerk_client):
    employee = hire()
    response = clerk_client.post(
        reverse("accounts:dependent_add", args=[employee.pk]),
        {
            "relationship": "child",
            "first_name": "Luz",
            "last_name": "Rivera",
            "birth_date": "1979-02-03",
        },
        follow=True,
    )
    assert "Added Luz Rivera (Child)" in text(response)
    dependent = Dependent.objects.get(employee=employee)
    url = reverse("accounts:dependent_remove", args=[employee.pk, dependent.pk])
    assert "Luz Rivera (Child) leaves the policy" in text(clerk_client.get(url))
    response = clerk_client.post(
        url, {"ended_on": "1985-06-30", "reason": "Turned 23"}, follow=True
    )
    dependent.refresh_from_db()
    assert dependent.ended_on == date(1985, 6, 30)
    assert "1985-06-30: Turned 23" in text(response)
    other = hire()
    assert (
        clerk_client.get(
            reverse("accounts:dependent_remove", args=[other.pk, dependent.pk])
        ).status_code
        == 404
    )


def test_beneficiary_add_and_revoke(clerk_client, clerk_user):
    employee = hire()
    response = clerk_client.post(
        reverse("accounts:beneficiary_add", args=[employee.pk]),
        {
            "name": "Luz Rivera",
            "relationship": "daughter",
            "share_percent": "60",
            "signed_date": "1983-09-01",
        },
        follow=True,
    )
    assert "Added Luz Rivera (daughter) with 60.00%." in text(response)
    assert "No beneficiary on file" not in text(response)
    beneficiary = BeneficiaryDesignation.objects.get(employee=employee)
    assert beneficiary.created_by == clerk_user
    response = clerk_client.post(
        reverse("accounts:beneficiary_revoke", args=[employee.pk, beneficiary.pk]),
        {"revoked_on": "1984-01-01"},
        follow=True,
    )
    beneficiary.refresh_from_db()
    assert beneficiary.revoked_on == date(1984, 1, 1)
    assert "No beneficiary on file" in text(response)


def test_R_EL10_override_form(clerk_client, clerk_user):
    employee = hire(hire_date=date(1983, 8, 11))
    response = clerk_client.post(
        reverse("accounts:override_add", args=[employee.pk]),
        {
            "start": "1983-09-01",
            "end": "1983-09-30",
            "tier": "full",
            "reason": "Transfer from Ukiah USD",
        },
        follow=True,
    )
    assert "Saved the override from September 1, 1983: Full (30+ hours)." in text(response)
    assert CoverageOverride.objects.get(employee=employee).created_by == clerk_user
    assert grid(response)["1983-84"][2] == "FO"


# ---------------------------------------------------------------------------------------
# Forms: every refused input is shown next to its field and changes nothing
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"employer": "999999"}, "employer", "Choose an employer from the list."),
        ({"program": "999999"}, "program", "Choose a program of the employer from the list."),
        ({"weekly_hours": "-1"}, "weekly_hours", "Weekly hours must be from 0 to 80, not -1."),
        ({"weekly_hours": "81"}, "weekly_hours", "Weekly hours must be from 0 to 80, not 81."),
        ({"weekly_hours": "lots"}, "weekly_hours", "Enter the weekly hours as a number"),
        ({"hire_date": "1983-02-30"}, "hire_date", "Enter a date such as"),
        ({"number": ""}, "number", "Enter the employee number."),
        (
            {"birth_date": "1990-01-01"},
            "birth_date",
            "The birth date must be before the hire date.",
        ),
        ({"grandfathered": "on"}, "grandfathered", "employed on June 30, 1979"),
    ],
)
def test_hire_form_refuses_bad_input_next_to_the_field(clerk_client, changes, field, message):
    program = ProgramFactory()
    before = snapshot()
    response = clerk_client.post(reverse("accounts:employee_hire"), hire_data(program, **changes))
    assert_inline_error(response, field, message)
    assert snapshot() == before


def test_hire_form_refuses_a_program_of_another_employer(clerk_client):
    program, other = ProgramFactory(), ProgramFactory()
    before = snapshot()
    response = clerk_client.post(
        reverse("accounts:employee_hire"), hire_data(program, program=other.pk)
    )
    assert_inline_error(response, "program", "Choose a program of the employer from the list.")
    assert snapshot() == before


def test_hire_form_refuses_a_duplicate_employee_number(clerk_client):
    program = ProgramFactory()
    hire(program=program, number="7001", last_name="First", first_name="Flo")
    before = snapshot()
    response = clerk_client.post(reverse("accounts:employee_hire"), hire_data(program))
    assert_inline_error(response, "number", "Employee number 7001 is already used")
    assert "(Flo First)" in text(response)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"effective_date": "1983-08-01", "weekly_hours": "20"},
            "effective_date",
            "The change is dated before the hire date (1983-08-11).",
        ),
        ({"effective_date": "1984-02-01", "weekly_hours": "80.5"}, "weekly_hours", "from 0 to 80"),
        ({"effective_date": "1984-02-01", "weekly_hours": "-3"}, "weekly_hours", "from 0 to 80"),
        (
            {"effective_date": "", "weekly_hours": "20"},
            "effective_date",
            "Enter the effective date.",
        ),
    ],
)
def test_hours_change_refuses_bad_input_next_to_the_field(clerk_client, data, field, message):
    employee = hire(hire_date=date(1983, 8, 11))
    before = snapshot()
    response = clerk_client.post(
        reverse("accounts:hours_change", args=[employee.pk]), {"status": "regular", **data}
    )
    assert_inline_error(response, field, message)
    assert snapshot() == before


def test_R_EL9_separation_before_the_hire_date_is_refused(clerk_client):
    employee = hire(hire_date=date(1983, 8, 11))
    before = snapshot()
    response = clerk_client.post(
        reverse("accounts:separation", args=[employee.pk]),
        {"separation_date": "1983-08-01", "reason": "resignation", "continue_coverage": "no"},
    )
    assert_inline_error(response, "separation_date", "before the hire date (1983-08-11)")
    assert snapshot() == before


def test_R_EL9_separation_twice_is_refused(clerk_client):
    employee = hire(hire_date=date(1980, 7, 1), first_name="Ana", last_name="Rivera")
    services.employee_separate(
        employee=employee, separation_date=date(1984, 9, 15), reason="resignation"
    )
    before = snapshot()
    response = clerk_client.post(
        reverse("accounts:separation", args=[employee.pk]),
        {"separation_date": "1984-10-15", "reason": "retirement", "continue_coverage": "no"},
    )
    assert_inline_error(response, "separation_date", "Ana Rivera already separated on 1984-09-15.")
    assert snapshot() == before


def test_R_EL11_marrying_oneself_is_refused(clerk_client):
    ana = hire(number="1", first_name="Ana", last_name="Rivera")
    before = snapshot()
    response = clerk_client.post(
        reverse("accounts:marriage", args=[ana.pk]),
        {
            "spouse_employer": ana.employer_id,
            "spouse_number": "1",
            "married_on": "1984-05-20",
            "retained": "this",
        },
    )
    assert_inline_error(response, "spouse_number", "An employee cannot marry themselves.")
    assert snapshot() == before


def test_R_EL11_marrying_someone_already_married_in_the_plan_is_refused(clerk_client):
    program = ProgramFactory()
    ana = hire(program=program, number="1", first_name="Ana", last_name="Rivera")
    tom = hire(program=program, number="2", first_name="Tom", last_name="Lee")
    kim = hire(program=program, number="3", first_name="Kim", last_name="Moss")
    services.employees_marry(
        employee_a_id=ana.pk, employee_b_id=tom.pk, married_on=date(1984, 5, 20), retained_id=ana.pk
    )
    before = snapshot()
    response = clerk_client.post(
        reverse("accounts:marriage", args=[kim.pk]),
        {
            "spouse_employer": program.employer_id,
            "spouse_number": "2",
            "married_on": "1985-01-05",
            "retained": "this",
        },
    )
    assert_inline_error(response, "spouse_number", "Tom Lee is already married to Ana Rivera")
    assert snapshot() == before


def test_marrying_an_unknown_employee_number_is_refused(clerk_client):
    ana = hire(number="1")
    before = snapshot()
    response = clerk_client.post(
        reverse("accounts:marriage", args=[ana.pk]),
        {
            "spouse_employer": ana.employer_id,
            "spouse_number": "404",
            "married_on": "1984-05-20",
            "retained": "this",
        },
    )
    assert_inline_error(response, "spouse_number", "No employee number 404 at the chosen employer.")
    assert snapshot() == before


def test_beneficiary_shares_above_100_percent_are_refused(clerk_client):
    employee = hire()
    BeneficiaryDesignationFactory(employee=employee, share_percent=D("60"))
    before = snapshot()
    response = clerk_client.post(
        reverse("accounts:beneficiary_add", args=[employee.pk]),
        {
            "name": "Luz Rivera",
            "relationship": "daughter",
            "share_percent": "50",
            "signed_date": "1983-09-01",
        },
    )
    assert_inline_error(response, "share_percent", "The shares would total 110.00%")
    assert snapshot() == before


@pytest.mark.parametrize("reason", ["", "   "])
def test_R_EL10_override_without_a_reason_is_refused(clerk_client, reason):
    employee = hire(hire_date=date(1983, 8, 11))
    before = snapshot()
    response = clerk_client.post(
        reverse("accounts:override_add", args=[employee.pk]),
        {"start": "1983-09-01", "end": "", "tier": "full", "reason": reason},
    )
    assert_inline_error(response, "reason", "Give the reason for the override (R-EL10).")
    assert snapshot() == before


def test_R_EL10_override_ending_before_it_starts_is_refused(clerk_client):
    employee = hire(hire_date=date(1983, 8, 11))
    before = snapshot()
    response = clerk_client.post(
        reverse("accounts:override_add", args=[employee.pk]),
        {"start": "1983-10-01", "end": "1983-09-01", "tier": "full", "reason": "Correction"},
    )
    assert_inline_error(response, "end", "cannot end before it starts")
    assert snapshot() == before


# ---------------------------------------------------------------------------------------
# Census import page
# ---------------------------------------------------------------------------------------


def upload(text: str, name: str = "census.csv", encoding: str = "utf-8"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


CENSUS_HEADER = (
    "employer_code,employee_number,last_name,first_name,birth_date,hire_date,status,"
    "weekly_hours,effective_date,program_code,grandfathered\n"
)


def test_census_page_imports_and_shows_the_counts(clerk_client):
    ProgramFactory(employer=EmployerFactory(code="MCOE"), code="0100")
    csv_text = CENSUS_HEADER + "MCOE,1234,Rivera,Ana,1951-04-02,1983-08-11,regular,40,,0100,no\n"
    response = clerk_client.post(reverse("accounts:census_import"), {"file": upload(csv_text)})
    content = text(response)
    assert "The census was imported" in content
    assert "<strong>1</strong> employee hired" in content
    again = clerk_client.post(reverse("accounts:census_import"), {"file": upload(csv_text)})
    assert "<strong>1</strong> unchanged" in text(again)
    assert Employee.objects.count() == 1


def test_census_page_lists_the_problems_by_row_and_saves_nothing(clerk_client):
    ProgramFactory(employer=EmployerFactory(code="MCOE"), code="0100")
    csv_text = (
        CENSUS_HEADER
        + "MCOE,1234,Rivera,Ana,1951-04-02,1983-08-11,regular,40,,0100,no\n"
        + "XXXX,1235,Lee,Tom,,1983-08-11,regular,40,,0100,no\n"
    )
    before = snapshot()
    response = clerk_client.post(reverse("accounts:census_import"), {"file": upload(csv_text)})
    content = text(response)
    assert "The file was rejected: nothing was saved" in content
    rows = dom(response).find_all("table")[0].find_all("tbody")[0].find_all("tr")
    assert [cell.text() for cell in rows[0].find_all("td")] == [
        "3",
        "employer_code",
        "Unknown employer code 'XXXX'.",
    ]
    assert snapshot() == before


def test_census_page_without_a_file_says_so_next_to_the_field(clerk_client):
    response = clerk_client.post(reverse("accounts:census_import"), {})
    assert_inline_error(response, "file", "Choose the CSV file to import.")


def test_census_page_documents_the_columns_and_offers_the_template(clerk_client):
    content = clerk_client.get(reverse("accounts:census_import")).content.decode()
    for column in CENSUS_HEADER.strip().split(","):
        assert f"<code>{column}</code>" in content
    assert reverse("accounts:census_template") in content
    template = clerk_client.get(reverse("accounts:census_template"))
    assert template["Content-Type"].startswith("text/csv")
    assert "attachment" in template["Content-Disposition"]
    assert text(template) == CENSUS_HEADER.replace("\n", "\r\n")


# ---------------------------------------------------------------------------------------
# Who may see the pages
# ---------------------------------------------------------------------------------------


def clerk_urls(employee) -> list[str]:
    pk = employee.pk
    return [
        reverse("accounts:employee_list"),
        reverse("accounts:employee_hire"),
        reverse("accounts:census_import"),
        reverse("accounts:census_template"),
        reverse("accounts:employee_detail", args=[pk]),
        reverse("accounts:hours_change", args=[pk]),
        reverse("accounts:separation", args=[pk]),
        reverse("accounts:marriage", args=[pk]),
        reverse("accounts:dependent_add", args=[pk]),
        reverse("accounts:beneficiary_add", args=[pk]),
        reverse("accounts:override_add", args=[pk]),
    ]


@pytest.mark.parametrize(
    "role_client", ["employee_client", "payroll_client", "superintendent_client"]
)
def test_other_roles_get_403_on_the_clerk_pages(request, role_client):
    client = request.getfixturevalue(role_client)
    employee = hire()
    for url in clerk_urls(employee):
        assert client.get(url).status_code == 403, url
    before = snapshot()
    response = client.post(
        reverse("accounts:override_add", args=[employee.pk]),
        {"start": "1983-09-01", "tier": "full", "reason": "sneaky"},
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_an_employee_cannot_open_another_employees_page_nor_their_own_here(
    employee_client, employee_user
):
    other = hire()
    assert employee_client.get(detail_url(other)).status_code == 403
    assert employee_client.get(detail_url(employee_user.employee)).status_code == 403


def test_administrator_may_use_the_clerk_pages(administrator_client):
    employee = hire()
    for url in clerk_urls(employee):
        assert administrator_client.get(url).status_code == 200, url


def test_anonymous_visitor_is_sent_to_login(client):
    employee = hire()
    for url in clerk_urls(employee):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
