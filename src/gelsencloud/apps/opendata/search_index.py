"""The catalogue's search index: each dataset's search text and facet rows, kept in the writing transaction.

Searching and faceting 5,000 datasets by scanning them (``LIKE`` over five columns, JSON arrays
unnested per request) cost 57 ms per ``package_search`` and 134-154 ms per catalogue page
(docs/performance.md). Instead every dataset carries ``search_text`` (the lower-cased words CKAN's
``q`` searches; an FTS5 trigram table on SQLite, a pg_trgm GIN index on PostgreSQL), one
``opendata_facets`` row per facet value and its share of ``opendata_facet_counts`` (unfiltered
counts per tenant, classification and value). Both carry the dataset's tenant and classification,
so ``service.search_datasets`` applies the access rule to the rows themselves and counts need no join.

Both are written here and only here, by a flush hook: whatever creates, changes, publishes,
reclassifies or deletes a dataset or adds or removes a distribution goes through a flush of the
ORM session, so the index changes in the same transaction and cannot be forgotten by a new code
path. Bulk inserts that bypass the ORM (harvests, benchmarks) call :func:`rebuild`, which is also
the migration's backfill.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, column, delete, event, func, insert, select, table, update
from sqlalchemy.orm import Session

from gelsencloud.apps.opendata.models import Dataset, DatasetFacet, DatasetFacetCount, Distribution

VALUE_MAX = 300  # facet values longer than this are cut (String(300); keywords have no limit)

# SQLite: an FTS5 trigram index over opendata_datasets.search_text (external content: the text is
# stored once), kept by triggers so that no write, ORM or bulk, can miss it. A trigram index finds
# any substring of three or more characters, which is what CKAN q words did with LIKE before
# ("bäume" finds "Straßenbäume"); German compounds make word-based (stemming) indexes miss those.
# The table and its shadow tables are not models (core/migrate.py leaves *_fts tables out).
FTS = "opendata_datasets_fts"
SQLITE_FTS_TRIGGERS = (f"{FTS}_insert", f"{FTS}_delete", f"{FTS}_update")
SQLITE_FTS_DDL = (
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(search_text, content='opendata_datasets', "
    "content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER {FTS}_insert AFTER INSERT ON opendata_datasets BEGIN "
    f"INSERT INTO {FTS}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"CREATE TRIGGER {FTS}_delete AFTER DELETE ON opendata_datasets BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    f"CREATE TRIGGER {FTS}_update AFTER UPDATE OF search_text ON opendata_datasets BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {FTS}(rowid, search_text) VALUES (new.id, new.search_text); END",
)
fts_table = table(FTS, column("rowid"), column("search_text"))


def word_condition(dialect: str, word: str):
    """The condition "the dataset's search text contains ``word``" (lower-cased), indexed where possible."""
    word = word.lower()
    if dialect == "sqlite" and len(word) >= 3:
        phrase = '"' + word.replace('"', '""') + '"'  # an FTS5 string: every character literal
        return Dataset.id.in_(
            select(fts_table.c.rowid).where(fts_table.c.search_text.op("MATCH")(phrase)).correlate(None)
        )
    # PostgreSQL: LIKE uses the pg_trgm GIN index; autoescape: user text is never a LIKE pattern
    return Dataset.search_text.contains(word, autoescape=True)


def search_text(title: str, description: str, title_en: str, name: str, keywords: Iterable[str]) -> str:
    """The text CKAN ``q`` words are looked for in: one field per line, lower-cased."""
    fields = (title, description, title_en, name, *keywords)
    # one field per line, so a word never matches across two fields
    return "\n".join((f or "").replace("\n", " ") for f in fields).lower()


def facet_values(
    tenant_id: int, license_id: str, themes: Iterable[str], keywords: Iterable[str], formats: Iterable[str]
) -> list[tuple[str, str]]:
    """The (facet, value) pairs of one dataset, each once."""
    pairs = [("organization", str(tenant_id)), ("license_id", license_id)]
    pairs += [("groups", t.lower()) for t in themes]
    pairs += [("tags", k) for k in keywords]
    pairs += [("res_format", f) for f in formats]
    return list(dict.fromkeys((facet, value[:VALUE_MAX]) for facet, value in pairs if value))


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):  # JSON read through a raw connection
        value = json.loads(value)
    return [str(v) for v in value or []]


def reindex(conn: Connection, dataset_ids: Iterable[int], *, texts: bool = True) -> None:
    """Rewrite the facet rows (and, with ``texts``, the search text) of datasets from what is stored now."""
    ids = sorted(set(dataset_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        _reindex_chunk(conn, chunk, texts)


def _reindex_chunk(conn: Connection, ids: list[int], texts: bool) -> None:
    t, dt = Dataset.__table__, Distribution.__table__
    formats: dict[int, list[str]] = {}
    for dataset_id, fmt in conn.execute(
        select(dt.c.dataset_id, dt.c.format).where(dt.c.dataset_id.in_(ids)).order_by(dt.c.id)
    ):
        formats.setdefault(dataset_id, []).append(fmt)
    columns = (t.c.id, t.c.tenant_id, t.c.classification, t.c.license_id, t.c.themes, t.c.keywords)
    text_columns = (t.c.title, t.c.description, t.c.title_en, t.c.name)
    rows, updates = [], []
    for row in conn.execute(select(*columns, *text_columns).where(t.c.id.in_(ids))):
        keywords = _as_list(row.keywords)
        if texts:
            text = search_text(row.title, row.description, row.title_en, row.name, keywords)
            updates.append({"b_id": row.id, "b_text": text})
        for facet, value in facet_values(
            row.tenant_id, row.license_id, _as_list(row.themes), keywords, formats.get(row.id, [])
        ):
            rows.append(
                {
                    "dataset_id": row.id,
                    "facet": facet,
                    "value": value,
                    "tenant_id": row.tenant_id,
                    "classification": row.classification,
                }
            )
    ft = DatasetFacet.__table__
    delta = _counted(conn, ids, sign=-1)
    conn.execute(delete(ft).where(ft.c.dataset_id.in_(ids)))
    if rows:
        conn.execute(insert(ft), rows)
    for row in rows:
        key = (row["tenant_id"], row["classification"], row["facet"], row["value"])
        delta[key] = delta.get(key, 0) + 1
    _move_counts(conn, delta)
    if updates:
        from sqlalchemy import bindparam

        conn.execute(
            update(t).where(t.c.id == bindparam("b_id")).values(search_text=bindparam("b_text")), updates
        )


def _counted(conn: Connection, ids: list[int], sign: int) -> dict[tuple, int]:
    """The facet rows of ``ids`` as counts per (tenant, classification, facet, value), times ``sign``."""
    ft = DatasetFacet.__table__
    keys = (ft.c.tenant_id, ft.c.classification, ft.c.facet, ft.c.value)
    stmt = select(*keys, func.count()).where(ft.c.dataset_id.in_(ids)).group_by(*keys)
    return {tuple(row[:4]): sign * row[4] for row in conn.execute(stmt)}


def _move_counts(conn: Connection, delta: dict[tuple, int]) -> None:
    """Add ``delta`` to the facet counts (upsert), then drop counts that reached zero."""
    changes = [
        {"tenant_id": t, "classification": c, "facet": f, "value": v, "count": n}
        for (t, c, f, v), n in sorted(delta.items())  # one order everywhere: no deadlocks between writers
        if n
    ]
    if not changes:
        return
    table = DatasetFacetCount.__table__
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    stmt = upsert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["tenant_id", "classification", "facet", "value"],
        set_={"count": table.c["count"] + stmt.excluded["count"]},
    )
    conn.execute(stmt, changes)
    conn.execute(delete(table).where(table.c["count"] <= 0))


def rebuild(conn: Connection) -> int:
    """Index every dataset (after bulk loads and in the migration); return how many."""
    ids = [i for (i,) in conn.execute(select(Dataset.__table__.c.id))]
    reindex(conn, ids)
    # recount from the facet rows, whatever the counts said before
    table, ft = DatasetFacetCount.__table__, DatasetFacet.__table__
    conn.execute(delete(table))
    keys = (ft.c.tenant_id, ft.c.classification, ft.c.facet, ft.c.value)
    conn.execute(
        insert(table).from_select(
            ["tenant_id", "classification", "facet", "value", "count"],
            select(*keys, func.count()).group_by(*keys),
        )
    )
    return len(ids)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context, _instances) -> None:
    """Set the search text of new and changed datasets, and unindex the deleted ones.

    The text is written by the flush itself (no second UPDATE per write); facet rows and counts of
    deleted datasets go before the dataset row does.
    """
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Dataset):
            text = search_text(obj.title, obj.description, obj.title_en, obj.name, obj.keywords or [])
            if obj.search_text != text:
                obj.search_text = text
    gone = sorted(obj.id for obj in session.deleted if isinstance(obj, Dataset) and obj.id is not None)
    if gone:
        conn = session.connection()
        delta = _counted(conn, gone, sign=-1)
        ft = DatasetFacet.__table__
        conn.execute(delete(ft).where(ft.c.dataset_id.in_(gone)))
        _move_counts(conn, delta)


@event.listens_for(Session, "after_flush")
def _index_flushed(session: Session, _context) -> None:
    """Reindex the datasets whose rows or distributions this flush wrote (same transaction)."""
    touched: set[int] = set()
    gone: set[int] = set()
    for objects, deleted in ((session.new, False), (session.dirty, False), (session.deleted, True)):
        for obj in objects:
            if isinstance(obj, Dataset):
                if obj.id is not None:
                    (gone if deleted else touched).add(obj.id)
            elif isinstance(obj, Distribution) and obj.dataset_id is not None:
                touched.add(obj.dataset_id)
    if touched - gone:
        reindex(session.connection(), touched - gone, texts=False)  # the text was set before the flush
