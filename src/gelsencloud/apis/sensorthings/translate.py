"""Translate the $filter/$orderby syntax tree into SQLAlchemy expressions for one entity type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    Integer,
    Numeric,
    Text,
    Time,
    and_,
    cast,
    exists,
    extract,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import aliased

from gelsencloud.apis.sensorthings import spatial
from gelsencloud.apis.sensorthings.query import (
    Arithmetic,
    ArithmeticOp,
    BooleanLiteral,
    Comparison,
    ComparisonOp,
    DateLiteral,
    DateTimeLiteral,
    DecimalLiteral,
    DurationLiteral,
    Expr,
    FunctionCall,
    GeoLiteral,
    IntegerLiteral,
    Logical,
    LogicalOp,
    Negate,
    Not,
    NullLiteral,
    OrderBy,
    PropertyPath,
    QueryError,
    SortDirection,
    StringLiteral,
    TimeLiteral,
)
from gelsencloud.apis.sensorthings.schema import ENTITY_TYPES, EntityType, Nav
from gelsencloud.core.models import Timestamp


@dataclass
class Value:
    """A translated operand: the SQL expression and what kind of value it is."""

    sql: Any
    kind: str  # string number boolean datetime date time geometry json result null any
    json_path: bool = False  # a path into a JSON column: cast on use
    literal: Any = None  # the Python value of a literal operand


class _ToMany(Exception):
    """A property path walks through a to-many navigation: evaluate it as 'any related row'."""

    def __init__(self, prefix: tuple[str, ...]) -> None:
        self.prefix = prefix


def relation_clause(nav: Nav, source, target):
    """SQL condition relating rows of ``source`` (entity or alias) to rows of ``target`` via ``nav``."""
    if nav.fk:
        return target.id == getattr(source, nav.fk)
    if nav.back_fk:
        return getattr(target, nav.back_fk) == source.id
    link = nav.link
    return target.id.in_(
        select(link.c[nav.link_target])
        .where(link.c[nav.link_source] == source.id)
        .correlate_except(link)  # the source may sit two levels up (inside EXISTS)
        .scalar_subquery()
    )


_OPS = {
    ComparisonOp.EQ: lambda a, b: a == b,
    ComparisonOp.NE: lambda a, b: a != b,
    ComparisonOp.GT: lambda a, b: a > b,
    ComparisonOp.GE: lambda a, b: a >= b,
    ComparisonOp.LT: lambda a, b: a < b,
    ComparisonOp.LE: lambda a, b: a <= b,
}
_DATE_PARTS = {"year": "%Y", "month": "%m", "day": "%d", "hour": "%H", "minute": "%M", "second": "%S"}


class Translator:
    """Builds WHERE and ORDER BY expressions for ``etype`` queried as ``entity`` (model or alias)."""

    def __init__(self, etype: EntityType, entity, dialect: str, option: str = "$filter") -> None:
        self.etype = etype
        self.entity = entity
        self.dialect = dialect
        self.option = option
        self.scopes: dict[tuple[str, ...], tuple[EntityType, Any]] = {}

    # ----------------------------------------------------------------------------------------------
    def where(self, expr: Expr):
        """Translate a boolean $filter expression."""
        return self._boolean(expr)

    def order(self, items: tuple[OrderBy, ...]) -> list:
        """Translate $orderby keys (``result`` sorts numbers, then strings)."""
        clauses = []
        for item in items:
            if (
                isinstance(item.expr, PropertyPath)
                and item.expr.segments == ("result",)
                and self._has("result")
            ):
                columns = [self.entity.result_number, self.entity.result_string]
            else:
                value = self._value(item.expr)
                columns = [self._as(value, "string") if value.json_path else value.sql]
            for column in columns:
                clauses.append(column.desc() if item.direction == SortDirection.DESC else column.asc())
        return clauses

    # ----------------------------------------------------------------------------------------------
    def _fail(self, message: str, hint: str | None = None) -> QueryError:
        return QueryError(self.option, message, hint=hint)

    def _has(self, name: str) -> bool:
        return name in self.etype.props

    def _boolean(self, expr: Expr):
        if isinstance(expr, Logical):
            left, right = self._boolean(expr.left), self._boolean(expr.right)
            return and_(left, right) if expr.op == LogicalOp.AND else or_(left, right)
        if isinstance(expr, Not):
            return not_(self._boolean(expr.operand))
        try:
            return self._leaf(expr)
        except _ToMany as many:
            return self._any(many.prefix, expr)

    def _any(self, prefix: tuple[str, ...], expr: Expr):
        """EXISTS over the related rows of a to-many path; the leaf is evaluated per related row."""
        etype, entity = self._walk(prefix[:-1])
        nav = etype.navs[prefix[-1]]
        target_type = ENTITY_TYPES[nav.target]
        alias = aliased(target_type.model)
        self.scopes[prefix] = (target_type, alias)
        try:
            try:
                condition = self._leaf(expr)
            except _ToMany as deeper:  # e.g. Datastreams/Observations/result: nest the EXISTS
                condition = self._any(deeper.prefix, expr)
        finally:
            del self.scopes[prefix]
        return exists(select(alias.id).where(relation_clause(nav, entity, alias), condition))

    def _walk(self, segments: tuple[str, ...]) -> tuple[EntityType, Any]:
        """Entity type and SQL entity reached by a chain of navigation segments bound in a scope."""
        if not segments:
            return self.etype, self.entity
        if segments in self.scopes:
            return self.scopes[segments]
        raise self._fail(f"cannot evaluate the path '{'/'.join(segments)}' here")

    def _leaf(self, expr: Expr):
        if isinstance(expr, Comparison):
            return self._compare(expr)
        value = self._value(expr)
        if value.kind == "boolean" or value.kind == "any":
            return value.sql if not value.json_path else self._as(value, "boolean")
        raise self._fail(f"'{expr}' is not a boolean expression")

    # ----------------------------------------------------------------------------------------------
    def _compare(self, expr: Comparison):
        left, right = self._value(expr.left), self._value(expr.right)
        op = _OPS[expr.op]
        if right.kind == "null" or left.kind == "null":
            other = left if right.kind == "null" else right
            sql = self._as(other, "string") if other.json_path else other.sql
            if other.kind == "result":
                empty = and_(other.sql.result_number.is_(None), other.sql.result_string.is_(None))
                return empty if expr.op == ComparisonOp.EQ else not_(empty)
            if expr.op == ComparisonOp.EQ:
                return sql.is_(None)
            if expr.op == ComparisonOp.NE:
                return sql.is_not(None)
            return false()
        if left.kind == "result" or right.kind == "result":
            return self._compare_result(left, right, op, expr.op)
        kind = self._common_kind(left, right)
        return op(self._as(left, kind), self._as(right, kind))

    def _compare_result(self, left: Value, right: Value, op, cop: ComparisonOp):
        result, other = (left, right) if left.kind == "result" else (right, left)
        swap = result is right
        entity = result.sql  # a _ResultRef

        def apply(a, b):
            return op(b, a) if swap else op(a, b)

        if other.kind == "string":
            text = other.literal
            try:
                number = float(text) if isinstance(text, str) else None
            except ValueError:
                number = None
            if number is None:
                return apply(entity.result_string, self._as(other, "string"))
            # A numeric string ('3') compares numerically (type coercion); eq/ne also match the text.
            numeric = apply(entity.result_number, literal(number, Float))
            if cop == ComparisonOp.EQ:
                return or_(numeric, entity.result_string == text)
            if cop == ComparisonOp.NE:
                return and_(numeric, or_(entity.result_string.is_(None), entity.result_string != text))
            return numeric
        if other.kind == "boolean":
            return apply(entity.result_string, literal("true" if other.literal else "false"))
        if other.kind == "result":
            return apply(entity.result_number, other.sql.result_number)
        return apply(entity.result_number, self._as(other, "number"))

    def _common_kind(self, left: Value, right: Value) -> str:
        kinds = {left.kind, right.kind} - {"any", "json"}
        for preferred in ("datetime", "date", "time", "number", "boolean", "string"):
            if preferred in kinds:
                # A column decides over a literal: name eq 3 compares text, result gt '3' numbers.
                for v in (left, right):
                    if v.literal is None and v.kind not in ("any", "json"):
                        return v.kind
                return preferred
        return "string"

    def _as(self, value: Value, kind: str):
        """Coerce an operand to ``kind``: JSON paths are extracted, literals converted."""
        if value.json_path:
            sql = value.sql
            if kind == "number":
                return sql.as_float()
            if kind == "boolean":
                return sql.as_boolean()
            return sql.as_string()
        if value.literal is not None and value.kind != kind:
            return self._convert_literal(value.literal, kind)
        if kind in ("datetime",) and value.kind == "datetime":
            return value.sql
        if kind == "number" and value.kind == "string" and value.literal is None:
            return cast(value.sql, Float)
        if kind == "string" and value.kind == "number" and value.literal is None:
            return cast(value.sql, Text)
        return value.sql

    def _convert_literal(self, raw: Any, kind: str):
        try:
            if kind == "number":
                return literal(float(raw), Float)
            if kind == "string":
                return literal(raw.isoformat() if hasattr(raw, "isoformat") else str(raw), Text)
            if kind == "datetime":
                if isinstance(raw, datetime):
                    return literal(raw, Timestamp)
                if isinstance(raw, date):
                    return literal(datetime(raw.year, raw.month, raw.day, tzinfo=UTC), Timestamp)
                parsed = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
                return literal(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC), Timestamp)
            if kind == "boolean":
                return true() if str(raw).lower() in ("true", "1") else false()
        except (TypeError, ValueError):
            raise self._fail(f"cannot compare {raw!r} with a {kind} value") from None
        return literal(raw)

    # ----------------------------------------------------------------------------------------------
    def _value(self, expr: Expr) -> Value:
        if isinstance(expr, PropertyPath):
            return self._path(expr.segments)
        if isinstance(expr, StringLiteral):
            return Value(literal(expr.value, Text), "string", literal=expr.value)
        if isinstance(expr, IntegerLiteral):
            return Value(literal(expr.value, Integer), "number", literal=expr.value)
        if isinstance(expr, DecimalLiteral):
            return Value(literal(float(expr.value), Float), "number", literal=float(expr.value))
        if isinstance(expr, BooleanLiteral):
            return Value(true() if expr.value else false(), "boolean", literal=expr.value)
        if isinstance(expr, NullLiteral):
            return Value(null(), "null")
        if isinstance(expr, DateTimeLiteral):
            return Value(literal(expr.value, Timestamp), "datetime", literal=expr.value)
        if isinstance(expr, DateLiteral):
            return Value(literal(expr.value, Date), "date", literal=expr.value)
        if isinstance(expr, TimeLiteral):
            return Value(literal(expr.value, Time), "time", literal=expr.value)
        if isinstance(expr, GeoLiteral):
            return Value(spatial.geometry_of_wkt(expr.wkt, self.dialect), "geometry")
        if isinstance(expr, DurationLiteral):
            raise self._fail("durations are not supported in $filter yet")
        if isinstance(expr, Negate):
            value = self._value(expr.operand)
            return Value(-self._as(value, "number"), "number")
        if isinstance(expr, Arithmetic):
            return self._arithmetic(expr)
        if isinstance(expr, FunctionCall):
            return self._function(expr)
        if isinstance(expr, Comparison | Logical | Not):
            return Value(self._boolean(expr), "boolean")
        raise self._fail(f"unsupported expression '{expr}'")

    def _numeric(self, expr: Expr):
        value = self._value(expr)
        if value.kind == "result":
            return value.sql.result_number
        return self._as(value, "number")

    def _arithmetic(self, expr: Arithmetic) -> Value:
        left, right = self._numeric(expr.left), self._numeric(expr.right)
        if expr.op == ArithmeticOp.ADD:
            sql = left + right
        elif expr.op == ArithmeticOp.SUB:
            sql = left - right
        elif expr.op == ArithmeticOp.MUL:
            sql = left * right
        elif expr.op == ArithmeticOp.DIV:
            sql = cast(left, Float) / cast(right, Float)
        elif self.dialect == "postgresql":
            sql = cast(func.mod(cast(left, Numeric), cast(right, Numeric)), Float)
        else:
            sql = left % right
        return Value(sql, "number")

    # ----------------------------------------------------------------------------------------------
    def _path(self, segments: tuple[str, ...]) -> Value:
        # Bound to-many scopes (inside an EXISTS) take precedence, longest first.
        for size in range(len(segments) - 1, 0, -1):
            if segments[:size] in self.scopes:
                etype, entity = self.scopes[segments[:size]]
                return self._resolve(etype, entity, segments[size:], segments[:size])
        return self._resolve(self.etype, self.entity, segments, ())

    def _resolve(
        self, etype: EntityType, entity, segments: tuple[str, ...], walked: tuple[str, ...]
    ) -> Value:
        head, rest = segments[0], segments[1:]
        if head in ("id", "@iot.id"):
            return Value(entity.id, "number")
        if head in etype.props:
            prop = etype.props[head]
            column = getattr(entity, prop.attr)
            if prop.kind == "json":
                if not rest:
                    return Value(column, "json", json_path=False)
                return Value(column[rest] if len(rest) > 1 else column[rest[0]], "any", json_path=True)
            if rest:
                raise self._fail(f"'{head}' of {etype.set_name} has no sub-properties")
            if prop.kind == "result":
                return Value(_ResultRef(entity), "result")
            if prop.kind in ("time", "interval"):
                return Value(column, "datetime")
            if prop.kind == "geo":
                # Locations and features keep the bare geometry next to the GeoJSON as sent.
                geo = entity.geometry if prop.attr in ("location", "feature") else column
                return Value(spatial.geometry_of_column(geo, self.dialect), "geometry")
            return Value(column, "string")
        if head in etype.navs:
            nav = etype.navs[head]
            if not rest:
                raise self._fail(f"'{head}' is a navigation property; name one of its properties")
            if nav.many:
                raise _ToMany(walked + (head,))
            target = ENTITY_TYPES[nav.target]
            alias = aliased(target.model)
            inner = self._resolve(target, alias, rest, walked + (head,))
            if inner.kind == "result":
                raise self._fail("compare 'result' of a related Observation is not supported")
            sub = select(inner.sql).where(alias.id == getattr(entity, nav.fk)).scalar_subquery()
            return Value(sub, inner.kind)
        known = ", ".join([*etype.props, *etype.navs])
        raise self._fail(f"unknown property '{head}' of {etype.set_name}", hint=f"known: {known}")

    # ----------------------------------------------------------------------------------------------
    def _function(self, call: FunctionCall) -> Value:
        name = call.name
        if name in ("now", "mindatetime", "maxdatetime"):
            moment = {
                "now": datetime.now(UTC),
                "mindatetime": datetime(1, 1, 1, tzinfo=UTC),
                "maxdatetime": datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
            }[name]
            return Value(literal(moment, Timestamp), "datetime")
        args = [self._value(a) for a in call.args]
        if name.startswith(("geo.", "st_")):
            geoms = [a.sql for a in args[:2]]
            extra = [self._as(a, "string") for a in args[2:]]
            sql = spatial.call(name, geoms + extra, self.dialect)
            kind = "number" if name in ("geo.distance", "geo.length") else "boolean"
            if self.dialect == "postgresql" and kind == "boolean":
                sql = sql.is_(True)
            return Value(sql, kind)
        if name in ("round", "floor", "ceiling"):
            return Value(spatial.math_call(name, self._numeric(call.args[0]), self.dialect), "number")
        if name in _DATE_PARTS or name in ("fractionalseconds", "date", "time", "totaloffsetminutes"):
            return self._date_function(name, args[0])
        text = [self._as(a, "string") if a.kind != "result" else a.sql.result_string for a in args]
        if name == "substringof":
            return Value(text[1].contains(text[0]), "boolean")
        if name == "startswith":
            return Value(text[0].startswith(text[1]), "boolean")
        if name == "endswith":
            return Value(text[0].endswith(text[1]), "boolean")
        if name == "length":
            return Value(func.length(text[0]), "number")
        if name == "indexof":
            finder = func.strpos if self.dialect == "postgresql" else func.instr
            return Value(finder(text[0], text[1]) - 1, "number")
        if name == "substring":
            start = self._numeric(call.args[1]) + 1
            if len(args) == 3:
                return Value(
                    func.substr(text[0], cast(start, Integer), cast(self._numeric(call.args[2]), Integer)),
                    "string",
                )
            return Value(func.substr(text[0], cast(start, Integer)), "string")
        if name == "tolower":
            return Value(func.lower(text[0]), "string")
        if name == "toupper":
            return Value(func.upper(text[0]), "string")
        if name == "trim":
            return Value(func.trim(text[0]), "string")
        if name == "concat":
            return Value(text[0].concat(text[1]), "string")
        raise self._fail(f"function {name}() is not supported")

    def _date_function(self, name: str, arg: Value) -> Value:
        sql = self._as(arg, "datetime") if arg.literal is None else arg.sql
        if self.dialect == "postgresql":
            utc = func.timezone("UTC", sql)
            if name in _DATE_PARTS:
                return Value(cast(func.floor(extract(name, utc)), Integer), "number")
            if name == "fractionalseconds":
                seconds = extract("second", utc)
                return Value(cast(seconds - func.floor(seconds), Float), "number")
            if name == "date":
                return Value(cast(utc, Date), "date")
            if name == "time":
                return Value(cast(utc, Time), "time")
            return Value(literal(0), "number")
        if name in _DATE_PARTS:
            return Value(cast(func.strftime(_DATE_PARTS[name], sql), Integer), "number")
        if name == "fractionalseconds":
            frac = cast(func.strftime("%f", sql), Float) - cast(func.strftime("%S", sql), Float)
            return Value(frac, "number")
        if name == "date":
            return Value(func.date(sql), "date")
        if name == "time":
            return Value(func.time(sql), "time")
        return Value(literal(0), "number")


class _ResultRef:
    """Marker for the ``result`` property: comparisons pick the number or the string shadow column."""

    def __init__(self, entity) -> None:
        self.result_number = entity.result_number
        self.result_string = entity.result_string
        self.result = entity.result


__all__ = ["Translator", "relation_clause"]
