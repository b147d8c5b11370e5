"""Tables of the open data portal: datasets, distributions, tabular rows, snapshots, usage counters."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from gelsencloud.core.db import Base
from gelsencloud.core.models import Classified, Timestamp, utcnow
from gelsencloud.core.principal import DEFAULT_PERSONAL_ROLES, Role


class Dataset(Classified, Base):
    """A catalogue entry with DCAT-AP.de metadata; its tenant is the publishing organisation."""

    __tablename__ = "opendata_datasets"
    __audit_ignore__: ClassVar[tuple[str, ...]] = ("search_text",)  # derived from audited fields
    __table_args__ = (
        # the catalogue's default order within what a caller may read (page ids without a sort)
        Index("ix_opendata_datasets_classification_modified", "classification", "modified"),
        # substring search (CKAN q) through a trigram index; PostgreSQL only (pg_trgm), so on
        # SQLite the index is partial on a false condition and stays empty
        Index(
            "ix_opendata_datasets_search_text",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            sqlite_where=text("0"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)  # URL slug (CKAN "name")
    identifier: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)  # stable UUID
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    title_en: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    description_en: Mapped[str] = mapped_column(Text, default="", nullable=False)
    license_id: Mapped[str] = mapped_column(String(64), default="dl-by-de/2.0", nullable=False)
    license_attribution: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    themes: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)  # EU data-theme codes
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=False)
    temporal_start: Mapped[date | None] = mapped_column(Date)
    temporal_end: Mapped[date | None] = mapped_column(Date)
    spatial_area: Mapped[str] = mapped_column(String(32), default="", nullable=False)  # city area code or ""
    accrual_periodicity: Mapped[str] = mapped_column(String(32), default="", nullable=False)  # EU frequency
    contact_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    contact_email: Mapped[str] = mapped_column(String(254), default="", nullable=False)
    contact_url: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    issued: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)
    modified: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False, index=True)
    # lower-cased words CKAN q searches (title, description, English title, name, keywords);
    # kept by search_index.py on every flush
    search_text: Mapped[str] = mapped_column(Text, default="", nullable=False)

    # Ordered by (dataset_id, id), not id alone: the (dataset_id, classification) index yields exactly
    # that order, so SQLite (no statistics) looks the page's ids up instead of walking the
    # classification index over every distribution in id order (docs/performance.md).
    distributions: Mapped[list[Distribution]] = relationship(
        back_populates="dataset", order_by="(Distribution.dataset_id, Distribution.id)", lazy="selectin"
    )

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Dataset:
        """Build a dataset carrying ``marker`` for the isolation test."""
        ident = uuid.uuid4().hex
        return cls(
            tenant_id=tenant_id,
            classification=classification,
            name=f"sample-{ident[:12]}",
            identifier=ident,
            title=marker,
            description=marker,
            keywords=[marker],
            themes=["REGI"],
        )


class Distribution(Classified, Base):
    """A file, API link or live table of a dataset (classification follows its dataset)."""

    __tablename__ = "opendata_distributions"
    __table_args__ = (
        # loading a page's distributions (dataset_id IN (...) AND the access rule's classification):
        # without statistics SQLite would otherwise walk the classification index over every row
        Index("ix_opendata_distributions_dataset_id_classification", "dataset_id", "classification"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Nullable only so the isolation test can build a lone sample; the service always sets it.
    dataset_id: Mapped[int | None] = mapped_column(
        ForeignKey("opendata_datasets.id", ondelete="CASCADE"), index=True
    )
    identifier: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    kind: Mapped[str] = mapped_column(String(16), default="file", nullable=False)  # file | api | live
    format: Mapped[str] = mapped_column(String(32), default="CSV", nullable=False)  # EU file-type code
    media_type: Mapped[str] = mapped_column(String(100), default="text/csv", nullable=False)
    access_url: Mapped[str] = mapped_column(String(500), default="", nullable=False)  # external links only
    file_name: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    storage_key: Mapped[str] = mapped_column(String(100), default="", nullable=False)  # file under var_dir
    byte_size: Mapped[int | None] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64), default="", nullable=False)  # SHA-256 hex
    license_id: Mapped[str] = mapped_column(String(64), default="", nullable=False)  # "" = dataset's
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, nullable=False)
    row_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    tabular: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    geo: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    counts_people: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    live_generator: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    issued: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)
    modified: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)

    dataset: Mapped[Dataset | None] = relationship(back_populates="distributions")

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Distribution:
        """Build a lone distribution carrying ``marker`` for the isolation test."""
        return cls(
            tenant_id=tenant_id,
            classification=classification,
            identifier=uuid.uuid4().hex,
            title=marker,
            description=marker,
            columns=[{"name": marker, "type": "string"}],
            tabular=True,
            geo=True,
        )


class DataRow(Classified, Base):
    """One row of a tabular distribution (the row store; classification copied from the distribution)."""

    __tablename__ = "opendata_rows"
    __table_args__ = (Index("ix_opendata_rows_dist_version_rownum", "distribution_id", "version", "rownum"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    distribution_id: Mapped[int | None] = mapped_column(
        ForeignKey("opendata_distributions.id", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    rownum: Mapped[int] = mapped_column(Integer, nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # GeoJSON, EPSG:4326
    search_text: Mapped[str] = mapped_column(Text, default="", nullable=False)  # lower-cased cell text

    __audit__ = False  # rows are bulk data; the distribution's own audit entry records the upload

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> DataRow:
        """Build a lone row carrying ``marker`` for the isolation test."""
        return cls(
            tenant_id=tenant_id,
            classification=classification,
            rownum=1,
            data={"text": marker},
            search_text=marker.lower(),
        )


class Snapshot(Classified, Base):
    """One version of a live (regenerated) distribution."""

    __tablename__ = "opendata_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    distribution_id: Mapped[int | None] = mapped_column(
        ForeignKey("opendata_distributions.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)
    row_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    checksum: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    note: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    # the version's columns (live tables may change shape between versions); None before od0003
    columns: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Snapshot:
        """Build a lone snapshot carrying ``marker`` for the isolation test."""
        return cls(tenant_id=tenant_id, classification=classification, version=1, note=marker)


class UsageCount(Base):
    """Accesses of one dataset (or one of its distributions) of one kind on one UTC day."""

    __tablename__ = "opendata_usage"
    __table_args__ = (UniqueConstraint("dataset_id", "distribution_id", "day", "kind"),)
    __unclassified__: ClassVar[str] = (
        "aggregate access counters without personal data; read only through service functions that "
        "join the (classified) dataset, written by raw upserts"
    )
    __audit__: ClassVar[bool] = False  # counters change on every access; auditing them is noise

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("opendata_datasets.id", ondelete="CASCADE"), nullable=False
    )
    distribution_id: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # 0 = the dataset
    day: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # view | download | api
    count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class _DerivedVisibility:
    """A dataset's tenant and classification copied onto rows derived from it (facet rows, counts).

    Not ``Classified``: these rows are derived data, written and read only by the service layer,
    which applies the same rule itself (``classification.visibility_clause`` or ids that came through
    the access rule). The columns match the mixin's, so that clause works on them unchanged.
    """

    personal_roles: ClassVar[frozenset[Role]] = DEFAULT_PERSONAL_ROLES
    __unclassified__: ClassVar[str] = (
        "derived from a classified dataset, whose tenant and classification each row carries; read "
        "only by service.search_datasets, which applies the visibility rule itself"
    )
    __audit__: ClassVar[bool] = False  # derived from the audited dataset and its distributions

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True, nullable=False)

    @declared_attr
    def classification(cls) -> Mapped[str]:  # noqa: N805
        return mapped_column(String(16), nullable=False, index=True)


class DatasetFacet(_DerivedVisibility, Base):
    """One facet value of a dataset (theme, keyword, format, licence, organisation) for counting.

    ``search_index.py`` rewrites a dataset's rows on every flush that touches it.
    """

    __tablename__ = "opendata_facets"
    __table_args__ = (
        Index("ix_opendata_facets_classification_facet_value", "classification", "facet", "value"),
        Index("ix_opendata_facets_dataset_id_facet_value", "dataset_id", "facet", "value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("opendata_datasets.id", ondelete="CASCADE"))
    facet: Mapped[str] = mapped_column(
        String(16), nullable=False
    )  # organization|groups|tags|res_format|license_id
    value: Mapped[str] = mapped_column(String(300), nullable=False)


class DatasetFacetCount(_DerivedVisibility, Base):
    """How many datasets of one tenant and classification carry a facet value (the unfiltered counts).

    A catalogue page without words or filters counts over every readable dataset; summing the
    readable rows replaces a pass over all facet rows. ``search_index.py`` moves them with every
    change of facet rows, in the same transaction.
    """

    __tablename__ = "opendata_facet_counts"
    __table_args__ = (UniqueConstraint("tenant_id", "classification", "facet", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facet: Mapped[str] = mapped_column(String(16), nullable=False)
    value: Mapped[str] = mapped_column(String(300), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)


from gelsencloud.apps.opendata import search_index  # noqa: E402,F401  (registers the flush hook)
