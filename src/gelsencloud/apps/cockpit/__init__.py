"""Strategy cockpit: the 107 measures, the KPI catalogue, targets, live KPIs and evaluation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from gelsencloud.apps.cockpit.live import OpenDataKpis
from gelsencloud.apps.cockpit.translations import TRANSLATIONS_EN
from gelsencloud.core.plugins import HomePanel, Job, NavEntry, Plugin

HERE = Path(__file__).resolve().parent


def _api_router():
    from fastapi import APIRouter

    from gelsencloud.apps.cockpit import routes, strategy_api

    # One flat router (the contract allows one per plugin): the routes of both prefixes side by side.
    router = APIRouter()
    router.routes.extend([*routes.build_router().routes, *strategy_api.build_router().routes])
    return router


def _page_router():
    from gelsencloud.apps.cockpit.pages import build_router

    return build_router()


def _cli():
    from gelsencloud.apps.cockpit.cli import app

    return app


def _live_job(ctx) -> str:
    from gelsencloud.apps.cockpit.live import live_job

    return live_job(ctx)


def _demo(ctx) -> None:
    from gelsencloud.apps.cockpit.demo import generate

    generate(ctx)


def _panel(session) -> dict:
    from gelsencloud.apps.cockpit.pages import overview_context

    return overview_context(session)


plugin = Plugin(
    name="cockpit",
    title_de="Strategie-Cockpit",
    title_en="Strategy cockpit",
    description="Maßnahmen und Kennzahlen der Strategie Vernetzte Stadt.",
    models_module="gelsencloud.apps.cockpit.models",
    migrations=HERE / "migrations",
    api_router=_api_router,
    page_router=_page_router,
    templates=HERE / "templates",
    static=HERE / "static",
    nav=(NavEntry("/cockpit", "Strategie-Cockpit", "Strategy cockpit", order=60),),
    home_panels=(HomePanel("cockpit/panel.html", _panel, order=40),),
    cli=_cli,
    jobs=(
        Job(
            "cockpit.live_kpis",
            _live_job,
            timedelta(hours=6),
            "Compute the KPIs of all plugins' KPI providers and store them as live IST values.",
        ),
    ),
    # Air-quality KPIs come from the sensor hub, which owns the stations (AirQualityKpis + its loader).
    kpi_providers=(OpenDataKpis(),),
    demo=_demo,
    demo_order=950,  # after the applications whose data the live KPIs count
    translations_en=TRANSLATIONS_EN,
)
