"""Text inside CSS: ``content: "{{ value|css_string }}"`` in a ``<style>`` element.

``escapejs`` is for JavaScript: its ``\\u002D`` means nothing to CSS, which prints
"Stayu002DWell". CSS escapes a character as a backslash, six hex digits and a space (the
space ends the escape and is not printed). HTML entities are not decoded inside
``<style>`` either, so the value is escaped for CSS only (never ``&amp;``) and marked
safe; every character that could end the string, the rule or the element (quotes,
backslash, ``<``, ``>``, ``&``, line breaks, control and bidirectional formatting
characters) is escaped, so a name cannot break out of the header.
"""

from __future__ import annotations

import unicodedata

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

SPECIAL = frozenset("\"'\\<>&{};/")


def css_escape(value: object) -> str:
    """The text of a CSS string (without its quotes), every risky character escaped."""
    out = []
    for char in str(value):
        if char in SPECIAL or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(f"\\{ord(char):06X} ")  # the space ends the escape
        else:
            out.append(char)
    return "".join(out)


@register.filter
def css_string(value: object) -> SafeString:
    return mark_safe(css_escape(value))  # noqa: S308 - escaped for CSS above
