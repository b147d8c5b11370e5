"""Demo data of the strategy cockpit: catalogues plus clearly labelled synthetic values."""

from __future__ import annotations

import random
from datetime import date

from gelsencloud.apps.cockpit import evaluation, service
from gelsencloud.apps.cockpit.importer import import_catalogs
from gelsencloud.core.identity import get_tenant
from gelsencloud.core.models import utcnow
from gelsencloud.core.principal import Principal, Role

SOURCE = "Demo (synthetisch)"
METHOD = "Synthetische Demo-Zeitreihe, keine amtlichen Daten"

# (KPI, first value, change per year, SOLL year, SOLL value)
SERIES = (
    ("ti-household-internet", 86.0, 1.6, 2030, 98.0),
    ("ti-fixed-broadband", 78.0, 2.2, 2030, 95.0),
    ("ti-public-wifi-hotspots", 60.0, 14.0, 2030, 250.0),
    ("eg-egov-services-share", 22.0, 9.0, 2027, 80.0),
    ("od-datasets-published", 12.0, 5.5, 2030, 60.0),
    ("od-dataset-usage", 1500.0, 650.0, 2030, 8000.0),
    ("ru-green-area-share", 27.0, 0.1, 2030, 28.5),
    ("ru-particulate-matter", 22.5, -0.7, 2030, 15.0),
    ("ru-ghg-per-capita", 8.9, 0.05, 2030, 5.5),  # moving the wrong way
    ("rv-water-loss", 9.5, -0.2, 2030, 7.0),
    ("rv-renewable-consumed-share", 18.0, 0.4, 2030, 40.0),  # too slow
    ("iv-traffic-fatalities", 4.2, 0.2, 2030, 2.0),  # moving the wrong way
    ("ms-shared-bicycles", 60.0, 16.0, 2030, 150.0),
    ("mi-ev-charge-points", 25.0, 3.0, 2030, 120.0),  # too slow
    ("wi-unemployment-rate", 13.5, -0.2, 2030, 10.0),
    ("wi-youth-unemployment-rate", 11.0, -0.4, 2030, 8.0),
)
LINKS = (
    ("1.4.1", "od-datasets-published", "Datendrehscheibe als Grundlage für Open Data", 20.0),
    ("1.4.1", "od-dataset-usage", "Mehr Zugriffe durch offene Schnittstellen", 3000.0),
    ("1.3.1", "ti-fixed-broadband", "Glasfaserausbau", 10.0),
    ("2.2.1", "ru-particulate-matter", "Messnetz macht Belastung sichtbar", None),
)
DISTRICT_KPI = "ru-green-area-share"


def _acting(session) -> None:
    city = get_tenant(session, "stadt-gelsenkirchen")
    session.info["principal"] = Principal(kind="system", name="demo", tenant_id=city.id, role=Role.EDITOR)


def _status(rng: random.Random, measure, today: date) -> str:
    roll = rng.random()
    if roll < 0.05:
        return "paused"
    if roll < 0.08:
        return "dropped"
    if measure.period_start and measure.period_start > today:
        return "planned"
    if measure.period_end and measure.period_end < today:
        return "done" if roll < 0.8 else "running"
    return "running" if measure.period_start else "planned"


def generate(ctx) -> None:
    """Import the catalogues, then create synthetic values, targets, statuses and scores."""
    rng = random.Random(ctx.seed)
    today = utcnow().date()
    years = list(range(today.year - 5, today.year))
    with ctx.transaction() as session:
        import_catalogs(session)
        _acting(session)
        note = "Demo: synthetischer Status"
        for measure in service.list_measures(session):
            service.update_measure(
                session,
                measure.number,
                note=note,
                status=_status(rng, measure, today),
                responsible_unit="Stabsstelle Vernetzte Stadt (Demo)",
            )
        service.update_measure(
            session,
            "1.4.1",
            note=note,
            platform_module="gelsencloud",
            datasets=["Demo-Datensätze des Open-Data-Portals"],
        )
        for n, (code, start, step, target_year, target) in enumerate(SERIES):
            value = start
            for i, year in enumerate(years):
                noise = rng.uniform(-0.25, 0.25) * abs(step)
                service.add_value(
                    session,
                    service.ValueInput(
                        kpi_code=code,
                        period_start=date(year, 1, 1),
                        period_end=date(year, 12, 31),
                        value=round(value + noise, 2),
                        source=SOURCE,
                        method=METHOD,
                        data_quality=4,
                        # the newest value of every third KPI is still a draft (internal)
                        published=not (i == len(years) - 1 and n % 3 == 0),
                        details={"synthetic": True},
                    ),
                    origin="demo",
                )
                value += step * rng.uniform(0.4, 1.4)
            service.set_target(session, code, target_year, target, basis="Demo: synthetischer Zielwert")
        districts = sorted(a for a in service.district_codes(session))
        for district in districts:
            service.add_value(
                session,
                service.ValueInput(
                    kpi_code=DISTRICT_KPI,
                    period_start=date(years[-1], 1, 1),
                    period_end=date(years[-1], 12, 31),
                    value=round(rng.uniform(12, 45), 1),
                    district_code=district,
                    source=SOURCE,
                    method=METHOD,
                    data_quality=4,
                    published=True,
                    details={"synthetic": True},
                ),
                origin="demo",
            )
        for number, code, text, delta in LINKS:
            service.link_measure_kpi(
                session, number, code, expected_contribution=f"Demo: {text}", expected_delta=delta
            )
        evaluation.ensure_default_criteria(session)
        criteria = [c.key for c in evaluation.list_criteria(session, active_only=True)]
        for measure in rng.sample(service.list_measures(session), 20):
            for key in criteria:
                evaluation.set_score(
                    session, measure.number, key, rng.randint(1, 5), note="Demo: synthetische Bewertung"
                )
    # live KPIs once, so the cockpit shows computed values right away
    from gelsencloud.apps.cockpit.live import run_live_kpis
    from gelsencloud.core.plugins import discover

    with ctx.transaction() as session:
        run_live_kpis(session, discover(ctx.settings).kpi_providers())
