"""Typed access to a raw record's fields, raising :class:`FieldError` with the field name.

CSV gives every value as text and JSON Lines gives real types; both are accepted, but a
JSON value of the wrong kind (an object or a number where text belongs) is refused rather
than stored as its Python ``str()``, and so is text holding control characters (NUL …).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from hub.errors import HubError
from hub.identity import normalize, resident_id, uscc


class FieldError(HubError):
    """One field of a feed record does not fit (the record is rejected, not the feed)."""

    code = "INVALID_FIELD"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


#: C0/C1 control characters, except the whitespace that ``clean_text`` folds into a space.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}


def check_control(name: str, text: str) -> None:
    """Refuse text with control characters (a NUL inside a name, a stray escape …)."""
    bad = _CONTROL.search(text)
    if bad:
        raise FieldError(name, f"contains the control character U+{ord(bad.group()):04X}")


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


_TEXT: tuple[type, ...] = (str,)
_CODE: tuple[type, ...] = (str, int)  # an id given as a JSON integer has one exact text form
_NUMBER: tuple[type, ...] = (int, float, str)
_BOOLEAN: tuple[type, ...] = (bool, int, str)
_LIST: tuple[type, ...] = (list, str)
_WANTED = {_NUMBER: "a number", _BOOLEAN: "true or false", _LIST: "a list of text"}


class Fields:
    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw

    def _value(self, name: str, required: bool, accept: tuple[type, ...] = _TEXT) -> Any:
        value = self.raw.get(name)
        if isinstance(value, str):
            check_control(name, value)
            value = normalize.clean_text(value)
        if value is None or value == "" or value == []:
            if required:
                raise FieldError(name, "required field is missing")
            return None
        if not isinstance(value, accept) or (isinstance(value, bool) and bool not in accept):
            raise FieldError(name, f"expected {_WANTED.get(accept, 'text')}, "
                                   f"got {_kind(value)}")
        return value

    def text(self, name: str, *, required: bool = False, max_len: int = 500) -> str | None:
        value = self._value(name, required)
        if value is None:
            return None
        text = normalize.clean_text(value) or ""
        if len(text) > max_len:
            raise FieldError(name, f"longer than {max_len} characters")
        return text

    def req_text(self, name: str, max_len: int = 500) -> str:
        value = self.text(name, required=True, max_len=max_len)
        assert value is not None
        return value

    def code(self, name: str, *, required: bool = True, max_len: int = 64) -> str | None:
        value = self._value(name, required, _CODE)
        if value is None:
            return None
        code = normalize.clean_id(value)
        if len(code) > max_len:
            raise FieldError(name, f"longer than {max_len} characters")
        return code

    def req_code(self, name: str, max_len: int = 64) -> str:
        value = self.code(name, max_len=max_len)
        assert value is not None
        return value

    def uscc(self, name: str = "uscc", *, required: bool = True) -> str | None:
        value = self._value(name, required)
        if value is None:
            return None
        try:
            return uscc.validate(str(value))
        except ValueError as exc:
            raise FieldError(name, f"invalid USCC: {exc}") from None

    def req_uscc(self, name: str = "uscc") -> str:
        value = self.uscc(name)
        assert value is not None
        return value

    def resident_id(self, name: str) -> str:
        value = self._value(name, True)
        try:
            return resident_id.validate(str(value))
        except ValueError as exc:
            raise FieldError(name, f"invalid resident ID: {exc}") from None

    def date(self, name: str, *, required: bool = False) -> str | None:
        value = self._value(name, required, _CODE)
        if value is None:
            return None
        try:
            return normalize.parse_date(value).isoformat()
        except ValueError as exc:
            raise FieldError(name, str(exc)) from None

    def req_date(self, name: str) -> str:
        value = self.date(name, required=True)
        assert value is not None
        return value

    def timestamp(self, name: str) -> str | None:
        """An ISO timestamp, or a date (as its midnight) in any accepted format."""
        value = self._value(name, False, _CODE)
        if value is None:
            return None
        text = str(value)
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
        except ValueError:
            pass
        return self.date(name)

    def enum(self, name: str, allowed: Iterable[str], *, default: str | None = None,
             required: bool = False) -> str | None:
        value = self._value(name, required and default is None, _CODE)
        if value is None:
            return default
        text = str(value).strip().lower()
        options = tuple(allowed)
        if text not in options:
            raise FieldError(name, f"{value!r} is not one of: {', '.join(options)}")
        return text

    def req_enum(self, name: str, allowed: Iterable[str]) -> str:
        value = self.enum(name, allowed, required=True)
        assert value is not None
        return value

    def boolean(self, name: str, *, default: bool | None = None) -> bool | None:
        value = self._value(name, False, _BOOLEAN)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise FieldError(name, f"{value!r} is not true or false")

    def number(self, name: str, *, low: float = 0, high: float = 1e12,
               required: bool = False) -> float | None:
        value = self._value(name, required, _NUMBER)
        if value is None:
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise FieldError(name, f"{value!r} is not a number") from None
        if not low <= number <= high:
            raise FieldError(name, f"{number:g} is outside {low:g}..{high:g}")
        return number

    def integer(self, name: str, *, low: int, high: int) -> int:
        number = self.number(name, low=low, high=high, required=True)
        assert number is not None
        if number != int(number):
            raise FieldError(name, f"{number:g} is not a whole number")
        return int(number)

    def strings(self, name: str) -> list[str]:
        value = self._value(name, False, _LIST)
        if value is None:
            return []
        items = value if isinstance(value, list) else str(value).split(";")
        for item in items:
            if not isinstance(item, str | int) or isinstance(item, bool):
                raise FieldError(name, f"expected a list of text, got {_kind(item)} in it")
            check_control(name, str(item))
        return [s for s in (normalize.clean_text(i) for i in items) if s]
