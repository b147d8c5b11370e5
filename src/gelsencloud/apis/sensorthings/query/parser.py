"""Parse $filter, $orderby and $select values into the AST (lark LALR parser + checking transformer)."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.tree import Meta

from . import literals
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
    Expr,
    FunctionCall,
    IntegerLiteral,
    Logical,
    LogicalOp,
    Negate,
    Not,
    NullLiteral,
    OrderBy,
    PropertyPath,
    SortDirection,
    StringLiteral,
    TimeLiteral,
)
from .errors import QueryError
from .functions import FUNCTIONS, check_arguments, describe_type, unknown_function_hint
from .typecheck import NEGATABLE, arithmetic_error, infer_type, non_boolean

_OPERATORS = ("EQ", "NE", "GT", "GE", "LT", "LE", "AND", "OR", "ADD", "SUB", "MUL", "DIV", "MOD")
TOO_DEEP = "expression is nested too deeply or has too many operators"
_VALUE_TEXT = "a value (literal, property path or function call)"
_OPERATOR_TEXT = "an operator (eq, ne, gt, ge, lt, le, and, or, add, sub, mul, div, mod)"
_VALUE_STARTS = frozenset(
    {
        "STRING",
        "INT",
        "DECIMAL",
        "TRUE",
        "FALSE",
        "NULL",
        "DATETIME",
        "DATE",
        "TIME",
        "DURATION",
        "GEO",
        "NAME",
        "GEO_FUNC",
        "IOT_ID",
        "NOT",
        "MINUS",
    }
)
# "2024-01-01T00:00:00 01:00": an unencoded '+' in the URL was decoded to a space.
_DATETIME_THEN_SPACE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}T[0-9:.]+ +$")
_KEYWORDS = frozenset(t.lower() for t in _OPERATORS) | {"not", "asc", "desc", "true", "false", "null"}


@cache
def _lark() -> Lark:
    """Build the parser once; LALR keeps parsing linear and gives precise "expected" sets for errors."""
    grammar = files(__package__).joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        start=["filter", "orderby", "select"],
        propagate_positions=True,
        maybe_placeholders=True,
    )


class _SemanticError(Exception):
    """Raised inside the transformer; converted to QueryError with the option name by the caller."""

    def __init__(self, message: str, position: int | None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.position, self.hint = message, position, hint


def _pos(token: Token) -> int:
    return (token.start_pos or 0) + 1


@v_args(meta=True)
class _Builder(Transformer[Token, Any]):
    """Turn the lark tree into AST nodes, checking functions, literals and operand types on the way."""

    def __init__(self) -> None:
        super().__init__()
        # 1-based source positions of the nodes built so far; nodes are kept alive so ids stay unique.
        self._positions: dict[int, int] = {}
        self._keep: list[Expr] = []

    def _at(self, node: Expr, position: int) -> Expr:
        self._positions[id(node)] = position
        self._keep.append(node)
        return node

    def _position_of(self, node: Expr) -> int | None:
        return self._positions.get(id(node))

    # -- start rules ----------------------------------------------------------------------------------

    def filter(self, meta: Meta, children: list[Any]) -> Expr:
        expr = children[0]
        kind = non_boolean(expr)
        if kind:
            raise _SemanticError(f"expected a boolean expression, got {kind}", 1)
        return expr

    def orderby(self, meta: Meta, children: list[OrderBy]) -> tuple[OrderBy, ...]:
        return tuple(children)

    def order_item(self, meta: Meta, children: list[Any]) -> OrderBy:
        expr, direction = children
        return OrderBy(expr, SortDirection(direction.value) if direction is not None else SortDirection.ASC)

    def select(self, meta: Meta, children: list[PropertyPath]) -> tuple[PropertyPath, ...]:
        return tuple(children)

    # -- operators ------------------------------------------------------------------------------------

    def _check_boolean(self, op: str, operand: Expr) -> None:
        kind = non_boolean(operand)
        if kind:
            raise _SemanticError(f"'{op}' cannot be applied to {kind}", self._position_of(operand))

    def logical(self, meta: Meta, children: list[Any]) -> Expr:
        left, op, right = children
        self._check_boolean(op.value, left)
        self._check_boolean(op.value, right)
        return self._at(Logical(LogicalOp(op.value), left, right), meta.start_pos + 1)

    def comparison(self, meta: Meta, children: list[Any]) -> Expr:
        left, op, right = children
        return self._at(Comparison(ComparisonOp(op.value), left, right), meta.start_pos + 1)

    def arithmetic(self, meta: Meta, children: list[Any]) -> Expr:
        left, op_token, right = children
        op = ArithmeticOp(op_token.value)
        message = arithmetic_error(op, infer_type(left), infer_type(right))
        if message:
            raise _SemanticError(message, _pos(op_token))
        return self._at(Arithmetic(op, left, right), meta.start_pos + 1)

    def not_expr(self, meta: Meta, children: list[Any]) -> Expr:
        token, operand = children
        self._check_boolean("not", operand)
        return self._at(Not(operand), _pos(token))

    def negate(self, meta: Meta, children: list[Any]) -> Expr:
        token, operand = children
        # Fold "-5" into a literal so that numbers have a single representation in the tree.
        if isinstance(operand, IntegerLiteral):
            return self._at(IntegerLiteral(-operand.value), _pos(token))
        if isinstance(operand, DecimalLiteral):
            return self._at(DecimalLiteral(-operand.value), _pos(token))
        operand_type = infer_type(operand)
        if operand_type not in NEGATABLE:
            raise _SemanticError(f"'-' cannot be applied to {describe_type(operand_type)}", _pos(token))
        return self._at(Negate(operand), _pos(token))

    # -- calls and paths ------------------------------------------------------------------------------

    def call(self, meta: Meta, children: list[Any]) -> Expr:
        name_token, arguments = children
        name = str(name_token)
        args: list[Expr] = arguments or []
        spec = FUNCTIONS.get(name)
        if spec is None:
            raise _SemanticError(f"unknown function '{name}'", _pos(name_token), unknown_function_hint(name))
        problem = check_arguments(spec, [infer_type(a) for a in args])
        if problem:
            index, message = problem
            position = self._position_of(args[index]) if index >= 0 else _pos(name_token)
            raise _SemanticError(message, position or _pos(name_token))
        return self._at(FunctionCall(name, tuple(args)), _pos(name_token))

    def arguments(self, meta: Meta, children: list[Expr]) -> list[Expr]:
        return children

    def path(self, meta: Meta, children: list[Token]) -> Expr:
        # "@iot.id" is the JSON name of the id; in paths both spellings mean the same property.
        segments = tuple("id" if t.type == "IOT_ID" else str(t) for t in children)
        return self._at(PropertyPath(segments), meta.start_pos + 1)

    # -- literals -------------------------------------------------------------------------------------

    def _literal(self, token: Token, build: Any) -> Expr:
        try:
            return self._at(build(str(token)), _pos(token))
        except literals.LiteralError as exc:
            raise _SemanticError(exc.message, _pos(token), exc.hint) from None

    def string_lit(self, meta: Meta, c: list[Token]) -> Expr:
        return self._literal(c[0], lambda s: StringLiteral(literals.unquote(s)))

    def int_lit(self, meta: Meta, c: list[Token]) -> Expr:
        return self._literal(c[0], lambda s: IntegerLiteral(literals.parse_int(s)))

    def decimal_lit(self, meta: Meta, c: list[Token]) -> Expr:
        return self._literal(c[0], lambda s: DecimalLiteral(Decimal(s)))

    def true_lit(self, meta: Meta, c: list[Token]) -> Expr:
        return self._at(BooleanLiteral(True), _pos(c[0]))

    def false_lit(self, meta: Meta, c: list[Token]) -> Expr:
        return self._at(BooleanLiteral(False), _pos(c[0]))

    def null_lit(self, meta: Meta, c: list[Token]) -> Expr:
        return self._at(NullLiteral(), _pos(c[0]))

    def datetime_lit(self, meta: Meta, c: list[Token]) -> Expr:
        return self._literal(c[0], lambda s: DateTimeLiteral(literals.parse_datetime(s)))

    def date_lit(self, meta: Meta, c: list[Token]) -> Expr:
        return self._literal(c[0], lambda s: DateLiteral(literals.parse_date(s)))

    def time_lit(self, meta: Meta, c: list[Token]) -> Expr:
        return self._literal(c[0], lambda s: TimeLiteral(literals.parse_time(s)))

    def duration_lit(self, meta: Meta, c: list[Token]) -> Expr:
        return self._literal(
            c[0], lambda s: DurationLiteral(literals.parse_duration(s[len("duration'") : -1]))
        )

    def geo_lit(self, meta: Meta, c: list[Token]) -> Expr:
        def build(text: str) -> Expr:
            kind, _, body = text.partition("'")
            return literals.parse_geo(kind, body[:-1].replace("''", "'"))

        return self._literal(c[0], build)


# ----------------------------------------------------------------------------------------------------
# Error reporting
# ----------------------------------------------------------------------------------------------------


def _describe_expected(expected: set[str], option: str) -> str:
    """Summarise lark's set of acceptable terminals in words a client developer understands."""
    parts: list[str] = []
    if expected & _VALUE_STARTS:
        parts.append("a property path" if option == "$select" else _VALUE_TEXT)
    if expected & set(_OPERATORS):
        parts.append(_OPERATOR_TEXT)
    if expected & {"ASC", "DESC"}:
        parts.append("asc or desc")
    if "RPAR" in expected:
        parts.append("')'")
    if "COMMA" in expected:
        parts.append("','")
    if not parts and "$END" in expected:
        parts.append("end of input")
    return "expected " + " or ".join(parts) if parts else ""


def _accepted(exc: UnexpectedToken) -> set[str]:
    """Terminals really acceptable at the error; LALR's merged lookahead sets would over-report."""
    try:
        return set(exc.interactive_parser.accepts())
    except Exception:  # accepts() replays the parser; never let error reporting itself fail
        return set(exc.expected)


def _token_text(token: Token) -> str:
    return token.value if len(token.value) <= 40 else token.value[:37] + "..."


def _syntax_error(option: str, text: str, exc: UnexpectedInput) -> QueryError:
    """Convert a lark exception into a QueryError pointing at the offending character."""
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            return QueryError(
                option,
                "unexpected end of input",
                len(text) + 1,
                hint=_describe_expected(_accepted(exc), option) or None,
            )
        hint = _describe_expected(_accepted(exc), option)
        if token.type == "TIME" and _DATETIME_THEN_SPACE.search(text, 0, token.start_pos or 0):
            hint = "the time zone offset of a datetime needs '+' percent-encoded as %2B in a URL"
        if token.value.lower() in _KEYWORDS and token.value != token.value.lower():
            hint = f"operators and keywords are lowercase: use '{token.value.lower()}'"
        return QueryError(option, f"unexpected '{_token_text(token)}'", _pos(token), hint=hint or None)
    if isinstance(exc, UnexpectedCharacters):
        position = exc.pos_in_stream
        char = text[position]
        if char == "'":
            return QueryError(
                option,
                "unterminated string literal starting",
                position + 1,
                hint="close it with ' and write a quote inside a string as ''",
            )
        hint = _describe_expected(set(exc.allowed or ()), option) or None
        return QueryError(option, f"unexpected character '{char}'", position + 1, hint=hint)
    return QueryError(option, "syntax error", None)


def _parse(option: str, start: str, text: str) -> Any:
    if not text.strip():
        raise QueryError(option, "empty value", 1)
    try:
        tree = _lark().parse(text, start=start)
        return _Builder().transform(tree)
    except UnexpectedInput as exc:
        raise _syntax_error(option, text, exc) from None
    except VisitError as exc:
        if isinstance(exc.orig_exc, _SemanticError):
            err = exc.orig_exc
            raise QueryError(option, err.message, err.position, hint=err.hint) from None
        if isinstance(exc.orig_exc, RecursionError):
            raise QueryError(option, TOO_DEEP) from None
        raise
    except RecursionError:
        # The tree transformer recurses; a 400 is the right answer to pathological nesting, not a 500.
        raise QueryError(option, TOO_DEEP) from None


# ----------------------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------------------


def parse_filter(text: str) -> Expr:
    """Parse a $filter value into a boolean expression tree."""
    return _parse("$filter", "filter", text)


def parse_orderby(text: str) -> tuple[OrderBy, ...]:
    """Parse an $orderby value such as ``phenomenonTime desc, id``."""
    return _parse("$orderby", "orderby", text)


def parse_select(text: str) -> tuple[PropertyPath, ...]:
    """Parse a $select value such as ``id,name,properties/owner``."""
    return _parse("$select", "select", text)
