"""The core's own features, registered through the same plugin contract as every application."""

from __future__ import annotations

from fastapi import APIRouter

from gelsencloud.core.plugins import MapLayer, NavEntry, Plugin
from gelsencloud.core.principal import ADMIN_ROLES


def _api_router() -> APIRouter:
    from gelsencloud.core.api_routes import build_router

    return build_router()


def _page_router() -> APIRouter:
    from gelsencloud.web.pages import build_page_router

    return build_page_router()


def _cli():
    from gelsencloud.cli.city import app

    return app


plugin = Plugin(
    name="core",
    title_de="Plattform",
    title_en="Platform",
    description="Log-in, tenants, users, API keys, audit log, city profile, health checks.",
    api_router=_api_router,
    page_router=_page_router,
    nav=(
        NavEntry("/", "Start", "Home", order=0),
        NavEntry("/stadtteile", "Stadtteile", "Districts", order=10),
        NavEntry("/karte", "Karte", "Map", order=11),
        NavEntry("/arbeitsbereich", "Arbeitsbereich", "Workspace", order=900, staff_only=True),
        NavEntry(
            "/arbeitsbereich/benutzer",
            "Benutzer",
            "Users",
            order=910,
            staff_only=True,
            roles=tuple(ADMIN_ROLES),
            description_de="Konten anlegen und Rollen vergeben.",
            description_en="Create accounts and assign roles.",
        ),
        NavEntry(
            "/arbeitsbereich/schluessel",
            "API-Schlüssel",
            "API keys",
            order=920,
            staff_only=True,
            roles=tuple(ADMIN_ROLES),
            description_de="Schlüssel für Sensoren, Apps und Schnittstellen ausgeben und widerrufen.",
            description_en="Issue and revoke keys for sensors, apps and interfaces.",
        ),
        NavEntry(
            "/arbeitsbereich/protokoll",
            "Protokoll",
            "Audit log",
            order=930,
            staff_only=True,
            roles=tuple(ADMIN_ROLES),
            description_de="Wer hat wann was geändert?",
            description_en="Who changed what, and when?",
        ),
    ),
    map_layers=(
        MapLayer(
            "stadtbezirke",
            "/api/v1/city/areas?level=stadtbezirk",
            "Stadtbezirke",
            "Districts",
            order=10,
            color="#00549f",
            fill_opacity=0.12,
            weight=3.0,
            text_alternative="/stadtteile",
        ),
        MapLayer(
            "stadtteile",
            "/api/v1/city/areas?level=stadtteil",
            "Stadtteile",
            "Quarters",
            order=20,
            color="#6b3fa0",
            fill_opacity=0.0,
            weight=1.0,
            text_alternative="/stadtteile",
        ),
    ),
    cli=_cli,
    translations_en={
        "Start": "Home",
        "Anmelden": "Log in",
        "Abmelden": "Log out",
        "Benutzername": "Username",
        "Passwort": "Password",
        "Zum Inhalt springen": "Skip to content",
        "Sprache": "Language",
        "Hauptnavigation": "Main navigation",
        "Urbane Datenplattform der Vernetzten Stadt Gelsenkirchen": "Urban data platform of the Connected City of Gelsenkirchen",
        "Stadtbezirke und Stadtteile": "Districts and quarters",
        "Stadtbezirk": "District",
        "Stadtteil": "Quarter",
        "Stadtteile": "Quarters",
        "Fläche (km²)": "Area (km²)",
        "Geometrie": "Geometry",
        "ungefähr (Demo)": "approximate (demo)",
        "amtlich": "official",
        "Die Flächen sind eine ungefähre Demo-Geometrie, keine amtlichen Grenzen.": "The areas are approximate demo geometry, not official boundaries.",
        "Arbeitsbereich": "Workspace",
        "Angemeldet als {name}": "Logged in as {name}",
        "Rolle": "Role",
        "Mandant": "Tenant",
        "Mandanten": "Tenants",
        "Benutzer": "Users",
        "API-Schlüssel": "API keys",
        "Protokoll": "Audit log",
        "Zeitpunkt": "Time",
        "Wer": "Who",
        "Aktion": "Action",
        "Objekt": "Record",
        "Änderungen": "Changes",
        "Name": "Name",
        "Anlegen": "Create",
        "Widerrufen": "Revoke",
        "widerrufen": "revoked",
        "aktiv": "active",
        "Status": "Status",
        "Zuletzt benutzt": "Last used",
        "Neuer API-Schlüssel": "New API key",
        "Dieser Schlüssel wird nur jetzt angezeigt. Bewahren Sie ihn sicher auf.": "This key is shown only now. Keep it safe.",
        "Neuer Benutzer": "New user",
        "Anzeigename": "Display name",
        "Gesperrt bis": "Locked until",
        "Letzte Anmeldung": "Last login",
        "Seite nicht gefunden": "Page not found",
        "Keine Berechtigung": "Not allowed",
        "Anmeldung erforderlich": "Log-in required",
        "Daten und Dienste": "Data and services",
        "Schnittstellen": "APIs",
        "Offene Schnittstellen der Plattform": "The platform's open interfaces",
        "Anwendungen": "Applications",
        "Einwohnerinnen und Einwohner": "Inhabitants",
        "Amtlicher Gemeindeschlüssel": "Official municipality key",
        "Fehler": "Error",
        "Ältere Einträge": "Older entries",
    },
)
