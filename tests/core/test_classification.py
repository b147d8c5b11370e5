"""Data classification and tenant isolation: enforced once, for every model and every endpoint."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gelsencloud.core.classification import PermissionDenied, classified_models
from gelsencloud.core.db import Base
from gelsencloud.core.principal import SYSTEM, Principal, Role
from helpers import auth

MARKERS = {
    "public": "MARK-PUBLIC-7f3a",
    "internal": "MARK-INTERNAL-91c2",
    "personal": "MARK-PERSONAL-5d0e",
}


def seed_samples(db, tenant_id: int) -> dict[str, dict[str, int]]:
    """Create one record per classification for every classified model; return their ids."""
    ids: dict[str, dict[str, int]] = {}
    with db.transaction(SYSTEM) as session:
        for model in classified_models():
            ids[model.__tablename__] = {}
            for level, marker in MARKERS.items():
                record = model.sample(tenant_id=tenant_id, classification=level, marker=marker)
                session.add(record)
                session.flush()
                ids[model.__tablename__][level] = record.id
    return ids


def test_every_mapped_class_is_classified_or_says_why(registry):
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        reason = getattr(cls, "__unclassified__", None)
        is_classified = "classification" in mapper.columns and "tenant_id" in mapper.columns
        assert is_classified or (reason and len(reason) > 20), (
            f"{cls.__name__} is neither classified nor explained"
        )


def test_every_classified_model_can_build_a_sample(registry):
    assert classified_models(), "the example plugin provides at least one classified model"
    for model in classified_models():
        record = model.sample(tenant_id=1, classification="internal", marker="x")
        assert isinstance(record, model)


@pytest.mark.usefixtures("backend")
def test_orm_reads_are_filtered_for_every_principal(db, world):
    city, net = world.tenants["stadt-gelsenkirchen"], world.tenants["gelsen-net"]
    seed_samples(db, city)
    cases = [
        (Principal(kind="anonymous"), {"public"}),
        (Principal(kind="user", tenant_id=net, role=Role.TENANT_ADMIN, name="net"), {"public"}),
        (Principal(kind="user", tenant_id=city, role=Role.VIEWER, name="v"), {"public", "internal"}),
        (
            Principal(kind="user", tenant_id=city, role=Role.TENANT_ADMIN, name="a"),
            {"public", "internal", "personal"},
        ),
        (SYSTEM, {"public", "internal", "personal"}),
    ]
    for principal, expected in cases:
        with db.transaction(principal) as session:
            for model in classified_models():
                seen = set(session.scalars(select(model.classification)).all())
                assert seen == expected, (principal.name, model.__name__, seen)
                # by primary key too: session.get must not bypass the rule
                hidden = session.scalars(select(model.id)).all()
                assert len(hidden) == len(expected)


@pytest.mark.usefixtures("backend")
def test_tables_reached_only_through_subqueries_and_joins_are_filtered_too(db, world):
    """The criteria follow every table a statement names, not just the selected entity."""
    city = world.tenants["stadt-gelsenkirchen"]
    seed_samples(db, city)
    models = classified_models()
    outer, inner = models[0], models[-1]
    anonymous = Principal(kind="anonymous")
    with db.transaction(anonymous) as session:
        probe = select(inner.id).where(inner.classification != "public").scalar_subquery()
        # Existence probes through a subquery see nothing that is not public ...
        assert session.scalar(select(func.count()).select_from(inner).where(inner.id == probe)) == 0
        assert session.scalars(select(outer.id).where(outer.id.in_(select(inner.id)))).all() is not None
        for a, b in ((outer, inner), (inner, outer)):
            secret = select(b.id).where(b.classification == "internal").exists()
            assert session.scalar(select(func.count()).select_from(a).where(secret)) == 0, (a, b)
        hidden = select(inner.id).where(inner.classification == "internal")
        assert session.scalars(select(outer.classification).where(outer.id.in_(hidden))).all() == []
        # ... and so do explicit joins and aliases.
        joined = select(outer.classification).join(inner, inner.id == outer.id)
        assert set(session.scalars(joined)) <= {"public"}
        from sqlalchemy.orm import aliased

        alias = aliased(inner)
        assert session.scalars(select(alias.classification).where(alias.classification != "public")).all() == []


@pytest.mark.usefixtures("backend")
def test_session_get_cannot_bypass_the_rule(db, world):
    ids = seed_samples(db, world.tenants["stadt-gelsenkirchen"])
    with db.transaction() as session:  # anonymous
        for model in classified_models():
            assert session.get(model, ids[model.__tablename__]["internal"]) is None
            assert session.get(model, ids[model.__tablename__]["public"]) is not None


@pytest.mark.usefixtures("backend")
def test_cross_tenant_writes_are_refused_and_leave_nothing(db, world):
    city, net = world.tenants["stadt-gelsenkirchen"], world.tenants["gelsen-net"]
    outsider = Principal(kind="user", tenant_id=net, role=Role.TENANT_ADMIN, name="net.admin")
    for model in classified_models():
        with pytest.raises(PermissionDenied):
            with db.transaction(outsider) as session:
                session.add(model.sample(tenant_id=city, classification="public", marker="intruder"))
        with db.transaction(SYSTEM) as session:
            assert session.scalar(select(func.count()).select_from(model)) == 0
    ids = seed_samples(db, city)
    viewer = Principal(kind="user", tenant_id=city, role=Role.VIEWER, name="viewer")
    for model in classified_models():
        public_id = ids[model.__tablename__]["public"]
        for principal in (outsider, viewer):
            with pytest.raises(PermissionDenied):
                with db.transaction(principal) as session:
                    record = session.get(model, public_id)
                    record.classification = "internal"
        # bulk statements get the criterion too: nothing outside the caller's view changes
        with db.transaction(outsider) as session:
            result = session.execute(update(model).values(classification="public"))
            assert result.rowcount == 0
        with db.transaction(SYSTEM) as session:
            assert session.get(model, public_id).classification == "public"


def test_skip_classification_is_reserved_for_the_system(db, world):
    with pytest.raises(PermissionDenied):
        with db.transaction() as session:
            for model in classified_models():
                session.execute(select(model).execution_options(skip_classification=True))


# --- every endpoint ------------------------------------------------------------------------

SKIP_PATHS = {"/api/docs", "/api/docs/oauth2-redirect", "/api/openapi.json"}


def _routes(app) -> list[APIRoute]:
    return [r for r in app.state.endpoints if r.path not in SKIP_PATHS]


def _urls(route: APIRoute, ids: dict[str, dict[str, int]]) -> list[str]:
    """Fill path parameters with ids of internal and personal sample records (and of public ones)."""
    params = re.findall(r"{(\w+)(?::\w+)?}", route.path)
    if not params:
        return [route.path]
    values = sorted({i for per_model in ids.values() for i in per_model.values()} | {1, 2, 3})
    urls = []
    for value in values:
        url = route.path
        for name in params:
            url = re.sub(r"{" + name + r"(?::\w+)?}", str(value), url)
        urls.append(url)
    return urls


def _leaks(body: str) -> list[str]:
    return [level for level in ("internal", "personal") if MARKERS[level] in body]


@pytest.mark.usefixtures("backend")
def test_no_endpoint_leaks_internal_or_personal_data(app, client, db, world):
    """Anonymous and cross-tenant callers never see internal/personal records, on any endpoint."""
    ids = seed_samples(db, world.tenants["stadt-gelsenkirchen"])
    callers = {"anonymous": {}, "other tenant admin": auth(world.keys["net.admin"])}
    routes = _routes(app)
    assert len(routes) >= 15, "the enumeration must see the registered endpoints"
    checked = set()
    for route in routes:
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            for url in _urls(route, ids):
                for caller, headers in callers.items():
                    response = client.request(method, url, headers=headers, json={}, follow_redirects=False)
                    assert response.status_code < 500, (method, url, caller, response.text[:300])
                    leaked = _leaks(response.text)
                    assert not leaked, f"{method} {url} as {caller} leaked {leaked}"
                    if method != "GET" and caller == "anonymous":
                        assert response.status_code in (400, 401, 403, 404, 405, 422), (
                            method,
                            url,
                            response.status_code,
                        )
            checked.add((method, route.path))
    # nothing was changed by all those anonymous and cross-tenant writes
    with db.transaction(SYSTEM) as session:
        for model in classified_models():
            levels = sorted(session.scalars(select(model.classification)))
            assert levels == ["internal", "personal", "public"], model.__name__
    assert len(checked) == sum(len(r.methods - {"HEAD", "OPTIONS"}) for r in routes)


@pytest.mark.usefixtures("backend")
def test_the_own_tenant_sees_its_internal_data_through_the_api(client, db, world):
    ids = seed_samples(db, world.tenants["stadt-gelsenkirchen"])
    internal_id = ids["example_notices"]["internal"]
    assert client.get(f"/api/v1/example/notices/{internal_id}").status_code == 404
    own = client.get(f"/api/v1/example/notices/{internal_id}", headers=auth(world.keys["city.viewer"]))
    assert own.status_code == 200 and own.json()["title"] == MARKERS["internal"]
    personal_id = ids["example_notices"]["personal"]
    assert (
        client.get(
            f"/api/v1/example/notices/{personal_id}", headers=auth(world.keys["city.viewer"])
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/v1/example/notices/{personal_id}", headers=auth(world.keys["city.admin"])
        ).status_code
        == 200
    )


def test_principal_without_session_info_is_anonymous(db, world):
    seed_samples(db, world.tenants["stadt-gelsenkirchen"])
    session = Session(db.engine)  # a bare session, as a careless future module might open
    try:
        for model in classified_models():
            assert set(session.scalars(select(model.classification))) == {"public"}
    finally:
        session.close()
