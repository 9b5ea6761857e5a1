"""X12 reading and writing (``staywell.x12``): pyx12's validation named by segment and
element, the envelope's control numbers and counts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from staywell import x12
from tests.x12_samples import ClaimPayment, remittance

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
