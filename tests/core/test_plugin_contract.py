"""The plugin contract, exercised through the example application and hand-made plugins."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from gelsencloud.apps.example import plugin as example_plugin
from gelsencloud.apps.example.models import Notice
from gelsencloud.core.jobs import is_due, last_run, run_job
from gelsencloud.core.plugins import (
    DemoContext,
    Job,
    JobContext,
    NavEntry,
    Plugin,
    PluginError,
    PluginRegistry,
    discover,
)
from gelsencloud.core.principal import SYSTEM
from gelsencloud.core.settings import Settings
from helpers import auth, require_mqtt


def test_discovery_loads_core_first_and_honours_allow_and_deny_lists(settings):
    names = discover(settings).names()
    assert names[0] == "core" and "example" in names
    denied = settings.model_copy(update={"disabled_plugins": "example"})
    assert "example" not in discover(denied).names()
    allowed = settings.model_copy(update={"plugins": "nothing-else"})
    assert discover(allowed).names() == ["core"]


def test_registry_refuses_malformed_and_clashing_plugins():
    registry = PluginRegistry([example_plugin])
    with pytest.raises(PluginError, match="registered twice"):
        registry.add(example_plugin)
    with pytest.raises(PluginError, match="identifier"):
        registry.add(Plugin(name="bad-name", title_de="x", title_en="x"))
    with pytest.raises(PluginError, match="clashes"):
        registry.add(
            Plugin(
                name="other",
                title_de="x",
                title_en="x",
                jobs=(Job("example.expire", lambda c: None, timedelta(1)),),
            )
        )
    with pytest.raises(PluginError, match="migrations folder"):
        registry.add(Plugin(name="nomig", title_de="x", title_en="x", migrations=Path("/nonexistent")))
    with pytest.raises(PluginError, match="not a gelsencloud Plugin"):
        registry.add(object())  # type: ignore[arg-type]


def ingestor(registry):
    return next(i for i in registry.ingestors() if i.name == "example.mqtt")


def test_contributions_are_merged(registry):
    assert any(e.path == "/hinweise" for e in registry.nav())
    assert "example.expire" in [j.name for j in registry.jobs()]
    assert ("example-public-notices",) in [k.kpi_ids for k in registry.kpi_providers()]
    assert ingestor(registry).mqtt_topics == ("gelsencloud/example/notices/+",)
    assert registry.translations_en()["Hinweise"] == "Notices"
    assert "example" in [name for name, _ in registry.demo_generators()]
    assert example_plugin.migrations in registry.migration_folders()


def test_routes_pages_and_navigation_are_served(client, world):
    created = client.post(
        "/api/v1/example/notices",
        json={"title": "Sperrung Kurt-Schumacher-Straße"},
        headers=auth(world.keys["net.operator"]),
    )
    assert created.status_code == 201
    page = client.get("/hinweise")
    assert page.status_code == 200 and "Sperrung Kurt-Schumacher-Straße" in page.text
    assert 'href="/hinweise"' in client.get("/").text  # navigation entry of the plugin
    english = client.get("/hinweise?lang=en")
    assert "<h1>Notices</h1>" in english.text and 'lang="en"' in english.text
    listed = client.get("/api/v1/plugins").json()
    assert {"core", "example"} <= {p["name"] for p in listed}
    assert "/api/v1/example/notices" in client.get("/api/openapi.json").json()["paths"]


def test_nested_routers_are_refused(settings, db):
    from fastapi import APIRouter

    from gelsencloud.core.app import create_app

    def nested():
        outer, inner = APIRouter(), APIRouter()
        inner.get("/hidden")(lambda: {})
        outer.include_router(inner)
        return outer

    registry = PluginRegistry([Plugin(name="sneaky", title_de="x", title_en="x", api_router=nested)])
    with pytest.raises(PluginError, match="flat APIRouter"):
        create_app(settings, db, registry, run_jobs=False)


def test_scheduled_job_runs_and_records_its_outcome(db, settings, world, registry):
    with db.transaction(SYSTEM) as session:
        session.add(
            Notice(
                tenant_id=world.tenants["gelsen-net"],
                title="alt",
                valid_until=datetime.now(UTC) - timedelta(days=1),
            )
        )
        session.add(
            Notice(
                tenant_id=world.tenants["gelsen-net"],
                title="neu",
                valid_until=datetime.now(UTC) + timedelta(days=1),
            )
        )
    job = next(j for j in registry.jobs() if j.name == "example.expire")
    ctx = JobContext(db=db, settings=settings)
    assert is_due(db, job)
    run = run_job(ctx, job)
    assert run.status == "ok" and run.message == "1 notice(s) expired"
    assert not is_due(db, job)
    with db.transaction(SYSTEM) as session:
        assert {n.title: n.archived for n in session.scalars(select(Notice))} == {"alt": True, "neu": False}

    def broken(_ctx):
        raise RuntimeError("source system down")

    failing = Job("test.broken", broken, timedelta(minutes=5))
    assert run_job(ctx, failing).status == "failed"
    assert "source system down" in last_run(db, "test.broken").message


def test_kpi_provider_computes_from_known_data(db, world, registry):
    with db.transaction(SYSTEM) as session:
        for i in range(3):
            session.add(Notice(tenant_id=world.tenants["gelsen-net"], title=f"p{i}", classification="public"))
        session.add(Notice(tenant_id=world.tenants["gelsen-net"], title="i", classification="internal"))
        session.add(
            Notice(tenant_id=world.tenants["gelsen-net"], title="a", classification="public", archived=True)
        )
    provider = example_plugin.kpi_providers[0]
    with db.transaction(SYSTEM) as session:
        (value,) = provider.compute(
            session, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC)
        )
    assert (
        value.kpi_id == "example-public-notices" and value.value == 3.0 and value.source == "example_notices"
    )


def test_demo_generator_creates_labelled_synthetic_data(db, settings, world, registry):
    generate = dict(registry.demo_generators())["example"]
    generate(DemoContext(db=db, settings=settings, days=1, seed=1, progress=lambda *a: None))
    with db.transaction() as session:  # anonymous sees only the public demo notice
        titles = [n.title for n in session.scalars(select(Notice))]
    assert titles and all(t.startswith("Demo:") for t in titles) and len(titles) == 1


def test_plugin_cli_command_is_registered(db, world, settings, monkeypatch):
    monkeypatch.setenv("GELSENCLOUD_DATABASE_URL", settings.database_url)
    from gelsencloud.cli import context

    for cached in (context.settings, context.database, context.registry):
        cached.cache_clear()
    from gelsencloud.core.settings import get_settings

    get_settings.cache_clear()
    with db.transaction(SYSTEM) as session:
        session.add(
            Notice(tenant_id=world.tenants["gelsen-net"], title="Öffentlich", classification="public")
        )
        session.add(Notice(tenant_id=world.tenants["gelsen-net"], title="Intern", classification="internal"))
    from gelsencloud.cli.main import app

    result = CliRunner().invoke(app, ["example", "list"])
    assert result.exit_code == 0, result.output
    assert "Öffentlich" in result.output and "Intern" not in result.output
    for cached in (context.settings, context.database, context.registry, get_settings):
        cached.cache_clear()


@pytest.mark.mqtt
def test_mqtt_ingestor_receives_through_a_real_broker(db, world, registry):
    url = require_mqtt()
    from gelsencloud.core.mqtt import MqttBus

    ingestor = next(i for i in registry.ingestors() if i.name == "example.mqtt")
    bus = MqttBus(url, client_id=f"gc-test-ingest-{uuid.uuid4().hex[:8]}")
    topic = ingestor.mqtt_topics[0].replace("+", "gelsen-net")
    bus.subscribe(ingestor.mqtt_topics[0], lambda t, p: ingestor.handle_mqtt(t, p, db))
    bus.connect()
    try:
        publisher = MqttBus(url, client_id=f"gc-test-pub-{uuid.uuid4().hex[:8]}")
        publisher.connect()
        publisher.publish(topic, json.dumps({"title": "Über MQTT"}))
        publisher.publish(topic, b"not json")  # ignored, must not break the loop
        publisher.publish(topic, json.dumps({"title": "Zweite Meldung"}))
        publisher.close()
        deadline = time.monotonic() + 10
        titles: list[str] = []
        while time.monotonic() < deadline and len(titles) < 2:
            with db.transaction(SYSTEM) as session:
                titles = sorted(n.title for n in session.scalars(select(Notice)))
            time.sleep(0.1)
    finally:
        bus.close()
    assert titles == ["Zweite Meldung", "Über MQTT"]
    with db.transaction(SYSTEM) as session:
        assert {n.tenant_id for n in session.scalars(select(Notice))} == {world.tenants["gelsen-net"]}


def test_a_new_plugin_is_one_object(settings, db):
    """A minimal plugin with only a nav entry and a page plugs in without touching the core."""
    from fastapi import APIRouter
    from fastapi.testclient import TestClient

    from gelsencloud.core.app import create_app

    def pages():
        router = APIRouter()
        router.get("/ping-page")(lambda: {"pong": True})
        return router

    tiny = Plugin(
        name="tiny",
        title_de="Klein",
        title_en="Tiny",
        page_router=pages,
        nav=(NavEntry("/ping-page", "Klein", "Tiny"),),
    )
    registry = discover(settings)
    registry.add(tiny)
    with TestClient(create_app(settings, db, registry, run_jobs=False)) as client:
        assert client.get("/ping-page").json() == {"pong": True}
        assert 'href="/ping-page"' in client.get("/").text


def test_settings_object_is_typed():
    assert Settings.model_fields["database_url"].default.startswith("sqlite:///")


def test_home_panels_render_on_the_start_page(settings, db, tmp_path):
    from fastapi.testclient import TestClient

    from gelsencloud.core.app import create_app
    from gelsencloud.core.plugins import HomePanel

    (tmp_path / "panel.html").write_text("<section><h2>Luft heute</h2><p>{{ panel.value }}</p></section>")
    panel = HomePanel("panel.html", context=lambda session: {"value": "gut (EAQI 1)"}, order=5)
    registry = discover(settings)
    registry.add(
        Plugin(name="air", title_de="Luft", title_en="Air", templates=tmp_path, home_panels=(panel,))
    )
    with TestClient(create_app(settings, db, registry, run_jobs=False)) as client:
        page = client.get("/").text
    assert "<h2>Luft heute</h2>" in page and "gut (EAQI 1)" in page


def test_plugin_exception_handlers_shape_their_errors(settings, db):
    from fastapi import APIRouter
    from fastapi.responses import PlainTextResponse
    from fastapi.testclient import TestClient

    from gelsencloud.core.app import create_app

    class StandardError(Exception):
        pass

    def routes():
        router = APIRouter()

        @router.get("/std/fail")
        def fail():
            raise StandardError("bad filter")

        return router

    def handler(request, exc):
        return PlainTextResponse(f"<error>{exc}</error>", status_code=400)

    std = Plugin(
        name="std", title_de="S", title_en="S", api_router=routes, exception_handlers={StandardError: handler}
    )
    registry = discover(settings)
    registry.add(std)
    with TestClient(create_app(settings, db, registry, run_jobs=False)) as client:
        response = client.get("/std/fail")
    assert response.status_code == 400 and response.text == "<error>bad filter</error>"


@pytest.mark.mqtt
def test_server_subscribes_plugin_ingestors_on_start(settings, db, world, registry):
    url = require_mqtt()
    from fastapi.testclient import TestClient

    from gelsencloud.core.app import create_app
    from gelsencloud.core.mqtt import MqttBus

    app = create_app(settings.model_copy(update={"mqtt_url": url}), db, registry, run_jobs=False)
    with TestClient(app):
        assert app.state.mqtt.wait_connected(10)
        publisher = MqttBus(url, client_id=f"gc-test-pub-{uuid.uuid4().hex[:8]}")
        publisher.connect()
        publisher.publish(
            "gelsencloud/example/notices/gelsen-net", json.dumps({"title": "Vom Server empfangen"})
        )
        publisher.close()
        deadline = time.monotonic() + 10
        found = False
        while time.monotonic() < deadline and not found:
            with db.transaction(SYSTEM) as session:
                found = (
                    session.scalar(select(Notice).where(Notice.title == "Vom Server empfangen")) is not None
                )
            time.sleep(0.1)
    assert found
