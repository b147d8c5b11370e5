"""Quality gates in a real browser: axe-core (WCAG 2.1 A/AA), keyboard use, the map, screenshots.

Pages are enumerated from the plugin registry's navigation entries, so pages other plugins add are
checked automatically; the log-in page, the map and the workspace (as administrator) are added.
Screenshots (full page, 1280 and 390 px wide) land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gelsencloud.core.demo import DEMO_ADMIN
from gelsencloud.core.principal import ANONYMOUS
from gelsencloud.web.nav import WORKSPACE_PATH, all_entries, main_nav

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = ROOT / "src" / "gelsencloud" / "web" / "static" / "vendor" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 844}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORTS = {"desktop": DESKTOP, "mobile": MOBILE}
MAX_TAB_STOPS = 120

AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' -> ' + (n.failureSummary || '').replace(/\\s+/g, ' '))
  }));
}"""

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const rect = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(), id: el.id, href: el.getAttribute('href'),
    nav: el.closest('header nav') !== null,
    text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 60),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    shadow: style.boxShadow !== 'none',
    onscreen: rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.right > 0
      && rect.top < innerHeight && rect.left < innerWidth,
  };
}"""


def _unique(paths):
    return list(dict.fromkeys(paths))


def public_pages(registry) -> list[str]:
    """Every public navigation target plus the pages every installation has."""
    entries = all_entries(registry)
    return _unique(
        [e.path for e in entries if not e.staff_only] + ["/karte", "/stadtteile", "/anmelden", "/?lang=en"]
    )


def workspace_pages(registry) -> list[str]:
    """Every workspace entry of every plugin (an administrator may open them all)."""
    return _unique([WORKSPACE_PATH] + [e.path for e in all_entries(registry) if e.staff_only])


def slug(path: str) -> str:
    """File name of a page's screenshot."""
    base, _, query = path.partition("?")
    name = base.strip("/").replace("/", "-") or "start"
    return name + ("-" + re.sub(r"[^a-z0-9]+", "-", query.lower()).strip("-") if query else "")


def log_in(page, live_server, username: str = DEMO_ADMIN[0], password: str = DEMO_ADMIN[1]) -> None:
    """Log in through the form, as a person would."""
    page.goto(live_server.url("/anmelden"))
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r".*/arbeitsbereich$"))


def open_page(page, live_server, path: str, viewport: dict, *, expect_ok: bool = True) -> int:
    """Load a page at a viewport, wait until its scripts (map, charts) are done; return the status."""
    page.set_viewport_size(viewport)
    response = page.goto(live_server.url(path))
    status = response.status if response is not None else 0
    if expect_ok:
        assert status == 200, f"{path}: HTTP {status}"
    page.wait_for_load_state("networkidle")
    if page.locator("#map").count():
        page.wait_for_selector("#map[data-ready=true]")
    return status


def check_page(page, live_server, path: str, viewport_name: str) -> list[str]:
    """Open a page, save its screenshot and return its problems (axe violations, overflow, JS errors)."""
    viewport = VIEWPORTS[viewport_name]
    status = open_page(page, live_server, path, viewport, expect_ok=False)
    if status != 200:
        return [f"{path} [{viewport_name}]: HTTP {status} for a navigation entry"]
    problems = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"{slug(path)}-{viewport_name}.png"
    data = page.screenshot(path=str(shot), full_page=True)
    width = int.from_bytes(data[16:20], "big")  # PNG IHDR: the image width
    if width != viewport["width"]:
        problems.append(f"{path} [{viewport_name}]: page is {width}px wide in a {viewport['width']}px window")
    page.add_script_tag(path=str(AXE))
    for violation in page.evaluate(AXE_RUN, WCAG_TAGS):
        problems.append(
            f"{path} [{viewport_name}]: {violation['id']} ({violation['impact']}) {violation['help']}\n    "
            + "\n    ".join(violation["nodes"])
        )
    problems.extend(f"{path} [{viewport_name}]: JavaScript error: {e}" for e in page.js_errors)
    page.js_errors.clear()
    return problems


@pytest.mark.parametrize("viewport_name", ["desktop", "mobile"])
def test_public_pages_pass_axe_wcag21_aa(page, live_server, viewport_name):
    pages = public_pages(live_server.registry)
    assert {"/", "/karte", "/stadtteile", "/anmelden"} <= set(pages)
    problems = [p for path in pages for p in check_page(page, live_server, path, viewport_name)]
    assert not problems, "\n".join(problems + [live_server.fallback_reason or ""])
    for path in pages:
        assert (SCREENSHOTS / f"{slug(path)}-{viewport_name}.png").stat().st_size > 1000


@pytest.mark.parametrize("viewport_name", ["desktop", "mobile"])
def test_workspace_pages_pass_axe_as_admin(page, live_server, viewport_name):
    log_in(page, live_server)
    pages = workspace_pages(live_server.registry)
    assert {"/arbeitsbereich", "/arbeitsbereich/benutzer", "/arbeitsbereich/protokoll"} <= set(pages)
    problems = [p for path in pages for p in check_page(page, live_server, path, viewport_name)]
    assert not problems, "\n".join(problems + [live_server.fallback_reason or ""])


def test_mobile_menu_open_passes_axe(page, live_server):
    open_page(page, live_server, "/", MOBILE)
    assert not page.is_visible("header nav a[href='/karte']"), "menu must start collapsed on a phone"
    page.click("details.site-menu > summary")
    assert page.is_visible("header nav a[href='/karte']")
    page.screenshot(path=str(SCREENSHOTS / "start-mobile-menu-open.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(AXE_RUN, WCAG_TAGS)
    assert not violations, violations


def tab_stops(page, limit: int = MAX_TAB_STOPS, until=None) -> list[dict]:
    """Press Tab from the current focus and record every stop (until ``until(stop)`` is true)."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUSED)
        if stop is None:  # focus left the document: one full round done
            break
        stops.append(stop)
        if until and until(stop):
            break
    return stops


def assert_focus_visible(stops: list[dict]) -> None:
    hidden = [s for s in stops if not (s["outline"] or s["shadow"]) or not s["onscreen"]]
    assert not hidden, f"focus not visible on: {hidden}"


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page, live_server):
    open_page(page, live_server, "/", DESKTOP)
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUSED)
    assert first["href"] == "#main" and first["text"] == "Zum Inhalt springen"
    assert first["onscreen"] and (first["outline"] or first["shadow"])
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # The next Tab continues inside the content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_every_nav_link_is_reachable_by_tab_with_visible_focus(page, live_server):
    expected = [e.path for e in main_nav(all_entries(live_server.registry), ANONYMOUS)]
    open_page(page, live_server, "/", DESKTOP)
    stops = tab_stops(page)
    reached = [s["href"] for s in stops]
    missing = [p for p in expected if p not in reached]
    assert not missing, f"nav links not reachable by keyboard: {missing}"
    in_nav = [s["href"] for s in stops if s["nav"]]
    assert in_nav == expected, "nav links must be tabbed once each, in their visual order"
    assert_focus_visible(stops)
    current = page.locator("header nav a[aria-current='page']")
    assert current.count() == 1 and current.get_attribute("href") == "/"


def test_mobile_menu_works_with_the_keyboard_only(page, live_server):
    open_page(page, live_server, "/stadtteile", MOBILE)
    stops = tab_stops(page, until=lambda s: s["tag"] == "summary")
    assert stops[-1]["tag"] == "summary", "the menu button must be reachable by Tab"
    page.keyboard.press("Enter")
    assert page.evaluate("document.getElementById('menu').open")
    expected = [e.path for e in main_nav(all_entries(live_server.registry), ANONYMOUS)]
    more = tab_stops(page, limit=len(expected) + 2)
    assert [s["href"] for s in more[: len(expected)]] == expected
    assert_focus_visible(stops + more)
    assert page.get_attribute("header nav a[href='/stadtteile']", "aria-current") == "page"


def test_login_form_is_usable_by_keyboard_only(page, live_server):
    open_page(page, live_server, "/anmelden", DESKTOP)
    stops = tab_stops(page, until=lambda s: s["id"] == "username")
    assert stops[-1]["id"] == "username"
    page.keyboard.type(DEMO_ADMIN[0])
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(DEMO_ADMIN[1])
    page.keyboard.press("Tab")
    button = page.evaluate(FOCUSED)
    assert button["tag"] == "button" and button["text"] == "Anmelden"
    assert_focus_visible(stops + [button])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/arbeitsbereich$"))
    assert "Angemeldet als admin" in page.inner_text("main")
    # The workspace menu is reachable by keyboard too and marks the dashboard.
    stops = tab_stops(page, until=lambda s: s["href"] == "/arbeitsbereich/protokoll")
    assert {"/arbeitsbereich/benutzer", "/arbeitsbereich/protokoll"} <= {s["href"] for s in stops}
    assert_focus_visible(stops)
    assert page.get_attribute("nav.subnav a[href='/arbeitsbereich']", "aria-current") == "page"


def test_map_draws_districts_without_a_tile_server(page, live_server, browser):
    browser.outside_requests.clear()
    open_page(page, live_server, "/karte", DESKTOP)
    districts = page.locator("#map path.leaflet-interactive[stroke='#00549f']").count()
    quarters = page.locator("#map path.leaflet-interactive[stroke='#6b3fa0']").count()
    assert (districts, quarters) == (5, 18)
    assert page.locator("#map img.leaflet-tile").count() == 0
    assert "geladen" in page.inner_text("#map-status")
    # Switching a layer off by keyboard removes it from the map.
    page.focus("#layer-stadtbezirke")
    page.keyboard.press("Space")
    assert page.locator("#map path.leaflet-interactive[stroke='#00549f']").count() == 0
    page.keyboard.press("Space")
    assert page.locator("#map path.leaflet-interactive[stroke='#00549f']").count() == 5
    # Every control of the map page is reachable with visible focus, the map itself included.
    page.evaluate("document.activeElement.blur()")
    open_page(page, live_server, "/karte", DESKTOP)
    stops = tab_stops(page)
    assert_focus_visible(stops)
    ids = {s["id"] for s in stops}
    assert {"layer-stadtbezirke", "layer-stadtteile", "map"} <= ids
    assert not page.js_errors and not browser.outside_requests, (page.js_errors, browser.outside_requests)
