"""The page numbers the pagination partial shows."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def page_numbers(page: Any) -> list[Any]:
    """The numbers around the current page (two each side), the first and last two, and
    ``page.paginator.ELLIPSIS`` for the gaps: ``1 2 … 5 6 [7] 8 9 … 19 20``."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2))
