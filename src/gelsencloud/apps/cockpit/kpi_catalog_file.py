"""Load and validate the versioned KPI catalogue (data/kpis.yaml) and find repeated KPIs.

The file transcribes section 8.2 of the strategy row by row, so a KPI that the document
lists under several Handlungsfelder appears several times. ``find_duplicates`` reports
those repetitions so that an importer can show them as a data-quality finding instead
of creating copies.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PATH = Path(__file__).parent / "data" / "kpis.yaml"

DIRECTIONS = ("increase", "decrease", "target_range")
PERIODS = ("annual", "quarterly", "monthly", "daily")
FRAMEWORKS = ("U4SSC", "ISO37120", "ISO37122", "CITYkeys", "local")
CONFIDENCES = ("low",)

# Slugs such as "od-datasets-published": a Handlungsfeld prefix and at least one more part.
_ID_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$")

_KPI_KEYS_REQUIRED = (
    "id",
    "name_de",
    "leitthema",
    "handlungsfeld",
    "definition_de",
    "formula",
    "unit",
    "normalisation",
    "direction",
    "period",
    "data_source",
    "frameworks",
)
_KPI_KEYS_OPTIONAL = ("name_source", "notes")
_FRAMEWORK_KEYS_REQUIRED = ("framework", "code", "name")
_FRAMEWORK_KEYS_OPTIONAL = ("confidence", "note")


class KpiCatalogError(ValueError):
    """The KPI file is malformed or inconsistent."""


@dataclass(frozen=True)
class Formula:
    """How a KPI is computed; ``denominator`` is None for counts and absolute values."""

    numerator: str
    denominator: str | None


@dataclass(frozen=True)
class FrameworkRef:
    """Mapping of a KPI onto an indicator of an external framework (or a local code)."""

    framework: str
    code: str | None
    name: str
    confidence: str | None = None
    note: str | None = None

    @property
    def is_low_confidence(self) -> bool:
        """Whether the mapping is marked as uncertain."""
        return self.confidence == "low"


@dataclass(frozen=True)
class Kpi:
    """One KPI row of section 8.2; texts in German."""

    id: str
    name_de: str
    name_source: str | None
    leitthema: str
    handlungsfeld: str
    definition_de: str
    formula: Formula
    unit: str
    normalisation: str | None
    direction: str
    period: str
    data_source: str
    frameworks: tuple[FrameworkRef, ...]
    notes: str | None = None


@dataclass(frozen=True)
class KpiCatalog:
    """All KPIs of the file, in document order."""

    version: int
    source: Mapping[str, Any]
    transcribed: date | None
    notes: tuple[str, ...]
    kpis: tuple[Kpi, ...]

    def __len__(self) -> int:
        return len(self.kpis)

    def __iter__(self) -> Iterator[Kpi]:
        return iter(self.kpis)

    def get(self, kpi_id: str) -> Kpi:
        """Return the KPI with this id or raise KeyError."""
        for kpi in self.kpis:
            if kpi.id == kpi_id:
                return kpi
        raise KeyError(kpi_id)

    def leitthemen(self) -> tuple[str, ...]:
        """Leitthemen in order of first appearance."""
        return tuple(dict.fromkeys(kpi.leitthema for kpi in self.kpis))

    def handlungsfelder(self) -> tuple[tuple[str, str], ...]:
        """(Leitthema, Handlungsfeld) pairs in order of first appearance."""
        return tuple(dict.fromkeys((kpi.leitthema, kpi.handlungsfeld) for kpi in self.kpis))

    def by_handlungsfeld(self, leitthema: str, handlungsfeld: str) -> tuple[Kpi, ...]:
        """KPIs listed under one Handlungsfeld, in document order."""
        return tuple(k for k in self.kpis if (k.leitthema, k.handlungsfeld) == (leitthema, handlungsfeld))


@dataclass(frozen=True)
class DuplicateFinding:
    """A KPI listed more than once; the first occurrence is kept as the canonical one."""

    canonical_id: str
    duplicate_ids: tuple[str, ...]
    name_de: str
    locations: tuple[tuple[str, str, str], ...]  # (id, leitthema, handlungsfeld) per occurrence
    message_de: str

    @property
    def ids(self) -> tuple[str, ...]:
        """All ids involved, canonical first."""
        return (self.canonical_id, *self.duplicate_ids)


# ---------------------------------------------------------------------------
# Loading and validation


def _where(index: int, raw: Any) -> str:
    kpi_id = raw.get("id") if isinstance(raw, Mapping) else None
    return f"KPI {kpi_id!r} (kpis[{index}])" if isinstance(kpi_id, str) else f"kpis[{index}]"


def _text(raw: Mapping[str, Any], key: str, where: str, *, nullable: bool = False) -> str | None:
    value = raw.get(key)
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not value.strip():
        expected = "a non-empty string or null" if nullable else "a non-empty string"
        raise KpiCatalogError(f"{where}: {key!r} must be {expected}, got {value!r}")
    return value.strip()


def _check_keys(
    raw: Mapping[str, Any], required: tuple[str, ...], optional: tuple[str, ...], where: str
) -> None:
    missing = [k for k in required if k not in raw]
    if missing:
        raise KpiCatalogError(f"{where}: missing field(s) {', '.join(missing)}")
    unknown = sorted(set(raw) - set(required) - set(optional))
    if unknown:
        raise KpiCatalogError(f"{where}: unknown field(s) {', '.join(unknown)}")


def _choice(raw: Mapping[str, Any], key: str, allowed: tuple[str, ...], where: str) -> str:
    value = raw.get(key)
    if value not in allowed:
        raise KpiCatalogError(f"{where}: {key} {value!r} is not one of {', '.join(allowed)}")
    return value


def _formula(value: Any, where: str) -> Formula:
    if not isinstance(value, Mapping):
        raise KpiCatalogError(f"{where}: 'formula' must be a mapping with numerator and denominator")
    _check_keys(value, ("numerator", "denominator"), (), f"{where} formula")
    numerator = _text(value, "numerator", f"{where} formula")
    denominator = _text(value, "denominator", f"{where} formula", nullable=True)
    assert numerator is not None
    return Formula(numerator=numerator, denominator=denominator)


def _framework(value: Any, where: str) -> FrameworkRef:
    if not isinstance(value, Mapping):
        raise KpiCatalogError(f"{where}: each framework entry must be a mapping")
    _check_keys(value, _FRAMEWORK_KEYS_REQUIRED, _FRAMEWORK_KEYS_OPTIONAL, where)
    framework = _choice(value, "framework", FRAMEWORKS, where)
    confidence = value.get("confidence")
    if confidence is not None and confidence not in CONFIDENCES:
        raise KpiCatalogError(f"{where}: confidence {confidence!r} is not one of {', '.join(CONFIDENCES)}")
    # A null code is allowed only for an uncertain mapping onto a framework without confirmed numbering.
    code = _text(value, "code", where, nullable=framework != "local" and confidence == "low")
    name = _text(value, "name", where)
    note = _text(value, "note", where, nullable=True)
    assert name is not None
    return FrameworkRef(framework=framework, code=code, name=name, confidence=confidence, note=note)


def _kpi(raw: Any, index: int) -> Kpi:
    where = _where(index, raw)
    if not isinstance(raw, Mapping):
        raise KpiCatalogError(f"{where}: each KPI must be a mapping")
    _check_keys(raw, _KPI_KEYS_REQUIRED, _KPI_KEYS_OPTIONAL, where)
    kpi_id = _text(raw, "id", where)
    assert kpi_id is not None
    if not _ID_RE.match(kpi_id):
        raise KpiCatalogError(f"{where}: id must be a lower-case slug like 'od-datasets-published'")
    frameworks_raw = raw.get("frameworks")
    if not isinstance(frameworks_raw, list) or not frameworks_raw:
        raise KpiCatalogError(f"{where}: 'frameworks' must be a non-empty list")
    frameworks = tuple(_framework(fw, f"{where} frameworks[{i}]") for i, fw in enumerate(frameworks_raw))
    if sum(fw.framework == "local" for fw in frameworks) > 1:
        raise KpiCatalogError(f"{where}: at most one 'local' framework entry is allowed")
    return Kpi(
        id=kpi_id,
        name_de=_text(raw, "name_de", where) or "",
        name_source=_text(raw, "name_source", where, nullable=True),
        leitthema=_text(raw, "leitthema", where) or "",
        handlungsfeld=_text(raw, "handlungsfeld", where) or "",
        definition_de=_text(raw, "definition_de", where) or "",
        formula=_formula(raw.get("formula"), where),
        unit=_text(raw, "unit", where) or "",
        normalisation=_text(raw, "normalisation", where, nullable=True),
        direction=_choice(raw, "direction", DIRECTIONS, where),
        period=_choice(raw, "period", PERIODS, where),
        data_source=_text(raw, "data_source", where) or "",
        frameworks=frameworks,
        notes=_text(raw, "notes", where, nullable=True),
    )


def _transcribed(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise KpiCatalogError(f"'transcribed' is not an ISO date: {value!r}") from exc


def parse_kpis(doc: Any) -> KpiCatalog:
    """Validate an already parsed YAML document and build the catalogue."""
    if not isinstance(doc, Mapping):
        raise KpiCatalogError("the KPI file must contain a mapping at the top level")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise KpiCatalogError(f"'version' must be a positive integer, got {version!r}")
    source = doc.get("source") or {}
    if not isinstance(source, Mapping):
        raise KpiCatalogError("'source' must be a mapping")
    notes = doc.get("notes") or []
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise KpiCatalogError("'notes' must be a list of strings")
    raw_kpis = doc.get("kpis")
    if not isinstance(raw_kpis, list) or not raw_kpis:
        raise KpiCatalogError("'kpis' must be a non-empty list")
    kpis = tuple(_kpi(raw, i) for i, raw in enumerate(raw_kpis))
    seen: dict[str, int] = {}
    for i, kpi in enumerate(kpis):
        if kpi.id in seen:
            raise KpiCatalogError(
                f"KPI {kpi.id!r} (kpis[{i}]): duplicate id, first used at kpis[{seen[kpi.id]}]"
            )
        seen[kpi.id] = i
    return KpiCatalog(
        version=version,
        source=dict(source),
        transcribed=_transcribed(doc.get("transcribed")),
        notes=tuple(notes),
        kpis=kpis,
    )


def load_kpis(path: str | Path | None = None) -> KpiCatalog:
    """Load and validate the KPI file (default: the packaged data/kpis.yaml)."""
    file = Path(path) if path is not None else DEFAULT_PATH
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise KpiCatalogError(f"cannot read KPI file {file}: {exc}") from exc
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KpiCatalogError(f"{file}: invalid YAML: {exc}") from exc
    try:
        return parse_kpis(doc)
    except KpiCatalogError as exc:
        raise KpiCatalogError(f"{file}: {exc}") from exc


# ---------------------------------------------------------------------------
# Duplicate detection

_HYPHENS = "-\u2010\u2011\u00ad"  # hyphen-minus, hyphen, non-breaking hyphen, soft hyphen


def normalise_text(text: str | None) -> str:
    """Normalise a KPI name or formula for comparison (case, hyphenation, punctuation, spaces)."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", text).casefold()
    # A hyphen followed by optional whitespace is PDF hyphenation or a compound hyphen: join.
    value = re.sub(f"[{_HYPHENS}]\\s*", "", value)
    value = re.sub(r"[^\w\s]", " ", value)
    value = value.replace("_", " ")
    return " ".join(value.split())


def _duplicate_key(kpi: Kpi) -> tuple[str, str, str]:
    return (
        normalise_text(kpi.name_de),
        normalise_text(kpi.formula.numerator),
        normalise_text(kpi.formula.denominator),
    )


def _message_de(kpis: list[Kpi]) -> str:
    canonical, duplicates = kpis[0], kpis[1:]
    places = "; ".join(f"„{k.leitthema} / {k.handlungsfeld}“ ({k.id})" for k in kpis)
    fields = {(k.leitthema, k.handlungsfeld) for k in kpis}
    scope = "mehreren Handlungsfeldern" if len(fields) > 1 else "demselben Handlungsfeld mehrfach"
    dup_ids = ", ".join(f"„{k.id}“" for k in duplicates)
    verb = "wird" if len(duplicates) == 1 else "werden"
    return (
        f"Die Kennzahl „{canonical.name_de}“ ist unter {scope} aufgeführt: {places}. "
        f"Name und Berechnungsformel stimmen überein, es handelt sich um dieselbe Kennzahl. "
        f"Geführt wird „{canonical.id}“ (erstes Vorkommen); {dup_ids} {verb} nicht als eigene "
        f"Kennzahl angelegt."
    )


def find_duplicates(catalog: KpiCatalog) -> list[DuplicateFinding]:
    """Report KPIs listed more than once (same normalised name and formula), in document order."""
    groups: dict[tuple[str, str, str], list[Kpi]] = {}
    for kpi in catalog.kpis:
        groups.setdefault(_duplicate_key(kpi), []).append(kpi)
    findings = []
    for members in groups.values():
        if len(members) < 2:
            continue
        findings.append(
            DuplicateFinding(
                canonical_id=members[0].id,
                duplicate_ids=tuple(k.id for k in members[1:]),
                name_de=members[0].name_de,
                locations=tuple((k.id, k.leitthema, k.handlungsfeld) for k in members),
                message_de=_message_de(members),
            )
        )
    return findings


def canonical_ids(catalog: KpiCatalog) -> dict[str, str]:
    """Map every KPI id to the id of its canonical (first) occurrence."""
    mapping = {kpi.id: kpi.id for kpi in catalog.kpis}
    for finding in find_duplicates(catalog):
        for dup in finding.duplicate_ids:
            mapping[dup] = finding.canonical_id
    return mapping
