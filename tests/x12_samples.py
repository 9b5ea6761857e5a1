"""Sample X12 files written by the tests (made-up people and numbers, no real data).

:func:`remittance` writes an 835 (005010X221A1) of the claims administrator: one
transaction set per payee (provider), each claim a CLP loop with its patient, dates and
service lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass
class ServiceLine:
    code: str  # procedure, e.g. "99213"
    billed: Decimal
    paid: Decimal
    day: date | None = None  # DTM*472
    adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)  # CAS
    allowed: Decimal | None = None  # AMT*B6


@dataclass
class ClaimPayment:
    number: str  # CLP07, the administrator's claim number
    billed: Decimal  # CLP03
    paid: Decimal  # CLP04
    member_id: str  # NM1*QC NM109
    last: str = "CASTILLO"
    first: str = "LINDA"
    status: str = "1"  # CLP02: 1 processed as primary, 4 denied, 22 reversal
    patient_responsibility: Decimal | None = None  # CLP05
    statement_from: date | None = None  # DTM*232
    statement_to: date | None = None  # DTM*233
    received: date | None = None  # DTM*050
    subscriber: tuple[str, str, str] | None = None  # NM1*IL: last, first, member id
    adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)  # claim CAS
    covered: Decimal | None = None  # AMT*AU
    lines: list[ServiceLine] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # raw segments appended to the claim


def _amount(value: Decimal | None) -> str:
    """An X12 amount: 240.00 -> 240, 50.50 -> 50.5 (as the R data type writes it)."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _claim_segments(claim: ClaimPayment) -> list[str]:
    segments = [
        f"CLP*PCN-{claim.number}*{claim.status}*{_amount(claim.billed)}*{_amount(claim.paid)}"
        f"*{_amount(claim.patient_responsibility)}*12*{claim.number}"
    ]
    for group, reason, amount in claim.adjustments:
        segments.append(f"CAS*{group}*{reason}*{_amount(amount)}")
    segments.append(f"NM1*QC*1*{claim.last}*{claim.first}****MI*{claim.member_id}")
    if claim.subscriber:
        last, first, member = claim.subscriber
        segments.append(f"NM1*IL*1*{last}*{first}****MI*{member}")
    if claim.statement_from:
        segments.append(f"DTM*232*{claim.statement_from:%Y%m%d}")
    if claim.statement_to:
        segments.append(f"DTM*233*{claim.statement_to:%Y%m%d}")
    if claim.received:
        segments.append(f"DTM*050*{claim.received:%Y%m%d}")
    if claim.covered is not None:
        segments.append(f"AMT*AU*{_amount(claim.covered)}")
    segments += claim.extra
    for line in claim.lines:
        segments.append(f"SVC*HC:{line.code}*{_amount(line.billed)}*{_amount(line.paid)}")
        if line.day:
            segments.append(f"DTM*472*{line.day:%Y%m%d}")
        for group, reason, amount in line.adjustments:
            segments.append(f"CAS*{group}*{reason}*{_amount(amount)}")
        if line.allowed is not None:
            segments.append(f"AMT*B6*{_amount(line.allowed)}")
    return segments


def remittance(
    payees: dict[str, list[ClaimPayment]],
    *,
    control_number: int = 1,
    sender: str = "VALLEYTPA",
    receiver: str = "STAYWELLPLAN",
    paid_on: date = date(1984, 11, 5),
) -> str:
    """An 835 interchange: one transaction set per payee name, with its claims."""
    sets: list[list[str]] = []
    for index, (payee, claims) in enumerate(payees.items(), start=1):
        body = [
            f"ST*835*{index:04d}",
            f"BPR*H*0*C*NON************{paid_on:%Y%m%d}",
            f"TRN*1*{control_number}-{index}*1946000123",
            f"DTM*405*{paid_on:%Y%m%d}",
            "N1*PR*VALLEY CLAIMS ADMINISTRATORS",
            "N3*100 SCHOOL WAY",
            "N4*UKIAH*CA*95482",
            "PER*BL*CLAIMS DESK*TE*7075550100",
            f"N1*PE*{payee}*FI*94{index:07d}",
            "LX*1",
        ]
        for claim in claims:
            body += _claim_segments(claim)
        body.append(f"SE*{len(body) + 1}*{index:04d}")
        sets.append(body)
    isa = (
        f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*{receiver:<15}"
        f"*{paid_on:%y%m%d}*1200*^*00501*{control_number:09d}*0*P*:"
    )
    segments = [
        isa,
        f"GS*HP*{sender}*{receiver}*{paid_on:%Y%m%d}*1200*{control_number}*X*005010X221A1",
    ]
    for body in sets:
        segments += body
    segments += [f"GE*{len(sets)}*{control_number}", f"IEA*1*{control_number:09d}"]
    return "".join(f"{segment}~\n" for segment in segments)
