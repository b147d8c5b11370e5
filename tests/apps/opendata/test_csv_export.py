"""CSV exports written by the database: the bytes csv.writer wrote, on both backends; whole tables kept."""

from __future__ import annotations

import csv
import io
import math
import random

import pytest
from sqlalchemy import create_engine, insert

from gelsencloud.apps.opendata import csv_export, tables
from helpers import auth

API = "/api/v1/opendata"
COLUMNS = [
    {"name": "text", "type": "string"},
    {"name": "wert", "type": "number"},
    {"name": "anzahl", "type": "integer"},
    {"name": "offen", "type": "boolean"},
]
NASTY_TEXT = [
    "", None, "plain", "a,b", 'say "hi"', "line\nbreak", "cr\rhere", "crlf\r\n", " spaced ", "\\.",
    "ümlaut ß €", "'single'", "tab\there", '"', ",", "=1+1", '""', "a\n\n", "NULL",
]  # fmt: skip
NASTY_NUMBERS = [
    0.0, 1.0, -1.0, 0.1, 0.1 + 0.2, 1 / 3, 2 / 3, 123.45, 500.25, 1e-4, 1e-5, 9.99e-5, 1.5e-7, 1e15,
    1e15 + 0.5, 1.2345678901234567e15, 9999999999999998.0, 1e16, 1.5e16, 7.06690313251521e16, 1e22,
    1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, 123456789012345.6, 99999999999999.99,
    math.pi, -2.5, 1234567.0, math.inf, -math.inf, None,
]  # fmt: skip


def _values(seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    numbers = NASTY_NUMBERS + [rng.uniform(-1e6, 1e6) for _ in range(200)]
    numbers += [rng.random() * 10 ** rng.randint(-12, 22) for _ in range(200)]
    return [
        {
            "_rownum": i + 1,
            "_search": "",
            "c0": NASTY_TEXT[i % len(NASTY_TEXT)],
            "c1": number,
            "c2": None if i % 7 == 0 else min(i * 10 ** (i % 19), 2**63 - 1) * (-1) ** i,
            "c3": None if i % 5 == 0 else i % 2 == 0,
        }
        for i, number in enumerate(numbers)
    ]


def _render(url: str, columns: list[dict], values: list[dict], batch: int = 37) -> tuple[str, str]:
    """(CSV written by the database, CSV written by csv.writer from the same stored rows)."""
    engine = create_engine(url)
    table = tables._table(990, 1, columns)
    try:
        table.metadata.drop_all(engine)
        table.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(insert(table), values)
        store = tables.Store(table, [c["name"] for c in columns], {c["name"]: c["type"] for c in columns})
        with engine.connect() as conn:
            old, csv_export.LINE_BATCH = csv_export.LINE_BATCH, batch
            try:
                ours = csv_export.header(store.names) + "".join(csv_export.batches(conn, store, []))
            finally:
                csv_export.LINE_BATCH = old
            stored = conn.execute(table.select().order_by(table.c._rownum)).all()
        kinds = [c["type"] for c in columns]
        cells = [
            tuple(
                (None if v is None else bool(v)) if kind == "boolean" else v
                for kind, v in zip(kinds, row[3:], strict=True)
            )
            for row in stored
        ]
        reference = _csv_writer(store.names, cells)
        return ours, reference
    finally:
        table.metadata.drop_all(engine)
        engine.dispose()


def _csv_writer(names: list[str], cells: list[tuple]) -> str:
    """The reference: what Python's ``csv.writer`` makes of the same cells (None becomes empty)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(names)
    writer.writerows(cells)
    return buffer.getvalue()


@pytest.mark.usefixtures("backend")
def test_database_csv_equals_csv_writer_and_parses_back(database_url):
    ours, reference = _render(database_url, COLUMNS, _values())
    assert ours == reference
    rows = list(csv.reader(io.StringIO(ours, newline="")))
    assert rows[0] == ["text", "wert", "anzahl", "offen"] and len(rows) == len(_values()) + 1
    texts = [r[0] for r in rows[1:]]
    assert texts[: len(NASTY_TEXT)] == [t or "" for t in NASTY_TEXT]  # quotes, commas, CR/LF survive
    assert ours.count("\r\n") >= len(rows)  # RFC 4180 line ends
    # a lone column: csv.writer quotes an empty field ("") so the line is not blank
    single = [{"_rownum": i + 1, "_search": "", "c0": v} for i, v in enumerate(["", None, "x", 'a"b'])]
    ours, reference = _render(database_url, COLUMNS[:1], single)
    assert ours == reference == 'text\r\n""\r\n""\r\nx\r\n"a""b"\r\n'


@pytest.mark.postgres
def test_sqlite_and_postgresql_write_the_same_bytes(tmp_path, postgres_database_url):
    values = [v for v in _values(11) if not (isinstance(v["c1"], float) and v["c1"] == 0.0)]
    # (-0.0 is left out: SQLite stores it as 0, so the tables differ, not the formatting)
    on_sqlite, _ = _render(f"sqlite:///{tmp_path}/same.db", COLUMNS, values, batch=1000)
    on_postgresql, _ = _render(postgres_database_url, COLUMNS, values, batch=50)
    assert on_sqlite == on_postgresql
    assert "0.30000000000000004" in on_sqlite and "1.7976931348623157e+308" in on_sqlite


@pytest.mark.usefixtures("backend")
def test_whole_table_kept_as_file_filtered_rendered_deleted_with_the_distribution(client, world, settings):
    key = world.keys["city.editor"]
    body = {"title": "Demo: Export", "description": "synthetisch", "license_id": "dl-zero-de/2.0"}
    ds = client.post(f"{API}/datasets", json=body, headers=auth(key)).json()
    text = 'name,wert\r\n"a,1",1.5\r\nb,2\r\n"c ""x""",\r\n'
    dist = client.post(
        f"{API}/datasets/{ds['name']}/distributions",
        files={"file": ("e.csv", text.encode())},
        headers=auth(key),
    ).json()
    url = f"{API}/distributions/{dist['id']}/export.csv"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/csv")
    assert first.text == 'name,wert\r\n"a,1",1.5\r\nb,2.0\r\n"c ""x""",\r\n'
    kept = list(csv_export.cache_root(settings).glob(f"{dist['id']}_v*.csv"))
    assert len(kept) == 1 and kept[0].read_bytes() == first.content
    again = client.get(url)
    assert again.content == first.content and "attachment" in again.headers["content-disposition"]
    filtered = client.get(url, params={"wert__gt": "1.6"})
    assert filtered.text == "name,wert\r\nb,2.0\r\n"
    assert len(list(csv_export.cache_root(settings).glob(f"{dist['id']}_v*.csv"))) == 1

    # an internal distribution's kept file is not served to those who may not read it
    client.put(f"{API}/datasets/{ds['name']}", json={**body, "classification": "internal"}, headers=auth(key))
    assert client.get(url).status_code == 404
    assert client.get(url, headers=auth(key)).content == first.content

    assert client.delete(f"{API}/distributions/{dist['id']}", headers=auth(key)).status_code == 204
    assert list(csv_export.cache_root(settings).glob(f"{dist['id']}_v*.csv")) == []


@pytest.mark.usefixtures("backend")
def test_exports_job_renders_new_versions_ahead_of_the_first_download(client, world, settings, app):
    key = world.keys["city.editor"]
    body = {"title": "Demo: Vorab", "description": "synthetisch", "license_id": "dl-zero-de/2.0"}
    ds = client.post(f"{API}/datasets", json=body, headers=auth(key)).json()
    dist = client.post(
        f"{API}/datasets/{ds['name']}/distributions",
        files={"file": ("v.csv", b'name,wert\r\n"a,1",1.5\r\nb,2\r\n')},
        headers=auth(key),
    ).json()
    root = csv_export.cache_root(settings)
    assert list(root.glob(f"{dist['id']}_v*.csv")) == []

    report = csv_export.render_missing(app.state.db, settings)
    kept = list(root.glob(f"{dist['id']}_v*.csv"))
    assert len(kept) == 1 and int(report.split()[0]) >= 1 and report.endswith(", 0 failed")
    assert kept[0].read_bytes() == b'name,wert\r\n"a,1",1.5\r\nb,2.0\r\n'
    assert csv_export.render_missing(app.state.db, settings) == "0 CSV exports rendered, 0 failed"

    # the first download is the kept file, byte for byte what the database would render
    first = client.get(f"{API}/distributions/{dist['id']}/export.csv")
    assert first.content == kept[0].read_bytes()
    assert "attachment" in first.headers["content-disposition"]
