"""Names people type: the characters refused in them, and the key that compares them.

Every name the plan prints (employees, dependents, beneficiaries, employers, programs,
providers and payees) is checked by :func:`name_character_error`, the one place that
decides which characters a name may not hold: control characters (C0, DEL, C1) and the
invisible bidirectional marks, embeddings, overrides and isolates (U+200E, U+200F,
U+061C, U+202A-U+202E, U+2066-U+2069). An override makes a check register print a name
backwards ("Ames" shown as "semA") while the stored text is different: a name that
looks like one payee and is another. Ordinary spaces, tabs and line breaks are not
refused: the callers collapse them into single spaces first.

:func:`provider_key` is how two spellings of one provider compare ("Dr. Helen Ames"
and "HELEN AMES, M.D." have one key), and :func:`similarity` how near two keys are.
Pure: no Django, no database.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

# Invisible characters that change how the text around them is displayed.
BIDI_CONTROLS = frozenset(
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


# The C0 control characters' names (Unicode gives them as aliases only).
C0_NAMES = dict(
    zip(
        (chr(code) for code in range(32)),
        (
            "NULL", "START OF HEADING", "START OF TEXT", "END OF TEXT", "END OF TRANSMISSION",
            "ENQUIRY", "ACKNOWLEDGE", "BELL", "BACKSPACE", "CHARACTER TABULATION", "LINE FEED",
            "LINE TABULATION", "FORM FEED", "CARRIAGE RETURN", "SHIFT OUT", "SHIFT IN",
            "DATA LINK ESCAPE", "DEVICE CONTROL ONE", "DEVICE CONTROL TWO", "DEVICE CONTROL THREE",
            "DEVICE CONTROL FOUR", "NEGATIVE ACKNOWLEDGE", "SYNCHRONOUS IDLE",
            "END OF TRANSMISSION BLOCK", "CANCEL", "END OF MEDIUM", "SUBSTITUTE", "ESCAPE",
            "INFORMATION SEPARATOR FOUR", "INFORMATION SEPARATOR THREE",
            "INFORMATION SEPARATOR TWO", "INFORMATION SEPARATOR ONE",
        ),
        strict=True,
    )
)  # fmt: skip


def _is_refused(char: str) -> bool:
    return char in BIDI_CONTROLS or unicodedata.category(char) == "Cc"


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    if not name:
        name = {"\x7f": "DELETE", **C0_NAMES}.get(char, "CONTROL CHARACTER")
    return f"U+{ord(char):04X} {name}"


def name_character_error(value: str | None, what: str = "name") -> str | None:
    """The message for a name holding a refused character (None: the name is fine)."""
    if not value or (value.isascii() and value.isprintable()):
        return None  # printable ASCII holds no control character and no bidirectional mark
    for char in value:
        if _is_refused(char):
            return (
                f"The {what} contains an invisible control or text-direction character "
                f"({_describe(char)}); type the {what} again without it."
            )
    return None


def control_character_error(value: str | None, what: str, *, allowed: str = "") -> str | None:
    """The message for text holding a control character (C0, DEL, C1; NUL above all, which
    PostgreSQL cannot store), except those in ``allowed``; None: the text is fine. Checked
    on every query string and form or JSON field by ``staywell.middleware``."""
    for char in value or "":
        if char not in allowed and unicodedata.category(char) == "Cc":
            return (
                f"The {what} contains a control character ({_describe(char)}), which cannot "
                f"be saved or searched; type the {what} again without it."
            )
    return None


def validate_name_characters(value: str) -> None:
    """A Django validator (forms, models, serializers) for :func:`name_character_error`."""
    from django.core.exceptions import ValidationError

    message = name_character_error(value)
    if message:
        raise ValidationError(message, code="control_character")


# Titles before a name and credentials or company forms after it: not part of whom a
# check is made out to when two spellings are compared.
NAME_NOISE = frozenset(
    {
        "dr", "doctor", "mr", "mrs", "ms", "prof",
        "md", "do", "dds", "dmd", "dc", "dpm", "od", "phd", "np", "pa", "rn", "lcsw", "mft",
        "inc", "incorporated", "llc", "llp", "ltd", "pc", "corp", "corporation", "co",
        "the",
    }
)  # fmt: skip
_PUNCTUATION = re.compile(r"[^\w\s]|_", re.UNICODE)


def provider_key(name: str | None) -> str:
    """The comparison key of a provider's name: case, accents' forms, punctuation,
    spacing, titles and credentials ignored (``"Dr. Helen Ames, M.D."`` -> ``"helen
    ames"``). A name made only of such words keeps them (``"Dr. Inc."`` -> ``"dr inc"``)."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    text = _PUNCTUATION.sub(" ", text.replace(".", ""))
    words = text.split()
    kept = [word for word in words if word not in NAME_NOISE]
    return " ".join(kept or words)


def similarity(key_a: str, key_b: str) -> float:
    """How alike two keys are, 0 to 1, words in any order ("ames helen" is "helen ames")."""
    if not key_a or not key_b:
        return 0.0
    direct = SequenceMatcher(None, key_a, key_b).ratio()
    ordered = SequenceMatcher(
        None, " ".join(sorted(key_a.split())), " ".join(sorted(key_b.split()))
    ).ratio()
    return max(direct, ordered)
