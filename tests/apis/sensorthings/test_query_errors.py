"""Error messages for malformed query options: exact wording and 1-based positions (HTTP 400 bodies)."""

from __future__ import annotations

import pytest

from gelsencloud.apis.sensorthings.query import (
    QueryError,
    parse_expand,
    parse_filter,
    parse_orderby,
    parse_select,
)

OPERATORS = "an operator (eq, ne, gt, ge, lt, le, and, or, add, sub, mul, div, mod)"
VALUE = "a value (literal, property path or function call)"

FILTER_ERRORS = [
    (
        "phenomenonTime gtx 2020-01-01T00:00:00Z",
        f"$filter: unexpected 'gtx' at position 16; expected {OPERATORS}",
        16,
    ),
    ("result eq", f"$filter: unexpected end of input at position 10; expected {VALUE}", 10),
    ("name eq 'a' and", f"$filter: unexpected end of input at position 16; expected {VALUE}", 16),
    (
        "name eq 'abc",
        "$filter: unterminated string literal starting at position 9; "
        "close it with ' and write a quote inside a string as ''",
        9,
    ),
    ("(result gt 1", "$filter: unexpected end of input at position 13; expected ')'", 13),
    ("result gt 1)", "$filter: unexpected ')' at position 12; expected end of input", 12),
    ("foo(name) eq 1", "$filter: unknown function 'foo' at position 1; did you mean 'floor'?", 1),
    (
        "contains(name, 'x')",
        "$filter: unknown function 'contains' at position 1; "
        "contains() is OData 4.0 but not STA 1.1; use substringof('text', property)",
        1,
    ),
    (
        "before(phenomenonTime, 2020-01-01T00:00:00Z)",
        "$filter: unknown function 'before' at position 1; "
        "temporal functions (before, after, meets, ...) are a FROST-Server extension, not part of STA 1.1",
        1,
    ),
    (
        "Year(phenomenonTime) eq 2020",
        "$filter: unknown function 'Year' at position 1; function names are lowercase: use 'year'",
        1,
    ),
    (
        "geo.distanc(location, geography'POINT(1 2)') lt 5",
        "$filter: unknown function 'geo.distanc' at position 1; did you mean 'geo.distance'?",
        1,
    ),
    (
        "name eq 'x' and substring(name)",
        "$filter: substring() takes 2 or 3 arguments, got 1 at position 17",
        17,
    ),
    (
        "st_relate(location, geography'POINT(1 2)')",
        "$filter: st_relate() takes 3 arguments, got 2 at position 1",
        1,
    ),
    (
        "startswith(name, 5)",
        "$filter: argument 2 of startswith() must be a string, got a number at position 18",
        18,
    ),
    (
        "phenomenonTime gt 2020-02-30T00:00:00Z",
        "$filter: invalid datetime literal '2020-02-30T00:00:00Z' at position 19; "
        "day is out of range for month",
        19,
    ),
    (
        "phenomenonTime gt 2020-01-01T25:00:00Z",
        "$filter: invalid datetime literal '2020-01-01T25:00:00Z' at position 19; hour must be in 0..23",
        19,
    ),
    (
        "phenomenonTime gt 2020-01-01T00:00:00",
        "$filter: datetime literal '2020-01-01T00:00:00' lacks a time zone offset at position 19; "
        "append Z or ±hh:mm; note that '+' must be percent-encoded as %2B in a URL",
        19,
    ),
    (
        # An unencoded '+' in the URL arrives as a space.
        "phenomenonTime gt 2020-01-01T00:00:00 01:00",
        "$filter: unexpected '01:00' at position 39; "
        "the time zone offset of a datetime needs '+' percent-encoded as %2B in a URL",
        39,
    ),
    (
        "resultTime eq 2020-1-1",
        "$filter: invalid date literal '2020-1-1' at position 15; expected YYYY-MM-DD",
        15,
    ),
    (
        "phenomenonTime gt now() sub duration'P1M'",
        "$filter: invalid duration literal 'P1M' at position 29; expected e.g. P1DT2H30M "
        "(years, months and weeks are not allowed in Edm.Duration; use days)",
        29,
    ),
    (
        "st_within(location, geography'PIONT(1 2)')",
        "$filter: invalid geography literal 'PIONT(1 2)' at position 21; "
        "expected WKT such as POINT(7.1 51.5)",
        21,
    ),
    (
        "result gt 1 AND result lt 5",
        "$filter: unexpected 'AND' at position 13; operators and keywords are lowercase: use 'and'",
        13,
    ),
    (
        "result gt 99999999999999999999",
        "$filter: integer 99999999999999999999 is out of the 64-bit range at position 11",
        11,
    ),
    ("name eq 'a' and 5", "$filter: 'and' cannot be applied to a number at position 17", 17),
    ("name eq 5 add 'a'", "$filter: 'add' cannot be applied to a number and a string at position 11", 11),
    ("result add 1", "$filter: expected a boolean expression, got an arithmetic expression at position 1", 1),
    ("'abc'", "$filter: expected a boolean expression, got a string at position 1", 1),
    ("-'abc' eq 1", "$filter: '-' cannot be applied to a string at position 1", 1),
    ("result eq #1", f"$filter: unexpected character '#' at position 11; expected {VALUE}", 11),
    ("", "$filter: empty value at position 1", 1),
]


@pytest.mark.parametrize(("text", "message", "position"), FILTER_ERRORS, ids=[t for t, _, _ in FILTER_ERRORS])
def test_filter_errors(text: str, message: str, position: int) -> None:
    with pytest.raises(QueryError) as info:
        parse_filter(text)
    assert str(info.value) == message
    assert info.value.option == "$filter"
    assert info.value.position == position


def test_error_position_points_at_the_token() -> None:
    text = "Datastream/Thing/name eq 'x' and result gtx 5"
    with pytest.raises(QueryError) as info:
        parse_filter(text)
    position = info.value.position
    assert position is not None
    assert text[position - 1 : position + 2] == "gtx"


def test_query_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_filter("result eq")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "phenomenonTime dsc",
            f"$orderby: unexpected 'dsc' at position 16; expected {OPERATORS} or asc or desc or ','",
        ),
        ("name desc asc", "$orderby: unexpected 'asc' at position 11; expected ','"),
        ("id,", f"$orderby: unexpected end of input at position 4; expected {VALUE}"),
    ],
)
def test_orderby_errors(text: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_orderby(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,,name", "$select: unexpected ',' at position 4; expected a property path"),
        ("id name", "$select: unexpected 'name' at position 4; expected ','"),
        ("length(name)", "$select: unexpected '(' at position 7; expected ','"),
    ],
)
def test_select_errors(text: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_select(text)
    assert str(info.value) == message


EXPAND_ERRORS = [
    (
        "Datastreams($expand=Observations($top=x))",
        "$expand: in Datastreams/Observations: $top: expected a non-negative integer, got 'x' at position 39",
        ("Datastreams", "Observations"),
    ),
    (
        "Datastreams($expand=Observations($filter=result gtx 3))",
        "$expand: in Datastreams/Observations: $filter: unexpected 'gtx' at position 49; "
        f"expected {OPERATORS}",
        ("Datastreams", "Observations"),
    ),
    (
        "Things($expand=Datastreams($expand=Observations($orderby=phenomenonTime dsc)))",
        "$expand: in Things/Datastreams/Observations: $orderby: unexpected 'dsc' at position 73; "
        f"expected {OPERATORS} or asc or desc or ','",
        ("Things", "Datastreams", "Observations"),
    ),
    (
        "Datastreams/Observations($filter=foo(result))",
        "$expand: in Datastreams/Observations: $filter: unknown function 'foo' at position 34; "
        "did you mean 'floor'?",
        ("Datastreams", "Observations"),
    ),
    (
        "Datastreams(top=1)",
        "$expand: in Datastreams: unknown option 'top' at position 13; "
        "did you mean '$top'? Option names are case-sensitive and start with '$'",
        ("Datastreams",),
    ),
    (
        "Datastreams($resultFormat=dataArray)",
        "$expand: in Datastreams: unknown option '$resultFormat' at position 13; "
        "supported options: $select, $expand, $filter, $orderby, $top, $skip, $count",
        ("Datastreams",),
    ),
    (
        "Datastreams($top=1;$top=2)",
        "$expand: in Datastreams: duplicate option '$top' at position 20",
        ("Datastreams",),
    ),
    ("Datastreams($top=1", "$expand: missing ')' at position 19", ()),
    ("Datastreams($top=1))", "$expand: unbalanced ')' at position 20", ()),
    ("Datastreams($top=1)x", "$expand: unexpected 'x' after ')' at position 20", ()),
    ("Datastreams,", "$expand: empty item at position 13; remove the extra ','", ()),
    (
        "Datastreams()",
        "$expand: in Datastreams: empty parentheses at position 13; "
        "give options such as $top=1 or drop the parentheses",
        ("Datastreams",),
    ),
    (
        "Datastreams($filter=name eq 'x)",
        "$expand: unterminated string literal starting at position 29",
        (),
    ),
    (
        "Datastreams($expand=Observations,)",
        "$expand: in Datastreams: empty item at position 34; remove the extra ','",
        ("Datastreams",),
    ),
    (
        "Datastreams($expand=1Observations)",
        "$expand: in Datastreams: expected a navigation property such as Datastreams, got '1Observations' "
        "at position 21",
        ("Datastreams",),
    ),
    (
        "Datastreams $top=1",
        "$expand: unexpected '$top=1' after 'Datastreams' at position 13; "
        "put nested options in parentheses: Datastreams($top=1)",
        (),
    ),
]


@pytest.mark.parametrize(("text", "message", "path"), EXPAND_ERRORS, ids=[t for t, _, _ in EXPAND_ERRORS])
def test_expand_errors(text: str, message: str, path: tuple[str, ...]) -> None:
    with pytest.raises(QueryError) as info:
        parse_expand(text)
    assert str(info.value) == message
    assert info.value.option == "$expand"
    assert info.value.path == path


def test_nested_error_position_is_absolute() -> None:
    text = "Datastreams($select=id;$expand=Observations($filter=result gtx 3))"
    with pytest.raises(QueryError) as info:
        parse_expand(text)
    position = info.value.position
    assert position is not None
    assert text[position - 1 : position + 2] == "gtx"


def test_pathological_nesting_is_a_query_error() -> None:
    # A RecursionError would surface as HTTP 500; it must be a 400 like any other malformed query.
    with pytest.raises(QueryError, match="nested too deeply"):
        parse_filter(" or ".join(["a eq 1"] * 5000))
    with pytest.raises(QueryError, match="nested too deeply"):
        parse_filter("not " * 5000 + "a")
    with pytest.raises(QueryError, match="nested too deeply"):
        parse_expand("A($expand=" * 3000 + "B" + ")" * 3000)
