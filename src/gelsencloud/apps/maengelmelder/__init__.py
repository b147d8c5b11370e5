"""GE-meldet: the defect reporter as a multi-service platform, with Open311 GeoReport v2.

Data model and classification: a report is ``public`` once it passed moderation and ``internal``
while it waits (texts with e-mail addresses, phone numbers, links or insults, or every report when
the jurisdiction pre-moderates); photos are ``internal`` until approved; the reporter's contact
data and e-mail subscriptions are ``personal`` records of the city tenant. Anonymous citizens
write only through :mod:`.citizen_gateway`.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from gelsencloud.apps.maengelmelder.kpi import ReportKpis
from gelsencloud.apps.maengelmelder.translations import TRANSLATIONS_EN
from gelsencloud.core.plugins import HomePanel, Job, NavEntry, Plugin
from gelsencloud.core.principal import WRITER_ROLES

HERE = Path(__file__).resolve().parent


def _api_router():
    from gelsencloud.apps.maengelmelder.routes import build_router

    return build_router()


def _page_router():
    from gelsencloud.apps.maengelmelder.pages import build_router

    return build_router()


def _open311_error(request, exc):
    from gelsencloud.apis.open311 import open311_error_handler

    return open311_error_handler(request, exc)


def _retention_job(ctx) -> str:
    from gelsencloud.apps.maengelmelder.config import plugin_settings
    from gelsencloud.apps.maengelmelder.service import apply_retention

    s = plugin_settings()
    with ctx.transaction() as session:
        done = apply_retention(
            session,
            days_after_close=s.retention_days_after_close,
            days_max=s.retention_days_max,
            ip_hash_hours=s.ip_hash_hours,
        )
    return ", ".join(f"{k}={v}" for k, v in done.items())


def _panel(session) -> dict:
    from gelsencloud.apps.maengelmelder.panel import home_context

    return home_context(session)


def _cli():
    from gelsencloud.apps.maengelmelder.cli import app

    return app


def _demo(ctx) -> None:
    from gelsencloud.apps.maengelmelder.demo import generate

    generate(ctx)


def _open311_error_class():
    from gelsencloud.apis.open311.errors import Open311Error

    return Open311Error


plugin = Plugin(
    name="maengelmelder",
    title_de="GE-meldet",
    title_en="GE-meldet (report a problem)",
    description="Mängel melden und städtische Dienste anfragen.",
    models_module="gelsencloud.apps.maengelmelder.models",
    migrations=HERE / "migrations",
    api_router=_api_router,
    exception_handlers={_open311_error_class(): _open311_error},
    page_router=_page_router,
    templates=HERE / "templates",
    static=HERE / "static",
    nav=(
        NavEntry("/melden", "Melden", "Report", order=30),
        NavEntry("/meldungen", "Meldungen", "Reports", order=31),
        NavEntry(
            "/maengelmelder/buero",
            "GE-meldet Büro",
            "GE-meldet office",
            order=60,
            staff_only=True,
            roles=tuple(WRITER_ROLES),
            description_de="Meldungen bearbeiten, beantworten und moderieren.",
            description_en="Handle, answer and moderate reports.",
        ),
    ),
    cli=_cli,
    jobs=(
        Job(
            "maengelmelder.retention",
            _retention_job,
            timedelta(hours=6),
            "Delete reporter contact data and subscriptions after the retention period; wipe IP hashes.",
        ),
    ),
    kpi_providers=(ReportKpis(),),
    demo=_demo,
    demo_order=500,
    translations_en=TRANSLATIONS_EN,
    home_panels=(HomePanel("maengelmelder/panel.html", _panel, order=30),),
)
