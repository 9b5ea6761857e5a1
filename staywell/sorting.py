"""Lists sorted by column: ``?sort=name`` (ascending) or ``?sort=-name`` (descending).

A list names its sortable columns (a whitelist: key -> the fields it orders by); anything
else in ``sort`` is ignored (the list's default order). A tiebreak (the primary key) ends
every order, so that pages never repeat or skip a row. The header links keep the list's
other parameters (its filters) and drop ``page`` (a new order starts on page one); the
pagination links keep ``sort`` because they carry the whole query string.

In a template: ``{% include "partials/_sort_th.html" with col=sort.columns.name %}``
renders ``<th aria-sort="ascending"><a href="?...&sort=-name">Name</a></th>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict


@dataclass(frozen=True)
class SortHeader:
    label: str
    query: str  # the query string of the header's link
    aria_sort: str  # "ascending", "descending" or "" (not sorted by this column)


class Sorting:
    """The order of a list from ``params["sort"]`` among ``columns``."""

    def __init__(
        self,
        params: QueryDict,
        columns: Mapping[str, tuple[str, Sequence[str]]],
        default: str,
        tiebreak: Sequence[str] = ("pk",),
    ) -> None:
        self.params = params
        self.columns_spec = columns  # key -> (label, fields)
        self.tiebreak = tuple(tiebreak)
        wanted = str(params.get("sort", "") or "")
        key = wanted.removeprefix("-")
        if key not in columns:
            wanted = default
            key = default.removeprefix("-")
        self.key = key
        self.descending = wanted.startswith("-")

    @property
    def value(self) -> str:
        return f"-{self.key}" if self.descending else self.key

    def order_by(self) -> list[str]:
        """The fields to order by: the column's (reversed when descending), then the
        tiebreak in the same direction."""
        sign = "-" if self.descending else ""
        fields = [f"{sign}{name}" for name in self.columns_spec[self.key][1]]
        return fields + [f"{sign}{name}" for name in self.tiebreak]

    def apply(self, queryset: Any) -> Any:
        return queryset.order_by(*self.order_by())

    def _header(self, key: str, label: str) -> SortHeader:
        current = key == self.key
        query = self.params.copy()
        query.pop("page", None)
        query["sort"] = f"-{key}" if current and not self.descending else key
        aria = ("descending" if self.descending else "ascending") if current else ""
        return SortHeader(label, query.urlencode(), aria)

    @property
    def columns(self) -> dict[str, SortHeader]:
        return {key: self._header(key, label) for key, (label, _) in self.columns_spec.items()}

    def ordering_fields(self) -> list[str]:
        """The keys, for DRF's ``OrderingFilter.ordering_fields``-like whitelists."""
        return list(self.columns_spec)
