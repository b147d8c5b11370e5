"""Built-in $filter functions of STA 1.1 (OGC 18-088 Table 23) with arity and argument types."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import StrEnum


class ExprType(StrEnum):
    """Static type of an expression as far as the parser can tell without the entity model."""

    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    DATE = "date"
    TIME = "time"
    DURATION = "duration"
    GEOMETRY = "geometry"
    NULL = "null"
    # Property paths: the type is only known once the path is resolved against the model.
    ANY = "any"


T = ExprType
_STR = frozenset({T.STRING})
_NUM = frozenset({T.NUMBER})
_GEO = frozenset({T.GEOMETRY})
_DATE_PART = frozenset({T.DATETIME, T.DATE})
_TIME_PART = frozenset({T.DATETIME, T.TIME})
_DT = frozenset({T.DATETIME})


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """Signature of one built-in function; the last ``len(params) - min_args`` parameters are optional."""

    name: str
    category: str
    params: tuple[frozenset[ExprType], ...]
    returns: ExprType
    min_args: int

    @property
    def max_args(self) -> int:
        """Largest accepted number of arguments."""
        return len(self.params)


def _spec(
    name: str, category: str, params: tuple[frozenset[ExprType], ...], returns: ExprType, min_args: int = -1
) -> FunctionSpec:
    return FunctionSpec(name, category, params, returns, len(params) if min_args < 0 else min_args)


_SPECS = [
    # string
    _spec("substringof", "string", (_STR, _STR), T.BOOLEAN),
    _spec("endswith", "string", (_STR, _STR), T.BOOLEAN),
    _spec("startswith", "string", (_STR, _STR), T.BOOLEAN),
    _spec("length", "string", (_STR,), T.NUMBER),
    _spec("indexof", "string", (_STR, _STR), T.NUMBER),
    _spec("substring", "string", (_STR, _NUM, _NUM), T.STRING, min_args=2),
    _spec("tolower", "string", (_STR,), T.STRING),
    _spec("toupper", "string", (_STR,), T.STRING),
    _spec("trim", "string", (_STR,), T.STRING),
    _spec("concat", "string", (_STR, _STR), T.STRING),
    # date
    _spec("year", "date", (_DATE_PART,), T.NUMBER),
    _spec("month", "date", (_DATE_PART,), T.NUMBER),
    _spec("day", "date", (_DATE_PART,), T.NUMBER),
    _spec("hour", "date", (_TIME_PART,), T.NUMBER),
    _spec("minute", "date", (_TIME_PART,), T.NUMBER),
    _spec("second", "date", (_TIME_PART,), T.NUMBER),
    _spec("fractionalseconds", "date", (_TIME_PART,), T.NUMBER),
    _spec("date", "date", (_DT,), T.DATE),
    _spec("time", "date", (_DT,), T.TIME),
    _spec("totaloffsetminutes", "date", (_DT,), T.NUMBER),
    _spec("now", "date", (), T.DATETIME),
    _spec("mindatetime", "date", (), T.DATETIME),
    _spec("maxdatetime", "date", (), T.DATETIME),
    # math
    _spec("round", "math", (_NUM,), T.NUMBER),
    _spec("floor", "math", (_NUM,), T.NUMBER),
    _spec("ceiling", "math", (_NUM,), T.NUMBER),
    # geo (OData)
    _spec("geo.distance", "geo", (_GEO, _GEO), T.NUMBER),
    _spec("geo.length", "geo", (_GEO,), T.NUMBER),
    _spec("geo.intersects", "geo", (_GEO, _GEO), T.BOOLEAN),
    # spatial relationships (OGC Simple Features)
    *(
        _spec(name, "spatial", (_GEO, _GEO), T.BOOLEAN)
        for name in (
            "st_equals",
            "st_disjoint",
            "st_touches",
            "st_within",
            "st_overlaps",
            "st_crosses",
            "st_intersects",
            "st_contains",
        )
    ),
    _spec("st_relate", "spatial", (_GEO, _GEO, _STR), T.BOOLEAN),
]

FUNCTIONS: dict[str, FunctionSpec] = {spec.name: spec for spec in _SPECS}

_TEMPORAL = "temporal functions (before, after, meets, ...) are a FROST-Server extension, not part of STA 1.1"
# Names clients try that are not in STA 1.1 Table 23, with a pointer to what to use instead.
NOT_IN_STA: dict[str, str] = {
    "contains": "contains() is OData 4.0 but not STA 1.1; use substringof('text', property)",
    "any": "lambda operators (any/all) are not part of STA 1.1",
    "all": "lambda operators (any/all) are not part of STA 1.1",
    **{name: _TEMPORAL for name in ("before", "after", "meets", "during", "overlaps", "starts", "finishes")},
}

_ARTICLE = {
    T.STRING: "a string",
    T.NUMBER: "a number",
    T.BOOLEAN: "a boolean",
    T.DATETIME: "a datetime",
    T.DATE: "a date",
    T.TIME: "a time of day",
    T.DURATION: "a duration",
    T.GEOMETRY: "a geometry",
    T.NULL: "null",
    T.ANY: "any value",
}


def describe_type(expr_type: ExprType) -> str:
    """Return a human-readable noun phrase for a type (``a string``)."""
    return _ARTICLE[expr_type]


def unknown_function_hint(name: str) -> str:
    """Explain why ``name`` is not accepted and suggest a close match."""
    if name in NOT_IN_STA:
        return NOT_IN_STA[name]
    if name.lower() in FUNCTIONS:
        return f"function names are lowercase: use '{name.lower()}'"
    close = difflib.get_close_matches(name, FUNCTIONS, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return "see the STA 1.1 built-in functions (OGC 18-088, Table 23)"


def check_arguments(spec: FunctionSpec, arg_types: list[ExprType]) -> tuple[int, str] | None:
    """Return ``(argument index or -1, message)`` for the first arity or type problem, else None."""
    count = len(arg_types)
    if not spec.min_args <= count <= spec.max_args:
        if spec.min_args == spec.max_args:
            wanted = f"{spec.max_args} argument" + ("" if spec.max_args == 1 else "s")
        else:
            wanted = f"{spec.min_args} or {spec.max_args} arguments"
        return -1, f"{spec.name}() takes {wanted}, got {count}"
    for index, (arg_type, allowed) in enumerate(zip(arg_types, spec.params, strict=False)):
        # Unknown (property) and null arguments are left to the database to judge.
        if arg_type in (T.ANY, T.NULL) or arg_type in allowed:
            continue
        wanted = " or ".join(sorted(describe_type(t) for t in allowed))
        return index, (
            f"argument {index + 1} of {spec.name}() must be {wanted}, got {describe_type(arg_type)}"
        )
    return None
