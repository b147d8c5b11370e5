"""JSON API of the open data portal (catalogue, Datasette-like data API) plus the standard APIs.

All routes go into ONE flat router (plugin contract): CKAN, DCAT and OGC API modules add theirs
through their ``register(router)`` functions.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from fastapi import APIRouter, BackgroundTasks, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from gelsencloud.apps.opendata import charts as chart_recommendations
from gelsencloud.apps.opendata import csv_export, distributions, service, tables, tabular, usage
from gelsencloud.apps.opendata.models import Dataset, Distribution
from gelsencloud.apps.opendata.urls import Urls
from gelsencloud.core.auth import CurrentPrincipal, DbSession, LoggedIn
from gelsencloud.core.identity import InvalidInput, NotFound

PREFIX = "/api/v1/opendata"


class DatasetIn(BaseModel):
    """Metadata of a dataset to create or replace."""

    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    name: str = ""
    title_en: str = ""
    description_en: str = ""
    license_id: str = "dl-by-de/2.0"
    license_attribution: str = ""
    themes: list[str] = []
    keywords: list[str] = []
    temporal_start: date | None = None
    temporal_end: date | None = None
    spatial_area: str = ""
    accrual_periodicity: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_url: str = ""
    classification: Literal["public", "internal", "personal"] = "public"


class LinkIn(BaseModel):
    """A link to an API endpoint as a distribution."""

    url: str = Field(min_length=1, max_length=500)
    title: str = Field(min_length=1, max_length=300)
    format: str = "JSON"
    description: str = ""


def distribution_json(dist: Distribution, dataset: Dataset, urls: Urls) -> dict:
    """A distribution as the platform's JSON."""
    return {
        "id": dist.id,
        "identifier": dist.identifier,
        "title": dist.title,
        "description": dist.description,
        "kind": dist.kind,
        "format": dist.format,
        "media_type": dist.media_type,
        "byte_size": dist.byte_size,
        "checksum": dist.checksum,
        "columns": dist.columns,
        "row_count": dist.row_count,
        "tabular": dist.tabular,
        "geo": dist.geo,
        "version": dist.version,
        "access_url": urls.access(dataset, dist),
        "download_url": urls.download(dataset, dist),
        "modified": dist.modified.isoformat(),
    }


def dataset_json(dataset: Dataset, urls: Urls) -> dict:
    """A dataset as the platform's JSON."""
    return {
        "id": dataset.id,
        "name": dataset.name,
        "identifier": dataset.identifier,
        "tenant_id": dataset.tenant_id,
        "classification": dataset.classification,
        "title": dataset.title,
        "title_en": dataset.title_en,
        "description": dataset.description,
        "description_en": dataset.description_en,
        "license_id": dataset.license_id,
        "license_attribution": dataset.license_attribution,
        "themes": dataset.themes,
        "keywords": dataset.keywords,
        "temporal_start": dataset.temporal_start.isoformat() if dataset.temporal_start else None,
        "temporal_end": dataset.temporal_end.isoformat() if dataset.temporal_end else None,
        "accrual_periodicity": dataset.accrual_periodicity,
        "contact_name": dataset.contact_name,
        "contact_email": dataset.contact_email,
        "synthetic": dataset.synthetic,
        "issued": dataset.issued.isoformat(),
        "modified": dataset.modified.isoformat(),
        "page": urls.dataset_page(dataset),
        "distributions": [distribution_json(d, dataset, urls) for d in dataset.distributions],
    }


def _dist_with_dataset(session, dist_id: str) -> tuple[Distribution, Dataset]:
    dist = service.get_distribution(session, dist_id)
    dataset = session.get(Dataset, dist.dataset_id)
    if dataset is None:
        raise NotFound(f"distribution {dist_id!r} not found")
    return dist, dataset


def _tabular(session, dist_id: str) -> Distribution:
    dist, _ = _dist_with_dataset(session, dist_id)
    if not dist.tabular:
        raise InvalidInput("this distribution has no table")
    return dist


def build_router() -> APIRouter:
    """Every route of the open data plugin, flat."""
    router = APIRouter()

    @router.get(PREFIX + "/datasets", tags=["opendata"])
    def list_datasets(request: Request, session: DbSession, q: str = "", limit: int = 100, offset: int = 0):
        """Datasets readable by the caller (public ones, plus the own tenant's internal ones)."""
        result = service.search_datasets(session, q=q, offset=max(offset, 0), limit=min(max(limit, 1), 1000))
        urls = Urls(request)
        return {"count": result.count, "datasets": [dataset_json(d, urls) for d in result.datasets]}

    @router.get(PREFIX + "/datasets/{name}", tags=["opendata"])
    def show_dataset(name: str, request: Request, session: DbSession, background: BackgroundTasks):
        """One dataset by name, id or identifier."""
        dataset = service.get_dataset(session, name)
        usage.track(request, background, dataset.id, usage.API)
        return dataset_json(dataset, Urls(request))

    @router.get(PREFIX + "/datasets/{name}/usage", tags=["opendata"])
    def dataset_usage(name: str, session: DbSession, days: int = 30):
        """Usage statistics of a dataset: totals, the last 14 days, and one entry per day (no personal data)."""
        if not 1 <= days <= 366:
            raise InvalidInput("days must be between 1 and 366")
        dataset = service.get_dataset(session, name)
        end = usage.today()
        start = end - timedelta(days=days - 1)
        return {
            "dataset": dataset.name,
            "recent_days": usage.RECENT_DAYS,
            **usage.dataset_usage(session, dataset.id, on=end),
            "daily": usage.daily(session, dataset.id, start, end),
        }

    @router.post(PREFIX + "/datasets", tags=["opendata"], status_code=201)
    def create_dataset(body: DatasetIn, request: Request, session: DbSession, principal: LoggedIn):
        """Create a dataset for the caller's tenant (editor, tenant_admin)."""
        dataset = service.create_dataset(session, service.DatasetInput(**body.model_dump()))
        return dataset_json(dataset, Urls(request))

    @router.put(PREFIX + "/datasets/{name}", tags=["opendata"])
    def replace_dataset(
        name: str, body: DatasetIn, request: Request, session: DbSession, principal: LoggedIn
    ):
        """Replace a dataset's metadata."""
        dataset = service.get_dataset(session, name)
        service.update_dataset(session, dataset, service.DatasetInput(**body.model_dump()))
        return dataset_json(service.get_dataset(session, dataset.id), Urls(request))

    @router.delete(PREFIX + "/datasets/{name}", tags=["opendata"], status_code=204)
    def delete_dataset(name: str, request: Request, session: DbSession, principal: LoggedIn) -> None:
        """Delete a dataset with its distributions."""
        root = tabular.files_root(request.app.state.settings)
        service.delete_dataset(session, service.get_dataset(session, name), root)

    @router.post(PREFIX + "/datasets/{name}/distributions", tags=["opendata"], status_code=201)
    def upload(
        name: str,
        request: Request,
        session: DbSession,
        principal: LoggedIn,
        file: UploadFile = File(...),
        title: str = Form(""),
        description: str = Form(""),
        counts_people: bool = Form(False),
    ):
        """Upload a CSV, JSON, GeoJSON or XLSX file as a distribution (tables go into the data API)."""
        dataset = service.get_dataset(session, name)
        service.require_editor(session)
        dist = distributions.add_file(
            session,
            dataset,
            root=tabular.files_root(request.app.state.settings),
            source=file.file,
            filename=file.filename or "upload",
            title=title,
            description=description,
            counts_people=counts_people,
        )
        return distribution_json(dist, dataset, Urls(request))

    @router.post(PREFIX + "/datasets/{name}/links", tags=["opendata"], status_code=201)
    def add_link(name: str, body: LinkIn, request: Request, session: DbSession, principal: LoggedIn):
        """Add a link to an API endpoint as a distribution."""
        dataset = service.get_dataset(session, name)
        dist = distributions.add_link(
            session, dataset, url=body.url, title=body.title, fmt=body.format, description=body.description
        )
        return distribution_json(dist, dataset, Urls(request))

    @router.get(PREFIX + "/distributions/{dist_id}", tags=["opendata"])
    def show_distribution(dist_id: str, request: Request, session: DbSession):
        """One distribution."""
        dist, dataset = _dist_with_dataset(session, dist_id)
        body = distribution_json(dist, dataset, Urls(request))
        body["versions"] = [
            {
                "version": s.version,
                "created_at": s.created_at.isoformat(),
                "row_count": s.row_count,
                "checksum": s.checksum,
            }
            for s in distributions.snapshots(session, dist)
        ]
        return body

    @router.delete(PREFIX + "/distributions/{dist_id}", tags=["opendata"], status_code=204)
    def delete_distribution(dist_id: str, request: Request, session: DbSession, principal: LoggedIn) -> None:
        """Delete a distribution."""
        dist, _ = _dist_with_dataset(session, dist_id)
        service.delete_distribution(session, dist, tabular.files_root(request.app.state.settings))

    @router.get(PREFIX + "/distributions/{dist_id}/rows", tags=["opendata"])
    def rows(
        dist_id: str,
        request: Request,
        session: DbSession,
        background: BackgroundTasks,
        _search: str = "",
        _sort: str = "",
        _sort_desc: str = "",
        _size: str = "100",
        _next: str = "",
        _facet: list[str] | None = Query(None),
        _count: Literal["", "exact"] = "",
        version: int | None = None,
    ):
        """Rows as JSON: filters ``col__op=value``, ``_search``, ``_sort``/``_sort_desc``, ``_facet``, ``_next``, ``_count``."""
        dist = _tabular(session, dist_id)
        if version is not None:
            dist = distributions.pin_version(session, dist, version)
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "version"]
        size = tables.MAX_PAGE if _size == "max" else _int(_size)
        page = tables.query_rows(
            session,
            dist,
            filters=tabular.parse_filters(dist, params),
            search=_search,
            sort=_sort_desc or _sort,
            sort_desc=bool(_sort_desc),
            size=size,
            next_token=_next,
            facets=_facet or [],
            exact_count=_count == "exact",
        )
        page.pop("geometries")
        usage.track(request, background, dist.dataset_id, usage.API, dist.id)
        headers = {}
        if page["next"]:
            query = [(k, v) for k, v in request.query_params.multi_items() if k != "_next"] + [
                ("_next", page["next"])
            ]
            from urllib.parse import urlencode

            page["next_url"] = str(request.url.replace(query=urlencode(query)))
            headers["Link"] = f'<{page["next_url"]}>; rel="next"'
        else:
            page["next_url"] = None
        return JSONResponse(page, headers=headers)

    @router.get(PREFIX + "/distributions/{dist_id}/export.{fmt}", tags=["opendata"])
    def export(
        dist_id: str,
        fmt: str,
        request: Request,
        session: DbSession,
        principal: CurrentPrincipal,
        background: BackgroundTasks,
        _search: str = "",
        _chart: str = "",
    ):
        """Stream the whole (filtered) table as CSV, JSON or GeoJSON (``_chart=1``: a chart's data, not counted)."""
        if fmt not in ("csv", "json", "geojson"):
            raise NotFound("export formats: csv, json, geojson")
        dist = _tabular(session, dist_id)
        params = [(k, v) for k, v in request.query_params.multi_items()]
        filters = tabular.parse_filters(dist, params)
        db = request.app.state.db
        filename = f"{dist.identifier}.{fmt}"
        if not _chart:
            usage.track(request, background, dist.dataset_id, usage.DOWNLOAD, dist.id)
        if fmt == "csv":
            # the database writes the CSV lines (csv_export.py); a whole table's CSV is kept as a file
            media = "text/csv; charset=utf-8"
            body = csv_export.stream(db, principal, dist.id, dist.version, filters, _search)
            if not filters and not _search:
                kept = csv_export.cache_path(csv_export.cache_root(request.app.state.settings), dist)
                if kept.is_file():
                    return FileResponse(kept, media_type=media, filename=filename, background=background)
                body = csv_export.stream_and_keep(body, kept)
        elif fmt == "json":
            batches = tables.stream(db, principal, dist.id, dist.version, filters, _search)
            body, media = tables.export_json(batches), "application/json"
        else:
            batches = tables.stream(db, principal, dist.id, dist.version, filters, _search)
            body, media = tables.export_geojson(batches), "application/geo+json"
        return StreamingResponse(
            body,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            background=background,
        )

    @router.get(PREFIX + "/distributions/{dist_id}/file", tags=["opendata"])
    def original_file(dist_id: str, request: Request, session: DbSession, background: BackgroundTasks):
        """Download the uploaded file as it was uploaded (streamed from disk)."""
        dist, _ = _dist_with_dataset(session, dist_id)
        if not dist.storage_key:
            raise NotFound("this distribution has no stored file")
        path = tabular.files_root(request.app.state.settings) / dist.storage_key
        if not path.is_file():
            raise NotFound("file missing from storage")
        usage.track(request, background, dist.dataset_id, usage.DOWNLOAD, dist.id)
        return FileResponse(
            path, media_type=dist.media_type, filename=dist.file_name or path.name, background=background
        )

    @router.get(PREFIX + "/distributions/{dist_id}/charts", tags=["opendata"])
    def charts(dist_id: str, request: Request, session: DbSession):
        """Automatically recommended Vega-Lite charts of a table (ranked)."""
        dist, dataset = _dist_with_dataset(session, dist_id)
        if not dist.tabular:
            return {"charts": []}
        recs = chart_recommendations.recommend(session, request, dist)
        return {
            "charts": [
                {"n": i + 1, "title": r.title, "kind": r.kind, "spec": r.spec} for i, r in enumerate(recs)
            ]
        }

    from gelsencloud.apis.ckan.actions import register as register_ckan
    from gelsencloud.apis.dcat.routes import register as register_dcat
    from gelsencloud.apis.ogcapi.routes import register as register_ogc

    register_ckan(router)
    register_dcat(router)
    register_ogc(router)
    return router


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidInput("_size must be a number or 'max'") from None
