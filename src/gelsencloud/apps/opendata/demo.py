"""Synthetic demo datasets of the open data portal (every title says "Demo", every row is invented)."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date

from gelsencloud.apps.opendata import distributions, live, service, tabular
from gelsencloud.core.city import cached_profile
from gelsencloud.core.identity import get_tenant
from gelsencloud.core.principal import Principal, Role

NOTE = " Synthetische Demodaten, keine echten Messwerte."


def _csv(header: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(header)
    for row in rows:
        writer.writerow([str(v).replace(".", ",") if isinstance(v, float) else v for v in row])
    return buffer.getvalue().encode("utf-8")


def _xlsx(header: list[str], rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def datasets(rng: random.Random, quarters: list, centre: tuple[float, float]) -> list[dict]:
    """Describe the demo datasets: metadata plus (filename, bytes) of their files."""
    names = [q.name for q in quarters]
    years = list(range(2015, 2025))
    population = [[y, q, rng.randint(8000, 25000)] for y in years[-5:] for q in names]
    pollen = [
        [f"2024-{m:02d}-15", s, round(rng.uniform(2, 45), 1)]
        for m in range(1, 13)
        for s in ("Buer", "Altstadt", "Horst")
    ]
    trees = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [
                        round(centre[0] + rng.uniform(-0.05, 0.05), 5),
                        round(centre[1] + rng.uniform(-0.05, 0.05), 5),
                    ],
                },
                "properties": {
                    "baumart": rng.choice(["Linde", "Ahorn", "Eiche", "Platane", "Kastanie"]),
                    "pflanzjahr": rng.randint(1950, 2022),
                    "stadtteil": rng.choice(names),
                    "hoehe_m": round(rng.uniform(4, 28), 1),
                },
            }
            for _ in range(120)
        ],
    }
    chargers = [
        [
            f"LS-{i:03d}",
            rng.choice(names),
            round(centre[1] + rng.uniform(-0.04, 0.04), 5),
            round(centre[0] + rng.uniform(-0.04, 0.04), 5),
            rng.choice([11, 22, 50, 150]),
        ]
        for i in range(40)
    ]
    water = [[f"{y}", round(rng.uniform(118, 132), 1), rng.randint(10, 25)] for y in years]
    waste = [
        [y, art, rng.randint(20000, 60000)]
        for y in years[-6:]
        for art in ("Restmüll", "Bioabfall", "Papier", "Leichtverpackungen")
    ]
    broadband = [[q, round(rng.uniform(40, 99), 1), round(rng.uniform(5, 80), 1)] for q in names]
    parking = [
        [f"P{i}", rng.choice(names), rng.randint(40, 600), rng.choice(["Parkhaus", "Parkplatz"])]
        for i in range(1, 16)
    ]
    schools = [
        [
            f"Demo-Schule {i}",
            rng.choice(["Grundschule", "Gesamtschule", "Gymnasium", "Realschule"]),
            rng.choice(names),
            rng.randint(150, 1200),
        ]
        for i in range(1, 31)
    ]
    return [
        dict(
            tenant="stadt-gelsenkirchen",
            title="Demo: Einwohnerinnen und Einwohner nach Stadtteil",
            title_en="Demo: residents by quarter",
            description="Einwohnerzahl je Stadtteil und Jahr (Hauptwohnsitz)." + NOTE,
            themes=["SOCI", "REGI"],
            keywords=["Bevölkerung", "Stadtteile", "Demo"],
            file=("einwohner_stadtteile.csv", _csv(["jahr", "stadtteil", "einwohner"], population)),
            counts_people=True,
            temporal=(date(2020, 1, 1), date(2024, 12, 31)),
            periodicity="ANNUAL",
        ),
        dict(
            tenant="stadt-gelsenkirchen",
            title="Demo: Straßenbäume",
            title_en="Demo: street trees",
            description="Standorte der Straßenbäume mit Baumart, Pflanzjahr und Höhe." + NOTE,
            themes=["ENVI"],
            keywords=["Bäume", "Stadtgrün", "Demo"],
            file=("strassenbaeume.geojson", json.dumps(trees, ensure_ascii=False).encode()),
            periodicity="MONTHLY",
        ),
        dict(
            tenant="stadt-gelsenkirchen",
            title="Demo: Pollenflug an Messstellen",
            description="Monatliche Pollenkonzentration an drei Messstellen (Körner je m³)." + NOTE,
            themes=["HEAL", "ENVI"],
            keywords=["Pollen", "Gesundheit", "Demo"],
            file=("pollenflug_2024.csv", _csv(["datum", "messstelle", "konzentration"], pollen)),
            temporal=(date(2024, 1, 1), date(2024, 12, 31)),
        ),
        dict(
            tenant="stadt-gelsenkirchen",
            title="Demo: Schulen und Schülerzahlen",
            description="Schulen nach Schulform und Stadtteil mit Zahl der Schülerinnen und Schüler." + NOTE,
            themes=["EDUC"],
            keywords=["Schulen", "Bildung", "Demo"],
            file=("schulen.xlsx", _xlsx(["schule", "schulform", "stadtteil", "schueler"], schools)),
        ),
        dict(
            tenant="stadt-gelsenkirchen",
            title="Demo: Parkplätze und Parkhäuser",
            description="Öffentliche Parkplätze und Parkhäuser mit Stellplatzzahl." + NOTE,
            themes=["TRAN"],
            keywords=["Parken", "Verkehr", "Demo"],
            file=("parken.csv", _csv(["id", "stadtteil", "stellplaetze", "art"], parking)),
        ),
        dict(
            tenant="gelsen-net",
            title="Demo: Breitbandversorgung nach Stadtteil",
            description="Anteil der Haushalte mit mindestens 100 Mbit/s und mit Glasfaser (FTTH) je Stadtteil."
            + NOTE,
            themes=["TECH", "ECON"],
            keywords=["Breitband", "Glasfaser", "Demo"],
            file=(
                "breitband.csv",
                _csv(["stadtteil", "anteil_100mbit_prozent", "anteil_ftth_prozent"], broadband),
            ),
        ),
        dict(
            tenant="gelsenwasser",
            title="Demo: Wasserverbrauch je Einwohner",
            description="Jährlicher Trinkwasserverbrauch in Litern je Einwohner und Tag, mit Zahl der Rohrbrüche."
            + NOTE,
            themes=["ENVI", "ENER"],
            keywords=["Wasser", "Verbrauch", "Demo"],
            file=(
                "wasserverbrauch.json",
                json.dumps(
                    [{"jahr": int(y), "liter_pro_tag": v, "rohrbrueche": b} for y, v, b in water]
                ).encode(),
            ),
            periodicity="ANNUAL",
        ),
        dict(
            tenant="gelsendienste",
            title="Demo: Abfallmengen nach Abfallart",
            description="Gesammelte Abfallmengen in Tonnen je Jahr und Abfallart." + NOTE,
            themes=["ENVI"],
            keywords=["Abfall", "Entsorgung", "Demo"],
            file=("abfallmengen.csv", _csv(["jahr", "abfallart", "tonnen"], waste)),
            periodicity="ANNUAL",
        ),
        dict(
            tenant="stadt-gelsenkirchen",
            title="Demo: Ladesäulen für Elektrofahrzeuge",
            description="Standorte öffentlicher Ladepunkte mit Ladeleistung in kW." + NOTE,
            themes=["TRAN", "ENER"],
            keywords=["Elektromobilität", "Laden", "Demo"],
            file=("ladesaeulen.csv", _csv(["ladepunkt", "stadtteil", "lat", "lon", "leistung_kw"], chargers)),
        ),
        dict(
            tenant="stadt-gelsenkirchen",
            title="Demo: interne Planungsliste Sanierungen",
            description="Nur für die Verwaltung: vorläufige Liste geplanter Sanierungen." + NOTE,
            themes=["GOVE"],
            keywords=["intern", "Demo"],
            classification="internal",
            file=(
                "sanierungen.csv",
                _csv(["objekt", "kosten_eur"], [["Demo-Turnhalle", 120000], ["Demo-Brücke", 450000]]),
            ),
        ),
    ]


def generate(ctx) -> None:
    """Create the demo catalogue and publish the live datasets once."""
    rng = random.Random(ctx.seed)
    profile = cached_profile(ctx.settings.city_profile)
    root = tabular.files_root(ctx.settings)
    specs = datasets(rng, profile.quarters, profile.centre)
    for i, spec in enumerate(specs, 1):
        ctx.progress("Offene Daten", i, len(specs))
        with ctx.transaction() as session:
            tenant = get_tenant(session, spec["tenant"])
            session.info["principal"] = Principal(
                kind="system", name="demo", tenant_id=tenant.id, role=Role.EDITOR
            )
            temporal = spec.get("temporal", (None, None))
            dataset = service.create_dataset(
                session,
                service.DatasetInput(
                    title=spec["title"],
                    title_en=spec.get("title_en", ""),
                    description=spec["description"],
                    themes=spec["themes"],
                    keywords=spec["keywords"],
                    license_id="dl-by-de/2.0",
                    license_attribution=f"{tenant.name} (synthetische Demodaten)",
                    temporal_start=temporal[0],
                    temporal_end=temporal[1],
                    accrual_periodicity=spec.get("periodicity", ""),
                    contact_name="Open-Data-Team (Demo)",
                    contact_email="opendata@example.org",
                    classification=spec.get("classification", "public"),
                    synthetic=True,
                ),
                tenant_id=tenant.id,
            )
            filename, content = spec["file"]
            distributions.add_file(
                session,
                dataset,
                root=root,
                source=io.BytesIO(content),
                filename=filename,
                title=filename,
                counts_people=spec.get("counts_people", False),
            )
            if spec["title"].startswith("Demo: Straßenbäume"):
                distributions.add_link(
                    session,
                    dataset,
                    url="/ogc/collections",
                    title="OGC API Features (alle Geodaten)",
                    fmt="GEOJSON",
                )
    live.run_due(ctx.db, ctx.settings)
