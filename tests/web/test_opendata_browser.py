"""Open data portal in a real browser: a dataset page with chart and map, axe, and chart embeds elsewhere.

The embed snippets are taken from the dataset page itself (what a web editor would copy) and put
into a page served by a second HTTP server on another port, i.e. another origin.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "src/gelsencloud/web/static/vendor/axe-core/axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' -> ' + (n.failureSummary || ''))}));
}"""
DATASET = "/daten/demo-strassenbaeume"  # GeoJSON points: charts and a map layer
RENDERED = "#chart svg, #chart canvas"


@contextmanager
def other_origin(body: str) -> Iterator[str]:
    """Serve one HTML page from a second server (another port: another origin); yield its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/artikel.html"
    finally:
        server.shutdown()
        server.server_close()


def open_dataset(page, live_server) -> None:
    """Open the dataset page and wait until its map has loaded its layers."""
    response = page.goto(live_server.url(DATASET))
    assert response is not None and response.status == 200
    page.wait_for_load_state("networkidle")
    page.wait_for_selector("#map[data-ready=true]")


def _wait_for_chart(frame) -> None:
    frame.locator("#chart[data-ready=true]").wait_for()
    assert frame.locator(RENDERED).count() >= 1


def test_dataset_page_shows_a_rendered_chart_and_a_map_and_passes_axe(page, live_server):
    open_dataset(page, live_server)
    figure = page.locator("figure.chart").first
    figure.scroll_into_view_if_needed()  # chart frames load lazily
    _wait_for_chart(figure.frame_locator("iframe"))

    assert page.locator("#map.leaflet-container").count() == 1
    assert page.locator("#map-status").inner_text() == "Kartenebenen geladen."
    trees = page.locator("#map path.leaflet-interactive").count()
    assert trees >= 20, f"the data layer drew {trees} features"  # one circle marker per tree
    assert page.locator("table.usage").count() == 1

    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(AXE_RUN, WCAG_TAGS)
    assert violations == [], violations
    assert page.js_errors == []


def test_chart_embed_snippets_render_on_another_origin(page, live_server):
    open_dataset(page, live_server)
    iframe_code = html.unescape(page.locator("#embed-iframe-1").input_value())
    script_code = html.unescape(page.locator("#embed-script-1").input_value())
    assert iframe_code.startswith('<iframe src="http://127.0.0.1:') and "/diagramm/" in iframe_code
    assert "data-gelsencloud-chart=" in script_code and "/static/opendata/embed.js" in script_code

    article = f"""<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Artikel</title></head>
<body><main><h1>Bäume in Gelsenkirchen</h1>
<section id="per-iframe">{iframe_code}</section>
<section id="per-script">{script_code}</section></main></body></html>"""
    with other_origin(article) as url:
        page.goto(url)
        assert re.match(r"http://127\.0\.0\.1:\d+/artikel\.html", page.url)
        assert url.split("/")[2] != live_server.base_url.split("/")[2]  # really another origin
        _wait_for_chart(page.frame_locator("#per-iframe iframe"))
        script_frame = page.locator("#per-script iframe")
        script_frame.wait_for()  # inserted by embed.js
        _wait_for_chart(page.frame_locator("#per-script iframe"))
        # the chart page reports its height, embed.js sizes the frame to it
        page.wait_for_function(
            "() => document.querySelector('#per-script iframe').style.height.endsWith('px')"
        )
    assert page.js_errors == []
