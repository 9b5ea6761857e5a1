"""Small template helpers of the ledger pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    """``{{ balances|get_item:kind }}``: a dictionary value by a variable key."""
    return mapping.get(key) if mapping else None
