"""Typed, immutable syntax tree for SensorThings API 1.1 query options.

The tree is purely syntactic: property paths are not resolved against the entity model, so a later
translator (e.g. to SQLAlchemy) decides whether ``Datastream/Thing/name`` is a navigation path and whether
``properties/owner/name`` walks into a JSON column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

# ---------------------------------------------------------------------------------------------------------
# Expressions
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expr:
    """Base class of every $filter / $orderby expression node."""


@dataclass(frozen=True, slots=True)
class Literal(Expr):
    """Base class of literal values."""


@dataclass(frozen=True, slots=True)
class StringLiteral(Literal):
    """A string literal; ``value`` is unescaped (``''`` already turned into ``'``)."""

    value: str


@dataclass(frozen=True, slots=True)
class IntegerLiteral(Literal):
    """An integer literal (OData Edm.Int64 range); negative numbers are folded into the literal."""

    value: int


@dataclass(frozen=True, slots=True)
class DecimalLiteral(Literal):
    """A decimal or double literal such as ``1.5`` or ``2.5e-3``, kept exact as a Decimal."""

    value: Decimal


@dataclass(frozen=True, slots=True)
class BooleanLiteral(Literal):
    """``true`` or ``false``."""

    value: bool


@dataclass(frozen=True, slots=True)
class NullLiteral(Literal):
    """``null``."""


@dataclass(frozen=True, slots=True)
class DateTimeLiteral(Literal):
    """An ISO 8601 date-time with offset, e.g. ``2024-01-31T12:00:00Z``; ``value`` is timezone-aware."""

    value: datetime


@dataclass(frozen=True, slots=True)
class DateLiteral(Literal):
    """An ISO 8601 calendar date, e.g. ``2024-01-31``."""

    value: date


@dataclass(frozen=True, slots=True)
class TimeLiteral(Literal):
    """A time of day, e.g. ``12:30:00``."""

    value: time


@dataclass(frozen=True, slots=True)
class DurationLiteral(Literal):
    """An OData duration, e.g. ``duration'P1DT2H'``."""

    value: timedelta


class GeoKind(StrEnum):
    """Prefix of a spatial literal."""

    GEOGRAPHY = "geography"
    GEOMETRY = "geometry"


@dataclass(frozen=True, slots=True)
class GeoLiteral(Literal):
    """A spatial literal such as ``geography'POINT(7.1 51.5)'``; the WKT text is kept verbatim."""

    kind: GeoKind
    wkt: str
    srid: int | None = None


@dataclass(frozen=True, slots=True)
class PropertyPath(Expr):
    """A property path such as ``result``, ``Datastream/Thing/name`` or ``properties/owner/name``."""

    segments: tuple[str, ...]

    def __str__(self) -> str:
        return "/".join(self.segments)


@dataclass(frozen=True, slots=True)
class Not(Expr):
    """Logical negation ``not <operand>``."""

    operand: Expr


@dataclass(frozen=True, slots=True)
class Negate(Expr):
    """Arithmetic negation ``-<operand>`` of a non-literal operand."""

    operand: Expr


class ComparisonOp(StrEnum):
    """Comparison operators."""

    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"


class LogicalOp(StrEnum):
    """Binary logical operators."""

    AND = "and"
    OR = "or"


class ArithmeticOp(StrEnum):
    """Arithmetic operators."""

    ADD = "add"
    SUB = "sub"
    MUL = "mul"
    DIV = "div"
    MOD = "mod"


@dataclass(frozen=True, slots=True)
class Comparison(Expr):
    """``<left> <op> <right>`` with a comparison operator."""

    op: ComparisonOp
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Logical(Expr):
    """``<left> and|or <right>``."""

    op: LogicalOp
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Arithmetic(Expr):
    """``<left> add|sub|mul|div|mod <right>``."""

    op: ArithmeticOp
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class FunctionCall(Expr):
    """A built-in function call; ``name`` is one of ``functions.FUNCTIONS`` (e.g. ``geo.distance``)."""

    name: str
    args: tuple[Expr, ...] = ()


# ---------------------------------------------------------------------------------------------------------
# Query options
# ---------------------------------------------------------------------------------------------------------


class SortDirection(StrEnum):
    """Direction of an $orderby key."""

    ASC = "asc"
    DESC = "desc"


class ResultFormat(StrEnum):
    """Values of $resultFormat defined by STA 1.1."""

    DATA_ARRAY = "dataArray"


@dataclass(frozen=True, slots=True)
class OrderBy:
    """One $orderby key; ``expr`` is usually a PropertyPath but OData allows any expression."""

    expr: Expr
    direction: SortDirection = SortDirection.ASC


@dataclass(frozen=True, slots=True)
class QueryOptions:
    """All query options of one request or of one nested $expand; ``None`` means "not given"."""

    select: tuple[PropertyPath, ...] | None = None
    expand: tuple[Expand, ...] = ()
    filter: Expr | None = None
    orderby: tuple[OrderBy, ...] = ()
    top: int | None = None
    skip: int | None = None
    count: bool | None = None
    result_format: ResultFormat | None = None


@dataclass(frozen=True, slots=True)
class Expand:
    """One $expand item: a navigation path (``Datastreams/Observations``) and options for its last segment."""

    path: tuple[str, ...]
    options: QueryOptions = field(default_factory=QueryOptions)

    def as_nested(self) -> Expand:
        """Rewrite a multi-segment path into single-segment Expands nested via ``options.expand``."""
        if len(self.path) == 1:
            return self
        inner = Expand(self.path[1:], self.options).as_nested()
        return Expand(self.path[:1], QueryOptions(expand=(inner,)))
