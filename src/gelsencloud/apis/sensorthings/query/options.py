"""Parse $expand (with nested options) and a whole query string into QueryOptions."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from .ast import Expand, QueryOptions, ResultFormat
from .errors import QueryError
from .parser import parse_filter, parse_orderby, parse_select

TOP_LEVEL_OPTIONS = ("$select", "$expand", "$filter", "$orderby", "$top", "$skip", "$count", "$resultFormat")
# $resultFormat applies to the response as a whole, so it is not allowed inside $expand.
NESTED_OPTIONS = ("$select", "$expand", "$filter", "$orderby", "$top", "$skip", "$count")

_NAV_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*")
_OPTION = re.compile(r"\s*(\$?[A-Za-z][A-Za-z0-9]*)\s*=")
_EXPAND = "$expand"


# ----------------------------------------------------------------------------------------------------
# Single option values
# ----------------------------------------------------------------------------------------------------


def _option_hint(name: str, allowed: tuple[str, ...]) -> str:
    """Suggest the option the client probably meant."""
    for candidate in allowed:
        if candidate.lower() == name.lower() or candidate == "$" + name:
            return f"did you mean '{candidate}'? Option names are case-sensitive and start with '$'"
    close = difflib.get_close_matches(name, allowed, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return "supported options: " + ", ".join(allowed)


def _non_negative(option: str, value: str) -> int:
    stripped = value.strip()
    position = len(value) - len(value.lstrip()) + 1
    if re.fullmatch(r"\d+", stripped):
        return int(stripped)
    if re.fullmatch(r"-\d+", stripped):
        raise QueryError(option, f"must not be negative, got '{stripped}'", position)
    raise QueryError(option, f"expected a non-negative integer, got '{stripped[:40]}'", position)


def _parse_value(option: str, value: str, max_top: int | None) -> Any:
    """Parse the value of one option (other than a nested $expand), raising QueryError for ``option``."""
    if option == "$filter":
        return parse_filter(value)
    if option == "$orderby":
        return parse_orderby(value)
    if option == "$select":
        return parse_select(value)
    if option == "$expand":
        return parse_expand(value, max_top=max_top)
    if option == "$top":
        top = _non_negative(option, value)
        # Server-driven paging: a larger $top is honoured page by page via @iot.nextLink (STA 9.3.3.7).
        return top if max_top is None else min(top, max_top)
    if option == "$skip":
        return _non_negative(option, value)
    if option == "$count":
        if value.strip() not in ("true", "false"):
            raise QueryError(option, f"expected true or false, got '{value.strip()[:40]}'", 1)
        return value.strip() == "true"
    if option == "$resultFormat":
        if value.strip() != ResultFormat.DATA_ARRAY:
            raise QueryError(
                option,
                f"unsupported result format '{value.strip()[:40]}'",
                1,
                hint="STA 1.1 defines only $resultFormat=dataArray",
            )
        return ResultFormat.DATA_ARRAY
    raise AssertionError(option)  # callers check the name first


def _build(values: Mapping[str, Any]) -> QueryOptions:
    return QueryOptions(
        select=values.get("$select"),
        expand=values.get("$expand", ()),
        filter=values.get("$filter"),
        orderby=values.get("$orderby", ()),
        top=values.get("$top"),
        skip=values.get("$skip"),
        count=values.get("$count"),
        result_format=values.get("$resultFormat"),
    )


# ----------------------------------------------------------------------------------------------------
# $expand
# ----------------------------------------------------------------------------------------------------


def _split(text: str, separator: str, offset: int, path: tuple[str, ...]) -> list[tuple[str, int]]:
    """Split ``text`` at separators outside quotes and parentheses; return (piece, start index) pairs."""
    pieces: list[tuple[str, int]] = []
    depth, start, quote_start = 0, 0, -1
    for index, char in enumerate(text):
        if quote_start >= 0:
            if char == "'":  # a doubled '' closes and immediately reopens, which is what we want
                quote_start = -1
            continue
        if char == "'":
            quote_start = index
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise QueryError(_EXPAND, "unbalanced ')'", offset + index + 1, path=path)
        elif char == separator and depth == 0:
            pieces.append((text[start:index], start))
            start = index + 1
    if quote_start >= 0:
        raise QueryError(_EXPAND, "unterminated string literal starting", offset + quote_start + 1, path=path)
    if depth > 0:
        raise QueryError(_EXPAND, "missing ')'", offset + len(text) + 1, path=path)
    pieces.append((text[start:], start))
    return pieces


def _parse_nested(inner: str, offset: int, path: tuple[str, ...], max_top: int | None) -> QueryOptions:
    """Parse ``$select=...;$top=...`` inside the parentheses of an $expand item."""
    if not inner.strip():
        raise QueryError(
            _EXPAND,
            "empty parentheses",
            offset + 1,
            path=path,
            hint="give options such as $top=1 or drop the parentheses",
        )
    values: dict[str, Any] = {}
    for piece, start in _split(inner, ";", offset, path):
        match = _OPTION.match(piece)
        lead = len(piece) - len(piece.lstrip())
        if not match:
            raise QueryError(
                _EXPAND,
                f"expected an option such as $top=1, got '{piece.strip()[:40]}'",
                offset + start + lead + 1,
                path=path,
            )
        name, value = match[1], piece[match.end() :]
        value_offset = offset + start + match.end()
        if name not in NESTED_OPTIONS:
            raise QueryError(
                _EXPAND,
                f"unknown option '{name}'",
                offset + start + lead + 1,
                path=path,
                hint=_option_hint(name, NESTED_OPTIONS),
            )
        if name in values:
            raise QueryError(_EXPAND, f"duplicate option '{name}'", offset + start + lead + 1, path=path)
        if name == _EXPAND:
            values[name] = _parse_expand(value, value_offset, path, max_top)
            continue
        try:
            values[name] = _parse_value(name, value, max_top)
        except QueryError as exc:
            position = None if exc.position is None else value_offset + exc.position
            raise QueryError(
                _EXPAND, f"{exc.option}: {exc.message}", position, hint=exc.hint, path=path
            ) from None
    return _build(values)


def _parse_item(piece: str, offset: int, parent: tuple[str, ...], max_top: int | None) -> Expand:
    """Parse one ``Nav/Nav(options)`` item of an $expand list."""
    lead = len(piece) - len(piece.lstrip())
    body = piece.strip()
    position = offset + lead  # 0-based index of the item in the top-level $expand value
    if not body:
        raise QueryError(_EXPAND, "empty item", position + 1, path=parent, hint="remove the extra ','")
    match = _NAV_PATH.match(body)
    if not match:
        raise QueryError(
            _EXPAND,
            f"expected a navigation property such as Datastreams, got '{body[:40]}'",
            position + 1,
            path=parent,
        )
    segments = tuple(match.group().split("/"))
    rest = body[match.end() :]
    rest_index = position + match.end() + len(rest) - len(rest.lstrip())
    rest = rest.strip()
    if not rest:
        return Expand(segments)
    if not rest.startswith("("):
        raise QueryError(
            _EXPAND,
            f"unexpected '{rest[:40]}' after '{match.group()}'",
            rest_index + 1,
            path=parent,
            hint="put nested options in parentheses: Datastreams($top=1)",
        )
    # _split has checked the balance of the whole list; make sure the first '(' is closed only at the end.
    depth = 0
    for index, char in enumerate(_mask_strings(rest)):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and index != len(rest) - 1:
            raise QueryError(
                _EXPAND,
                f"unexpected '{rest[index + 1 :][:40]}' after ')'",
                rest_index + index + 2,
                path=parent,
            )
    return Expand(segments, _parse_nested(rest[1:-1], rest_index + 1, parent + segments, max_top))


def _mask_strings(text: str) -> str:
    """Replace the contents of string literals with spaces so that parentheses inside them are ignored."""
    return re.sub(r"'(?:[^']|'')*'", lambda m: " " * len(m.group()), text)


def _parse_expand(text: str, offset: int, parent: tuple[str, ...], max_top: int | None) -> tuple[Expand, ...]:
    if not text.strip():
        raise QueryError(_EXPAND, "empty value", offset + 1, path=parent)
    pieces = _split(text, ",", offset, parent)
    return tuple(_parse_item(piece, offset + start, parent, max_top) for piece, start in pieces)


# ----------------------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------------------


def parse_expand(text: str, *, max_top: int | None = None) -> tuple[Expand, ...]:
    """Parse an $expand value such as ``Datastreams($select=id;$expand=Observations($top=3))``."""
    try:
        return _parse_expand(text, 0, (), max_top)
    except RecursionError:
        raise QueryError(_EXPAND, "$expand is nested too deeply") from None


def parse_query_options(params: Mapping[str, str], *, max_top: int) -> QueryOptions:
    """Parse all ``$`` options of a request (already URL-decoded); other parameters are ignored.

    ``$top`` values above ``max_top`` (also inside $expand) are capped to it; the server then pages with
    ``@iot.nextLink`` as STA's server-driven paging allows.
    """
    if max_top < 1:
        raise ValueError("max_top must be positive")
    values: dict[str, Any] = {}
    for name, value in params.items():
        if not name.startswith("$"):
            continue
        if name not in TOP_LEVEL_OPTIONS:
            raise QueryError(name, "unknown query option", hint=_option_hint(name, TOP_LEVEL_OPTIONS))
        values[name] = _parse_value(name, value, max_top)
    return _build(values)
