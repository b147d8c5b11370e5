"""The web layer without a browser: navigation, workspace by role, map page, layers, languages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gelsencloud.core.app import create_app
from gelsencloud.core.city import load_profile, sync_areas
from gelsencloud.core.plugins import HomePanel, MapLayer, NavEntry, Plugin, PluginError
from gelsencloud.core.principal import SYSTEM, Role
from gelsencloud.core.settings import Settings
from gelsencloud.web import nav
from gelsencloud.web.render import format_number
from helpers import PASSWORD

WEB = Path(__file__).resolve().parents[2] / "src" / "gelsencloud" / "web"


@pytest.fixture
def areas(db, settings):
    """The city's districts and quarters (approximate demo geometry)."""
    with db.transaction(SYSTEM) as session:
        sync_areas(session, load_profile(settings.city_profile))


def log_in(client, username: str) -> None:
    response = client.post(
        "/anmelden", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303


def header_nav(html: str) -> str:
    return re.search(r'<nav aria-label="Hauptnavigation">(.*?)</nav>', html, re.S).group(1)


def map_config(html: str) -> dict:
    return json.loads(
        re.search(r'<script type="application/json" id="map-config">(.*?)</script>', html, re.S).group(1)
    )


def test_header_marks_the_current_page_once(client):
    html = client.get("/karte").text
    menu = header_nav(html)
    assert menu.count("aria-current") == 1 and '<a href="/karte" aria-current="page">Karte</a>' in menu
    assert '<a href="/stadtteile">Stadtteile</a>' in menu and '<a href="/">Start</a>' in menu
    assert '<details class="site-menu" id="menu">' in html and "<summary>Menü</summary>" in html


def test_visitors_see_no_workspace_entries(client):
    html = client.get("/").text
    assert "/arbeitsbereich" not in html and 'class="subnav"' not in html


def test_workspace_dashboard_lists_admin_pages_for_admins(client, world):
    log_in(client, "city.admin")
    html = client.get("/arbeitsbereich").text
    for path in ("/arbeitsbereich/benutzer", "/arbeitsbereich/schluessel", "/arbeitsbereich/protokoll"):
        assert f'href="{path}" class="tile-title"' in html
    assert "Rolle: Mandanten-Administration" in html
    # The header shows the workspace once (marked as the section of a subpage), never its subpages.
    sub = client.get("/arbeitsbereich/benutzer").text
    assert '<a href="/arbeitsbereich" aria-current="true">Arbeitsbereich</a>' in header_nav(sub)
    assert "/arbeitsbereich/benutzer" not in header_nav(sub)
    subnav = re.search(r'<nav class="subnav" aria-label="Arbeitsbereich">(.*?)</nav>', sub, re.S).group(1)
    assert '<a href="/arbeitsbereich/benutzer" aria-current="page">Benutzer</a>' in subnav
    assert subnav.index('/arbeitsbereich"') < subnav.index("/arbeitsbereich/benutzer")


def test_workspace_dashboard_hides_what_the_role_may_not_use(client, world):
    log_in(client, "city.viewer")
    html = client.get("/arbeitsbereich").text
    assert "/arbeitsbereich/benutzer" not in html and "/arbeitsbereich/protokoll" not in html
    assert "Rolle: Lesen" in html


def test_plugin_workspace_entries_appear_by_role(settings, db, registry, world, tmp_path, monkeypatch):
    registry.add(
        Plugin(
            name="webprobe",
            title_de="Probe",
            title_en="Probe",
            nav=(
                NavEntry("/probe/offen", "Probe offen", "Probe open", order=50),
                NavEntry(
                    "/probe/redaktion",
                    "Probe Redaktion",
                    "Probe desk",
                    order=500,
                    staff_only=True,
                    roles=(Role.EDITOR, Role.TENANT_ADMIN),
                ),
            ),
        )
    )
    with TestClient(create_app(settings, db, registry, run_jobs=False)) as client:
        assert '<a href="/probe/offen">Probe offen</a>' in header_nav(client.get("/").text)
        log_in(client, "city.editor")
        page = client.get("/arbeitsbereich").text
        assert 'href="/probe/redaktion" class="tile-title">Probe Redaktion' in page
        assert "/probe/redaktion" not in header_nav(page)  # workspace entries live in the workspace
        client.cookies.clear()
        log_in(client, "city.viewer")
        assert "/probe/redaktion" not in client.get("/arbeitsbereich").text


def test_home_panels_are_laid_out_as_cards_and_apps_link_to_their_page(settings, db, registry, tmp_path):
    (tmp_path / "probe_panel.html").write_text(
        "<section><h2>Probe heute</h2><p>{{ panel.count }} Dinge</p></section>"
    )
    registry.add(
        Plugin(
            name="webpanel",
            title_de="Panelprobe",
            title_en="Panel probe",
            templates=tmp_path,
            nav=(NavEntry("/panelprobe", "Panelprobe", "Panel probe"),),
            home_panels=(HomePanel("probe_panel.html", lambda session: {"count": 7}, order=1),),
        )
    )
    with TestClient(create_app(settings, db, registry, run_jobs=False)) as client:
        html = client.get("/").text
    assert '<div class="home-panel"><section><h2>Probe heute</h2><p>7 Dinge</p></section></div>' in html
    assert html.index("Die Stadt heute") < html.index("Probe heute")
    assert '<a href="/panelprobe" class="tile-title">Panelprobe</a>' in html


def test_map_page_works_without_tiles_and_offers_the_text_version(client, areas):
    html = client.get("/karte").text
    assert '<script src="/static/core/vendor/leaflet/leaflet.js" defer></script>' in html
    config = map_config(html)
    assert config["tiles"] is None
    assert [layer["id"] for layer in config["layers"]][:2] == ["stadtbezirke", "stadtteile"]
    assert config["layers"][0]["url"] == "/api/v1/city/areas?level=stadtbezirk"
    assert "schlichte Fläche ohne Kartenkacheln" in html
    assert 'href="#textfassung"' in html and 'href="/stadtteile"' in html and "<noscript>" in html
    for quarter in ("Resser Mark", "Buer", "Ückendorf", "Schalke-Nord"):
        assert quarter in html
    assert "(30,8 km²)" in html  # German number format
    for layer in config["layers"]:
        assert client.get(layer["url"]).json()["type"] == "FeatureCollection"


def test_map_tile_server_comes_from_the_settings(settings, db, registry, monkeypatch):
    monkeypatch.setenv("GELSENCLOUD_MAP_TILE_URL", "https://tiles.example.org/{z}/{x}/{y}.png")
    monkeypatch.setenv("GELSENCLOUD_MAP_TILE_ATTRIBUTION", "© OpenStreetMap-Mitwirkende")
    configured = Settings(
        _env_file=None, database_url=settings.database_url, secret_key=settings.secret_key, jobs_enabled=False
    )
    client = TestClient(create_app(configured, db, registry, run_jobs=False))
    config = map_config(client.get("/karte").text)
    assert config["tiles"] == {
        "url": "https://tiles.example.org/{z}/{x}/{y}.png",
        "attribution": "© OpenStreetMap-Mitwirkende",
        "max_zoom": 19,
    }
    assert "Kartenkacheln" not in client.get("/karte").text


def test_plugins_can_add_map_layers(settings, db, registry):
    probe = MapLayer("probe-punkte", "/api/v1/probe.geojson", "Probepunkte", "Probe points", order=30)
    registry.add(Plugin(name="layerprobe", title_de="x", title_en="x", map_layers=(probe,)))
    with pytest.raises(PluginError, match="clashes"):
        registry.add(Plugin(name="layerprobe2", title_de="x", title_en="x", map_layers=(probe,)))
    client = TestClient(create_app(settings, db, registry, run_jobs=False))
    html = client.get("/karte?lang=en").text
    config = map_config(html)
    labels = [layer["label"] for layer in config["layers"]]
    assert labels[:2] == ["Districts", "Quarters"] and "Probe points" in labels
    assert 'id="layer-probe-punkte"' in html and "Map layers" in html


def test_language_switch_keeps_the_page_and_its_query(client):
    html = client.get("/arbeitsbereich/protokoll?before=5", headers={"Accept": "text/html"}).text
    assert 'href="/arbeitsbereich/protokoll?before=5&amp;lang=en"' in html
    english = client.get("/karte?lang=en").text
    assert '<html lang="en">' in english and 'href="/karte?lang=de"' in english and ">Map</a>" in english
    svg_page = client.get("/stadtteile?lang=en").text
    assert '<title id="map-title">Map of the quarters</title>' in svg_page


def test_every_german_ui_string_of_the_web_layer_has_english(registry):
    from gelsencloud.web.render import Renderer

    catalogue = Renderer(registry).catalogue_en
    missing = set()
    for template in (WEB / "templates").rglob("*.html"):
        for text in re.findall(r'_\(\s*"([^"]+)"', template.read_text(encoding="utf-8")):
            if text not in catalogue:
                missing.add(f"{template.name}: {text}")
    labels = [*nav.ROLE_LABELS.values()]
    missing |= {f"role: {label}" for label in labels if label not in catalogue}
    assert not missing, sorted(missing)


def test_numbers_follow_the_language():
    assert format_number(263000, "de", 0) == "263.000" and format_number(263000, "en", 0) == "263,000"
    assert format_number(30.77, "de") == "30,8" and format_number(None, "de") == "–"


def test_stylesheet_keeps_focus_visible_and_the_skip_link_first(client):
    css = client.get("/static/core/site.css").text
    assert re.search(r":focus-visible \{ outline: 3px solid", css)
    html = client.get("/").text
    body = html[html.index("<body>") :]
    assert re.search(r"<body>\s*<a class=\"skip\" href=\"#main\">", body)
    assert '<main id="main" tabindex="-1">' in html
