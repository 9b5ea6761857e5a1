"""Every rule ID of the plan's rules page is cited by at least one test.

A test cites a rule by its name (``test_R_CL4_...``) or its docstring (``"R-CL4: ..."``).
The rules page lives next to the repository: ``../shared/plan-rules.md``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings

RULES_PAGE = Path(settings.BASE_DIR).parent / "shared" / "plan-rules.md"
TESTS = Path(settings.BASE_DIR) / "tests"
RULE_ID = re.compile(r"R-[A-Z]+[0-9]+")


def rule_ids(text: str) -> set[str]:
    return set(RULE_ID.findall(text))


def cited_ids(source: str, known: set[str]) -> set[str]:
    """The rule IDs cited by the test functions of one test module."""
    cited: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            text = node.name.replace("_", "-") + "\n" + (ast.get_docstring(node) or "")
            cited |= {rule for rule in known if re.search(re.escape(rule) + r"(?![0-9])", text)}
    return cited


def test_a_rule_is_cited_by_a_test_name_or_docstring_not_by_a_comment() -> None:
    source = '''
def test_R_CL4_denied_when_not_covered():
    pass

def test_split():
    """R-EL10: an override keeps its reason."""

def helper_R_VE1():
    """R-VE2 is not a test."""

def test_other():
    # R-PY3 in a comment does not count
    pass
'''
    known = {"R-CL4", "R-EL1", "R-EL10", "R-VE1", "R-VE2", "R-PY3"}
    assert cited_ids(source, known) == {"R-CL4", "R-EL10"}


def test_every_rule_of_the_plan_is_cited_by_a_test() -> None:
    if not RULES_PAGE.exists():
        pytest.skip(f"the plan's rules page is not at {RULES_PAGE}")
    rules = rule_ids(RULES_PAGE.read_text(encoding="utf-8"))
    assert rules, f"no rule IDs found in {RULES_PAGE}"
    cited: set[str] = set()
    for path in sorted(TESTS.rglob("test_*.py")):
        cited |= cited_ids(path.read_text(encoding="utf-8"), rules)
    missing = sorted(rules - cited, key=lambda rule: (rule.rstrip("0123456789"), len(rule), rule))
    assert not missing, "rules cited by no test name or docstring: " + ", ".join(missing)
