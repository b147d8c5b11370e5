"""CLI of the strategy cockpit (``gelsencloud cockpit ...``)."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer

from gelsencloud.apps.cockpit import csv_io, evaluation, service
from gelsencloud.apps.cockpit.catalog_file import CatalogError
from gelsencloud.apps.cockpit.importer import import_catalogs
from gelsencloud.apps.cockpit.kpi_catalog_file import KpiCatalogError
from gelsencloud.cli.context import console, database, fail, registry
from gelsencloud.core.classification import PermissionDenied
from gelsencloud.core.identity import InvalidInput, NotFound
from gelsencloud.core.principal import Principal

app = typer.Typer(help="Strategy cockpit: measures, KPIs, values.", no_args_is_help=True)
ERRORS = (InvalidInput, NotFound, PermissionDenied, CatalogError, KpiCatalogError)


def _transaction():
    # Shell access to the server means acting as the platform, named in the audit log.
    return database().transaction(Principal(kind="system", name=f"cli:{getpass.getuser()}"))


@app.command("import")
def import_cmd(
    measures: Path = typer.Option(None, help="Measure file (default: the packaged data/measures.yaml)."),
    kpis: Path = typer.Option(None, help="KPI file (default: the packaged data/kpis.yaml)."),
) -> None:
    """Import the measure and KPI catalogues (idempotent)."""
    try:
        with _transaction() as session:
            report = import_catalogs(session, measures_path=measures, kpis_path=kpis)
    except ERRORS as exc:
        raise fail(str(exc)) from None
    console.print(
        f"measures: {report.measures_created} created, {report.measures_updated} updated, "
        f"{report.measures_unchanged} unchanged"
    )
    console.print(
        f"KPIs: {report.kpis_created} created, {report.kpis_updated} updated, {report.kpis_unchanged} unchanged; "
        f"not imported as duplicates: {', '.join(report.duplicates_not_imported) or '-'}"
    )
    console.print(f"data-quality findings: {report.findings_total} ({report.findings_created} new)")


@app.command("findings")
def findings_cmd() -> None:
    """List data-quality findings."""
    with _transaction() as session:
        for finding in service.list_findings(session):
            console.print(f"[bold]{finding.kind}[/bold] {finding.subject}: {finding.message_de}")


@app.command("live")
def live_cmd() -> None:
    """Compute the live KPIs of all plugins now."""
    from gelsencloud.apps.cockpit.live import run_live_kpis

    with _transaction() as session:
        report = run_live_kpis(session, registry().kpi_providers())
    console.print(report.message())


@app.command("import-values")
def import_values_cmd(file: Path) -> None:
    """Import IST values from a CSV file (all rows or none)."""
    try:
        with _transaction() as session:
            records = csv_io.import_values(session, file.read_text(encoding="utf-8-sig"))
    except csv_io.CsvImportError as exc:
        for error in exc.errors:
            console.print(f"[red]{error}[/red]")
        raise fail(f"nothing imported ({len(exc.errors)} error(s))") from None
    except (*ERRORS, OSError) as exc:
        raise fail(str(exc)) from None
    console.print(f"{len(records)} value(s) imported")


@app.command("export-values")
def export_values_cmd(kpi: str = typer.Option(None, help="Only this KPI.")) -> None:
    """Write IST values as CSV to standard output."""
    with _transaction() as session:
        typer.echo(csv_io.export_values(service.list_values(session, kpi_code=kpi)), nl=False)


@app.command("ranking")
def ranking_cmd() -> None:
    """Write the ranked evaluation matrix as CSV to standard output."""
    with _transaction() as session:
        typer.echo(evaluation.ranking_csv(session), nl=False)


@app.command("report")
def report_cmd(
    out: Path = typer.Option(
        ..., "--out", help="Output file: .pdf for the PDF, .html for the HTML document."
    ),
    lang: str = typer.Option("de", help="Language of the report: de or en."),
) -> None:
    """Write the council progress report (published data only) as PDF or HTML."""
    from gelsencloud.apps.cockpit import report

    if lang not in ("de", "en"):
        raise fail("--lang must be de or en")
    if out.suffix.lower() not in (".pdf", ".html", ".htm"):
        raise fail("--out must end in .pdf or .html")
    with _transaction() as session:
        data = report.build_report(session, lang)
        html = report.render_print_html(data, lang)
    try:
        if out.suffix.lower() == ".pdf":
            out.write_bytes(report.render_pdf(html))
        else:
            out.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise fail(str(exc)) from None
    console.print(f"report written to {out} ({out.stat().st_size} bytes, {data['measure_count']} measures)")
