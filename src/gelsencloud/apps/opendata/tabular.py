"""Tabular distributions: store uploads, parse them, infer column types, load them into typed tables.

Decision (replaces the single JSON row store of the first version, measured 100x too slow on a
million rows): every tabular distribution version gets a typed table of its own, created at import
(``tables.py``; DDL at run time like Datasette, dropped with the version or the distribution).
Filters and sorts are index ranges over typed columns instead of decoding a JSON document per row,
and CSV exports are written by the database from typed values (``csv_export.py``). Table and column names are derived
from integers only (``odt_<id>_v<version>``, ``c<n>``). Classification stays enforced in one place:
the typed tables have no tenant or classification columns and are reachable only through
``tables.open_table``, which takes a distribution loaded through the caller's session (the access
rule applied) and re-checks it. Rejected alternatives: per-distribution partial expression indexes
on the JSON store (counts and facets still decode each matching JSON row; exports still decode every
row) and typed shadow columns (a fixed number of generic columns cannot hold arbitrary tables).
Geo tables are additionally written to ``opendata_rows`` (JSON per row), which OGC API Features
(``apis/ogcapi``, not part of this module) reads; ``base_query`` below serves it.
Full-text search stays word-wise LIKE over a lower-cased ``_search`` column (portable).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import String, cast, func, insert
from sqlalchemy.orm import Session

from gelsencloud.apps.opendata import tables, vocab
from gelsencloud.apps.opendata.models import DataRow, Distribution
from gelsencloud.core.classification import PermissionDenied, principal_of
from gelsencloud.core.identity import InvalidInput
from gelsencloud.core.models import utcnow

BATCH = 5000
CHUNK = 1 << 16
MAX_PAGE = tables.MAX_PAGE
LAT_NAMES = {"lat", "latitude", "breite", "breitengrad", "y_wgs84"}
LON_NAMES = {"lon", "lng", "long", "longitude", "laenge", "länge", "laengengrad", "x_wgs84"}


def files_root(settings) -> Path:
    """Return the folder where uploaded files are kept."""
    root = Path(settings.var_dir) / "opendata" / "files"
    root.mkdir(parents=True, exist_ok=True)
    return root


@dataclass
class StoredFile:
    """An uploaded file written to disk, with its size and SHA-256 checksum."""

    key: str
    path: Path
    byte_size: int
    checksum: str


def store_file(root: Path, source: IO[bytes], suffix: str) -> StoredFile:
    """Copy an upload to disk in chunks, hashing as it goes (never whole in memory)."""
    key = uuid.uuid4().hex + suffix
    path = root / key
    digest = hashlib.sha256()
    size = 0
    with path.open("wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return StoredFile(key=key, path=path, byte_size=size, checksum=digest.hexdigest())


# --- parsing ------------------------------------------------------------------------------------


def _convert(value: Any, decimal_comma: bool) -> Any:
    if not isinstance(value, str):
        if isinstance(value, datetime | date):
            return value.isoformat()
        return value
    text = value.strip()
    if text == "":
        return None
    if re.fullmatch(r"[-+]?\d{1,15}", text) and not (len(text) > 1 and text[0] == "0"):
        return int(text)
    candidate = text.replace(".", "").replace(",", ".") if decimal_comma and "," in text else text
    if re.fullmatch(r"[-+]?\d+\.\d+", candidate):
        return float(candidate)
    return text


def iter_records(path: Path, fmt: str) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Yield (properties, GeoJSON geometry or None) from a stored file, streaming where the format allows."""
    if fmt == "CSV":
        yield from _iter_csv(path)
    elif fmt == "XLSX":
        yield from _iter_xlsx(path)
    elif fmt in ("JSON", "GEOJSON"):
        yield from _iter_json(path)
    else:
        raise InvalidInput(f"format {fmt} is not tabular")


def _iter_csv(path: Path):
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        head = handle.readline()
        handle.seek(0)
        if head.startswith("\ufeff"):
            handle.read(1)
        delimiter = max(";,\t", key=head.count)
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, None)
        if not header:
            raise InvalidInput("CSV file has no header row")
        names = _unique_names(header)
        for raw in reader:
            if not any(cell.strip() for cell in raw):
                continue
            yield {n: _convert(v, delimiter == ";") for n, v in zip(names, raw, strict=False)}, None


def _iter_xlsx(path: Path):
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            raise InvalidInput("XLSX sheet has no header row")
        names = _unique_names(["" if h is None else str(h) for h in header])
        for raw in rows:
            if raw is None or all(v is None for v in raw):
                continue
            yield {n: _convert(v, False) for n, v in zip(names, raw, strict=False)}, None
    finally:
        workbook.close()


def _iter_json(path: Path):
    # JSON has no streaming parser in the standard library; files are read once per import.
    with path.open("rb") as handle:
        try:
            doc = json.load(handle)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"invalid JSON: {exc}") from None
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        for feature in doc.get("features") or []:
            props = feature.get("properties") or {}
            yield {str(k): _convert(v, False) for k, v in props.items()}, feature.get("geometry")
        return
    if isinstance(doc, dict):
        doc = next((v for v in doc.values() if isinstance(v, list)), None)
    if not isinstance(doc, list):
        raise InvalidInput("JSON must be an array of objects or a GeoJSON FeatureCollection")
    for item in doc:
        if isinstance(item, dict):
            yield {str(k): _flatten(v) for k, v in item.items()}, None


def _flatten(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else _convert(value, False)


def _unique_names(header: list[str]) -> list[str]:
    names, seen = [], set()
    for i, raw in enumerate(header):
        name = (raw or "").strip() or f"spalte_{i + 1}"
        base, n = name, 2
        while name in seen:
            name, n = f"{base}_{n}", n + 1
        seen.add(name)
        names.append(name)
    return names


class ColumnProfiler:
    """Infers column types while rows stream past."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.kinds: dict[str, dict[str, int]] = {}

    def add(self, row: dict[str, Any]) -> None:
        """Count the value kinds of one row."""
        for name, value in row.items():
            if name not in self.kinds:
                self.order.append(name)
                self.kinds[name] = {}
            kind = (
                "null"
                if value is None
                else "boolean"
                if isinstance(value, bool)
                else "integer"
                if isinstance(value, int) and -(2**63) <= value < 2**63
                else "number"
                if isinstance(value, float)
                else "string"
            )
            self.kinds[name][kind] = self.kinds[name].get(kind, 0) + 1

    def columns(self) -> list[dict[str, str]]:
        """Return [{name, type}] with type integer, number, boolean or string."""
        result = []
        for name in self.order:
            kinds = {k for k, c in self.kinds[name].items() if c and k != "null"}
            if kinds <= {"integer"} and kinds:
                kind = "integer"
            elif kinds <= {"integer", "number"} and kinds:
                kind = "number"
            elif kinds == {"boolean"}:
                kind = "boolean"
            else:
                kind = "string"
            result.append({"name": name, "type": kind})
        return result


def _point(row: dict[str, Any]) -> dict[str, Any] | None:
    lat = next((row[k] for k in row if k.lower() in LAT_NAMES), None)
    lon = next((row[k] for k in row if k.lower() in LON_NAMES), None)
    if (
        isinstance(lat, int | float)
        and isinstance(lon, int | float)
        and -90 <= lat <= 90
        and -180 <= lon <= 180
    ):
        return {"type": "Point", "coordinates": [float(lon), float(lat)]}
    return None


def _search_text(row: dict[str, Any]) -> str:
    return " ".join(str(v) for v in row.values() if v is not None).lower()[:4000]


def load_rows(
    session: Session,
    dist: Distribution,
    records: Sequence[tuple[dict[str, Any], dict[str, Any] | None]]
    | Callable[[], Iterable[tuple[dict[str, Any], dict[str, Any] | None]]],
    *,
    version: int,
) -> int:
    """Store records as ``version`` of ``dist`` in a new typed table; profile columns; return the count.

    ``records`` is a sequence or a function returning a fresh iterator: it is read twice, once to
    infer the column types (and to reject bad input before any table exists), once to insert.
    Geo tables are also written to the JSON row store ``opendata_rows``, which OGC API Features reads.
    """
    if not principal_of(session).can_write(dist.tenant_id):
        # bulk inserts skip the flush check, so this path checks rights itself.
        raise PermissionDenied("may not write rows of this distribution")
    if not callable(records):
        records = list(records) if not isinstance(records, Sequence) else records
        source = lambda: iter(records)  # noqa: E731
    else:
        source = records
    profiler = ColumnProfiler()
    count, geo = 0, False
    for props, geometry in source():
        count += 1
        profiler.add(props)
        geo = geo or (geometry or _point(props)) is not None
    columns = profiler.columns()

    def rows():
        batch: list[dict[str, Any]] = []
        for rownum, (props, geometry) in enumerate(source(), 1):
            geometry = geometry or _point(props)
            search = _search_text(props)
            if geo:
                batch.append(
                    {
                        "distribution_id": dist.id,
                        "version": version,
                        "rownum": rownum,
                        "data": props,
                        "geometry": geometry,
                        "search_text": search,
                        "tenant_id": dist.tenant_id,
                        "classification": dist.classification,
                    }
                )
                if len(batch) >= BATCH:
                    session.execute(insert(DataRow), batch)
                    batch = []
            yield rownum, props, json.dumps(geometry) if geometry else None, search
        if batch:
            session.execute(insert(DataRow), batch)

    tables.create_and_fill(session, dist.id, version, columns, rows())
    dist.columns = columns
    dist.row_count = count
    dist.tabular = True
    dist.geo = geo
    dist.version = version
    dist.modified = utcnow()
    session.flush()
    return count


def import_file(session: Session, dist: Distribution, path: Path) -> int:
    """Parse a stored file of a tabular format into a typed table (the file is read twice)."""
    if dist.format not in ("CSV", "JSON", "GEOJSON", "XLSX"):
        return 0
    return load_rows(session, dist, lambda: iter_records(path, dist.format), version=dist.version)


# --- queries (Datasette-like) --------------------------------------------------------------------

OPERATORS = (
    "exact",
    "not",
    "contains",
    "notcontains",
    "startswith",
    "endswith",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "notin",
    "isnull",
    "notnull",
)
RESERVED = {
    "_search",
    "_sort",
    "_sort_desc",
    "_size",
    "_next",
    "_facet",
    "_shape",
    "_col",
    "_nocol",
    "_dl",
    "_stream",
    "_chart",
    "_count",
}


def column_types(dist: Distribution) -> dict[str, str]:
    """Return {column name: type} of a tabular distribution."""
    return {c["name"]: c["type"] for c in dist.columns}


def _expr(dist: Distribution, name: str):
    types = column_types(dist)
    if name not in types:
        raise InvalidInput(f"unknown column {name!r}; columns: {list(types)}")
    if types[name] in ("integer", "number"):
        return DataRow.data[name].as_float()
    if types[name] == "boolean":
        return cast(DataRow.data[name].as_boolean(), String)
    return DataRow.data[name].as_string()


def _value(dist: Distribution, name: str, raw: str) -> Any:
    if column_types(dist).get(name) in ("integer", "number"):
        try:
            return float(raw)
        except ValueError:
            raise InvalidInput(f"column {name!r} is numeric; {raw!r} is not a number") from None
    return raw


def parse_filters(dist: Distribution, params: Iterable[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """Turn query parameters ``col`` / ``col__op`` into (column, operator, value) triples."""
    filters = []
    names = set(column_types(dist))
    for key, value in params:
        if key.startswith("_") and key in RESERVED or key in {"lang", "f"}:
            continue
        column, op = key, "exact"
        if "__" in key and key not in names:
            column, _, op = key.rpartition("__")
        if column not in names:
            raise InvalidInput(f"unknown column {column!r} in filter {key!r}")
        if op not in OPERATORS:
            raise InvalidInput(f"unknown operator {op!r}; use one of {list(OPERATORS)}")
        filters.append((column, op, value))
    return filters


def _condition(dist: Distribution, column: str, op: str, raw: str):
    expr = _expr(dist, column)
    if op == "isnull":
        return DataRow.data[column].as_string().is_(None)
    if op == "notnull":
        return DataRow.data[column].as_string().is_not(None)
    if op in ("in", "notin"):
        values = [_value(dist, column, v.strip()) for v in raw.split(",") if v.strip()]
        return expr.in_(values) if op == "in" else ~expr.in_(values)
    if op in ("contains", "notcontains", "startswith", "endswith"):
        text_expr = func.lower(cast(DataRow.data[column].as_string(), String))
        needle = raw.lower()
        if op == "startswith":
            return text_expr.startswith(needle, autoescape=True)
        if op == "endswith":
            return text_expr.endswith(needle, autoescape=True)
        match = text_expr.contains(needle, autoescape=True)
        return match if op == "contains" else ~match
    value = _value(dist, column, raw)
    return {
        "exact": lambda: expr == value,
        "not": lambda: expr != value,
        "gt": lambda: expr > value,
        "gte": lambda: expr >= value,
        "lt": lambda: expr < value,
        "lte": lambda: expr <= value,
    }[op]()


def base_query(dist: Distribution, filters=(), search: str = ""):
    """Build WHERE clauses over the JSON row store (geo tables only; OGC API Features reads it)."""
    clauses = [DataRow.distribution_id == dist.id, DataRow.version == dist.version]
    clauses += [_condition(dist, c, o, v) for c, o, v in filters]
    for word in search.lower().split():
        clauses.append(DataRow.search_text.contains(word, autoescape=True))
    return clauses


def media_type_for(fmt: str) -> str:
    """Return the IANA media type of an EU file-type code."""
    return vocab.FILE_TYPES.get(fmt, "application/octet-stream")
