"""Example application "Hinweise" (public notices): the smallest complete plugin.

It exists to show, and to test, every part of the plugin contract: a model with its own
migration branch, a service, API routes, a page with a navigation entry, a CLI command, a
scheduled job, a KPI provider, an MQTT ingestor and a demo-data generator. Copy this folder
to start a new city application.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from gelsencloud.apps.example.kpi import NoticeKpis
from gelsencloud.core.plugins import Ingestor, Job, NavEntry, Plugin

HERE = Path(__file__).resolve().parent


def _api_router():
    from gelsencloud.apps.example.routes import build_router

    return build_router()


def _page_router():
    from gelsencloud.apps.example.pages import build_router

    return build_router()


def _cli():
    from gelsencloud.apps.example.cli import app

    return app


def _expire_job(ctx) -> str:
    from gelsencloud.apps.example.service import expire_notices

    with ctx.transaction() as session:
        return f"{expire_notices(session)} notice(s) expired"


def _demo(ctx) -> None:
    from gelsencloud.apps.example.demo import generate

    generate(ctx)


def _mqtt(topic: str, payload: bytes, db) -> None:
    from gelsencloud.apps.example.ingest import handle_message

    handle_message(topic, payload, db)


plugin = Plugin(
    name="example",
    title_de="Hinweise",
    title_en="Notices",
    description="Öffentliche Hinweise der Stadt (Beispielanwendung).",
    models_module="gelsencloud.apps.example.models",
    migrations=HERE / "migrations",
    api_router=_api_router,
    page_router=_page_router,
    templates=HERE / "templates",
    nav=(NavEntry("/hinweise", "Hinweise", "Notices", order=80),),
    cli=_cli,
    jobs=(Job("example.expire", _expire_job, timedelta(hours=1), "Archive notices past their end date."),),
    kpi_providers=(NoticeKpis(),),
    ingestors=(
        Ingestor(
            "example.mqtt",
            "Create notices from JSON messages on an MQTT topic.",
            mqtt_topics=("gelsencloud/example/notices/+",),
            handle_mqtt=_mqtt,
        ),
    ),
    demo=_demo,
    demo_order=900,
    translations_en={"Hinweise": "Notices", "Gültig bis": "Valid until", "Keine Hinweise.": "No notices."},
)
