"""What the caller selected, so a query fetches only the sections it will return."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection


def _flatten(selections: list[Selection], into: dict[str, SelectedField]) -> None:
    for item in selections:
        if isinstance(item, SelectedField):
            into.setdefault(item.name, item)
        elif isinstance(item, FragmentSpread | InlineFragment):
            _flatten(item.selections, into)


def children(field: SelectedField | None) -> dict[str, SelectedField]:
    found: dict[str, SelectedField] = {}
    if field is not None:
        _flatten(field.selections, found)
    return found


def root_children(info: Info[Any, Any]) -> dict[str, SelectedField]:
    root = info.selected_fields[0] if info.selected_fields else None
    return children(root if isinstance(root, SelectedField) else None)
