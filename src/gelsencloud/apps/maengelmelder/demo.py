"""Synthetic demo data: ~200 reports over the last 30 days, labelled "Demo (synthetisch)"."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from gelsencloud.apps.maengelmelder import service as svc
from gelsencloud.apps.maengelmelder.config import catalogue
from gelsencloud.core.city import cached_profile, sync_areas
from gelsencloud.core.identity import get_tenant
from gelsencloud.core.models import CityArea, utcnow
from gelsencloud.core.principal import Principal, Role

# Roughly GE-meldet's real mix (WAZ 2023: two thirds illegal dumping).
MIX = [
    ("ablagerung", 66),
    ("strassenschaden", 9),
    ("beleuchtung", 8),
    ("baum-gruen", 7),
    ("sperrmuell", 5),
    ("spielplatz", 3),
    ("sonstiges", 2),
]
TEXTS = {
    "ablagerung": [
        "Mehrere Müllsäcke am Straßenrand",
        "Alte Matratze und Sofa abgestellt",
        "Bauschutt am Feldweg",
    ],
    "strassenschaden": ["Tiefes Schlagloch auf der Fahrbahn", "Gehwegplatten abgesackt"],
    "beleuchtung": ["Laterne seit Tagen aus", "Straßenlaterne flackert"],
    "baum-gruen": ["Großer Ast hängt über dem Gehweg", "Hecke verdeckt Verkehrsschild"],
    "sperrmuell": ["Schrank, zwei Stühle und ein Tisch"],
    "spielplatz": ["Schaukel defekt", "Scherben im Sandkasten"],
    "sonstiges": ["Graffiti an der Bushaltestelle"],
}
DEMO_ATTRIBUTES = {
    "ablagerung": lambda r: {
        "menge": [r.choice(["klein", "klein", "mittel", "gross"])],
        "art": ["hausmuell"],
    },
    "strassenschaden": lambda r: {"flaeche": [r.choice(["fahrbahn", "gehweg", "radweg"])]},
    "beleuchtung": lambda r: {"fehler": [r.choice(["aus", "flackert", "tagsueber"])]},
    "baum-gruen": lambda r: {"problem": [r.choice(["ast", "zugewachsen", "pflege"])], "gefahr": ["nein"]},
    "sperrmuell": lambda r: {"gegenstaende": ["Schrank, Stühle"], "anzahl": ["3"], "elektro": ["nein"]},
}


def generate(ctx, count: int = 200) -> None:
    """Create the services from the seed file and ``count`` synthetic reports with histories."""
    rng = random.Random(ctx.seed if hasattr(ctx, "seed") else 1)
    days = min(getattr(ctx, "days", 30) or 30, 30)
    with ctx.transaction() as session:
        sync_areas(session, cached_profile(ctx.settings.city_profile))
        jurisdiction = next(j for j in catalogue().jurisdictions if j.default)
        city = get_tenant(session, jurisdiction.tenant)
        session.info["principal"] = Principal(kind="system", name="demo", tenant_id=city.id, role=Role.EDITOR)
        svc.seed_services(session, city.id)
        services = {s.code: s for s in svc.list_services(session, city.id)}
        quarters = list(session.scalars(select(CityArea).where(CityArea.level == "stadtteil")))
        codes = [c for c, _ in MIX]
        weights = [w for _, w in MIX]
        now = utcnow()
        for number in range(count):
            code = rng.choices(codes, weights)[0]
            quarter = rng.choice(quarters)
            lon, lat = _point_in(quarter.geometry, rng)
            requested = now - timedelta(days=rng.uniform(0, days), minutes=rng.randint(0, 600))
            attrs = DEMO_ATTRIBUTES.get(code, lambda r: {})(rng)
            new = svc.NewReport(
                service=services[code],
                description=f"Demo (synthetisch): {rng.choice(TEXTS[code])}.",
                lat=lat,
                lon=lon,
                address=f"Demo-Straße {rng.randint(1, 120)}, {quarter.name}",
                attributes=svc.validate_attributes(services[code], attrs),
                channel=rng.choice(["web", "web", "app", "open311"]),
                synthetic=True,
                requested_at=requested,
            )
            report = svc.create_report(session, new)
            age = (now - requested).days
            steps = []
            if age >= 1:
                steps.append("acknowledged")
            if age >= 3 and rng.random() < 0.7:
                steps.append("in_progress")
            if age >= 5 and rng.random() < 0.75:
                steps.append(
                    rng.choices(["fixed", "closed_not_responsible", "closed_not_fixable"], [85, 10, 5])[0]
                )
            at = requested
            for step in steps:
                at = min(at + timedelta(days=rng.uniform(0.5, 2.0)), now)
                svc.change_status(session, report, step, author="Demo", at=at)
            if number % 37 == 5:
                svc.add_internal_note(
                    session, report, "Demo (synthetisch): Termin mit Kolonne abgestimmt.", author="Demo"
                )
            ctx.progress("GE-meldet", number + 1, count)


def _point_in(geometry: dict, rng: random.Random) -> tuple[float, float]:
    from shapely.geometry import Point, shape

    polygon = shape(geometry)
    min_x, min_y, max_x, max_y = polygon.bounds
    for _ in range(200):
        x, y = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
        if polygon.contains(Point(x, y)):
            return round(x, 6), round(y, 6)
    c = polygon.representative_point()
    return c.x, c.y
