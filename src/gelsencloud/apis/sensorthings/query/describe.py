"""Print AST nodes and query options back as canonical OData text (e.g. for @iot.nextLink)."""

from __future__ import annotations

from .ast import (
    Arithmetic,
    ArithmeticOp,
    BooleanLiteral,
    Comparison,
    ComparisonOp,
    DateLiteral,
    DateTimeLiteral,
    DecimalLiteral,
    DurationLiteral,
    Expand,
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
    QueryOptions,
    StringLiteral,
    TimeLiteral,
)
from .literals import format_datetime, format_decimal, format_duration, format_time, quote

# Binding strength, weakest first; mirrors the grammar so printing inserts only necessary parentheses.
_OR, _AND, _EQUALITY, _RELATIONAL, _ADDITIVE, _MULTIPLICATIVE, _UNARY, _PRIMARY = range(8)

_BINARY_PRECEDENCE: dict[str, int] = {
    LogicalOp.OR: _OR,
    LogicalOp.AND: _AND,
    ComparisonOp.EQ: _EQUALITY,
    ComparisonOp.NE: _EQUALITY,
    ComparisonOp.GT: _RELATIONAL,
    ComparisonOp.GE: _RELATIONAL,
    ComparisonOp.LT: _RELATIONAL,
    ComparisonOp.LE: _RELATIONAL,
    ArithmeticOp.ADD: _ADDITIVE,
    ArithmeticOp.SUB: _ADDITIVE,
    ArithmeticOp.MUL: _MULTIPLICATIVE,
    ArithmeticOp.DIV: _MULTIPLICATIVE,
    ArithmeticOp.MOD: _MULTIPLICATIVE,
}


def _precedence(expr: Expr) -> int:
    if isinstance(expr, Comparison | Logical | Arithmetic):
        return _BINARY_PRECEDENCE[expr.op]
    if isinstance(expr, Not | Negate):
        return _UNARY
    if isinstance(expr, IntegerLiteral | DecimalLiteral) and expr.value < 0:
        return _UNARY  # "-5" is read back through the unary minus rule
    return _PRIMARY


def _wrap(expr: Expr, minimum: int) -> str:
    text = to_odata(expr)
    return f"({text})" if _precedence(expr) < minimum else text


def _literal(expr: Expr) -> str | None:
    if isinstance(expr, StringLiteral):
        return quote(expr.value)
    if isinstance(expr, BooleanLiteral):
        return "true" if expr.value else "false"
    if isinstance(expr, IntegerLiteral):
        return str(expr.value)
    if isinstance(expr, DecimalLiteral):
        return format_decimal(expr.value)
    if isinstance(expr, NullLiteral):
        return "null"
    if isinstance(expr, DateTimeLiteral):
        return format_datetime(expr.value)
    if isinstance(expr, DateLiteral):
        return expr.value.isoformat()
    if isinstance(expr, TimeLiteral):
        return format_time(expr.value)
    if isinstance(expr, DurationLiteral):
        return f"duration'{format_duration(expr.value)}'"
    if isinstance(expr, GeoLiteral):
        srid = f"SRID={expr.srid};" if expr.srid is not None else ""
        return f"{expr.kind.value}{quote(srid + expr.wkt)}"
    return None


def to_odata(expr: Expr) -> str:
    """Print an expression in canonical OData syntax; parsing the result gives an equal tree."""
    literal = _literal(expr)
    if literal is not None:
        return literal
    if isinstance(expr, PropertyPath):
        return "/".join(expr.segments)
    if isinstance(expr, FunctionCall):
        return f"{expr.name}({','.join(to_odata(arg) for arg in expr.args)})"
    if isinstance(expr, Not):
        return f"not {_wrap(expr.operand, _UNARY)}"
    if isinstance(expr, Negate):
        operand = _wrap(expr.operand, _UNARY)
        # "--x" would not read back; parenthesise operands that print with a leading minus.
        return f"-({operand})" if operand.startswith("-") else f"-{operand}"
    if isinstance(expr, Comparison | Logical | Arithmetic):
        level = _BINARY_PRECEDENCE[expr.op]
        # All binary operators are left-associative, so an equal-precedence right operand needs parentheses.
        return f"{_wrap(expr.left, level)} {expr.op.value} {_wrap(expr.right, level + 1)}"
    raise TypeError(f"not an expression node: {expr!r}")


def orderby_to_odata(items: tuple[OrderBy, ...]) -> str:
    """Print $orderby keys, e.g. ``phenomenonTime desc,id asc``."""
    return ",".join(f"{to_odata(item.expr)} {item.direction.value}" for item in items)


def _expand_item(item: Expand) -> str:
    nested = ";".join(f"{name}={value}" for name, value in options_to_params(item.options).items())
    return "/".join(item.path) + (f"({nested})" if nested else "")


def expand_to_odata(items: tuple[Expand, ...]) -> str:
    """Print an $expand value including nested options."""
    return ",".join(_expand_item(item) for item in items)


def options_to_params(options: QueryOptions) -> dict[str, str]:
    """Turn QueryOptions back into (unencoded) query parameters, e.g. to build @iot.nextLink."""
    params: dict[str, str] = {}
    if options.select is not None:
        params["$select"] = ",".join(to_odata(path) for path in options.select)
    if options.expand:
        params["$expand"] = expand_to_odata(options.expand)
    if options.filter is not None:
        params["$filter"] = to_odata(options.filter)
    if options.orderby:
        params["$orderby"] = orderby_to_odata(options.orderby)
    if options.top is not None:
        params["$top"] = str(options.top)
    if options.skip is not None:
        params["$skip"] = str(options.skip)
    if options.count is not None:
        params["$count"] = "true" if options.count else "false"
    if options.result_format is not None:
        params["$resultFormat"] = options.result_format.value
    return params
