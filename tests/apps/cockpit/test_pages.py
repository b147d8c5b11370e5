"""Cockpit pages: public overview, lists, measure and KPI pages with chart, staff forms with CSRF."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from helpers import PASSWORD

VENDOR_DIR = Path(__file__).resolve().parents[3] / "src" / "gelsencloud" / "web" / "static" / "vendor"


def web_login(client, username: str) -> None:
    response = client.post(
        "/anmelden",
        data={"username": username, "password": PASSWORD, "next": "/cockpit"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


class _Fields(HTMLParser):
    """Collect form fields and label targets (every visible field needs a label)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict] = []
        self.label_for: set[str] = set()
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label" and a.get("for"):
            self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.fields.append(a)
        if tag == "script" and a.get("src"):
            self.scripts.append(a["src"])


def parse(html: str) -> _Fields:
    parser = _Fields()
    parser.feed(html)
    return parser


def unlabeled(html: str) -> list[dict]:
    p = parse(html)
    return [f for f in p.fields if f.get("id") not in p.label_for and not f.get("aria-label")]


def test_public_pages_show_catalogue_and_findings(client, imported):
    overview = client.get("/cockpit")
    assert overview.status_code == 200 and "<h1>Strategie-Cockpit</h1>" in overview.text
    assert "Urbane Datenplattform &amp; Open Data" in overview.text and "<caption>" in overview.text
    assert 'href="/cockpit/bewertung"' not in overview.text  # internal matrix not offered to visitors
    english = client.get("/cockpit", headers={"Accept-Language": "en"})
    assert (
        "Strategy cockpit" in english.text and "Progress by guiding theme and field of action" in english.text
    )
    measures = client.get("/cockpit/massnahmen", params={"leitthema": "4.2"})
    assert measures.status_code == 200 and "9 Maßnahmen" in measures.text
    assert not unlabeled(measures.text)
    measure = client.get("/cockpit/massnahmen/1.4.1")
    assert measure.status_code == 200 and "Maßnahme 1.4.1" in measure.text
    assert 'name="status"' not in measure.text  # no edit form for visitors
    assert client.get("/cockpit/massnahmen/0.0.0").status_code == 404
    findings = client.get("/cockpit/befunde")
    assert findings.text.count("Doppelte Kennzahl") == 4 and "Gesundheit &amp; Pflege" in findings.text
    kpis = client.get("/cockpit/kennzahlen")
    assert "132 Kennzahlen" in kpis.text and 'id="regel"' in kpis.text
    alias = client.get("/cockpit/kennzahlen/gp-apps-built", follow_redirects=False)
    assert alias.status_code == 301 and alias.headers["location"] == "/cockpit/kennzahlen/od-apps-built"
    assert client.get("/cockpit/bewertung", follow_redirects=False).status_code == 303
    home = client.get("/")
    assert "Strategie Vernetzte Stadt" in home.text and "0 von 107 Maßnahmen abgeschlossen" in home.text


def test_staff_edit_measure_enter_values_and_see_chart(client, imported):
    web_login(client, "city.editor")
    page = client.get("/cockpit/massnahmen/1.4.1")
    assert 'name="status"' in page.text and not unlabeled(page.text)
    token = csrf_of(page.text)
    forged = client.post(
        "/cockpit/massnahmen/1.4.1", data={"csrf": "0" * 64, "status": "done"}, follow_redirects=False
    )
    assert forged.status_code == 403
    saved = client.post(
        "/cockpit/massnahmen/1.4.1",
        data={"csrf": token, "status": "running", "responsible_unit": "Referat 10", "note": "Start"},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and "Gespeichert" in client.get(saved.headers["location"]).text
    page = client.get("/cockpit/massnahmen/1.4.1")
    assert "in Umsetzung" in page.text and "Referat 10" in page.text and "<td>Start</td>" in page.text
    kpi = client.get("/cockpit/kennzahlen/ti-household-internet")
    assert "Noch keine Werte." in kpi.text and not unlabeled(kpi.text)
    for year, value in (("2022", "85,5"), ("2023", "88")):
        r = client.post(
            "/cockpit/kennzahlen/ti-household-internet/werte",
            data={
                "csrf": token,
                "period_start": f"{year}-01-01",
                "period_end": f"{year}-12-31",
                "value": value,
                "source": "Befragung",
                "data_quality": "2",
                "published": "ja",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303 and "Fehler" not in r.headers["location"]
    bad = client.post(
        "/cockpit/kennzahlen/ti-household-internet/werte",
        data={"csrf": token, "period_start": "2024-01-01", "value": "viel"},
        follow_redirects=False,
    )
    assert "Fehler" in client.get(bad.headers["location"]).text
    client.post(
        "/cockpit/kennzahlen/ti-household-internet/ziele",
        data={"csrf": token, "year": "2030", "value": "98", "basis": "Gigabitstrategie"},
    )
    kpi = client.get("/cockpit/kennzahlen/ti-household-internet").text
    spec = json.loads(
        re.search(r'<script type="application/json" id="kpi-chart-spec">(.*?)</script>', kpi, re.S).group(1)
    )
    assert spec["$schema"].endswith("vega-lite/v6.json")
    assert [(row["reihe"], row["wert"]) for row in spec["data"]["values"]] == [
        ("IST", 85.5),
        ("IST", 88.0),
        ("SOLL", 98.0),
    ]
    scripts = [src for src in parse(kpi).scripts if "/vendor/" in src]
    assert scripts == [
        "/static/core/vendor/vega/vega.min.js",
        "/static/core/vendor/vega-lite/vega-lite.min.js",
        "/static/core/vendor/vega-embed/vega-embed.min.js",
    ]
    for src in scripts:  # the vendored files exist where the page loads them
        assert (VENDOR_DIR / src.removeprefix("/static/core/vendor/")).is_file()
        assert client.get(src).status_code == 200
    assert "im Plan" in kpi and "Gigabitstrategie" in kpi
    assert client.get("/static/cockpit/cockpit.css").status_code == 200
    assert "ti-household-internet,2022-01-01" in client.get("/cockpit/werte.csv").text


def test_csv_upload_page_and_evaluation_matrix(client, imported):
    assert client.get("/cockpit/werte/import", follow_redirects=False).status_code == 303
    web_login(client, "city.editor")
    form = client.get("/cockpit/werte/import")
    token = csrf_of(form.text)
    bad = client.post(
        "/cockpit/werte/import",
        data={"csrf": token},
        files={"file": ("werte.csv", b"kpi,period_start,value\nti-fixed-broadband,2023,x\n", "text/csv")},
    )
    assert bad.status_code == 400 and "row 2" in bad.text and "Nichts importiert" in bad.text
    good = client.post(
        "/cockpit/werte/import",
        data={"csrf": token},
        files={"file": ("werte.csv", b"kpi,period_start,value\nti-fixed-broadband,2023,80\n", "text/csv")},
    )
    assert good.status_code == 200 and "1 Werte importiert" in good.text
    scored = client.post(
        "/cockpit/massnahmen/2.2.1/bewertung",
        data={
            "csrf": token,
            "points_machbarkeit": "4",
            "points_wirtschaftlichkeit": "3",
            "points_zielgenauigkeit": "5",
        },
        follow_redirects=False,
    )
    assert scored.status_code == 303 and "Fehler" not in scored.headers["location"]
    matrix = client.get("/cockpit/bewertung")
    assert matrix.status_code == 200 and "2.2.1" in matrix.text and ">80 %<" in matrix.text
    assert not unlabeled(matrix.text)
    configured = client.post(
        "/cockpit/bewertung/kriterien",
        data={
            "csrf": token,
            **{
                f"{p}_{k}": v
                for k in ("machbarkeit", "wirtschaftlichkeit", "zielgenauigkeit")
                for p, v in (("min", "0"), ("max", "5"), ("weight", "1"), ("active", "ja"))
            },
            "min_dringlichkeit": "0",
            "max_dringlichkeit": "3",
            "weight_dringlichkeit": "2",
            "active_dringlichkeit": "ja",
            "min_wichtigkeit": "0",
            "max_wichtigkeit": "5",
            "weight_wichtigkeit": "1",
        },
        follow_redirects=False,
    )
    assert "Fehler" not in configured.headers["location"]
    matrix = client.get("/cockpit/bewertung")
    assert "Dringlichkeit" in matrix.text and "nein" in matrix.text  # 2.2.1 now incomplete
    csv = client.get("/cockpit/bewertung.csv").text
    assert csv.splitlines()[0].startswith(
        "rank,measure,title,status,machbarkeit [0-5; w=1],wirtschaftlichkeit [0-5; w=1],zielgenauigkeit [0-5; w=1],dringlichkeit [0-3; w=2],score_percent,complete"
    )
