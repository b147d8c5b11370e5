"""The catalogue's search index (search text, facet rows): kept on every write, filtered by the access rule."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gelsencloud.apps.opendata import distributions, search_index, service
from gelsencloud.apps.opendata.models import Dataset, DatasetFacet, DatasetFacetCount
from gelsencloud.core.principal import ANONYMOUS, SYSTEM, Principal, Role

FACETS = ("organization", "groups", "tags", "res_format", "license_id")


def _editor(world, slug: str = "stadt-gelsenkirchen") -> Principal:
    return Principal(kind="user", name=f"{slug}.editor", tenant_id=world.tenants[slug], role=Role.EDITOR)


def _create(
    db, principal, title: str, *, keywords, themes, fmt: str = "JSON", classification="public"
) -> int:
    with db.transaction(principal) as session:
        data = service.DatasetInput(
            title=title,
            description="synthetisch",
            license_id="dl-zero-de/2.0",
            keywords=keywords,
            themes=themes,
            classification=classification,
        )
        dataset = service.create_dataset(session, data)
        distributions.add_link(session, dataset, url="https://example.org/a", title="API", fmt=fmt)
        return dataset.id


def _rows(db, dataset_id: int) -> set[tuple[str, str, str]]:
    with db.transaction(SYSTEM) as session:
        rows = session.execute(
            select(DatasetFacet.facet, DatasetFacet.value, DatasetFacet.classification).where(
                DatasetFacet.dataset_id == dataset_id
            )
        )
        return set(rows)


def _counts(db) -> dict[tuple, int]:
    """The kept unfiltered facet counts, and a check that they equal a recount of the facet rows."""
    fc = DatasetFacetCount
    with db.transaction(SYSTEM) as session:
        kept = {
            tuple(r[:4]): r[4]
            for r in session.execute(select(fc.tenant_id, fc.classification, fc.facet, fc.value, fc.count))
        }
    with db.engine.begin() as conn:
        search_index.rebuild(conn)
    with db.transaction(SYSTEM) as session:
        recount = {
            tuple(r[:4]): r[4]
            for r in session.execute(select(fc.tenant_id, fc.classification, fc.facet, fc.value, fc.count))
        }
    assert kept == recount
    return kept


def _search(db, principal, **kwargs) -> service.SearchResult:
    with db.transaction(principal) as session:
        result = service.search_datasets(session, facet_fields=FACETS, **kwargs)
        result.datasets = [d.name for d in result.datasets]
        return result


@pytest.mark.usefixtures("backend")
def test_index_follows_create_update_reclassify_and_delete(db, world):
    editor = _editor(world)
    city = str(world.tenants["stadt-gelsenkirchen"])
    dataset_id = _create(db, editor, "Demo: Straßenbäume", keywords=["Stadtgrün", "Bäume"], themes=["ENVI"])
    assert _rows(db, dataset_id) == {
        ("organization", city, "public"),
        ("license_id", "dl-zero-de/2.0", "public"),
        ("groups", "envi", "public"),
        ("tags", "Stadtgrün", "public"),
        ("tags", "Bäume", "public"),
        ("res_format", "JSON", "public"),
    }
    # substring semantics of CKAN q as before: inside compounds, any case, in keywords only
    for q in ("bäume", "straßen", "ENBÄU", "stadtgrün", "demo straßen"):
        assert _search(db, ANONYMOUS, q=q).datasets, q
    assert not _search(db, ANONYMOUS, q="bäume baustelle").datasets  # every word must match
    assert _search(db, ANONYMOUS, q="st").count == 1  # shorter than a trigram: still found
    assert not _search(db, ANONYMOUS, q="%").datasets and not _search(db, ANONYMOUS, q='"').datasets

    with db.transaction(editor) as session:
        dataset = session.get(Dataset, dataset_id)
        data = service.DatasetInput(
            title="Demo: Spielplätze",
            description="synthetisch",
            license_id="dl-zero-de/2.0",
            keywords=["Kinder"],
            themes=["SOCI", "EDUC"],
            classification="internal",
        )
        service.update_dataset(session, dataset, data)
    assert _rows(db, dataset_id) == {
        ("organization", city, "internal"),
        ("license_id", "dl-zero-de/2.0", "internal"),
        ("groups", "soci", "internal"),
        ("groups", "educ", "internal"),
        ("tags", "Kinder", "internal"),
        ("res_format", "JSON", "internal"),
    }
    assert not _search(db, editor, q="bäume").datasets and _search(db, editor, q="spielpl").count == 1
    tid = world.tenants["stadt-gelsenkirchen"]
    assert _counts(db)[(tid, "internal", "groups", "educ")] == 1

    with db.transaction(editor) as session:
        dist = session.get(Dataset, dataset_id).distributions[0]
        service.delete_distribution(session, dist)
    assert ("res_format", "JSON", "internal") not in _rows(db, dataset_id)

    with db.transaction(editor) as session:
        service.delete_dataset(session, session.get(Dataset, dataset_id))
    assert _rows(db, dataset_id) == set()
    assert _search(db, editor, q="spielpl").count == 0
    assert _counts(db) == {}


@pytest.mark.usefixtures("backend")
@pytest.mark.parametrize("id_list_max", [service.FACET_ID_LIST_MAX, 0])  # ids as a list, or a subquery
def test_internal_dataset_never_in_results_counts_or_facets_of_others(db, world, monkeypatch, id_list_max):
    monkeypatch.setattr(service, "FACET_ID_LIST_MAX", id_list_max)
    editor = _editor(world)
    _create(db, editor, "Demo: Radwege offen", keywords=["Radverkehr"], themes=["TRAN"], fmt="CSV")
    _create(
        db,
        editor,
        "Demo: Radwege intern",
        keywords=["Radverkehr", "Geheimplan"],
        themes=["GOVE"],
        fmt="XLSX",
        classification="internal",
    )
    other = Principal(
        kind="user", name="net.admin", tenant_id=world.tenants["gelsen-net"], role=Role.TENANT_ADMIN
    )
    for principal in (ANONYMOUS, other):
        for kwargs in ({}, {"q": "radwege"}, {"filters": {"tags": ["Radverkehr"]}}, {"public_only": True}):
            result = _search(db, principal, **kwargs)
            assert result.count == 1 and result.datasets == ["demo-radwege-offen"], kwargs
            facets = {f: dict(items) for f, items in result.facets.items()}
            assert "Geheimplan" not in facets["tags"] and facets["tags"]["Radverkehr"] == 1, kwargs
            assert "gove" not in facets["groups"] and "XLSX" not in facets["res_format"], kwargs
            assert facets["organization"] == {"stadt-gelsenkirchen": 1}, kwargs
        assert _search(db, principal, q="geheimplan").count == 0
        assert _search(db, principal, filters={"res_format": ["XLSX"]}).count == 0
    # the owner's staff see both; asking for public ones only hides the internal one again
    assert _counts(db)[(world.tenants["stadt-gelsenkirchen"], "internal", "tags", "Geheimplan")] == 1
    staff = _search(db, editor, q="radwege")
    assert staff.count == 2 and dict(staff.facets["tags"]) == {"Radverkehr": 2, "Geheimplan": 1}
    assert _search(db, editor, q="radwege", public_only=True).count == 1


@pytest.mark.usefixtures("backend")
def test_rebuild_gives_what_the_flush_hook_wrote(db, world):
    editor = _editor(world)
    ids = [
        _create(db, editor, "Demo: Lärm an Straßen", keywords=["Lärm", "Verkehr"], themes=["ENVI", "TRAN"]),
        _create(db, editor, "Demo: Wahlen", keywords=["Wahlen"], themes=["GOVE"], classification="internal"),
    ]
    with db.transaction(SYSTEM) as session:
        texts = dict(session.execute(select(Dataset.id, Dataset.search_text)).all())
    before = {i: _rows(db, i) for i in ids}
    with db.engine.begin() as conn:
        assert search_index.rebuild(conn) == 2
    assert {i: _rows(db, i) for i in ids} == before
    with db.transaction(SYSTEM) as session:
        assert dict(session.execute(select(Dataset.id, Dataset.search_text)).all()) == texts
    assert "lärm an straßen" in texts[ids[0]] and "verkehr" in texts[ids[0]]
    assert _search(db, SYSTEM, q="lärm").count == 1  # the word index (FTS5 on SQLite) agrees


@pytest.mark.usefixtures("backend")
def test_migration_backfills_datasets_that_existed_before(db, world, registry):
    from gelsencloud.core import migrate

    editor = _editor(world)
    dataset_id = _create(db, editor, "Demo: Ladesäulen", keywords=["Elektromobilität"], themes=["TRAN"])
    expected = _rows(db, dataset_id)
    migrate.downgrade(db, registry, "od0003_snapshot_columns")  # as before this revision
    migrate.upgrade(db, registry)
    assert _rows(db, dataset_id) == expected
    assert _search(db, ANONYMOUS, q="ladesäule").datasets == ["demo-ladesaeulen"]
    assert _search(db, ANONYMOUS, q="mobilit").count == 1  # keyword only, through the word index
    assert dict(_search(db, ANONYMOUS).facets["groups"]) == {"tran": 1}  # the unfiltered counts
