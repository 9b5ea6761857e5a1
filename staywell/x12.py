"""ASC X12 interchanges (HIPAA 005010): validation and reading with pyx12, and writing.

pyx12 validates a file against the implementation guide of its transaction (the 835 of
005010X221A1, the 834 of 005010X220A1: which segments, in which loops, which elements
are mandatory, their types, lengths and code values) and tokenizes it (the delimiters
come from the ISA segment). This module wraps it for the plan:

- :func:`validate` reads a whole interchange once; it returns the problems found, each
  naming its segment (position in the file, counting the ISA as 1) and element (e.g.
  ``CLP03``), and hands every segment with its loop to ``on_segment`` (the mapping of
  an 835 rides on the same pass). A large interchange of several transaction sets is
  validated in parallel (one process a core, each a share of the transaction sets:
  :func:`parallel_parts`), with the same answer;
- :class:`Interchange` writes one (ISA/GS/ST ... SE/GE/IEA with their counts and
  control numbers), ``~`` ending each segment, ``*`` between elements, ``:`` between
  components and ``^`` for repetitions.

Pure: no Django, no database.
"""

from __future__ import annotations

import io
import json
import logging
import marshal
import os
import queue
import re
import subprocess
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import pyx12.errors
import pyx12.map_if._segment
import pyx12.map_walker
import pyx12.params
import pyx12.path
import pyx12.segment
import pyx12.validation
import pyx12.x12n_document

# pyx12 logs every problem at ERROR level with the element's value: a patient's name or
# a member id would land in the server's log. The problems are returned instead.
logging.getLogger("pyx12").setLevel(logging.CRITICAL)


# pyx12's hot spots, made cheaper without changing what they answer (pyx12 is pinned to
# 4.0 in pyproject.toml for them; tests/unit/test_x12.py checks the answers):
# - a segment's element is found by a reference designator ("03", "CLP03-2") that pyx12
#   parses into a path at every look-up: each designator is parsed once;
# - every value is searched for each of 23 control characters in turn: one search first;
# - a segment's element definition is found by scanning its definition's list at every
#   look-up: the list is indexed once;
# - the walker counts loops and segments in a dict keyed by path objects, each look-up
#   formatting paths to hash them: keyed by the formatted path instead;
# - a segment's elements are validated against its definition, a pure function of the
#   two: within one validation, a segment of the same text at the same definition (a date
#   of service, a patient's NM1, an adjustment seen before) takes the answer already
#   found. The answers are forgotten when the validation ends.


@lru_cache(maxsize=4096)
def _designator(ref_des: str) -> tuple[str | None, int | None, int | None]:
    path = pyx12.path.X12Path(ref_des)
    element = path.ele_idx - 1 if path.ele_idx is not None else None
    component = path.subele_idx - 1 if path.subele_idx is not None else None
    return path.seg_id, element, component


def _parse_refdes(self: Any, ref_des: str) -> tuple[int | None, int | None]:
    segment_id, element, component = _designator(ref_des)
    if segment_id is not None and segment_id != self.seg_id:
        raise pyx12.errors.EngineError(
            f"Invalid Reference Designator: {ref_des}, seg_id: {self.seg_id}"
        )
    return element, component


_CONTROL = re.compile(r"[\x01-\x07\x09-\x0d\x11-\x17\x1c-\x1f]")  # pyx12's 23
_contains_control_character = pyx12.validation.contains_control_character


def _control_character(
    str_val: str, charset: str = "B", icvn: str = "00401"
) -> tuple[bool, str | None]:
    if _CONTROL.search(str_val) is None:
        return False, None
    return _contains_control_character(str_val, charset, icvn)  # which one, as pyx12 names it


_child_node_by_idx = pyx12.map_if._segment.segment_if.get_child_node_by_idx


def _child_by_index(self: Any, idx: int) -> Any:
    by_seq = self.__dict__.get("_staywell_by_seq")
    if by_seq is None:
        by_seq = {}
        for child in self.children:
            by_seq.setdefault(child.seq, []).append(child)
        self.__dict__["_staywell_by_seq"] = by_seq
    if idx >= len(self.children):
        return None
    found = by_seq.get(idx + 1, ())
    return found[0] if len(found) == 1 else _child_node_by_idx(self, idx)  # pyx12's error


@lru_cache(maxsize=8192)
def _path_key(text: str) -> str:
    return pyx12.path.X12Path(text).format()


def _counter_key(xpath: str | pyx12.path.X12Path) -> str:
    return _path_key(xpath) if isinstance(xpath, str) else xpath.format()


class _NodeCounter:
    """pyx12's ``NodeCounter`` (same methods, same answers) keyed by formatted paths."""

    def __init__(self, initialCounts: dict[Any, int] | None = None) -> None:
        self._dict = {_counter_key(k): v for k, v in (initialCounts or {}).items()}

    def reset_to_node(self, xpath: str | pyx12.path.X12Path) -> None:
        """Forget the counts below the path (pyx12's ``is_child_path``: deeper, and the
        path's steps first)."""
        root = _counter_key(xpath).split("/")
        depth = len(root)
        for key in [
            k for k in self._dict if (s := k.split("/"))[:depth] == root and len(s) > depth
        ]:
            del self._dict[key]

    def increment(self, xpath: str | pyx12.path.X12Path) -> None:
        key = _counter_key(xpath)
        self._dict[key] = self._dict.get(key, 0) + 1

    def setCount(self, xpath: str | pyx12.path.X12Path, ct: int) -> None:
        self._dict[_counter_key(xpath)] = ct

    def get_count(self, xpath: str | pyx12.path.X12Path) -> int:
        return self._dict.get(_counter_key(xpath), 0)

    def getState(self) -> dict[str, int]:
        return self._dict


_segment_init = pyx12.segment.Segment.__init__
_segment_is_valid_errors = pyx12.map_if._segment.segment_if.is_valid_errors
_answers = threading.local()  # .seen: {(definition's id, segment text): answer} or None


def _segment_with_text(self: Any, seg_str: str | None, *args: Any, **kwargs: Any) -> None:
    _segment_init(self, seg_str, *args, **kwargs)
    self.staywell_text = seg_str


def _segment_answer(self: Any, seg_data: Any) -> Any:
    seen = getattr(_answers, "seen", None)
    text = getattr(seg_data, "staywell_text", None)
    if seen is None or text is None:
        return _segment_is_valid_errors(self, seg_data)
    key = (id(self), text)
    answer = seen.get(key)
    if answer is None:
        answer = seen[key] = _segment_is_valid_errors(self, seg_data)
    return answer


pyx12.segment.Segment.__init__ = _segment_with_text  # type: ignore[method-assign]
pyx12.map_if._segment.segment_if.is_valid_errors = _segment_answer  # type: ignore[method-assign]
pyx12.map_walker.NodeCounter = _NodeCounter  # type: ignore[misc,assignment]
pyx12.segment.Segment._parse_refdes = _parse_refdes  # type: ignore[method-assign]
pyx12.validation.contains_control_character = _control_character
pyx12.map_if._segment.segment_if.get_child_node_by_idx = _child_by_index  # type: ignore[method-assign]

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
    elements: tuple[str, ...]  # elements[1] is XX01; components as in the file (ISA16)

    def get(self, number: int) -> str:
        return self.elements[number].strip() if number < len(self.elements) else ""


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


def problems_of_report(report: dict[str, Any]) -> list[Problem]:
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


Progress = Callable[[int], None]  # called with the number of segments read since the last call
PROGRESS_EVERY = 5000  # segments


def validate(
    text: str,
    *,
    on_segment: Callable[[Segment], None] | None = None,
    progress: Progress | None = None,
    parallel: bool = True,
) -> ValidationResult:
    """Validate an interchange against its implementation guide (pyx12) and, with
    ``on_segment``, hand each segment read to it, in order, with its loop; ``progress``
    hears every ``PROGRESS_EVERY`` segments read. ``parallel=False``: in one pass, in
    this process, whatever the file."""
    problem = _header(text)
    if problem is not None:
        return ValidationResult(valid=False, problems=[problem])
    parts = parallel_parts(text) if parallel else None
    if parts is not None:
        result = _validate_parts(parts, on_segment, progress)
        if result is not None:
            return result
    return _validate_one(text, on_segment, progress)


def _validate_one(
    text: str, on_segment: Callable[[Segment], None] | None, progress: Progress | None
) -> ValidationResult:
    """pyx12's validation of the whole text, in this process."""
    result = ValidationResult(valid=False)
    report = io.StringIO()
    counter = {"n": 0}

    def callback(seg: Any, src: Any, node: Any, valid: bool) -> None:
        counter["n"] += 1
        segment = _segment_of(seg, src.get_cur_line(), node)
        _remember_envelope(result, segment)
        if on_segment is not None:
            on_segment(segment)
        if progress is not None and counter["n"] % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)

    _answers.seen = {}
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
    finally:
        _answers.seen = None
    result.segments = counter["n"]
    result.problems = problems_of_report(json.loads(report.getvalue() or "{}"))
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
# Validation in parallel
# ---------------------------------------------------------------------------------------
# pyx12 reads a few thousand segments a second on a core, and a remittance of 100,000
# claims holds 400,000. Transaction sets are validated independently of each other, so a
# large interchange is cut into parts of whole transaction sets, each an interchange of its
# own (the ISA; each group's GS, its transaction sets and a GE counting them; an IEA),
# validated by pyx12 in a process of its own: a subprocess, not multiprocessing, as a
# Celery worker's processes may not have children. The answer is the one pass's:
# - only an envelope of the plain shape is cut (one ISA; groups of ST ... SE blocks; the
#   IEA; the counts and control numbers right): any other file is validated in one pass,
#   so that pyx12 itself says what is wrong with its envelope;
# - positions are the file's; a problem of the ISA or of a GS, which every part sees, is
#   reported once; segments reach ``on_segment`` in file order, the GE and IEA as the
#   file has them.

PARALLEL_MIN_SEGMENTS = 20_000
PARALLEL_MAX_PARTS = 4
# The part's process: this file loaded by its path (not the ``staywell`` package, which
# would start Django's Celery app for nothing), validating what it reads on stdin.
_PART_SCRIPT = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('staywell_x12_part', sys.argv[1])\n"
    "module = importlib.util.module_from_spec(spec)\n"
    "sys.modules[spec.name] = module\n"
    "spec.loader.exec_module(module)\n"
    "module.PROGRESS_EVERY = int(sys.argv[2])\n"
    "module.validate_part_stdio()\n"
)


@dataclass(frozen=True)
class _Part:
    text: str
    positions: list[int]  # the file's position of the part's segment n, at [n - 1]
    originals: dict[int, tuple[str, ...]]  # the file's GE and IEA (the part's differ)


@dataclass
class _Lines:
    """The segments as pyx12 reads them: split at the terminator, the line breaks before
    a segment dropped, an empty segment ending the file."""

    lines: list[str]
    terminator: str
    separator: str

    @classmethod
    def of(cls, text: str) -> _Lines:
        text = text.lstrip("\ufeff \r\n\t")
        terminator, separator = text[105], text[3]
        lines = []
        for piece in text.split(terminator)[:-1]:
            line = piece.lstrip("\n\r")
            if not line:
                break
            lines.append(line)
        return cls(lines, terminator, separator)

    def elements(self, index: int) -> list[str]:
        return self.lines[index].split(self.separator)


def _count_is(value: str, count: int) -> bool:
    return value.isdigit() and int(value) == count


def _groups(read: _Lines) -> list[tuple[int, list[tuple[int, int]], int]] | None:
    """The groups as (GS index, its transaction sets as (ST index, SE index), GE index),
    or None when the envelope is not of the plain shape, counts and controls right."""
    ids = [line.split(read.separator, 1)[0] for line in read.lines]
    if len(ids) < 2 or ids[0] != "ISA" or ids[-1] != "IEA" or "ISA" in ids[1:]:
        return None
    groups = []
    index = 1
    while ids[index] == "GS":
        gs, blocks = index, []
        index += 1
        while ids[index] == "ST":
            end = index + 1
            while ids[end] not in ("SE", "ST", "GS", "GE", "IEA"):
                end += 1
            if ids[end] != "SE":
                return None
            blocks.append((index, end))
            index = end + 1
        ge = read.elements(index)
        if ge[0] != "GE" or len(ge) != 3 or not blocks or not _count_is(ge[1], len(blocks)):
            return None
        if [ge[2]] != read.elements(gs)[6:7]:
            return None
        groups.append((gs, blocks, index))
        index += 1
    iea = read.elements(index)
    isa = read.elements(0)
    plain = (
        index == len(ids) - 1
        and groups
        and len(iea) == 3
        and _count_is(iea[1], len(groups))
        and [iea[2]] == isa[13:14]
        and _unique([read.elements(gs)[6:7] for gs, _blocks, _ge in groups])
        and all(_unique([read.elements(st)[2:3] for st, _se in b]) for _gs, b, _ge in groups)
    )
    return groups if plain else None


def _unique(values: list[list[str]]) -> bool:
    return len({tuple(value) for value in values}) == len(values)


def parallel_parts(text: str) -> list[_Part] | None:
    """The interchange cut into parts of whole transaction sets, one a core (at most
    ``PARALLEL_MAX_PARTS``), balanced by segments; None when it is small, of one
    transaction set or not of the plain shape."""
    cores = min(os.cpu_count() or 1, PARALLEL_MAX_PARTS)
    if (
        cores < 2
        or text.count(text.lstrip("\ufeff \r\n\t")[105:106] or "~") < PARALLEL_MIN_SEGMENTS
    ):
        return None
    read = _Lines.of(text)
    groups = _groups(read)
    if groups is None:
        return None
    blocks = [(gs, ge, st, se) for gs, sets, ge in groups for st, se in sets]
    count = min(cores, len(blocks))
    if count < 2:
        return None
    size = sum(se - st + 1 for _gs, _ge, st, se in blocks)
    shares: list[list[tuple[int, int, int, int]]] = [[]]
    done = 0
    for block in blocks:
        segments = block[3] - block[2] + 1
        if len(shares) < count and done + segments / 2 > size * len(shares) / count:
            shares.append([])
        shares[-1].append(block)
        done += segments
    return [_part(read, share) for share in shares]


def _part(read: _Lines, share: list[tuple[int, int, int, int]]) -> _Part:
    """An interchange of the share's transaction sets, with each group's GS and a GE
    counting the sets it holds, and an IEA counting its groups."""
    sep = read.separator
    positions = [0]
    by_group: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for gs, ge, st, se in share:
        by_group.setdefault((gs, ge), []).append((st, se))
    lines = [read.lines[0]]
    last = len(read.lines) - 1
    originals = {last + 1: tuple(read.elements(last))}
    for (gs, ge), sets in by_group.items():
        lines.append(read.lines[gs])
        positions.append(gs)
        for st, se in sets:
            lines += read.lines[st : se + 1]
            positions += range(st, se + 1)
        lines.append(f"GE{sep}{len(sets)}{sep}{read.elements(ge)[2]}")
        positions.append(ge)
        originals[ge + 1] = tuple(read.elements(ge))
    lines.append(f"IEA{sep}{len(by_group)}{sep}{read.elements(last)[2]}")
    positions.append(last)
    text = "".join(f"{line}{read.terminator}\n" for line in lines)
    return _Part(text, [index + 1 for index in positions], originals)


def _validate_parts(
    parts: list[_Part], on_segment: Callable[[Segment], None] | None, progress: Progress | None
) -> ValidationResult | None:
    """Each part validated in its own process (the threads here only wait on them);
    None when one of them failed (the caller then validates in one pass)."""
    events: queue.Queue[tuple[int, Any]] = queue.Queue()
    for number, part in enumerate(parts):
        threading.Thread(target=_run_part, args=(number, part.text, events), daemon=True).start()
    answers: dict[int, Any] = {}
    while len(answers) < len(parts):
        number, event = events.get()
        if isinstance(event, int):
            if progress is not None:
                progress(event)
        else:
            answers[number] = event
    if any(answer is None for answer in answers.values()):
        return None
    return _joined(parts, answers, on_segment)


def _run_part(number: int, text: str, events: queue.Queue[tuple[int, Any]]) -> None:
    """Runs a part's process; puts its progress (ints) and, last, its answer (None when
    it failed) on ``events``."""
    answer = None
    try:
        process = subprocess.Popen(  # noqa: S603 - this interpreter running this file
            [sys.executable, "-I", "-c", _PART_SCRIPT, __file__, str(PROGRESS_EVERY)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert process.stdin is not None and process.stdout is not None
        with process:
            process.stdin.write(text.encode("utf-8"))
            process.stdin.close()
            while line := process.stdout.readline():
                if line.startswith(b"P "):
                    events.put((number, int(line[2:])))
                elif line == b"R\n":
                    answer = marshal.loads(process.stdout.read())  # noqa: S302 - our own child's
        if process.returncode != 0:
            answer = None
    except OSError:
        answer = None
    finally:
        events.put((number, answer))


def _joined(
    parts: list[_Part], answers: dict[int, Any], on_segment: Callable[[Segment], None] | None
) -> ValidationResult:
    """The parts' answers as the one pass's: the file's positions, each problem once,
    the segments in file order."""
    problems: dict[Problem, None] = {}
    segments: dict[int, Segment] = {}
    for number, part in enumerate(parts):
        answer = answers[number]
        for found in answer["problems"]:
            at = found["segment"]
            if at is not None and 0 < at <= len(part.positions):
                at = part.positions[at - 1]
            problem = Problem(at, found["segment_id"], found["element"], found["message"])
            problems.setdefault(problem)
        for position, segment_id, loop, elements in answer["segments"]:
            at = part.positions[position - 1]
            elements = part.originals.get(at, elements)
            segments.setdefault(at, Segment(at, segment_id, loop, elements))
    result = ValidationResult(valid=False, segments=len(segments))
    for at in sorted(segments):
        _remember_envelope(result, segments[at])
        if on_segment is not None:
            on_segment(segments[at])
    result.problems = sorted(problems, key=lambda p: p.segment if p.segment is not None else 0)
    result.valid = all(a["valid"] for a in answers.values()) and not result.problems
    return result


def validate_part_stdio() -> None:
    """A part's process (``_PART_SCRIPT``): validates the interchange read on stdin,
    writing "P <segments>" lines as it reads, then "R" and the answer (``marshal``: plain
    values, the fastest to read back)."""
    text = sys.stdin.buffer.read().decode("utf-8")
    out = sys.stdout.buffer
    segments: list[Segment] = []

    def progress(count: int) -> None:
        out.write(b"P %d\n" % count)
        out.flush()

    result = _validate_one(text, segments.append, progress)
    answer = {
        "valid": result.valid,
        "problems": [problem.as_dict() for problem in result.problems],
        "segments": [(s.position, s.id, s.loop, s.elements) for s in segments],
    }
    out.write(b"R\n" + marshal.dumps(answer))
    out.flush()


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
