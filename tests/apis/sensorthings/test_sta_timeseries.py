"""Time-series reads: aggregation in a time zone (DST), $expand per parent in one query, $count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sta_helpers import ROOT, create, weather_station

from gelsencloud.apis.sensorthings.extensions import offset_transitions
from gelsencloud.apis.sensorthings.service import add_observations, read
from gelsencloud.core.principal import Principal, Role

pytestmark = pytest.mark.usefixtures("backend")


def _editor(world) -> Principal:
    return Principal(
        kind="apikey", tenant_id=world.tenants["stadt-gelsenkirchen"], role=Role.EDITOR, name="e"
    )


def _hourly(first: datetime, last: datetime) -> list[dict]:
    """One Observation per hour from ``first`` to ``last`` (exclusive), result 1."""
    hours = int((last - first).total_seconds() // 3600)
    return [{"phenomenonTime": first + timedelta(hours=h), "result": 1} for h in range(hours)]


@pytest.fixture
def dst_stream(client, editor, db, world) -> int:
    """Hourly values over the local days 30–31 March and 26–27 October 2024 in Europe/Berlin."""
    create(client, "Things", weather_station(classification="public"), editor)
    stream = client.get(f"{ROOT}/Datastreams", headers=editor).json()["value"][0]["@iot.id"]
    rows = _hourly(datetime(2024, 3, 29, 23, tzinfo=UTC), datetime(2024, 3, 31, 22, tzinfo=UTC))
    rows += _hourly(datetime(2024, 10, 25, 22, tzinfo=UTC), datetime(2024, 10, 27, 23, tzinfo=UTC))
    with db.transaction(_editor(world)) as session:
        add_observations(session, stream, rows)
    return stream


def _buckets(client, stream: int, query: str) -> list[tuple[str, float | int, int]]:
    response = client.get(f"{ROOT}/Datastreams({stream})/Observations/$aggregate?{query}")
    assert response.status_code == 200, response.text
    return [(v["phenomenonTime"], v["result"], v["count"]) for v in response.json()["value"]]


def test_local_days_last_23_and_25_hours_at_the_dst_changes(client, dst_stream):
    days = _buckets(client, dst_stream, "aggrMethod=sum&aggrPeriod=day")  # Europe/Berlin by default
    assert days == [
        ("2024-03-29T23:00:00Z/2024-03-30T23:00:00Z", 24.0, 24),
        ("2024-03-30T23:00:00Z/2024-03-31T22:00:00Z", 23.0, 23),  # spring forward: 23 hours
        ("2024-10-25T22:00:00Z/2024-10-26T22:00:00Z", 24.0, 24),
        ("2024-10-26T22:00:00Z/2024-10-27T23:00:00Z", 25.0, 25),  # fall back: 25 hours
    ]
    explicit = _buckets(client, dst_stream, "aggrMethod=sum&aggrPeriod=day&aggrTimeZone=Europe/Berlin")
    assert explicit == days
    months = _buckets(client, dst_stream, "aggrMethod=count&aggrPeriod=month")
    assert months == [
        ("2024-02-29T23:00:00Z/2024-03-31T22:00:00Z", 47, 47),
        ("2024-09-30T22:00:00Z/2024-10-31T23:00:00Z", 49, 49),
    ]
    years = _buckets(client, dst_stream, "aggrMethod=count&aggrPeriod=year")
    assert years == [("2023-12-31T23:00:00Z/2024-12-31T23:00:00Z", 96, 96)]


def test_utc_and_other_zones(client, dst_stream):
    utc = _buckets(client, dst_stream, "aggrMethod=count&aggrPeriod=day&aggrTimeZone=UTC")
    assert [b[0][:10] for b in utc] == [
        "2024-03-29",
        "2024-03-30",
        "2024-03-31",
        "2024-10-25",
        "2024-10-26",
        "2024-10-27",
    ]
    assert [b[2] for b in utc] == [1, 24, 22, 2, 24, 23]
    assert utc[1][0] == "2024-03-30T00:00:00Z/2024-03-31T00:00:00Z"
    # A negative offset (New York: UTC-4 in March and October 2024) and a half-hour offset (India).
    new_york = _buckets(client, dst_stream, "aggrMethod=count&aggrPeriod=day&aggrTimeZone=America/New_York")
    assert new_york[0][0] == "2024-03-29T04:00:00Z/2024-03-30T04:00:00Z"
    assert sum(b[2] for b in new_york) == 96
    india = _buckets(client, dst_stream, "aggrMethod=count&aggrPeriod=hour&aggrTimeZone=Asia/Kolkata")
    assert india[0][0] == "2024-03-29T22:30:00Z/2024-03-29T23:30:00Z" and india[0][2] == 1
    assert all(b[0][14:16] == "30" for b in india) and sum(b[2] for b in india) == 96


def test_the_repeated_autumn_hour_stays_two_hours(client, dst_stream):
    hours = _buckets(client, dst_stream, "aggrMethod=count&aggrPeriod=hour&aggrTimeZone=Europe/Berlin")
    october = [b for b in hours if b[0].startswith("2024-10-27")]
    # 02:00–03:00 local time happens twice (00:00–01:00 and 01:00–02:00 UTC): two buckets, not one of 2 h.
    assert ("2024-10-27T00:00:00Z/2024-10-27T01:00:00Z", 1, 1) in october
    assert ("2024-10-27T01:00:00Z/2024-10-27T02:00:00Z", 1, 1) in october
    assert all(b[2] == 1 for b in hours) and len(hours) == 96


@pytest.mark.parametrize(
    "zone",
    ["Mars/Olympus_Mons", "../../etc/passwd", "", "Europe/Berlin;drop"],
    ids=["unknown", "path", "empty", "junk"],
)
def test_unknown_time_zone_is_a_clear_400(client, dst_stream, zone):
    response = client.get(
        f"{ROOT}/Datastreams({dst_stream})/Observations/$aggregate?aggrPeriod=day&aggrTimeZone={quote(zone)}"
    )
    assert response.status_code == 400
    assert "aggrTimeZone" in response.json()["message"] and "IANA" in response.json()["message"]


def test_offset_transitions_of_berlin():
    zone = ZoneInfo("Europe/Berlin")
    found = offset_transitions(zone, datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
    assert found == [
        (datetime(2024, 1, 1, tzinfo=UTC), 3600),
        (datetime(2024, 3, 31, 1, tzinfo=UTC), 7200),
        (datetime(2024, 10, 27, 1, tzinfo=UTC), 3600),
    ]
    assert offset_transitions(
        ZoneInfo("UTC"), datetime(2024, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)
    ) == [(datetime(2024, 1, 1, tzinfo=UTC), 0)]


# --------------------------------------------------------------------------------------------------
# $expand of a to-many navigation for a whole page of parents
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def streams(client, editor, db, world) -> list[int]:
    """Four public Datastreams with 0, 1, 3 and 7 Observations (equal times included), and one internal."""
    for i in range(4):
        create(client, "Things", weather_station(f"Station {i}", classification="public"), editor)
    create(client, "Things", weather_station("Intern", classification="internal"), editor)
    ids = sorted(d["@iot.id"] for d in client.get(f"{ROOT}/Datastreams", headers=editor).json()["value"])
    start = datetime(2025, 6, 1, tzinfo=UTC)
    with db.transaction(_editor(world)) as session:
        for stream, size in zip(ids, (0, 1, 3, 7, 2), strict=True):
            rows = [
                {"phenomenonTime": start + timedelta(minutes=(k // 2) * 10), "result": (k * 7) % 5}
                for k in range(size)
            ]
            if rows:
                add_observations(session, stream, rows)
    return ids


NESTED = [
    "Observations($top=1;$orderby=phenomenonTime desc)",
    "Observations($top=2;$skip=1;$orderby=result desc,phenomenonTime;$count=true;$select=result,phenomenonTime)",
    "Observations($filter=result gt 1;$count=true;$orderby=phenomenonTime)",
    "Observations($top=0;$count=true)",
    "Observations",
    "Observations($orderby=phenomenonTime desc;$top=3;$expand=Datastream($select=name),FeatureOfInterest)",
]


@pytest.mark.parametrize("nested", NESTED)
def test_expand_per_parent_equals_one_parent_at_a_time(client, editor, streams, nested):
    page = client.get(f"{ROOT}/Datastreams?$orderby=id&$expand={quote(nested)}", headers=editor)
    assert page.status_code == 200, page.text
    values = page.json()["value"]
    assert [v["@iot.id"] for v in values] == streams
    for item in values:
        alone = client.get(f"{ROOT}/Datastreams({item['@iot.id']})?$expand={quote(nested)}", headers=editor)
        assert alone.status_code == 200
        assert item == alone.json()  # same entities, order, counts and nextLinks as the one-parent query
    sizes = {v["@iot.id"]: len(v["Observations"]) for v in values}
    if nested.startswith("Observations($top=1;"):
        assert [sizes[s] for s in streams] == [0, 1, 1, 1, 1]
        newest = values[3]["Observations"][0]
        assert newest["phenomenonTime"] == "2025-06-01T00:30:00Z"
        assert values[3]["Observations@iot.nextLink"].startswith(
            f"http://testserver{ROOT}/Datastreams({streams[3]})/Observations?"
        )
        assert "Observations@iot.nextLink" not in values[1]


def test_nested_next_link_continues_the_parent_page(client, editor, streams):
    nested = "Observations($top=2;$orderby=phenomenonTime desc;$select=result,phenomenonTime;$count=true)"
    values = client.get(f"{ROOT}/Datastreams?$expand={quote(nested)}", headers=editor).json()["value"]
    seven = next(v for v in values if v["@iot.id"] == streams[3])
    assert seven["Observations@iot.count"] == 7
    collected = list(seven["Observations"])
    url = seven["Observations@iot.nextLink"]
    while url:
        body = client.get(url, headers=editor).json()
        collected += body["value"]
        url = body.get("@iot.nextLink")
    reference = client.get(
        f"{ROOT}/Datastreams({streams[3]})/Observations?$orderby=phenomenonTime desc&$select=result,phenomenonTime&$top=100",
        headers=editor,
    ).json()["value"]
    assert collected == reference and len(collected) == 7


def test_expand_across_two_levels_and_link_tables(client, editor, streams):
    query = "$expand=" + quote(
        "Locations($top=1;$count=true),Datastreams($expand=Observations($top=1;$orderby=phenomenonTime desc))"
    )
    things = client.get(f"{ROOT}/Things?$orderby=id&{query}", headers=editor).json()["value"]
    assert len(things) == 5
    for thing in things:
        alone = client.get(f"{ROOT}/Things({thing['@iot.id']})?{query}", headers=editor).json()
        assert thing == alone
        assert thing["Locations@iot.count"] == 1 and len(thing["Locations"]) == 1
    latest = [t["Datastreams"][0]["Observations"] for t in things]
    assert [len(o) for o in latest] == [0, 1, 1, 1, 1]


def test_expand_per_parent_keeps_classification(client, editor, outsider, streams, db, world):
    """A public Thing with an internal Location: others see the Thing, not the Location."""
    body = weather_station("Gemischt", classification="public")
    body["Locations"][0]["@gelsencloud.classification"] = "internal"
    mixed = create(client, "Things", body, editor)
    query = "$orderby=id&$expand=" + quote(
        "Locations($count=true),Datastreams($expand=Observations($count=true;$top=1))"
    )
    for headers in ({}, outsider):
        things = client.get(f"{ROOT}/Things?{query}", headers=headers).json()["value"]
        assert "Intern" not in [t["name"] for t in things] and len(things) == 5
        entry = next(t for t in things if t["@iot.id"] == mixed)
        assert entry["Locations"] == [] and entry["Locations@iot.count"] == 0
        counts = [t["Datastreams"][0]["Observations@iot.count"] for t in things if t["@iot.id"] != mixed]
        assert counts == [0, 1, 3, 7]
    own = client.get(f"{ROOT}/Things?{query}", headers=editor).json()["value"]
    entry = next(t for t in own if t["@iot.id"] == mixed)
    assert [loc["name"] for loc in entry["Locations"]] == ["Rathaus Buer"] and entry[
        "Locations@iot.count"
    ] == 1
    assert len(own) == 6


def test_expand_budget_shrinks_each_parent_page_with_a_next_link(client, editor, streams, monkeypatch):
    monkeypatch.setattr(read, "EXPAND_ROWS", 4)  # 5 parents: each gets a page of one
    values = client.get(
        f"{ROOT}/Datastreams?$expand=" + quote("Observations($top=5;$orderby=phenomenonTime)"), headers=editor
    ).json()["value"]
    assert [len(v["Observations"]) for v in values] == [0, 1, 1, 1, 1]
    link = next(v for v in values if v["@iot.id"] == streams[3])["Observations@iot.nextLink"]
    assert "$top=1" in link and "$skip=1" in link


def test_expand_errors_in_nested_options_are_400(client, streams):
    response = client.get(f"{ROOT}/Datastreams?$expand=" + quote("Observations($filter=nope gt 1)"))
    assert response.status_code == 400 and "nope" in response.json()["message"]


# --------------------------------------------------------------------------------------------------
# $count
# --------------------------------------------------------------------------------------------------


def test_counts_are_exact_unless_flagged_as_estimate(client, editor, streams, db, backend, monkeypatch):
    exact = client.get(f"{ROOT}/Observations?$count=true&$top=0", headers=editor).json()
    assert exact["@iot.count"] == 13 and read.ESTIMATED_FLAG not in exact
    per_stream = client.get(f"{ROOT}/Datastreams({streams[3]})/Observations?$count=true&$top=0").json()
    assert per_stream["@iot.count"] == 7 and read.ESTIMATED_FLAG not in per_stream
    monkeypatch.setattr(read, "ESTIMATE_ABOVE", 1)
    if backend == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE sta_observations"))
            conn.commit()
    body = client.get(f"{ROOT}/Observations?$count=true&$top=0", headers=editor).json()
    if backend == "postgresql":  # the planner's estimate, flagged; an estimate is never silent
        assert body[read.ESTIMATED_FLAG] is True and body["@iot.count"] >= 1
    else:  # SQLite cannot estimate: always exact
        assert body["@iot.count"] == 13 and read.ESTIMATED_FLAG not in body
    filtered = client.get(
        f"{ROOT}/Observations?$count=true&$top=0&$filter=result ge 0", headers=editor
    ).json()
    assert filtered["@iot.count"] == 13 and read.ESTIMATED_FLAG not in filtered
    refs = client.get(f"{ROOT}/Observations/$ref?$count=true&$top=0", headers=editor).json()
    assert refs["@iot.count"] == 13  # $ref has no place for the flag: counted exactly
    anonymous = client.get(f"{ROOT}/Observations?$count=true&$top=0&$filter=result ge 0").json()
    assert anonymous["@iot.count"] == 11  # the internal Datastream's 2 Observations are not counted


def test_datastream_time_ranges_only_widen_with_every_bound_and_repeated_streams(client, editor, db, world):
    from gelsencloud.apis.sensorthings.service.bulk import stream_facts, widen_streams

    create(client, "Things", weather_station(classification="public"), editor)
    create(client, "Things", weather_station("Zweite Station", classification="public"), editor)
    first, second = [s["@iot.id"] for s in client.get(f"{ROOT}/Datastreams", headers=editor).json()["value"]]
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)

    def row(hours: int, result_hours: int | None = None, end_hours: int | None = None) -> dict:
        return {
            "phenomenon_time_start": at + timedelta(hours=hours),
            "phenomenon_time_end": None if end_hours is None else at + timedelta(hours=end_hours),
            "result_time": None if result_hours is None else at + timedelta(hours=result_hours),
        }

    def ranges(stream: int) -> tuple[str | None, str | None]:
        body = client.get(f"{ROOT}/Datastreams({stream})", headers=editor).json()
        return body.get("phenomenonTime"), body.get("resultTime")

    with db.transaction(_editor(world)) as session:
        streams = stream_facts(session, [first, second])
        # The first stream twice in one call (as separate batches): the widest bounds of both count.
        widen_streams(
            session,
            [
                (streams[first], [row(0, result_hours=1), row(2)]),
                (streams[second], [row(5, end_hours=7)]),
                (streams[first], [row(-3, end_hours=4, result_hours=9)]),
            ],
        )
    assert ranges(first) == (
        "2026-03-01T09:00:00Z/2026-03-01T16:00:00Z",
        "2026-03-01T13:00:00Z/2026-03-01T21:00:00Z",
    )
    assert ranges(second) == ("2026-03-01T17:00:00Z/2026-03-01T19:00:00Z", None)
    with db.transaction(_editor(world)) as session:  # inside the stored ranges: nothing moves
        streams = stream_facts(session, [first, second])
        widen_streams(session, [(streams[first], [row(1, result_hours=2)]), (streams[second], [row(6)])])
    assert ranges(first) == (
        "2026-03-01T09:00:00Z/2026-03-01T16:00:00Z",
        "2026-03-01T13:00:00Z/2026-03-01T21:00:00Z",
    )
    assert ranges(second) == ("2026-03-01T17:00:00Z/2026-03-01T19:00:00Z", None)
