"""``gelsencloud cockpit report --out file.pdf``: the council report from the command line."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from typer.testing import CliRunner


def test_cli_writes_the_report_as_pdf_and_html(db, world, settings, monkeypatch, tmp_path):
    monkeypatch.setenv("GELSENCLOUD_DATABASE_URL", settings.database_url)
    from gelsencloud.cli import context
    from gelsencloud.core.settings import get_settings

    for cached in (context.settings, context.database, context.registry, get_settings):
        cached.cache_clear()
    try:
        from gelsencloud.cli.main import app

        runner = CliRunner()
        assert runner.invoke(app, ["cockpit", "import"]).exit_code == 0
        target = tmp_path / "bericht.pdf"
        result = runner.invoke(app, ["cockpit", "report", "--out", str(target)])
        assert result.exit_code == 0, result.output
        assert "107 measures" in result.output
        reader = PdfReader(io.BytesIO(target.read_bytes()))
        text = re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in reader.pages))
        assert len(reader.pages) > 1 and "Fortschrittsbericht für den Rat" in text and "4.3.4a" in text
        html = tmp_path / "report.html"
        english = runner.invoke(app, ["cockpit", "report", "--out", str(html), "--lang", "en"])
        assert english.exit_code == 0 and "Progress report for the council" in html.read_text(
            encoding="utf-8"
        )
        wrong = runner.invoke(app, ["cockpit", "report", "--out", str(tmp_path / "bericht.docx")])
        assert wrong.exit_code != 0 and not (tmp_path / "bericht.docx").exists()
        assert runner.invoke(app, ["cockpit", "report", "--out", str(target), "--lang", "fr"]).exit_code != 0
    finally:
        for cached in (context.settings, context.database, context.registry, get_settings):
            cached.cache_clear()
