"""X12 reading and writing (``staywell.x12``): pyx12's validation named by segment and
element, the envelope's control numbers and counts."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal

import pytest

from staywell import x12
from tests.x12_samples import ClaimPayment, ServiceLine, remittance

D = Decimal


def sample(**kwargs):
    claims = [
        ClaimPayment(
            "TPA-1", D("150.00"), D("120.00"), "MCOE-1001", statement_from=date(1984, 10, 15)
        ),
        ClaimPayment(
            "TPA-2", D("80.00"), D("80.00"), "MCOE-1001", statement_from=date(1984, 10, 16)
        ),
    ]
    return remittance({"DR HELEN AMES": claims}, **kwargs)


def test_a_well_formed_835_validates_and_its_envelope_is_read():
    seen = []
    result = x12.validate(sample(control_number=4711), on_segment=seen.append)
    assert result.valid and result.problems == []
    assert (result.control_number, result.sender, result.receiver) == (
        "000004711",
        "VALLEYTPA",
        "STAYWELLPLAN",
    )
    assert (result.transaction, result.version) == ("835", "005010X221A1")
    # ISA GS ST BPR TRN DTM N1 N3 N4 PER N1 LX, 2 x (CLP NM1 DTM), SE GE IEA = 21
    assert result.segments == 21 == len(seen)
    clp = [s for s in seen if s.id == "CLP"]
    assert [(s.position, s.loop, s.get(3), s.get(7)) for s in clp] == [
        (13, "2100", "150", "TPA-1"),
        (16, "2100", "80", "TPA-2"),
    ]


def test_a_bad_element_is_named_by_its_segment_and_element():
    text = sample().replace("CLP*PCN-TPA-2*1*80*", "CLP*PCN-TPA-2*1*8O*")
    result = x12.validate(text)
    assert not result.valid
    assert [(p.segment, p.segment_id, p.element) for p in result.problems] == [(16, "CLP", "CLP03")]
    assert "Total Claim Charge Amount" in result.problems[0].message


def test_an_unknown_segment_is_named():
    text = sample().replace(
        "NM1*QC*1*CASTILLO*LINDA****MI*MCOE-1001~\nDTM*232*19841016",
        "ZZZ*1~\nNM1*QC*1*CASTILLO*LINDA****MI*MCOE-1001~\nDTM*232*19841016",
    )
    result = x12.validate(text)
    assert not result.valid
    assert ("ZZZ", 17) in {(p.segment_id, p.segment) for p in result.problems}


def test_a_missing_mandatory_element_is_named():
    text = sample().replace("*12*TPA-1~", "*12~")
    problems = x12.validate(text).problems
    assert [(p.segment_id, p.element) for p in problems] == [("CLP", "CLP07")]
    assert "missing" in problems[0].message


def test_a_file_that_is_not_x12_or_of_an_unknown_guide_is_refused():
    assert x12.validate("employee,amount\n1,2\n").problems[0].message == (
        "The file is not an X12 interchange: it must begin with an ISA segment."
    )
    unknown = x12.validate(sample().replace("005010X221A1", "005010X999"))
    assert not unknown.valid and unknown.problems[0].element == "GS08"


def test_the_writer_counts_segments_and_closes_the_envelope():
    interchange = x12.Interchange(
        sender=x12.Party("ZZ", "STAYWELLPLAN"),
        receiver=x12.Party("30", "941234567"),
        control_number=42,
        functional_id="BE",
        version="005010X220A1",
        created=datetime(1984, 11, 1, 9, 5),
    )
    interchange.transaction("834", [["BGN", "00", "X", "19841101", "0905", "", "", "", "2"]])
    lines = interchange.text().splitlines()
    assert len(lines[0]) == 106  # the ISA is fixed: 105 characters and its "~"
    assert lines[0].endswith("*000000042*0*P*:~")
    assert lines[1] == "GS*BE*STAYWELLPLAN*941234567*19841101*0905*42*X*005010X220A1~"
    # ST, BGN, SE: three segments; trailing empty elements dropped
    assert lines[2:5] == ["ST*834*0001*005010X220A1~", "BGN*00*X*19841101*0905****2~", "SE*3*0001~"]
    assert lines[5:] == ["GE*1*42~", "IEA*1*000000042~"]


def test_values_are_cleaned_of_separators_and_accents():
    assert x12.clean("Núñez*Ávila~Jr:") == "NUNEZ AVILA JR"
    assert x12.clean("O'Brien-Smith", 8) == "O'BRIEN-"


# pyx12 as it is, in an interpreter where none of ``staywell.x12``'s speed-ups is loaded.
PYX12_ALONE = """
import io, json, sys
import pyx12.params, pyx12.x12n_document
report = io.StringIO()
valid = pyx12.x12n_document.x12n_document(
    pyx12.params.params(), io.StringIO(sys.stdin.read()), None, None, fd_json=report
)
print(json.dumps([bool(valid), report.getvalue()]))
"""


def pyx12_alone(text):
    out = subprocess.run(
        [sys.executable, "-I", "-c", PYX12_ALONE],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    valid, report = json.loads(out)
    return valid, x12.problems_of_report(json.loads(report or "{}"))


def three_payees():
    def claims(prefix, count):
        return [
            ClaimPayment(
                f"{prefix}-{n}",
                D("150.00"),
                D("120.00"),
                "MCOE-1001",
                statement_from=date(1984, 10, 15),
                lines=[ServiceLine("99213", D("150.00"), D("120.00"), day=date(1984, 10, 15))],
            )
            for n in range(count)
        ]

    payees = {"DR HELEN AMES": claims("A", 5), "DR RUTH OKADA": claims("B", 3)}
    return remittance({**payees, "UKIAH CLINIC": claims("C", 6)}, control_number=88)


BROKEN = [
    ("CLP*PCN-A-1*1*150*", "CLP*PCN-A-1*1*15O*"),  # CLP03 not a number
    ("CLP*PCN-B-0*1*150*120**12*B-0", "CLP*PCN-B-0*1*150*120**12"),  # CLP07 missing
    (
        "DTM*232*19841015~\nSVC*HC:99213*150*120~\nDTM*472*19841015~\nCLP*PCN-C-3",
        "DTM*232*19841015~\nZZZ*1~\nSVC*HC:99213*150*120~\nDTM*472*19841015~\nCLP*PCN-C-3",
    ),  # unknown segment
    ("DTM*472*19841015~\nCLP*PCN-C-5", "DTM*472*1984105~\nCLP*PCN-C-5"),  # bad date
    ("N1*PE*DR RUTH OKADA", "N1*PE*DR RUTH\x07OKADA"),  # control character
    ("SE*", "SE*9"),  # a wrong SE count (the first transaction set's)
    ("STAYWELLPLAN*19841105*1200", "STAYWELLPLAN*19841305*1200"),  # the GS every part holds
]


@pytest.fixture
def parallel(monkeypatch):
    """Parts for any interchange of several transaction sets, on any machine."""
    monkeypatch.setattr(x12, "PARALLEL_MIN_SEGMENTS", 1)
    monkeypatch.setattr(x12.os, "cpu_count", lambda: 2)


@pytest.mark.parametrize("broken", [None, *BROKEN], ids=["valid", *(b[1][:20] for b in BROKEN)])
def test_parts_validated_in_parallel_give_pyx12s_own_answer(parallel, broken):
    text = three_payees()
    if broken:
        assert broken[0] in text
        text = text.replace(broken[0], broken[1], 1)
    parts = x12.parallel_parts(text)
    assert parts is not None and len(parts) == 2
    seen, one_pass = [], []
    result = x12.validate(text, on_segment=seen.append)
    alone_valid, alone_problems = pyx12_alone(text)
    assert result.valid == alone_valid == (broken is None)
    assert result.problems == alone_problems
    assert x12.validate(text, on_segment=one_pass.append, parallel=False) == result
    assert seen == one_pass  # the same segments, in file order, GE and IEA as written
    assert [s.position for s in seen] == list(range(1, len(seen) + 1))


@pytest.mark.parametrize(
    "change",
    [
        ("GE*3*88", "GE*4*88"),
        ("IEA*1*000000088", "IEA*1*000000089"),
        ("ST*835*0002", "ST*835*0001"),
    ],
    ids=["GE count", "IEA control", "ST control twice"],
)
def test_an_envelope_not_right_is_validated_in_one_pass_by_pyx12(parallel, change):
    text = three_payees().replace(*change)
    assert x12.parallel_parts(text) is None
    result = x12.validate(text)
    assert not result.valid
    assert result.problems == pyx12_alone(text)[1] != []


def test_progress_is_heard_from_the_parts(parallel, monkeypatch):
    monkeypatch.setattr(x12, "PROGRESS_EVERY", 10)
    heard = []
    result = x12.validate(three_payees(), progress=heard.append)
    assert result.valid and len(heard) >= 8 and set(heard) == {10}


def test_the_same_bad_segment_twice_is_reported_at_each_place():
    """A segment's answer is reused for the same text at the same definition (the memo of
    ``staywell.x12``): each place still gets its problem, as pyx12 alone says."""
    text = three_payees().replace("DTM*232*19841015", "DTM*232*19841315")
    result = x12.validate(text)
    assert len({p.segment for p in result.problems}) == 14  # every claim's DTM*232
    assert result.problems == pyx12_alone(text)[1]
