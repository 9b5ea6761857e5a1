"""The Jinja2 engine (the settings' second ``TEMPLATES`` entry, ``templates/jinja2/``): the
few templates rendered on every claim a clerk enters, where Django's engine took most of
the request (the family's claims table: 3 ms of Django's engine per render). Pages stay
with Django's engine; a page shows such a template's output rendered by the view.

What the templates have beside Jinja2's own: ``url(name, *args)`` (Django's ``reverse``)
and the ``money`` filter (``floatformat:"2g"``'s writing of an amount: 1,234.50).

``url`` with ids reverses each URL name once and puts the ids into the path it gave: a
family's table links each claim three times, and ``reverse`` takes some 30 µs a call
(a millisecond a table)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from jinja2 import Environment

# An id no table shows, reversed in place of the ids (the int converter writes it as is).
_SLOT = 2_147_483_647


def money(value: Any) -> str:
    """An amount with two decimals and thousands separated, as ``floatformat:"2g"``
    writes it (amounts are in cents already: nothing is rounded)."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value):,.2f}"


def url(name: str, *args: Any) -> str:
    if args and all(type(arg) is int for arg in args):
        urlconf = get_urlconf() or settings.ROOT_URLCONF
        parts = _url_parts(urlconf, get_script_prefix(), name, len(args))
        if parts is not None:
            ids = (part + str(arg) for part, arg in zip(parts[:-1], args, strict=True))
            return "".join(ids) + parts[-1]
    return reverse(name, args=args)


@lru_cache(maxsize=256)
def _url_parts(urlconf: str, prefix: str, name: str, count: int) -> tuple[str, ...] | None:
    """The path of ``name`` with ``count`` ids, cut where the ids go (``None``: reverse
    each time, e.g. a pattern that takes no such id)."""
    try:
        path = reverse(name, urlconf=urlconf, args=[_SLOT] * count)
    except NoReverseMatch:
        return None
    parts = tuple(path.split(str(_SLOT)))
    return parts if len(parts) == count + 1 else None


def environment(**options: Any) -> Environment:
    env = Environment(**options)  # noqa: S701 - Django's backend passes autoescape=True
    env.globals["url"] = url
    env.filters["money"] = money
    return env
