"""Creating distributions: uploaded files, links to APIs, and new versions of live tables."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import IO, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gelsencloud.apps.opendata import tables, tabular, vocab
from gelsencloud.apps.opendata.models import DataRow, Dataset, Distribution, Snapshot
from gelsencloud.apps.opendata.service import require_editor
from gelsencloud.core.identity import InvalidInput, NotFound
from gelsencloud.core.models import utcnow

KEEP_VERSIONS = 10


def _new(dataset: Dataset, **values: Any) -> Distribution:
    return Distribution(
        dataset_id=dataset.id,
        identifier=str(uuid.uuid4()),
        tenant_id=dataset.tenant_id,
        classification=dataset.classification,
        **values,
    )


def add_file(
    session: Session,
    dataset: Dataset,
    *,
    root: Path,
    source: IO[bytes],
    filename: str,
    title: str = "",
    description: str = "",
    fmt: str | None = None,
    counts_people: bool = False,
) -> Distribution:
    """Store an uploaded file as a distribution; tabular formats are also loaded into the row store."""
    require_editor(session)
    fmt = (fmt or vocab.format_for_filename(filename) or "").upper()
    if fmt not in vocab.FILE_TYPES:
        raise InvalidInput(f"unsupported file type of {filename!r}; use CSV, JSON, GeoJSON or XLSX")
    suffix = Path(filename).suffix.lower()[:10]
    stored = tabular.store_file(root, source, suffix)
    dist = _new(
        dataset,
        title=title.strip() or filename,
        description=description,
        kind="file",
        format=fmt,
        media_type=vocab.FILE_TYPES[fmt],
        file_name=Path(filename).name[:300],
        storage_key=stored.key,
        byte_size=stored.byte_size,
        checksum=stored.checksum,
        counts_people=counts_people,
    )
    session.add(dist)
    session.flush()
    try:
        tabular.import_file(session, dist, stored.path)
    except (InvalidInput, ValueError, KeyError) as exc:
        stored.path.unlink(missing_ok=True)
        raise InvalidInput(f"could not read {filename}: {exc}") from None
    except Exception:
        stored.path.unlink(missing_ok=True)
        raise
    dataset.modified = utcnow()
    session.flush()
    return dist


def add_link(
    session: Session, dataset: Dataset, *, url: str, title: str, fmt: str = "JSON", description: str = ""
) -> Distribution:
    """Add a link to an API endpoint or external file as a distribution."""
    require_editor(session)
    if not url.startswith(("https://", "http://", "/")):
        raise InvalidInput("url must be an http(s) URL or a path on this platform")
    fmt = fmt.upper()
    if fmt not in vocab.FILE_TYPES:
        raise InvalidInput(f"format must be one of {sorted(vocab.FILE_TYPES)}")
    dist = _new(
        dataset,
        title=title.strip() or url,
        description=description,
        kind="api",
        format=fmt,
        media_type=vocab.FILE_TYPES[fmt],
        access_url=url,
    )
    session.add(dist)
    dataset.modified = utcnow()
    session.flush()
    return dist


def add_live(
    session: Session, dataset: Dataset, *, generator: str, title: str, fmt: str = "CSV"
) -> Distribution:
    """Add an (empty) live distribution filled by a registered generator."""
    require_editor(session)
    dist = _new(
        dataset,
        title=title,
        kind="live",
        format=fmt,
        media_type=vocab.FILE_TYPES[fmt],
        live_generator=generator,
        version=0,
    )
    session.add(dist)
    session.flush()
    return dist


def publish_version(
    session: Session,
    dist: Distribution,
    records: list[tuple[dict[str, Any], dict[str, Any] | None]],
    *,
    note: str = "",
) -> Snapshot:
    """Store a new version of a live distribution, keep a snapshot record, prune old versions."""
    digest = hashlib.sha256(
        json.dumps(records, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()
    if dist.version and digest == dist.checksum:
        # unchanged data: no new version, only the check time moves on
        dist.modified = utcnow()
        session.flush()
        latest = snapshots(session, dist)
        if latest:
            return latest[0]
    version = (dist.version or 0) + 1
    count = tabular.load_rows(session, dist, records, version=version)
    dist.checksum = digest
    dist.byte_size = None
    snapshot = Snapshot(
        distribution_id=dist.id,
        version=version,
        row_count=count,
        checksum=digest,
        note=note[:300],
        columns=dist.columns,
        tenant_id=dist.tenant_id,
        classification=dist.classification,
    )
    session.add(snapshot)
    if dist.dataset is not None:
        dist.dataset.modified = utcnow()
    session.flush()
    oldest_kept = version - KEEP_VERSIONS + 1
    session.execute(delete(DataRow).where(DataRow.distribution_id == dist.id, DataRow.version < oldest_kept))
    conn = session.connection()
    tables.drop(conn, dist.id, [v for v in tables.stored_versions(conn, dist.id) if v < oldest_kept])
    return snapshot


def snapshots(session: Session, dist: Distribution) -> list[Snapshot]:
    """Return the versions of a distribution, newest first."""
    stmt = select(Snapshot).where(Snapshot.distribution_id == dist.id).order_by(Snapshot.version.desc())
    return list(session.scalars(stmt))


def stored_versions(session: Session, dist: Distribution) -> list[int]:
    """Return the versions whose rows are still stored (their typed tables exist), newest first."""
    return tables.stored_versions(session.connection(), dist.id)


def pin_version(session: Session, dist: Distribution, version: int) -> Distribution:
    """Detach ``dist`` and make it describe a stored older ``version`` (columns, row count)."""
    if version not in stored_versions(session, dist):
        raise NotFound(f"version {version} is not stored")
    snapshot = session.scalar(
        select(Snapshot).where(Snapshot.distribution_id == dist.id, Snapshot.version == version)
    )
    session.expunge(dist)  # detached: pinning the version must never be flushed
    if version != dist.version:
        dist.version = version
        if snapshot is not None and snapshot.columns is not None:
            dist.columns = snapshot.columns
        if snapshot is not None:
            dist.row_count = snapshot.row_count
    return dist
