"""Static type inference for $filter expressions, used to reject obvious type errors with a 400."""

from __future__ import annotations

from .ast import (
    Arithmetic,
    ArithmeticOp,
    BooleanLiteral,
    Comparison,
    DateLiteral,
    DateTimeLiteral,
    DecimalLiteral,
    DurationLiteral,
    Expr,
    FunctionCall,
    GeoLiteral,
    IntegerLiteral,
    Logical,
    Negate,
    Not,
    NullLiteral,
    StringLiteral,
    TimeLiteral,
)
from .functions import FUNCTIONS, ExprType, describe_type

T = ExprType

_LITERAL_TYPES: dict[type[Expr], ExprType] = {
    StringLiteral: T.STRING,
    IntegerLiteral: T.NUMBER,
    DecimalLiteral: T.NUMBER,
    BooleanLiteral: T.BOOLEAN,
    NullLiteral: T.NULL,
    DateTimeLiteral: T.DATETIME,
    DateLiteral: T.DATE,
    TimeLiteral: T.TIME,
    DurationLiteral: T.DURATION,
    GeoLiteral: T.GEOMETRY,
}

# OData 4.0 arithmetic on temporal values (URL conventions 5.1.1.2).
_TEMPORAL_ARITHMETIC: dict[tuple[ArithmeticOp, ExprType, ExprType], ExprType] = {
    (ArithmeticOp.ADD, T.DATETIME, T.DURATION): T.DATETIME,
    (ArithmeticOp.ADD, T.DURATION, T.DATETIME): T.DATETIME,
    (ArithmeticOp.ADD, T.DATE, T.DURATION): T.DATE,
    (ArithmeticOp.ADD, T.DURATION, T.DURATION): T.DURATION,
    (ArithmeticOp.SUB, T.DATETIME, T.DURATION): T.DATETIME,
    (ArithmeticOp.SUB, T.DATE, T.DURATION): T.DATE,
    (ArithmeticOp.SUB, T.DURATION, T.DURATION): T.DURATION,
    (ArithmeticOp.SUB, T.DATETIME, T.DATETIME): T.DURATION,
    (ArithmeticOp.SUB, T.DATE, T.DATE): T.DURATION,
}
_ARITHMETIC_OPERANDS = frozenset({T.NUMBER, T.DATETIME, T.DATE, T.DURATION, T.ANY, T.NULL})
BOOLEAN_LIKE = frozenset({T.BOOLEAN, T.ANY, T.NULL})
NEGATABLE = frozenset({T.NUMBER, T.DURATION, T.ANY, T.NULL})


def infer_type(expr: Expr) -> ExprType:
    """Infer the static type of an already checked expression."""
    if type(expr) in _LITERAL_TYPES:
        return _LITERAL_TYPES[type(expr)]
    if isinstance(expr, Comparison | Logical | Not):
        return T.BOOLEAN
    if isinstance(expr, FunctionCall):
        return FUNCTIONS[expr.name].returns
    if isinstance(expr, Negate):
        return infer_type(expr.operand)
    if isinstance(expr, Arithmetic):
        return arithmetic_result(expr.op, infer_type(expr.left), infer_type(expr.right)) or T.ANY
    return T.ANY  # PropertyPath


def arithmetic_result(op: ArithmeticOp, left: ExprType, right: ExprType) -> ExprType | None:
    """Return the result type of ``left op right``, or None if the combination is invalid."""
    if left not in _ARITHMETIC_OPERANDS or right not in _ARITHMETIC_OPERANDS:
        return None
    if T.ANY in (left, right) or T.NULL in (left, right):
        # mul/div/mod and anything combined with a number can only yield a number (no temporal rule does).
        if op in (ArithmeticOp.MUL, ArithmeticOp.DIV, ArithmeticOp.MOD) or T.NUMBER in (left, right):
            return T.NUMBER
        return T.ANY
    if left == right == T.NUMBER:
        return T.NUMBER
    return _TEMPORAL_ARITHMETIC.get((op, left, right))


def non_boolean(expr: Expr) -> str | None:
    """Describe ``expr`` (``a number``) if it can never be boolean, e.g. as an operand of ``and``."""
    if isinstance(expr, Arithmetic | Negate):
        # Even with unknown operand types an arithmetic result is never a boolean.
        return "an arithmetic expression"
    expr_type = infer_type(expr)
    return None if expr_type in BOOLEAN_LIKE else describe_type(expr_type)


def arithmetic_error(op: ArithmeticOp, left: ExprType, right: ExprType) -> str | None:
    """Return a message if ``left op right`` is not a valid arithmetic combination."""
    if arithmetic_result(op, left, right) is not None:
        return None
    return f"'{op}' cannot be applied to {describe_type(left)} and {describe_type(right)}"
