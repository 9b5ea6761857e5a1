"""The Jinja2 engine (the settings' second ``TEMPLATES`` entry, ``templates/jinja2/``): the
few templates rendered on every claim a clerk enters, where Django's engine took most of
the request (the family's claims table: 3 ms of Django's engine per render). Pages stay
with Django's engine; a page shows such a template's output rendered by the view.

What the templates have beside Jinja2's own: ``url(name, *args)`` (Django's ``reverse``)
and the ``money`` filter (``floatformat:"2g"``'s writing of an amount: 1,234.50)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse
from jinja2 import Environment


def money(value: Any) -> str:
    """An amount with two decimals and thousands separated, as ``floatformat:"2g"``
    writes it (amounts are in cents already: nothing is rounded)."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value):,.2f}"


def url(name: str, *args: Any) -> str:
    return reverse(name, args=args)


def environment(**options: Any) -> Environment:
    env = Environment(**options)  # noqa: S701 - Django's backend passes autoescape=True
    env.globals["url"] = url
    env.filters["money"] = money
    return env
