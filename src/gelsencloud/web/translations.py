"""English for the web layer's own German UI strings (the core's are in core/builtin.py)."""

from __future__ import annotations

WEB_TRANSLATIONS_EN: dict[str, str] = {
    "Demo-Stadt:": "Demo city:",
    "Alle Geräte, Messwerte, Meldungen und Kennzahlen auf dieser Seite sind synthetisch erzeugt, nicht echt.": (
        "All devices, measurements, reports and key figures on this page are synthetic, not real."
    ),
    "Menü": "Menu",
    "Karte": "Map",
    "Karte der Stadtteile": "Map of the quarters",
    "Stadtteile als Liste": "Quarters as a list",
    "Die Stadt heute": "The city today",
    "Daten der Stadt": "The city's data",
    "Zur Karte": "Open the map",
    "Karte der Stadtbezirke und Stadtteile": "Map of districts and quarters",
    "Kartenebenen": "Map layers",
    "Textfassung der Karte": "Text version of the map",
    "Die Karte zeigt dieselben Flächen wie die Liste der Stadtbezirke und Stadtteile.": (
        "The map shows the same areas as the list of districts and quarters."
    ),
    "Zur Liste der Stadtbezirke und Stadtteile": "Go to the list of districts and quarters",
    "Die Karte braucht JavaScript. Dieselben Flächen zeigt die Liste der Stadtbezirke und Stadtteile.": (
        "The map needs JavaScript. The list of districts and quarters shows the same areas."
    ),
    "Hintergrund: schlichte Fläche ohne Kartenkacheln.": "Background: plain, without map tiles.",
    "Karte: mit den Pfeiltasten verschieben, mit Plus und Minus zoomen.": (
        "Map: move with the arrow keys, zoom with plus and minus."
    ),
    "Bedienung mit der Tastatur": "Keyboard use",
    "Kartenebenen werden geladen …": "Loading map layers …",
    "Stadtbezirke": "Districts",
    "Anwendung öffnen": "Open application",
    "Verwaltung": "Administration",
    "Anwendungen im Arbeitsbereich": "Applications in the workspace",
    "Ihr Konto": "Your account",
    "Ihre Rolle erlaubt keine weiteren Bereiche.": "Your role allows no further areas.",
    "Übersicht": "Overview",
    "{n} Felder": "{n} fields",
    "Noch keine API-Schlüssel.": "No API keys yet.",
    "Plattform-Administration": "Platform administration",
    "Mandanten-Administration": "Tenant administration",
    "Redaktion": "Editor",
    "Betrieb": "Operations",
    "Lesen": "Read only",
    "Stadtbezirke, Stadtteile und Fläche": "Districts, quarters and area",
    "Fläche": "Area",
    "Stadtteile je Stadtbezirk": "Quarters per district",
    "Rollen": "Roles",
    "Offene Daten als GeoJSON": "Open data as GeoJSON",
    "Anmeldung für Mitarbeitende der Stadt und ihrer Gesellschaften.": (
        "Log-in for staff of the city and its companies."
    ),
}
