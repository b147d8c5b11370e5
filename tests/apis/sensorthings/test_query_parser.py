"""Tests for the SensorThings 1.1 query-option parser: operators, precedence, functions, literals, options."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from gelsencloud.apis.sensorthings.query import (
    FUNCTIONS,
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
    FunctionCall,
    GeoKind,
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
    QueryOptions,
    ResultFormat,
    SortDirection,
    StringLiteral,
    TimeLiteral,
    parse_expand,
    parse_filter,
    parse_orderby,
    parse_query_options,
    parse_select,
)


def p(text: str) -> PropertyPath:
    """Build a property path from ``a/b/c``."""
    return PropertyPath(tuple(text.split("/")))


def i(value: int) -> IntegerLiteral:
    return IntegerLiteral(value)


def s(value: str) -> StringLiteral:
    return StringLiteral(value)


def cmp(op: str, left, right) -> Comparison:
    return Comparison(ComparisonOp(op), left, right)


def arith(op: str, left, right) -> Arithmetic:
    return Arithmetic(ArithmeticOp(op), left, right)


# ---------------------------------------------------------------------------------------------------------
# Operators
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["eq", "ne", "gt", "ge", "lt", "le"])
def test_comparison_operators(op: str) -> None:
    assert parse_filter(f"result {op} 10") == cmp(op, p("result"), i(10))


@pytest.mark.parametrize("op", ["and", "or"])
def test_logical_operators(op: str) -> None:
    assert parse_filter(f"a eq 1 {op} b eq 2") == Logical(
        LogicalOp(op), cmp("eq", p("a"), i(1)), cmp("eq", p("b"), i(2))
    )


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "mod"])
def test_arithmetic_operators(op: str) -> None:
    assert parse_filter(f"result {op} 2 gt 5") == cmp("gt", arith(op, p("result"), i(2)), i(5))


def test_not_operator() -> None:
    assert parse_filter("not startswith(name, 'a')") == Not(FunctionCall("startswith", (p("name"), s("a"))))


def test_not_with_parentheses() -> None:
    assert parse_filter("not (result gt 5)") == Not(cmp("gt", p("result"), i(5)))


def test_unary_minus_on_property() -> None:
    assert parse_filter("-result lt 0") == cmp("lt", Negate(p("result")), i(0))


def test_unary_minus_folds_into_numeric_literals() -> None:
    assert parse_filter("result gt -5") == cmp("gt", p("result"), i(-5))
    assert parse_filter("result gt -2.5") == cmp("gt", p("result"), DecimalLiteral(Decimal("-2.5")))
    assert parse_filter("result gt - -5") == cmp("gt", p("result"), i(5))


def test_double_negation_of_property() -> None:
    assert parse_filter("-(-result) eq 1") == cmp("eq", Negate(Negate(p("result"))), i(1))


# ---------------------------------------------------------------------------------------------------------
# Precedence (OData 4.0 URL conventions 5.1.1.9)
# ---------------------------------------------------------------------------------------------------------

PRECEDENCE = [
    # and binds tighter than or
    ("a eq 1 or b eq 2 and c eq 3", "a eq 1 or (b eq 2 and c eq 3)"),
    ("a eq 1 and b eq 2 or c eq 3", "(a eq 1 and b eq 2) or c eq 3"),
    # parentheses override
    ("(a eq 1 or b eq 2) and c eq 3", "(a eq 1 or b eq 2) and c eq 3"),
    # mul over add, left associativity
    ("a add b mul c eq 1", "(a add (b mul c)) eq 1"),
    ("a mul b add c eq 1", "((a mul b) add c) eq 1"),
    ("a sub b sub c eq 1", "((a sub b) sub c) eq 1"),
    ("a div b mul c eq 1", "((a div b) mul c) eq 1"),
    ("a mod b div c eq 1", "((a mod b) div c) eq 1"),
    ("(a add b) mul c eq 1", "((a add b) mul c) eq 1"),
    # arithmetic over comparison
    ("a add 1 gt b sub 2", "(a add 1) gt (b sub 2)"),
    # relational (gt ge lt le) over equality (eq ne)
    ("a eq b gt c", "a eq (b gt c)"),
    ("a gt b ne c", "(a gt b) ne c"),
    ("a eq b eq c", "(a eq b) eq c"),
    # unary binds tighter than everything binary
    ("not a eq b", "(not a) eq b"),
    ("-a mul b eq 1", "((-a) mul b) eq 1"),
    ("not a and b", "(not a) and b"),
    ("not not a", "not (not a)"),
    # function calls are primary
    ("not endswith(name, 'x') or b", "(not endswith(name, 'x')) or b"),
    ("length(name) add 1 gt 3", "(length(name) add 1) gt 3"),
]


@pytest.mark.parametrize(("text", "explicit"), PRECEDENCE)
def test_precedence(text: str, explicit: str) -> None:
    assert parse_filter(text) == parse_filter(explicit)


def test_and_or_tree_shape() -> None:
    tree = parse_filter("a eq 1 or b eq 2 and c eq 3")
    assert isinstance(tree, Logical) and tree.op is LogicalOp.OR
    assert isinstance(tree.right, Logical) and tree.right.op is LogicalOp.AND


def test_keywords_are_case_sensitive() -> None:
    with pytest.raises(QueryError):
        parse_filter("a EQ 1")
    with pytest.raises(QueryError):
        parse_filter("a eq 1 AND b eq 2")


def test_keyword_prefixes_are_identifiers() -> None:
    # "order", "notes", "android" start with keywords but are plain property names.
    assert parse_filter("order eq notes or android eq 1") == Logical(
        LogicalOp.OR, cmp("eq", p("order"), p("notes")), cmp("eq", p("android"), i(1))
    )


def test_whitespace_is_flexible() -> None:
    assert parse_filter("  result   gt\t10 ") == parse_filter("result gt 10")
    assert parse_filter("(result)gt(10)") == parse_filter("result gt 10")


# ---------------------------------------------------------------------------------------------------------
# Literals
# ---------------------------------------------------------------------------------------------------------

LITERALS = [
    ("'abc'", s("abc")),
    ("'O''Neil'", s("O'Neil")),
    ("''", s("")),
    ("'a;b,c)'", s("a;b,c)")),
    ("42", i(42)),
    ("0", i(0)),
    ("-7", i(-7)),
    ("3.14", DecimalLiteral(Decimal("3.14"))),
    ("1.5e3", DecimalLiteral(Decimal("1500"))),
    ("2E-3", DecimalLiteral(Decimal("0.002"))),
    ("1.0E+2", DecimalLiteral(Decimal("100"))),
    ("true", BooleanLiteral(True)),
    ("false", BooleanLiteral(False)),
    ("null", NullLiteral()),
    ("2024-01-31T12:00:00Z", DateTimeLiteral(datetime(2024, 1, 31, 12, 0, tzinfo=UTC))),
    ("2024-01-31T12:00Z", DateTimeLiteral(datetime(2024, 1, 31, 12, 0, tzinfo=UTC))),
    (
        "2024-01-31T12:00:00.123+01:00",
        DateTimeLiteral(datetime(2024, 1, 31, 12, 0, 0, 123000, timezone(timedelta(hours=1)))),
    ),
    (
        "2024-01-31T12:00:00.1234567-05:30",
        DateTimeLiteral(datetime(2024, 1, 31, 12, 0, 0, 123456, timezone(-timedelta(hours=5, minutes=30)))),
    ),
    ("2024-02-29", DateLiteral(date(2024, 2, 29))),
    ("12:30", TimeLiteral(time(12, 30))),
    ("23:59:59.5", TimeLiteral(time(23, 59, 59, 500000))),
    ("duration'P1D'", DurationLiteral(timedelta(days=1))),
    ("duration'PT2H30M'", DurationLiteral(timedelta(hours=2, minutes=30))),
    ("duration'P1DT0.25S'", DurationLiteral(timedelta(days=1, milliseconds=250))),
    ("duration'-PT5M'", DurationLiteral(-timedelta(minutes=5))),
    ("geography'POINT(7.1 51.5)'", GeoLiteral(GeoKind.GEOGRAPHY, "POINT(7.1 51.5)")),
    (
        "geometry'POLYGON((0 0, 1 0, 1 1, 0 0))'",
        GeoLiteral(GeoKind.GEOMETRY, "POLYGON((0 0, 1 0, 1 1, 0 0))"),
    ),
    ("geography'SRID=4326;POINT(7 51)'", GeoLiteral(GeoKind.GEOGRAPHY, "POINT(7 51)", 4326)),
    ("geometry'POINT Z (1 2 3)'", GeoLiteral(GeoKind.GEOMETRY, "POINT Z (1 2 3)")),
]


@pytest.mark.parametrize(("text", "literal"), LITERALS, ids=[t for t, _ in LITERALS])
def test_literals(text: str, literal) -> None:
    assert parse_filter(f"x eq {text}") == cmp("eq", p("x"), literal)


def test_datetime_offsets_compare_as_instants() -> None:
    assert parse_filter("t eq 2024-01-01T01:00:00+01:00") == parse_filter("t eq 2024-01-01T00:00:00Z")


def test_integer_and_decimal_are_distinct() -> None:
    assert parse_filter("x eq 1") != parse_filter("x eq 1.0")


# ---------------------------------------------------------------------------------------------------------
# Property paths
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "result",
        "phenomenonTime",
        "Datastream/Thing/name",
        "properties/owner/name",
        "Datastream/ObservedProperty/definition",
        "parameters/x_1",
        "unitOfMeasurement/symbol",
    ],
)
def test_property_paths(path: str) -> None:
    assert parse_filter(f"{path} eq 'x'") == cmp("eq", p(path), s("x"))


def test_iot_id_alias() -> None:
    assert parse_filter("@iot.id eq 5") == parse_filter("id eq 5")


def test_property_named_like_a_function() -> None:
    # HistoricalLocations have a "time" property; time() is also a function.
    assert parse_filter("time gt 2020-01-01T00:00:00Z and time(time) lt 12:00:00") == Logical(
        LogicalOp.AND,
        cmp("gt", p("time"), DateTimeLiteral(datetime(2020, 1, 1, tzinfo=UTC))),
        cmp("lt", FunctionCall("time", (p("time"),)), TimeLiteral(time(12))),
    )


# ---------------------------------------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------------------------------------

POINT = "geography'POINT(7 51)'"
FUNCTION_CALLS = {
    "substringof": "substringof('Temp', name)",
    "endswith": "endswith(name, 'C')",
    "startswith": "startswith(name, 'Temp')",
    "length": "length(name) gt 3",
    "indexof": "indexof(name, 'x') eq 2",
    "substring": "substring(name, 1) eq 'x' and substring(name, 1, 2) eq 'xy'",
    "tolower": "tolower(name) eq 'a'",
    "toupper": "toupper(name) eq 'A'",
    "trim": "trim(name) eq 'a'",
    "concat": "concat(concat(name, ', '), description) eq 'a, b'",
    "year": "year(phenomenonTime) eq 2024 and year(2024-01-01) eq 2024",
    "month": "month(phenomenonTime) eq 1",
    "day": "day(resultTime) eq 31",
    "hour": "hour(phenomenonTime) eq 12 and hour(12:00:00) eq 12",
    "minute": "minute(phenomenonTime) eq 0",
    "second": "second(phenomenonTime) eq 0",
    "fractionalseconds": "fractionalseconds(phenomenonTime) lt 0.5",
    "date": "date(phenomenonTime) eq 2024-01-31",
    "time": "time(phenomenonTime) lt 12:00:00",
    "totaloffsetminutes": "totaloffsetminutes(phenomenonTime) eq 60",
    "now": "phenomenonTime lt now()",
    "mindatetime": "phenomenonTime gt mindatetime()",
    "maxdatetime": "phenomenonTime lt maxdatetime()",
    "round": "round(result) eq 3",
    "floor": "floor(result) eq 3",
    "ceiling": "ceiling(result) eq 4",
    "geo.distance": f"geo.distance(location, {POINT}) lt 0.1",
    "geo.length": "geo.length(location) gt 10",
    "geo.intersects": f"geo.intersects(location, {POINT})",
    "st_equals": f"st_equals(location, {POINT})",
    "st_disjoint": f"st_disjoint(location, {POINT})",
    "st_touches": f"st_touches(location, {POINT})",
    "st_within": "st_within(location, geography'POLYGON((7 51, 8 51, 8 52, 7 51))')",
    "st_overlaps": f"st_overlaps(feature, {POINT})",
    "st_crosses": "st_crosses(location, geometry'LINESTRING(7 50, 7 52)')",
    "st_intersects": f"st_intersects(location, {POINT})",
    "st_contains": f"st_contains(observedArea, {POINT})",
    "st_relate": f"st_relate(location, {POINT}, 'T********')",
}


def test_function_table_matches_sta_11_table_23() -> None:
    assert set(FUNCTIONS) == set(FUNCTION_CALLS)
    assert "contains" not in FUNCTIONS  # the reference note: contains() is outside STA 1.1 Table 23


def _calls(expr) -> set[str]:
    found: set[str] = set()
    if isinstance(expr, FunctionCall):
        found.add(expr.name)
    for value in getattr(expr, "__dataclass_fields__", {}):
        child = getattr(expr, value)
        children = child if isinstance(child, tuple) else (child,)
        for c in children:
            if hasattr(c, "__dataclass_fields__"):
                found |= _calls(c)
    return found


@pytest.mark.parametrize("name", sorted(FUNCTION_CALLS))
def test_every_function_parses(name: str) -> None:
    assert name in _calls(parse_filter(FUNCTION_CALLS[name]))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_rejects_too_many_arguments(name: str) -> None:
    spec = FUNCTIONS[name]
    args = ",".join(["x"] * (spec.max_args + 1))
    with pytest.raises(QueryError, match=rf"{name}\(\) takes .* got {spec.max_args + 1}"):
        parse_filter(f"{name}({args}) eq 1")


@pytest.mark.parametrize("name", sorted(n for n, f in FUNCTIONS.items() if f.min_args > 0))
def test_every_function_rejects_too_few_arguments(name: str) -> None:
    spec = FUNCTIONS[name]
    args = ",".join(["x"] * (spec.min_args - 1))
    with pytest.raises(QueryError, match=rf"{name}\(\) takes"):
        parse_filter(f"{name}({args}) eq 1")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("startswith(name, 5)", "argument 2 of startswith() must be a string, got a number"),
        ("length(5) eq 1", "argument 1 of length() must be a string, got a number"),
        ("year('2020') eq 1", "argument 1 of year() must be a date or a datetime, got a string"),
        ("hour(2020-01-01) eq 1", "argument 1 of hour() must be a datetime or a time of day, got a date"),
        ("round('x') eq 1", "argument 1 of round() must be a number, got a string"),
        ("geo.distance(location, 'POINT(1 2)') lt 1", "argument 2 of geo.distance() must be a geometry"),
        (f"st_relate(location, {POINT}, 5)", "argument 3 of st_relate() must be a string, got a number"),
        ("substring(name, 'a') eq 'b'", "argument 2 of substring() must be a number, got a string"),
        ("startswith(length(name), 'a')", "argument 1 of startswith() must be a string, got a number"),
    ],
)
def test_argument_types_are_checked(text: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_filter(text)
    assert message in str(info.value)


def test_function_call_ast() -> None:
    assert parse_filter(f"geo.intersects(location, {POINT})") == FunctionCall(
        "geo.intersects", (p("location"), GeoLiteral(GeoKind.GEOGRAPHY, "POINT(7 51)"))
    )
    assert parse_filter("now() gt phenomenonTime") == cmp("gt", FunctionCall("now"), p("phenomenonTime"))


def test_substring_two_and_three_arguments() -> None:
    two = parse_filter("substring(name, 1) eq 'x'")
    three = parse_filter("substring(name, 1, 2) eq 'x'")
    assert two.left == FunctionCall("substring", (p("name"), i(1)))
    assert three.left == FunctionCall("substring", (p("name"), i(1), i(2)))


def test_temporal_arithmetic() -> None:
    assert parse_filter("phenomenonTime gt now() sub duration'P1D'") == cmp(
        "gt",
        p("phenomenonTime"),
        arith("sub", FunctionCall("now"), DurationLiteral(timedelta(days=1))),
    )
    assert parse_filter("resultTime sub phenomenonTime lt duration'PT1H'")


# ---------------------------------------------------------------------------------------------------------
# Examples from the reference note (/work/shared/reference/sensorthings.md)
# ---------------------------------------------------------------------------------------------------------


def test_reference_example_result_gt_10() -> None:
    # frost-sta-client README: .filter("result gt 10")
    assert parse_filter("result gt 10") == cmp("gt", p("result"), i(10))


def test_reference_example_result_gt_string() -> None:
    # ets-sta10 evaluation-order check: $filter=result gt '3'
    assert parse_filter("result gt '3'") == cmp("gt", p("result"), s("3"))


def test_reference_example_eq_null() -> None:
    # The note lists "eq null" as used by clients although outside Table 23; null is an OData literal.
    assert parse_filter("resultQuality eq null") == cmp("eq", p("resultQuality"), NullLiteral())


def test_reference_example_deep_json_filters() -> None:
    # FROST tests deep JSON filters on properties/..., parameters/... and unitOfMeasurement.
    assert parse_filter("properties/owner/name eq 'Stadt'") == cmp(
        "eq", p("properties/owner/name"), s("Stadt")
    )
    assert parse_filter("parameters/depth gt 2.5") == cmp(
        "gt", p("parameters/depth"), DecimalLiteral(Decimal("2.5"))
    )
    assert parse_filter("unitOfMeasurement/symbol eq '°C'") == cmp(
        "eq", p("unitOfMeasurement/symbol"), s("°C")
    )


def test_reference_example_harness_query_string() -> None:
    # ets-sta10: ?$count=true&$top=1&$skip=2&$orderby=phenomenonTime asc&$filter=result gt '3'
    options = parse_query_options(
        {
            "$count": "true",
            "$top": "1",
            "$skip": "2",
            "$orderby": "phenomenonTime asc",
            "$filter": "result gt '3'",
        },
        max_top=10_000,
    )
    assert options == QueryOptions(
        count=True,
        top=1,
        skip=2,
        orderby=(OrderBy(p("phenomenonTime"), SortDirection.ASC),),
        filter=cmp("gt", p("result"), s("3")),
    )


def test_reference_example_latest_observation_expand() -> None:
    # The note's nested $expand: latest observation per Datastream (FROST #287).
    expand = parse_expand("Datastreams($expand=Observations($orderby=phenomenonTime desc;$top=1))")
    assert expand == (
        Expand(
            ("Datastreams",),
            QueryOptions(
                expand=(
                    Expand(
                        ("Observations",),
                        QueryOptions(orderby=(OrderBy(p("phenomenonTime"), SortDirection.DESC),), top=1),
                    ),
                )
            ),
        ),
    )


def test_reference_example_expand_top_before_orderby() -> None:
    expand = parse_expand("Datastreams($expand=Observations($orderby=phenomenonTime desc;$top=1))")
    same = parse_expand("Datastreams($expand=Observations($top=1;$orderby=phenomenonTime desc))")
    assert expand == same


def test_reference_example_count_only() -> None:
    assert parse_query_options({"$count": "true"}, max_top=100) == QueryOptions(count=True)


def test_reference_example_data_array() -> None:
    assert parse_query_options(
        {"$resultFormat": "dataArray", "$select": "result,phenomenonTime"}, max_top=10
    ) == (QueryOptions(result_format=ResultFormat.DATA_ARRAY, select=(p("result"), p("phenomenonTime"))))


# ---------------------------------------------------------------------------------------------------------
# $orderby, $select, $expand
# ---------------------------------------------------------------------------------------------------------


def test_orderby() -> None:
    assert parse_orderby("phenomenonTime desc, id") == (
        OrderBy(p("phenomenonTime"), SortDirection.DESC),
        OrderBy(p("id"), SortDirection.ASC),
    )
    assert parse_orderby("Datastream/name asc,result desc") == (
        OrderBy(p("Datastream/name"), SortDirection.ASC),
        OrderBy(p("result"), SortDirection.DESC),
    )


def test_orderby_expression() -> None:
    assert parse_orderby("length(name) desc") == (
        OrderBy(FunctionCall("length", (p("name"),)), SortDirection.DESC),
    )


def test_select() -> None:
    assert parse_select("id,name, properties/owner") == (p("id"), p("name"), p("properties/owner"))
    assert parse_select("@iot.id") == (p("id"),)


def test_nested_expand_brief_example() -> None:
    text = (
        "Datastreams($select=id,name;$expand=Observations($top=3;$orderby=phenomenonTime desc);"
        "$filter=startswith(name, 'Temp'))"
    )
    assert parse_expand(text) == (
        Expand(
            ("Datastreams",),
            QueryOptions(
                select=(p("id"), p("name")),
                expand=(
                    Expand(
                        ("Observations",),
                        QueryOptions(top=3, orderby=(OrderBy(p("phenomenonTime"), SortDirection.DESC),)),
                    ),
                ),
                filter=FunctionCall("startswith", (p("name"), s("Temp"))),
            ),
        ),
    )


def test_expand_path_and_list() -> None:
    assert parse_expand("Datastreams/Observations, Locations") == (
        Expand(("Datastreams", "Observations")),
        Expand(("Locations",)),
    )


def test_expand_path_with_options_and_as_nested() -> None:
    (item,) = parse_expand("Datastreams/Observations($top=2;$skip=1;$count=true)")
    assert item == Expand(("Datastreams", "Observations"), QueryOptions(top=2, skip=1, count=True))
    assert item.as_nested() == Expand(
        ("Datastreams",),
        QueryOptions(expand=(Expand(("Observations",), QueryOptions(top=2, skip=1, count=True)),)),
    )


def test_expand_three_levels() -> None:
    (item,) = parse_expand("Things($expand=Datastreams($expand=Observations($top=1;$select=result)))")
    observations = item.options.expand[0].options.expand[0]
    assert observations == Expand(("Observations",), QueryOptions(top=1, select=(p("result"),)))


def test_expand_filter_with_separators_inside_strings() -> None:
    (item,) = parse_expand("Datastreams($filter=name eq 'a;b,(c)' or name eq 'O''Neil')")
    assert item.options.filter == Logical(
        LogicalOp.OR, cmp("eq", p("name"), s("a;b,(c)")), cmp("eq", p("name"), s("O'Neil"))
    )


def test_expand_top_is_capped() -> None:
    options = parse_query_options({"$expand": "Observations($top=50000)"}, max_top=1000)
    assert options.expand[0].options.top == 1000


# ---------------------------------------------------------------------------------------------------------
# Whole query strings
# ---------------------------------------------------------------------------------------------------------


def test_query_options_all() -> None:
    options = parse_query_options(
        {
            "$select": "id,name",
            "$expand": "Datastreams($top=1)",
            "$filter": "name eq 'x'",
            "$orderby": "id desc",
            "$top": "5",
            "$skip": "0",
            "$count": "false",
            "page": "ignored",
            "api_key": "ignored",
        },
        max_top=100,
    )
    assert options == QueryOptions(
        select=(p("id"), p("name")),
        expand=(Expand(("Datastreams",), QueryOptions(top=1)),),
        filter=cmp("eq", p("name"), s("x")),
        orderby=(OrderBy(p("id"), SortDirection.DESC),),
        top=5,
        skip=0,
        count=False,
    )


def test_query_options_empty() -> None:
    assert parse_query_options({}, max_top=100) == QueryOptions()


def test_top_is_capped_to_max_top() -> None:
    assert parse_query_options({"$top": "20000"}, max_top=10_000).top == 10_000
    assert parse_query_options({"$top": "0"}, max_top=10_000).top == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"$top": "ten"}, "$top: expected a non-negative integer, got 'ten' at position 1"),
        ({"$top": "-1"}, "$top: must not be negative, got '-1' at position 1"),
        ({"$skip": "1.5"}, "$skip: expected a non-negative integer, got '1.5' at position 1"),
        ({"$count": "yes"}, "$count: expected true or false, got 'yes' at position 1"),
        ({"$count": "True"}, "$count: expected true or false, got 'True' at position 1"),
        (
            {"$resultFormat": "GeoJSON"},
            "$resultFormat: unsupported result format 'GeoJSON' at position 1; "
            "STA 1.1 defines only $resultFormat=dataArray",
        ),
        (
            {"$Filter": "id eq 1"},
            "$Filter: unknown query option; did you mean '$filter'? "
            "Option names are case-sensitive and start with '$'",
        ),
        ({"$levels": "2"}, "$levels: unknown query option; supported options: $select, $expand, $filter"),
        ({"$filter": ""}, "$filter: empty value at position 1"),
    ],
)
def test_query_option_errors(params: dict[str, str], message: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_query_options(params, max_top=100)
    assert str(info.value).startswith(message)


def test_query_error_to_dict() -> None:
    with pytest.raises(QueryError) as info:
        parse_query_options({"$expand": "Datastreams($top=x)"}, max_top=100)
    body = info.value.to_dict()
    assert body["code"] == 400
    assert body["option"] == "$expand"
    assert body["path"] == "Datastreams"
    assert body["position"] == 18
