"""Demo data (synthetic, labelled) and the ``gelsencloud cockpit`` commands."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from typer.testing import CliRunner

from gelsencloud.apps.cockpit import evaluation, service
from gelsencloud.apps.cockpit.models import KpiTarget, KpiValue, Measure
from gelsencloud.core.city import load_profile, sync_areas
from gelsencloud.core.plugins import DemoContext
from gelsencloud.core.principal import SYSTEM


def test_demo_creates_labelled_synthetic_values_targets_statuses_and_scores(db, world, settings, registry):
    with db.transaction(SYSTEM) as session:
        sync_areas(session, load_profile("gelsenkirchen"))
    generate = dict(registry.demo_generators())["cockpit"]
    generate(DemoContext(db=db, settings=settings, days=1, seed=7, progress=lambda *a: None))
    with db.transaction(SYSTEM) as session:
        statuses = Counter(session.scalars(select(Measure.status)))
        demo_values = list(session.scalars(select(KpiValue).where(KpiValue.origin == "demo")))
        targets = list(session.scalars(select(KpiTarget)))
        ranking = evaluation.ranking(session)
        live = session.scalar(select(func.count()).select_from(KpiValue).where(KpiValue.origin == "live"))
    assert sum(statuses.values()) == 107 and len(statuses) >= 3
    assert demo_values and all(
        v.source == "Demo (synthetisch)" and v.details["synthetic"] for v in demo_values
    )
    years = {v.period_start.year for v in demo_values if v.district_code is None}
    assert 3 <= len(years) <= 5
    assert len({v.kpi_code for v in demo_values}) >= 10
    assert targets and all(t.basis.startswith("Demo:") for t in targets)
    assert len(ranking) == 20 and all(r.complete for r in ranking)
    assert live >= 1  # the live KPIs ran once
    with db.transaction() as session:  # anonymous: published values only, no scores
        public = service.list_values(session, origin="demo")
        assert 0 < len(public) < len(demo_values)
        assert evaluation.ranking(session) == []
        comparisons = [c for _, c in service.comparisons(session) if c.status != "no_data"]
    assert len(comparisons) >= 10


def test_cli_import_is_idempotent_and_lists_findings(db, world, settings, monkeypatch):
    monkeypatch.setenv("GELSENCLOUD_DATABASE_URL", settings.database_url)
    from gelsencloud.cli import context
    from gelsencloud.core.settings import get_settings

    for cached in (context.settings, context.database, context.registry, get_settings):
        cached.cache_clear()
    try:
        from gelsencloud.cli.main import app

        runner = CliRunner()
        first = runner.invoke(app, ["cockpit", "import"])
        assert first.exit_code == 0, first.output
        assert "measures: 107 created" in first.output and "KPIs: 132 created" in first.output
        assert "gp-datasets-published" in first.output and "data-quality findings: 4 (4 new)" in first.output
        second = runner.invoke(app, ["cockpit", "import"])
        assert "measures: 0 created, 0 updated, 107 unchanged" in second.output
        assert "(0 new)" in second.output
        findings = runner.invoke(app, ["cockpit", "findings"])
        assert findings.output.count("duplicate_kpi") == 4
        exported = runner.invoke(app, ["cockpit", "export-values"])
        assert exported.output.startswith("id,kpi,period_start")
    finally:
        for cached in (context.settings, context.database, context.registry, get_settings):
            cached.cache_clear()
