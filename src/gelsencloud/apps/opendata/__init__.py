"""Open data portal: DCAT-AP.de catalogue, CKAN API, data API, OGC API Features, charts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from gelsencloud.core.plugins import HomePanel, Job, NavEntry, Plugin

HERE = Path(__file__).resolve().parent


def _api_router():
    from gelsencloud.apps.opendata.routes import build_router

    return build_router()


def _page_router():
    from gelsencloud.apps.opendata.pages import build_router

    return build_router()


def _live_job(ctx) -> str:
    from gelsencloud.apps.opendata.live import run_due

    return run_due(ctx.db, ctx.settings)


def _exports_job(ctx) -> str:
    from gelsencloud.apps.opendata.csv_export import render_missing

    return render_missing(ctx.db, ctx.settings)


def _demo(ctx) -> None:
    from gelsencloud.apps.opendata.demo import generate

    generate(ctx)


def _ckan_error(request, exc):
    from gelsencloud.apis.ckan.errors import handler

    return handler(request, exc)


def _ogc_error(request, exc):
    from gelsencloud.apis.ogcapi.errors import handler

    return handler(request, exc)


def _handlers():
    from gelsencloud.apis.ckan.errors import CkanError
    from gelsencloud.apis.ogcapi.errors import OgcError

    return {CkanError: _ckan_error, OgcError: _ogc_error}


def _panel(session) -> dict:
    from gelsencloud.apps.opendata.panel import home_context

    return home_context(session)


plugin = Plugin(
    name="opendata",
    title_de="Offene Daten",
    title_en="Open data",
    description="Offene Daten der Stadt Gelsenkirchen und ihrer Gesellschaften.",
    models_module="gelsencloud.apps.opendata.models",
    migrations=HERE / "migrations",
    api_router=_api_router,
    exception_handlers=_handlers(),
    page_router=_page_router,
    templates=HERE / "templates",
    static=HERE / "static",
    nav=(NavEntry("/daten", "Offene Daten", "Open data", order=30),),
    jobs=(
        Job(
            "opendata.live",
            _live_job,
            timedelta(hours=1),
            "Regenerate live open datasets (versioned snapshots).",
        ),
        Job(
            "opendata.exports",
            _exports_job,
            timedelta(minutes=5),
            "Render the whole-table CSV download of new table versions ahead of the first request.",
        ),
    ),
    demo=_demo,
    demo_order=800,
    home_panels=(HomePanel("opendata/panel.html", _panel, order=20),),
    translations_en={
        "{count} Datensätze unter offener Lizenz, mit Diagrammen, Karten und Schnittstellen.": (
            "{count} datasets under an open licence, with charts, maps and APIs."
        ),
        "Zuletzt aktualisiert": "Recently updated",
        "Zum Datenportal": "Open the data portal",
        "Offene Daten": "Open data",
        "Datensätze": "Datasets",
        "Suche": "Search",
        "Suchen": "Search",
        "Organisation": "Organisation",
        "Kategorie": "Category",
        "Schlagwort": "Keyword",
        "Format": "Format",
        "Lizenz": "Licence",
        "Verteilungen": "Distributions",
        "Vorschau": "Preview",
        "Diagramm": "Chart",
        "Diagramme": "Charts",
        "Schnittstellen": "APIs",
        "Herausgeber": "Publisher",
        "Zeitraum": "Time period",
        "Aktualisiert": "Updated",
        "Kontakt": "Contact",
        "Herunterladen": "Download",
        "Zeilen": "Rows",
        "Keine Datensätze gefunden.": "No datasets found.",
        "Neuer Datensatz": "New dataset",
        "Datensatz bearbeiten": "Edit dataset",
        "Speichern": "Save",
        "Datei hochladen": "Upload file",
        "Hochladen": "Upload",
        "Titel": "Title",
        "Beschreibung": "Description",
        "Titel (englisch)": "Title (English)",
        "Beschreibung (englisch)": "Description (English)",
        "Schlagwörter (durch Komma getrennt)": "Keywords (comma-separated)",
        "Namensnennung": "Attribution",
        "Sichtbarkeit": "Visibility",
        "öffentlich": "public",
        "intern": "internal",
        "Kategorien": "Categories",
        "Filter": "Filters",
        "Treffer": "results",
        "Synthetische Demodaten": "Synthetic demo data",
        "Tabellenvorschau": "Table preview",
        "Datei": "File",
        "Zählt Personen": "Counts people",
        "Daten-API": "Data API",
        "Geodaten (OGC API Features)": "Geodata (OGC API Features)",
        "Versionen": "Versions",
        "Keine passende Darstellung gefunden.": "No suitable chart found.",
        "Datenkatalog verwalten": "Manage the data catalogue",
        "Metadaten": "Metadata",
        "Karte": "Map",
        "Kartenebenen": "Map layers",
        "Kartenebenen werden geladen …": "Loading map layers …",
        "Einbetten": "Embed",
        "Als iframe": "As an iframe",
        "Als Skript (passt die Höhe an)": "As a script (adjusts the height)",
        "Nutzung": "Usage",
        "Zugriffe auf diesen Datensatz (ohne Suchmaschinen-Robots)": "Accesses to this dataset (search engine robots excluded)",
        "Art": "Kind",
        "Gesamt": "Total",
        "Letzte 14 Tage": "Last 14 days",
        "Seitenaufrufe": "Page views",
        "Downloads": "Downloads",
        "API-Abrufe": "API calls",
        "Nutzungsstatistik als JSON": "Usage statistics as JSON",
    },
)
