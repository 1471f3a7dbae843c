"""Reading a rules file (``policies/*.yaml``) so that every error names the file and line.

PyYAML's composer keeps each node's start mark; we walk the node tree alongside the
plain data so that a pydantic error location (``indicators.2.weight``) can be mapped
back to the line the author has to fix (DESIGN principle 5: fail fast, file and line).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from hub.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the deepest node along ``loc`` that exists in the document."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for key, value in node.value:
                if key.value == part:
                    nxt = value
                    break
            if nxt is None:
                return line
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def parse_text(text: str, model: type[M], source: str) -> M:
    """Validate YAML ``text`` against ``model``; errors say ``source:line: where: what``."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}",
                          "Fix the syntax at that line.") from None
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        messages = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not isinstance(p, str) or p != "__root__")
            line = _line_of(root, loc)
            path = ".".join(str(p) for p in loc) or "(document)"
            where = f"{source}:{line}" if line else source
            messages.append(f"{where}: {path}: {err['msg']}")
        raise ConfigError("; ".join(messages),
                          f"Fix {source} at the line named (the rules are validated "
                          "at start-up).") from None


def load(path: Path, model: type[M]) -> M:
    """Load and validate one rules file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read rules file {path}: {exc.strerror}") from None
    return parse_text(text, model, str(path))
