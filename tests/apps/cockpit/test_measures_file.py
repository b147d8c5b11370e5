"""Tests for the transcribed measure file and its loader."""

from __future__ import annotations

import copy
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml

from gelsencloud.apps.cockpit.catalog_file import DEFAULT_PATH, CatalogError, load_measures

# The extracted strategy text lies in shared/ beside the repository (also in CI); tests skip without it.
SEED = Path(__file__).resolve().parents[3].parent / "shared" / "seed" / "000_f4c667f50fd5740b.txt"

# Measures whose period is only a deadline ("bis ..."): the document gives no start.
DEADLINE_ONLY = {"1.2.1", "1.2.9", "1.2.10", "2.3.2", "3.1.1", "3.2.1", "3.2.2", "3.2.5", "3.5.3"}


@pytest.fixture(scope="module")
def catalog():
    return load_measures()


@pytest.fixture(scope="module")
def raw_doc():
    with DEFAULT_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_exactly_107_unique_measures(catalog):
    numbers = [m.number for m in catalog]
    assert len(numbers) == 107
    assert len(set(numbers)) == 107


def test_counts_per_leitthema_and_handlungsfeld(catalog):
    per_theme = Counter(m.leitthema for m in catalog)
    assert per_theme == {"4.1": 34, "4.2": 9, "4.3": 30, "4.4": 15, "4.5": 8, "4.6": 11}
    per_field = Counter(m.handlungsfeld for m in catalog)
    assert per_field["4.1.2"] == 11
    assert per_field["4.1.4"] == 11
    assert per_field["4.3.6"] == 7
    assert per_field["4.4.3"] == 5  # 4.3.1-4.3.4 and 4.3.4a
    assert all(per_field[h.number] > 0 for h in catalog.handlungsfelder)


def test_structure(catalog):
    assert [lt.title for lt in catalog.leitthemen] == [
        "Digitale & Bürgerorientierte Verwaltung",
        "Energie & Umwelt",
        "Lebensqualität & Teilhabe",
        "Smarte & Nachhaltige Mobilität",
        "Smarte Wirtschaft",
        "Leuchtturmprojekt Open Innovation Lab (OIL) im ARENA PARK",
    ]
    assert catalog.leitthema("4.6").kind == "leuchtturmprojekt"
    assert len(catalog.handlungsfelder) == 20
    field = catalog.handlungsfeld("4.1.4")
    assert (field.code, field.title, field.leitthema) == ("1.4", "Urbane Datenplattform & Open Data", "4.1")
    assert catalog.handlungsfeld("4.4.2").title == "Modal Shift & Mobilität als Service (MaaS)"
    assert catalog.handlungsfeld("4.2.2").title == "Resilienz & Umweltdaten"


def test_header(catalog, raw_doc):
    assert isinstance(catalog.version, int)
    assert catalog.transcribed == date(2026, 11, 27)
    assert "Vernetzte Stadt Gelsenkirchen" in catalog.source["document"]
    assert "4.1" in catalog.source["sections"] and "4.6" in catalog.source["sections"]
    assert any("107" in note for note in catalog.notes)
    assert list(raw_doc)[:4] == ["version", "source", "transcribed", "notes"]


# number: (title, period_text, financing, sdgs, handlungsfeld)
SPOT_CHECKS = {
    "1.1.1": (
        "Aufbau der Gelsenkirchener Online-Beteiligungsplattform zur Bürger-Partizipation",
        "2021-2022",
        "offen",
        (10, 11, 16, 17),
        "4.1.1",
    ),
    "1.2.1": (
        "Einführung eines Service-Portals inkl. Formularserver",
        "bis Q3. 2021",
        "Förderung Umbau-21",
        (11, 16),
        "4.1.2",
    ),
    "1.4.1": ("Urbane Datenplattform (GELSENcloud)", "2020 - ff", "Eigenmittel, offen", (9, 11, 17), "4.1.4"),
    "2.1.3": (
        "Intelligentes Abfallmanagement (Smart Waste)",
        "bis Q4.2019 Analyse, Pilotierungen & Roll-Out ab 2021",
        "offen",
        (9, 11, 12, 13),
        "4.2.1",
    ),
    "2.3.4": ("Augmented Reality for Grid Infrastructure", "ab 2021", "offen", (9, 11, 12), "4.2.3"),
    "3.1.1": (
        "Revitalisierung Ückendorf, Quartier rund um die „Bochumer Straße“",
        "bis 2030",
        "Land NRW und EU, offen",
        (9, 11),
        "4.3.1",
    ),
    "3.6.5": (
        "Einführung eines Digital-Signage-Systems",
        "Test ab 2020, danach stadtweiter Rollout",
        "Pilotfinanzierung durch Eigenmittel, Rollout: offen",
        (9, 11),
        "4.3.6",
    ),
    "4.1.5": (
        "Kooperatives Parkraummanagement",
        "2020 - ff",
        "Bundesanstalt für Straßenwesen (geplant)",
        (9, 11, 13, 16),
        "4.4.1",
    ),
    "4.3.4a": ("Fahrgastinformationssystem im ÖPNV", "offen", "offen", (9, 11), "4.4.3"),
    "5.1.1": (
        "Robotik-AGs & Wettbewerbe",
        "fortlaufend",
        "Spenden/Sponsoring, Personalgestellung, Land NRW (zdi)",
        (4, 8, 9, 11),
        "4.5.1",
    ),
    "5.2.1": ("StartUp-Ückendorf", "10.2019-06.2022", "Zukunftsstadt 2030+ BMBF", (8, 9, 11, 17), "4.5.2"),
    "6.1.11": ('OIL – Pilotprojekt "Future Work-Life"', "2021-2027", "offen", (6, 7, 8, 9, 11, 13), "4.6"),
}


@pytest.mark.parametrize("number", sorted(SPOT_CHECKS))
def test_spot_checks_against_document(catalog, number):
    title, period_text, financing, sdgs, field = SPOT_CHECKS[number]
    measure = catalog.get(number)
    assert measure.title == title
    assert measure.period_text == period_text
    assert measure.financing == financing
    assert measure.sdgs == sdgs
    assert measure.handlungsfeld == field
    assert measure.leitthema == catalog.handlungsfeld(field).leitthema


def test_spot_checks_cover_all_leitthemen(catalog):
    assert {catalog.get(n).leitthema for n in SPOT_CHECKS} == {lt.number for lt in catalog.leitthemen}


def test_financing_sources_are_split(catalog):
    assert catalog.get("1.3.1").financing_sources == ("GELSEN-NET", "Eigenmittel", "offen")
    assert catalog.get("3.1.1").financing_sources == ("Land NRW", "EU", "offen")
    assert catalog.get("5.2.1").financing_sources == ("Zukunftsstadt 2030+ BMBF",)
    for measure in catalog:
        assert measure.financing_sources, measure.number


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        # Rows rejoined across page breaks.
        ("1.2.3", "übergreifend bündelt. Mit diesem Angebot unterstreicht"),
        ("1.4.2", "zur Verfügung gestellt. Durch die Erschließung weiterer Datenquellen"),
        (
            "1.4.10",
            "Wirtschaftsstrukturen etc., Identifikation zielgruppenspezifisch relevanter Informationen.",
        ),
        ("3.1.3", "Schalke-Nord. Digitalisierung wird von Anfang an"),
        ("3.6.3", "wird es zudem möglich, eine Person"),
        ("4.1.4", "Ziel ist die Sicherstellung eines qualitativ hochwertigen Koordinierungsprozesses"),
        ("4.1.6", "und der Beleuchtung (temporärer Einsatz bei Nutzung)"),
        ("6.1.3", "das Institut für Internet-Sicherheit der Westfälischen Hochschule"),
        ("6.1.3", "\n- für die Prävention für Alltagssportlerinnen & -sportler\n"),
        ("6.1.5", "die Potenziale der Technologie für die Stadt zu bewerten"),
        ("6.1.9", "die Logistik für den kompletten ARENA PARK übernimmt."),
        ("6.1.11", "(Arbeiten, Leben, Versorgung, Mobilität) neu gedacht wird."),
    ],
)
def test_broken_rows_are_rejoined(catalog, number, fragment):
    assert fragment in catalog.get(number).description


LEGIT_LOWER_HYPHEN = ("roaming-fähig", "Blockchain-basierte", "Start-up")


def test_no_extraction_debris(catalog):
    for measure in catalog:
        for text in (measure.title, measure.description, measure.financing, measure.period_text):
            assert "<" not in text and ">" not in text, measure.number
            assert "\t" not in text and "  " not in text and "■" not in text, measure.number
            assert text == text.strip(), measure.number
            # A lower-case letter after a hyphen is a broken line-wrap, except in these real words.
            for word in LEGIT_LOWER_HYPHEN:
                text = text.replace(word, "")
            assert not re.search(r"[a-zäöüß]-[a-zäöüß]", text), measure.number
        assert measure.description, measure.number


def test_document_order(catalog):
    def key(number):
        *parts, last = number.split(".")
        return [int(p) for p in parts] + [int(last.rstrip("abcdefghijklmnopqrstuvwxyz")), last]

    numbers = [m.number for m in catalog]
    assert numbers == sorted(numbers, key=key)


def test_every_period_parses(catalog):
    for measure in catalog:
        period = measure.period  # must not raise
        assert period.text == measure.period_text
        if re.search(r"(?:19|20)\d{2}", measure.period_text):
            assert period.precision != "unknown", measure.number
            if measure.number in DEADLINE_ONLY:
                # The document gives only a deadline; the parser does not invent a start.
                assert period.start is None and period.end is not None, measure.number
            else:
                assert period.start_year is not None, measure.number
        if period.start and period.end:
            assert period.start <= period.end, measure.number


def test_deadline_only_list_is_exact(catalog):
    deadline = {m.number for m in catalog if m.period.start is None and m.period.end is not None}
    assert deadline == DEADLINE_ONLY
    assert all(catalog.get(n).period_text.lower().startswith("bis") for n in DEADLINE_ONLY)


def test_period_spot_checks(catalog):
    assert catalog.get("1.4.1").period.start == date(2020, 1, 1)
    assert catalog.get("1.4.1").period.open_ended
    assert catalog.get("1.4.8").period.end == date(2022, 6, 30)
    assert catalog.get("1.3.3").period.ongoing
    assert catalog.get("1.2.6").period.precision == "unknown"


# --- cross-check with the extracted document, when it is available -------------------------------


def _letters(text: str) -> str:
    return re.sub(r"[^0-9A-Za-zÄÖÜäöüß]", "", text)


@pytest.mark.skipif(not SEED.exists(), reason="seed document not available")
def test_against_seed_text(catalog):
    lines = SEED.read_text(encoding="utf-8").splitlines()
    start = lines.index("4. Leitthemen, Handlungsfelder und Projekte")
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("5. Raumbezüge"))
    rows: dict[str, list[str]] = {}
    last = None
    for line in lines[start:end]:
        if re.match(r"^\d+\.\d+\.\d+[a-z]?\t", line):
            last = line.split("\t")
            rows[last[0]] = last
        elif line.startswith("\t\t") and last is not None:
            # Continuation of the previous row after a page break: append to its description.
            last[2] += " " + line.split("\t")[2]
    assert set(rows) == {m.number for m in catalog}
    for measure in catalog:
        number, title, description, period, financing, sdgs = rows[measure.number][:6]
        description = re.sub(r"<[^>]+>", "", description)
        # Letters-only comparison tolerates the documented hyphenation and layout repairs.
        assert _letters(measure.title) == _letters(title), measure.number
        assert _letters(measure.description) == _letters(description), measure.number
        assert _letters(measure.financing) == _letters(financing), measure.number
        assert measure.period_text == period.strip(), measure.number
        assert measure.sdgs == tuple(int(s) for s in sdgs.split(",")), measure.number


# --- validation -------------------------------------------------------------------------------------


def _write(tmp_path: Path, doc) -> Path:
    path = tmp_path / "measures.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _measure(doc, number):
    return next(m for m in doc["measures"] if m["number"] == number)


def test_roundtrip_of_valid_copy(tmp_path, raw_doc):
    assert len(load_measures(_write(tmp_path, copy.deepcopy(raw_doc)))) == 107


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["measures"].append(copy.deepcopy(_measure(d, "1.1.2"))),
            "duplicate measure number '1.1.2'",
        ),
        (lambda d: _measure(d, "1.1.2").update(number="1.2.99"), "measure 1.2.99: number prefix '1.2'"),
        (lambda d: _measure(d, "2.2.1").update(sdgs=[9, 18]), "measure 2.2.1: SDG 18"),
        (lambda d: _measure(d, "2.2.1").update(sdgs=[0]), "measure 2.2.1: SDG 0"),
        (lambda d: _measure(d, "2.2.1").update(sdgs=["9"]), "measure 2.2.1: SDG '9'"),
        (lambda d: _measure(d, "3.3.1").update(title=""), "measure 3.3.1: 'title' is empty"),
        (lambda d: _measure(d, "3.3.1").pop("title"), "measure 3.3.1: 'title' must be a string"),
        (
            lambda d: _measure(d, "4.2.2").update(handlungsfeld="4.9.9"),
            "measure 4.2.2: unknown handlungsfeld",
        ),
        (lambda d: _measure(d, "4.2.2").update(leitthema="4.1"), "measure 4.2.2: leitthema '4.1' differs"),
        (lambda d: _measure(d, "5.1.1").update(number=5.1), "measure #"),
        (lambda d: _measure(d, "5.1.1").update(number="5-1-1"), "measure 5-1-1: number does not look like"),
        (lambda d: d["handlungsfelder"][0].update(leitthema="4.9"), "handlungsfeld 4.1.1: unknown leitthema"),
        (lambda d: d.update(version="eins"), "'version' must be an integer"),
        (lambda d: d.pop("measures"), "'measures' must be a list"),
    ],
)
def test_validation_errors(tmp_path, raw_doc, mutate, message):
    doc = copy.deepcopy(raw_doc)
    mutate(doc)
    with pytest.raises(CatalogError, match=re.escape(message)):
        load_measures(_write(tmp_path, doc))


def test_invalid_yaml(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("measures: [\n  - number: '1.1.1'\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="invalid YAML"):
        load_measures(path)


def test_error_names_the_file(tmp_path, raw_doc):
    doc = copy.deepcopy(raw_doc)
    _measure(doc, "1.4.1")["sdgs"] = [99]
    path = _write(tmp_path, doc)
    with pytest.raises(CatalogError) as info:
        load_measures(path)
    assert str(path) in str(info.value) and "measure 1.4.1" in str(info.value)
