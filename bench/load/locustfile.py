"""A working day at once: the users of ``bench/load_day.py`` (which starts this file with
``locust --headless`` and reads what it leaves). Not a test.

Everyone is signed in before the clock starts (``load_day.py`` makes each user a session,
the second factor passed for staff) and arrives with that session's cookie, as they would
at their desks mid-morning. What each kind of user does, with the pause between two of
their steps:

- clerks (``ClerkUser``): open a family on the entry screen, preview the split, save the
  claim (the screen's htmx post), now and then void one of the claims they saved, look at
  a claim or the claims list; 3-8 s between steps (a clerk keying from paper all day: a
  claim every 15 s or so, some 2 claims a second for the 40);
- employees: their page (coverage, family deductible, vested balance), their side
  account, now and then their statement (PDF); 10-30 s (reading the page: some 10
  requests a second for the 200, an open-enrollment morning);
- superintendents: the dashboard (the pool, or one employer), the fund reports, one
  year's report, the plan's results; 5-15 s;
- payroll: the month's preview for an employer, then its export (CSV; the first export of
  a month closes it in the ledger); 10-30 s.

Each request is named "<kind>: <what>" where kind is ``page`` (an HTML page or htmx
fragment), ``claim POST`` (the save of a claim) or ``download`` (PDF, CSV); a failure's
message is its status ("status 500"). At the end each process writes the claims it saved
and voided (``STAYWELL_LOAD_OUT``.<pid>.json) for the check that none was lost or saved
twice.
"""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import string
import time
from pathlib import Path

from locust import HttpUser, between, events, task

SETUP = json.loads(Path(os.environ["STAYWELL_LOAD_SETUP"]).read_text())
SAVED: list[dict] = []  # {"id", "number", "employee"} of each claim the app said it saved
VOIDED: list[int] = []  # ids of the claims the app said it voided
SAVED_ID = re.compile(r'id="saved-claim".*?/claims/(\d+)/', re.S)
CSRF_CHARS = string.ascii_letters + string.digits


RECORDS: list[tuple[str, float, str, float]] = []  # (name, ms, status, time) of each request


@events.request.add_listener
def _record(name: str, response_time: float, response=None, exception=None, **_kw) -> None:
    if response is not None and getattr(response, "status_code", 0):
        status = str(response.status_code)
    else:
        status = "none" if exception is not None else "?"
    if name.startswith("claim not saved"):
        status = "form errors (nothing saved)"
    RECORDS.append((name, response_time, status, time.time()))


ARRIVED: list[float] = []  # when the last user arrived


@events.spawning_complete.add_listener
def _arrived(**_kwargs: object) -> None:
    ARRIVED.append(time.time())


@events.test_stop.add_listener
def _write_results(**_kwargs: object) -> None:
    out = Path(f"{os.environ['STAYWELL_LOAD_OUT']}.{os.getpid()}.json")
    out.write_text(
        json.dumps({"saved": SAVED, "voided": VOIDED, "records": RECORDS, "arrived": ARRIVED[:1]})
    )


class _SignedIn(HttpUser):
    """A user with a session made before the run and a CSRF token of their own."""

    abstract = True
    role = ""

    def on_start(self) -> None:
        me = SETUP["users"][self.role].pop()
        self.me = me
        self.csrf = "".join(secrets.choice(CSRF_CHARS) for _ in range(32))
        self.client.cookies.set("sessionid", me["session"])
        self.client.cookies.set("csrftoken", self.csrf)
        self.rng = random.Random(me["session"])

    def get(self, name: str, url: str, **kwargs: object) -> str | None:
        return self._call("GET", name, url, **kwargs)

    def post(self, name: str, url: str, data: dict, **kwargs: object) -> str | None:
        headers = {"X-CSRFToken": self.csrf, **kwargs.pop("headers", {})}
        return self._call("POST", name, url, data=data, headers=headers, **kwargs)

    def _call(self, method: str, name: str, url: str, **kwargs: object) -> str | None:
        """The answer's text when it is a success (2xx or a redirect to a page); a failure
        is recorded under its status."""
        with self.client.request(
            method, url, name=name, catch_response=True, allow_redirects=False, **kwargs
        ) as response:
            if response.status_code in (200, 201, 302):
                response.success()
                return response.text
            response.failure(f"status {response.status_code}")
            return None


class ClerkUser(_SignedIn):
    fixed_count = SETUP["counts"]["clerk"]
    role = "clerk"
    wait_time = between(3, 8)

    def on_start(self) -> None:
        super().on_start()
        self.mine: list[int] = []
        self.number = 0

    @task(10)
    def enter_claim(self) -> None:
        family = self.rng.choice(SETUP["families"])
        page = self.get("page: entry screen", f"/claims/enter/?employee={family}")
        if page is None:
            return
        self.number += 1
        day = f"{SETUP['year']}-{self.rng.randint(7, 11):02d}-{self.rng.randint(1, 28):02d}"
        amount = f"{self.rng.randint(10, 400)}.{self.rng.randint(0, 99):02d}"
        form = {
            "employee": family,
            "patient": "",
            "date_of_service": day,
            "provider": "Ukiah Valley Medical Center",
            "admin_claim_number": f"{SETUP['tag']}-{self.me['session'][:8]}-{self.number}",
            "billed": amount,
            "allowed": amount,
            "service_category": "",
            "received_on": SETUP["today"],
            "paid_on": SETUP["today"],
        }
        htmx = {"HX-Request": "true"}
        self.post("page: entry preview", "/claims/enter/preview/", form, headers=htmx)
        saved = self.post("claim POST: save (entry screen)", "/claims/enter/", form, headers=htmx)
        if saved is None:
            return
        found = SAVED_ID.search(saved)
        if found is None:  # a 200 with the form's errors: nothing saved
            events.request.fire(
                request_type="CHECK",
                name="claim not saved (form errors)",
                response_time=0,
                response_length=0,
                exception=AssertionError(saved[:300]),
            )
            return
        claim_id = int(found.group(1))
        SAVED.append({"id": claim_id, "number": form["admin_claim_number"], "employee": family})
        self.mine.append(claim_id)

    @task(1)
    def void_claim(self) -> None:
        if not self.mine:
            return
        claim_id = self.mine.pop(self.rng.randrange(len(self.mine)))
        self.get("page: claim", f"/claims/{claim_id}/")
        done = self.post(
            "claim POST: void",
            f"/claims/{claim_id}/void/",
            {"void-reason": "Entered for the wrong family", "void-effective_date": ""},
        )
        if done is not None:
            VOIDED.append(claim_id)

    @task(2)
    def family_claims(self) -> None:
        family = self.rng.choice(SETUP["families"])
        self.get("page: family claims", f"/claims/family/{family}/")

    @task(1)
    def claim_list(self) -> None:
        self.get("page: claims list", "/claims/")


class EmployeeUser(_SignedIn):
    fixed_count = SETUP["counts"]["employee"]
    role = "employee"
    wait_time = between(10, 30)

    @task(6)
    def my_page(self) -> None:
        self.get("page: my account", "/my/")

    @task(3)
    def side_account(self) -> None:
        self.get("page: my side account", f"/employees/{self.me['employee']}/side-account/")

    @task(1)
    def statement(self) -> None:
        self.get("download: my statement (PDF)", "/my/statement.pdf")


class SuperintendentUser(_SignedIn):
    fixed_count = SETUP["counts"]["superintendent"]
    role = "superintendent"
    wait_time = between(5, 15)

    @task(4)
    def dashboard(self) -> None:
        self.get("page: dashboard (pool)", "/dashboard/")

    @task(3)
    def dashboard_employer(self) -> None:
        employer = self.rng.choice(SETUP["employers"])
        self.get("page: dashboard (employer)", f"/dashboard/?employer={employer}")

    @task(2)
    def fund_reports(self) -> None:
        self.get("page: fund reports", "/fund-reports/")

    @task(3)
    def fund_report(self) -> None:
        employer = self.rng.choice(SETUP["employers"])
        year = self.rng.choice(SETUP["report_years"])
        self.get(
            "page: fund report (employer)",
            f"/fund-reports/report/?policy_year={year}&employer={employer}",
        )

    @task(1)
    def economics(self) -> None:
        self.get("page: plan results", "/economics/")


class PayrollUser(_SignedIn):
    fixed_count = SETUP["counts"]["payroll"]
    role = "payroll"
    wait_time = between(10, 30)

    @task
    def export(self) -> None:
        employer = self.rng.choice(SETUP["employers"])
        month = SETUP["month"]
        self.get("page: payroll preview", f"/payroll/?employer={employer}&month={month}")
        self.post(
            "download: payroll export (CSV)",
            "/payroll/export/",
            {"employer": employer, "month": month, "format": "csv"},
        )
