"""A bounded, seeded schemathesis run against the app's own schema, over real HTTP (the live
server, PostgreSQL, the app role): every operation, as a clerk and as an administrator,
must answer no 5xx and only what the schema says (bodies and content types).

Bounded: EXAMPLES cases per operation (about a minute per role on a 2-core machine),
derandomized (the same cases every run), no example database: a failure here is the
same failure on every machine.
"""

from __future__ import annotations

from datetime import date

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from tests.factories import EmployeeFactory, EmployerFactory, ProgramFactory, UserFactory
from vesting import ledger

EXAMPLES = 6
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _some_records() -> None:
    """A few records, so that generated ids sometimes name one (ids start at 1)."""
    employer = EmployerFactory(code="FZZ", name="Fuzz County")
    program = ProgramFactory(employer=employer)
    for number in range(3):
        EmployeeFactory(
            employer=employer,
            program=program,
            hire_date=date(1984, 7, 1),
            last_name=f"Fuzz{number}",
        )
    ledger.ledger_accounts_for_employer(employer)


def _run(schema, base_url: str, headers: dict[str, str]) -> list[str]:
    failures: list[str] = []
    # Closed at the end: a kept-alive connection keeps the live server's request thread,
    # and its database connection, open after the test.
    with requests.Session() as session:
        for result in schema.get_all_operations():
            _fuzz(result.ok(), base_url, session, headers, failures)
    return failures


def _fuzz(operation, base_url: str, session, headers: dict[str, str], failures: list[str]) -> None:
    """EXAMPLES cases of one operation; each failed check appended to ``failures``."""

    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy())
    def check(case) -> None:
        response = case.call(base_url=base_url, session=session, headers=headers)
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # collected, reported at the end
            found = getattr(exc, "exceptions", (exc,))
            failures.append(
                f"{operation.label}: {response.status_code} "
                + "; ".join(f"{getattr(f, 'title', '')} {str(f)[:400]}" for f in found)
                + f"\n  {response.text[:300]}"
            )

    check()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["clerk", "administrator"])
def test_fuzzing_the_api_finds_no_server_error_and_no_schema_violation(live_server, role):
    _some_records()
    token = Token.objects.create(user=UserFactory(username=f"fuzz-{role}", role=role))
    headers = {"Authorization": f"Token {token.key}"}
    raw = requests.get(f"{live_server.url}/api/schema/?format=json", headers=headers, timeout=30)
    assert raw.status_code == 200
    schema = schemathesis.openapi.from_dict(raw.json())
    failures = _run(schema, live_server.url, headers)
    assert failures == [], f"{len(failures)} failure(s):\n" + "\n".join(failures[:30])
