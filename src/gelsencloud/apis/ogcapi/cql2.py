"""A small CQL2-text parser for Basic CQL2 (comparison, LIKE, IN, BETWEEN, IS NULL, AND/OR/NOT)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|'(?P<str>(?:[^']|'')*)'|\"(?P<qid>[^\"]+)\""
    r"|(?P<op><>|<=|>=|=|<|>|\(|\)|,)|(?P<id>[A-Za-z_][\w.:-]*))"
)
KEYWORDS = {"AND", "OR", "NOT", "LIKE", "IN", "BETWEEN", "IS", "NULL", "TRUE", "FALSE"}

Predicate = Callable[[dict[str, Any]], bool]


class CqlError(ValueError):
    """Raised for filter text outside Basic CQL2."""


def _tokens(text: str) -> list[tuple[str, Any]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise CqlError(f"unexpected character at {pos}: {text[pos : pos + 10]!r}")
        pos = match.end()
        if match.group("num") is not None:
            num = match.group("num")
            out.append(("val", float(num) if any(c in num for c in ".eE") else int(num)))
        elif match.group("str") is not None:
            out.append(("val", match.group("str").replace("''", "'")))
        elif match.group("qid") is not None:
            out.append(("id", match.group("qid")))
        elif match.group("op") is not None:
            out.append(("op", match.group("op")))
        else:
            word = match.group("id")
            if word.upper() in ("TRUE", "FALSE"):
                out.append(("val", word.upper() == "TRUE"))
            elif word.upper() in KEYWORDS:
                out.append(("kw", word.upper()))
            else:
                out.append(("id", word))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]], properties: set[str]) -> None:
        self.t = tokens
        self.i = 0
        self.properties = properties

    def peek(self, kind: str | None = None, value: Any = None) -> bool:
        if self.i >= len(self.t):
            return False
        k, v = self.t[self.i]
        return (kind is None or k == kind) and (value is None or v == value)

    def take(self, kind: str, value: Any = None) -> Any:
        if not self.peek(kind, value):
            got = self.t[self.i][1] if self.i < len(self.t) else "end of filter"
            raise CqlError(f"expected {value or kind}, got {got!r}")
        self.i += 1
        return self.t[self.i - 1][1]

    def parse(self) -> Predicate:
        pred = self.or_()
        if self.i != len(self.t):
            raise CqlError(f"unexpected {self.t[self.i][1]!r}")
        return pred

    def or_(self) -> Predicate:
        parts = [self.and_()]
        while self.peek("kw", "OR"):
            self.i += 1
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else (lambda f: any(p(f) for p in parts))

    def and_(self) -> Predicate:
        parts = [self.not_()]
        while self.peek("kw", "AND"):
            self.i += 1
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else (lambda f: all(p(f) for p in parts))

    def not_(self) -> Predicate:
        if self.peek("kw", "NOT"):
            self.i += 1
            inner = self.not_()
            return lambda f: not inner(f)
        return self.predicate()

    def value(self) -> Any:
        if self.peek("val"):
            return self.take("val")
        raise CqlError("expected a literal value")

    def predicate(self) -> Predicate:
        if self.peek("op", "("):
            self.i += 1
            inner = self.or_()
            self.take("op", ")")
            return inner
        name = self.take("id")
        if name not in self.properties:
            raise CqlError(f"unknown property {name!r}; queryables: {sorted(self.properties)}")
        negate = False
        if self.peek("kw", "NOT"):
            self.i += 1
            negate = True
        if self.peek("kw", "LIKE"):
            self.i += 1
            pattern = self.value()
            regex = re.compile(
                "^"
                + "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in str(pattern))
                + "$",
                re.S,
            )
            pred = lambda f: f.get(name) is not None and bool(regex.match(str(f.get(name))))  # noqa: E731
        elif self.peek("kw", "IN"):
            self.i += 1
            self.take("op", "(")
            options = [self.value()]
            while self.peek("op", ","):
                self.i += 1
                options.append(self.value())
            self.take("op", ")")
            pred = lambda f: f.get(name) in options  # noqa: E731
        elif self.peek("kw", "BETWEEN"):
            self.i += 1
            low = self.value()
            self.take("kw", "AND")
            high = self.value()
            pred = lambda f: _cmp(f.get(name), ">=", low) and _cmp(f.get(name), "<=", high)  # noqa: E731
        elif self.peek("kw", "IS"):
            self.i += 1
            is_not = self.peek("kw", "NOT")
            if is_not:
                self.i += 1
            self.take("kw", "NULL")
            pred = (lambda f: f.get(name) is not None) if is_not else (lambda f: f.get(name) is None)
        else:
            if negate:
                raise CqlError("NOT must precede LIKE, IN or BETWEEN here")
            op = self.take("op")
            if op not in ("=", "<>", "<", ">", "<=", ">="):
                raise CqlError(f"unknown operator {op!r}")
            value = self.value()
            return lambda f: _cmp(f.get(name), op, value)
        return (lambda f: not pred(f)) if negate else pred


def _cmp(left: Any, op: str, right: Any) -> bool:
    if left is None:
        return False
    if isinstance(right, int | float) and not isinstance(right, bool) and isinstance(left, str):
        try:
            left = float(left)
        except ValueError:
            return False
    if isinstance(right, str) and not isinstance(left, str):
        left = str(left)
    try:
        return {
            "=": left == right,
            "<>": left != right,
            "<": left < right,
            ">": left > right,
            "<=": left <= right,
            ">=": left >= right,
        }[op]
    except TypeError:
        return False


def parse(text: str, properties: set[str]) -> Predicate:
    """Compile CQL2 text into a predicate over feature properties."""
    return _Parser(_tokens(text), properties).parse()
