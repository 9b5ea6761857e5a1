"""ASC X12 interchanges (HIPAA 005010): validation and reading with pyx12, and writing.

pyx12 validates a file against the implementation guide of its transaction (the 835 of
005010X221A1, the 834 of 005010X220A1: which segments, in which loops, which elements
are mandatory, their types, lengths and code values) and tokenizes it (the delimiters
come from the ISA segment). This module wraps it for the plan:

- :func:`validate` reads a whole interchange once; it returns the problems found, each
  naming its segment (position in the file, counting the ISA as 1) and element (e.g.
  ``CLP03``), and hands every segment with its loop to ``on_segment`` (the mapping of
  an 835 rides on the same pass);
- :class:`Interchange` writes one (ISA/GS/ST ... SE/GE/IEA with their counts and
  control numbers), ``~`` ending each segment, ``*`` between elements, ``:`` between
  components and ``^`` for repetitions.

Pure: no Django, no database.
"""

from __future__ import annotations

import io
import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyx12.errors
import pyx12.params
import pyx12.x12n_document

# pyx12 logs every problem at ERROR level with the element's value: a patient's name or
# a member id would land in the server's log. The problems are returned instead.
logging.getLogger("pyx12").setLevel(logging.CRITICAL)

SEGMENT_END = "~"
ELEMENT_SEPARATOR = "*"
COMPONENT_SEPARATOR = ":"
REPETITION_SEPARATOR = "^"

# The characters of X12's extended character set that a value may hold, besides letters
# and digits (the separators above are not among them).
_ALLOWED = re.compile(r"[^A-Za-z0-9 !\"&'()+,\-./;?=%@\[\]_{}\\|<>#$]")


@dataclass(frozen=True)
class Problem:
    """A problem of a file: where (segment, element) and what."""

    segment: int | None  # position of the segment in the file (ISA = 1); None: the file
    segment_id: str  # e.g. "CLP"; "" for the file as a whole
    element: str  # e.g. "CLP03"; "" for the whole segment
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "segment_id": self.segment_id,
            "element": self.element,
            "message": self.message,
        }


@dataclass(frozen=True)
class Segment:
    """A segment as read: its position, id, loop (e.g. "2100") and elements by number."""

    position: int  # in the file, ISA = 1
    id: str
    loop: str  # the innermost loop of the implementation guide ("HEADER", "2100", ...)
    elements: tuple[str, ...]  # elements[1] is XX01; components joined by ":"

    def get(self, number: int) -> str:
        return self.elements[number].strip() if number < len(self.elements) else ""

    def component(self, number: int, part: int) -> str:
        parts = self.get(number).split(COMPONENT_SEPARATOR)
        return parts[part - 1].strip() if part <= len(parts) else ""


@dataclass
class ValidationResult:
    valid: bool
    problems: list[Problem] = field(default_factory=list)
    segments: int = 0  # segments read
    control_number: str = ""  # ISA13
    sender: str = ""  # ISA06, trimmed
    receiver: str = ""  # ISA08, trimmed
    transaction: str = ""  # ST01 of the first transaction set
    version: str = ""  # GS08, e.g. 005010X221A1


def _segment_of(seg: Any, position: int, node: Any) -> Segment:
    """pyx12's segment as a :class:`Segment` (its elements read in order: ``seg.get``
    parses a reference designator each time, too slow for every element of a file)."""
    loops = getattr(getattr(node, "x12path", None), "loop_list", None) or [""]
    values = (seg.get_seg_id() or "", *(element.format() for element in seg.elements))
    return Segment(position, values[0], loops[-1], values)


def _problems_of(report: dict[str, Any]) -> list[Problem]:
    """The problems of pyx12's JSON report (interchanges > groups > transactions >
    segments > elements), in file order."""
    problems: list[Problem] = []

    def envelope(node: dict[str, Any], name: str) -> None:
        for error in node.get("errors", []):
            problems.append(Problem(node.get("cur_line"), name, "", error["err_str"]))

    for isa in report.get("interchanges", []):
        envelope(isa, "ISA")
        for group in isa.get("groups", []):
            envelope(group, "GS")
            for st in group.get("transactions", []):
                envelope(st, "SE")
                for seg in st.get("segments", []):
                    line, seg_id = seg.get("cur_line"), seg.get("seg_id") or ""
                    for error in seg.get("errors", []):
                        problems.append(Problem(line, seg_id, "", error["err_str"]))
                    for element in seg.get("elements", []):
                        ref = f"{seg_id}{int(element.get('ele_pos') or 0):02d}"
                        if element.get("subele_pos"):
                            ref += f"-{element['subele_pos']}"
                        for error in element.get("errors", []):
                            problems.append(Problem(line, seg_id, ref, error["err_str"]))
    problems.sort(key=lambda p: p.segment if p.segment is not None else 0)
    return problems


def _header(text: str) -> Problem | None:
    """A file that is no X12 interchange at all (pyx12 would only say "False")."""
    start = text.lstrip("\ufeff \r\n\t")[:106]
    if not start.startswith("ISA") or len(start) < 106:
        return Problem(
            None, "", "", "The file is not an X12 interchange: it must begin with an ISA segment."
        )
    return None


def validate(text: str, *, on_segment: Callable[[Segment], None] | None = None) -> ValidationResult:
    """Validate an interchange against its implementation guide (pyx12) and, with
    ``on_segment``, hand each segment read to it, in order, with its loop."""
    result = ValidationResult(valid=False)
    problem = _header(text)
    if problem is not None:
        result.problems.append(problem)
        return result
    report = io.StringIO()
    counter = {"n": 0}

    def callback(seg: Any, src: Any, node: Any, valid: bool) -> None:
        counter["n"] += 1
        segment = _segment_of(seg, src.get_cur_line(), node)
        _remember_envelope(result, segment)
        if on_segment is not None:
            on_segment(segment)

    try:
        valid = pyx12.x12n_document.x12n_document(
            pyx12.params.params(),
            io.StringIO(text.lstrip("\ufeff \r\n\t")),
            None,
            None,
            fd_json=report,
            callback=callback,
        )
    except pyx12.errors.EngineError as exc:
        message = str(exc)
        if message.startswith("Map not found"):
            message = "The implementation guide of this file (GS08) is not one pyx12 knows."
        result.problems.append(Problem(None, "GS", "GS08", message))
        return result
    except (pyx12.errors.X12Error, ValueError, IndexError, KeyError) as exc:
        result.problems.append(Problem(None, "", "", f"The file cannot be read as X12: {exc}"))
        return result
    result.segments = counter["n"]
    result.problems = _problems_of(json.loads(report.getvalue() or "{}"))
    result.valid = bool(valid) and not result.problems and result.segments > 0
    if not result.segments:
        result.problems.append(Problem(None, "", "", "The file holds no X12 segments."))
    return result


@dataclass(frozen=True)
class Envelope:
    """The ISA of an interchange: who sent it to whom, its control number."""

    sender: str  # ISA06, trimmed
    receiver: str  # ISA08, trimmed
    control_number: str  # ISA13


def envelope(text: str) -> Envelope | None:
    """The interchange's ISA, read by pyx12 (it finds the delimiters); None when the text
    does not begin with one."""
    import pyx12.x12file

    if _header(text) is not None:
        return None
    try:
        reader = pyx12.x12file.X12Reader(io.StringIO(text.lstrip("\ufeff \r\n\t")[:512]))
        isa = next(iter(reader))
    except (pyx12.errors.X12Error, StopIteration, ValueError, IndexError):
        return None
    values = [(isa.get_value(f"ISA{n:02d}") or "").strip() for n in (6, 8, 13)]
    return Envelope(*values)


def _remember_envelope(result: ValidationResult, segment: Segment) -> None:
    if segment.id == "ISA":
        result.sender = segment.get(6)
        result.receiver = segment.get(8)
        result.control_number = segment.get(13)
    elif segment.id == "GS" and not result.version:
        result.version = segment.get(8)
    elif segment.id == "ST" and not result.transaction:
        result.transaction = segment.get(1)


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------


def clean(value: Any, limit: int | None = None) -> str:
    """A value as X12 may carry it: accents dropped, upper case, only the basic and
    extended character set (never a separator), spaces collapsed, cut to ``limit``."""
    text = unicodedata.normalize("NFKD", str(value if value is not None else ""))
    text = text.encode("ascii", "ignore").decode("ascii").upper()
    text = " ".join(_ALLOWED.sub(" ", text).split())
    return text[:limit] if limit else text


@dataclass(frozen=True)
class Party:
    """An ISA sender or receiver: its qualifier (e.g. "ZZ", "30") and id (15 at most)."""

    qualifier: str
    id: str


class Interchange:
    """One interchange being written: ISA, one functional group (GS), transaction sets
    (ST ... SE) added with :meth:`transaction`, then :meth:`text` closes it."""

    def __init__(
        self,
        *,
        sender: Party,
        receiver: Party,
        control_number: int,
        functional_id: str,
        version: str,
        created: datetime,
        production: bool = True,
    ) -> None:
        if not 1 <= control_number <= 999_999_999:
            raise ValueError("An interchange control number is 1 to 999999999.")
        self.control_number = control_number
        self.lines: list[str] = []
        self.sets = 0
        isa = [
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            sender.qualifier.ljust(2)[:2],
            clean(sender.id, 15).ljust(15),
            receiver.qualifier.ljust(2)[:2],
            clean(receiver.id, 15).ljust(15),
            created.strftime("%y%m%d"),
            created.strftime("%H%M"),
            REPETITION_SEPARATOR,
            "00501",
            f"{control_number:09d}",
            "0",
            "P" if production else "T",
            COMPONENT_SEPARATOR,
        ]
        self.lines.append(ELEMENT_SEPARATOR.join(isa))
        self.version = version
        self.group = [
            "GS",
            functional_id,
            clean(sender.id, 15),
            clean(receiver.id, 15),
            created.strftime("%Y%m%d"),
            created.strftime("%H%M"),
            str(control_number),
            "X",
            version,
        ]
        self.lines.append(ELEMENT_SEPARATOR.join(self.group))

    def transaction(self, code: str, segments: Iterable[Sequence[Any]]) -> None:
        """A transaction set ``code`` (e.g. "834") of ``segments`` (each a sequence: the
        segment id, then its elements; trailing empty elements are dropped)."""
        self.sets += 1
        number = f"{self.sets:04d}"
        body = [segment_text(["ST", code, number, self.version])]
        body += [segment_text(segment) for segment in segments]
        body.append(segment_text(["SE", str(len(body) + 1), number]))
        self.lines += body

    def text(self) -> str:
        trailer = [
            segment_text(["GE", str(self.sets), str(self.control_number)]),
            segment_text(["IEA", "1", f"{self.control_number:09d}"]),
        ]
        return "".join(f"{line}{SEGMENT_END}\n" for line in [*self.lines, *trailer])


def segment_text(values: Sequence[Any]) -> str:
    """One segment's text without its terminator; trailing empty elements dropped."""
    items = ["" if v is None else str(v) for v in values]
    while len(items) > 1 and items[-1] == "":
        items.pop()
    return ELEMENT_SEPARATOR.join(items)
