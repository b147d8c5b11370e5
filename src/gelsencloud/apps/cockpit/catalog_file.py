"""Load and validate the versioned measure catalogue (data/measures.yaml)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from gelsencloud.apps.cockpit.periods import Period, parse_period

DEFAULT_PATH = Path(__file__).parent / "data" / "measures.yaml"

# Measure numbers are "<leitthema>.<handlungsfeld>.<n>" with an optional letter (4.3.4a).
_NUMBER_RE = re.compile(r"^(?P<prefix>\d+\.\d+)\.\d+[a-z]?$")


class CatalogError(ValueError):
    """The measure file is malformed or inconsistent."""


@dataclass(frozen=True)
class Leitthema:
    """A guiding theme (section 4.x of the strategy)."""

    number: str
    code: str
    title: str
    kind: str


@dataclass(frozen=True)
class Handlungsfeld:
    """A field of action (section 4.x.y); ``code`` is the prefix of its measure numbers."""

    number: str
    code: str
    title: str
    leitthema: str


@dataclass(frozen=True)
class Measure:
    """One measure of the strategy, texts in German as written in the document."""

    number: str
    title: str
    description: str
    leitthema: str
    handlungsfeld: str
    period_text: str
    financing: str
    financing_sources: tuple[str, ...]
    sdgs: tuple[int, ...]

    @property
    def period(self) -> Period:
        """The parsed implementation period."""
        return parse_period(self.period_text)


@dataclass(frozen=True)
class MeasureCatalog:
    """All measures with their Leitthemen and Handlungsfelder."""

    version: int
    source: Mapping[str, Any]
    transcribed: date | None
    notes: tuple[str, ...]
    leitthemen: tuple[Leitthema, ...]
    handlungsfelder: tuple[Handlungsfeld, ...]
    measures: tuple[Measure, ...]

    def __len__(self) -> int:
        return len(self.measures)

    def __iter__(self) -> Iterator[Measure]:
        return iter(self.measures)

    def get(self, number: str) -> Measure:
        """Return the measure with this number or raise KeyError."""
        for measure in self.measures:
            if measure.number == number:
                return measure
        raise KeyError(number)

    def leitthema(self, number: str) -> Leitthema:
        """Return the Leitthema with this section number (e.g. "4.1")."""
        for item in self.leitthemen:
            if item.number == number:
                return item
        raise KeyError(number)

    def handlungsfeld(self, number: str) -> Handlungsfeld:
        """Return the Handlungsfeld with this section number (e.g. "4.1.4")."""
        for item in self.handlungsfelder:
            if item.number == number:
                return item
        raise KeyError(number)

    def in_handlungsfeld(self, number: str) -> tuple[Measure, ...]:
        """Measures of one Handlungsfeld, in document order."""
        return tuple(m for m in self.measures if m.handlungsfeld == number)


def _text(raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = raw.get(key)
    if value is None and not required:
        return ""
    # YAML turns unquoted "4.1" into a float, so insist on strings to catch that early.
    if not isinstance(value, str):
        raise CatalogError(f"{where}: '{key}' must be a string, got {value!r}")
    if required and not value.strip():
        raise CatalogError(f"{where}: '{key}' is empty")
    return value


def _list(raw: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = raw.get(key)
    if not isinstance(value, list):
        raise CatalogError(f"{where}: '{key}' must be a list, got {value!r}")
    return value


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CatalogError(f"{where}: expected a mapping, got {value!r}")
    return value


def _leitthemen(doc: Mapping[str, Any]) -> tuple[Leitthema, ...]:
    items: list[Leitthema] = []
    for i, raw in enumerate(_list(doc, "leitthemen", "file")):
        where = f"leitthema #{i + 1}"
        raw = _mapping(raw, where)
        number = _text(raw, "number", where)
        where = f"leitthema {number}"
        items.append(
            Leitthema(
                number=number,
                code=_text(raw, "code", where),
                title=_text(raw, "title", where),
                kind=_text(raw, "kind", where, required=False) or "leitthema",
            )
        )
    _unique([x.number for x in items], "leitthema")
    return tuple(items)


def _handlungsfelder(
    doc: Mapping[str, Any], leitthemen: Mapping[str, Leitthema]
) -> tuple[Handlungsfeld, ...]:
    items: list[Handlungsfeld] = []
    for i, raw in enumerate(_list(doc, "handlungsfelder", "file")):
        where = f"handlungsfeld #{i + 1}"
        raw = _mapping(raw, where)
        number = _text(raw, "number", where)
        where = f"handlungsfeld {number}"
        item = Handlungsfeld(
            number=number,
            code=_text(raw, "code", where),
            title=_text(raw, "title", where),
            leitthema=_text(raw, "leitthema", where),
        )
        theme = leitthemen.get(item.leitthema)
        if theme is None:
            raise CatalogError(f"{where}: unknown leitthema {item.leitthema!r}")
        if item.code.split(".")[0] != theme.code:
            raise CatalogError(
                f"{where}: code {item.code!r} does not start with leitthema code {theme.code!r}"
            )
        items.append(item)
    _unique([x.number for x in items], "handlungsfeld")
    _unique([x.code for x in items], "handlungsfeld code")
    return tuple(items)


def _sdgs(raw: Mapping[str, Any], where: str) -> tuple[int, ...]:
    values = _list(raw, "sdgs", where)
    for value in values:
        # bool is an int subclass; "true" is never a valid SDG.
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 17:
            raise CatalogError(f"{where}: SDG {value!r} is not a number from 1 to 17")
    if len(set(values)) != len(values):
        raise CatalogError(f"{where}: duplicate SDGs {values!r}")
    return tuple(values)


def _measure(raw: Any, index: int, fields: Mapping[str, Handlungsfeld]) -> Measure:
    where = f"measure #{index + 1}"
    raw = _mapping(raw, where)
    number = _text(raw, "number", where)
    where = f"measure {number}"
    match = _NUMBER_RE.match(number)
    if not match:
        raise CatalogError(f"{where}: number does not look like '1.4.1'")
    hf_number = _text(raw, "handlungsfeld", where)
    field = fields.get(hf_number)
    if field is None:
        raise CatalogError(f"{where}: unknown handlungsfeld {hf_number!r}")
    if match.group("prefix") != field.code:
        raise CatalogError(
            f"{where}: number prefix {match.group('prefix')!r} does not match "
            f"handlungsfeld {hf_number} (code {field.code!r})"
        )
    leitthema = _text(raw, "leitthema", where)
    if leitthema != field.leitthema:
        raise CatalogError(
            f"{where}: leitthema {leitthema!r} differs from its handlungsfeld's {field.leitthema!r}"
        )
    sources = _list(raw, "financing_sources", where)
    if not all(isinstance(s, str) and s.strip() for s in sources):
        raise CatalogError(f"{where}: financing_sources must be non-empty strings")
    return Measure(
        number=number,
        title=_text(raw, "title", where),
        description=_text(raw, "description", where, required=False),
        leitthema=leitthema,
        handlungsfeld=hf_number,
        period_text=_text(raw, "period_text", where),
        financing=_text(raw, "financing", where, required=False),
        financing_sources=tuple(sources),
        sdgs=_sdgs(raw, where),
    )


def _unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise CatalogError(f"duplicate {what} {value!r}")
        seen.add(value)


def _transcribed(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise CatalogError(f"file: 'transcribed' is not an ISO date: {value!r}") from exc


def parse_catalog(doc: Any) -> MeasureCatalog:
    """Validate an already parsed YAML document and build the catalogue."""
    doc = _mapping(doc, "file")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise CatalogError(f"file: 'version' must be an integer, got {version!r}")
    leitthemen = _leitthemen(doc)
    handlungsfelder = _handlungsfelder(doc, {x.number: x for x in leitthemen})
    fields = {x.number: x for x in handlungsfelder}
    measures = tuple(_measure(raw, i, fields) for i, raw in enumerate(_list(doc, "measures", "file")))
    _unique([m.number for m in measures], "measure number")
    notes = doc.get("notes") or []
    return MeasureCatalog(
        version=version,
        source=_mapping(doc.get("source") or {}, "file: source"),
        transcribed=_transcribed(doc.get("transcribed")),
        notes=tuple(str(n) for n in notes),
        leitthemen=leitthemen,
        handlungsfelder=handlungsfelder,
        measures=measures,
    )


def load_measures(path: str | Path | None = None) -> MeasureCatalog:
    """Load and validate the measure file (the packaged one by default)."""
    file = Path(path) if path is not None else DEFAULT_PATH
    try:
        with file.open(encoding="utf-8") as handle:
            doc = yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        raise CatalogError(f"{file}: invalid YAML: {exc}") from exc
    try:
        return parse_catalog(doc)
    except CatalogError as exc:
        raise CatalogError(f"{file}: {exc}") from exc
