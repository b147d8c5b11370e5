"""Routes of the RDF catalogue: /catalog.{ttl,rdf,jsonld} and /dataset/{name}.{ttl,rdf,jsonld}."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import Response

from gelsencloud.apis.dcat.graph import MIME, PER_PAGE, RDFLIB_FORMAT, CatalogBuilder, new_graph
from gelsencloud.apps.opendata import service, usage
from gelsencloud.apps.opendata.urls import Urls
from gelsencloud.core.auth import DbSession
from gelsencloud.core.identity import InvalidInput, NotFound
from gelsencloud.core.models import Tenant


def _publisher(tenants: dict[int, Tenant]) -> Tenant:
    # The catalogue is published by the city (first tenant as fallback).
    return next(
        (t for t in tenants.values() if t.slug == "stadt-gelsenkirchen"), next(iter(tenants.values()))
    )


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("modified_since must be an ISO 8601 date or date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _serialize(graph, fmt: str) -> Response:
    body = graph.serialize(format=RDFLIB_FORMAT[fmt])
    return Response(body, media_type=MIME[fmt] + "; charset=utf-8")


def register(router: APIRouter) -> None:
    """Add the RDF routes to the plugin's flat router."""

    def catalog(
        fmt: str, request: Request, session: DbSession, page: int = 1, modified_since: str | None = None
    ):
        """DCAT-AP.de catalogue of public datasets, 100 per page, with Hydra paging."""
        if fmt not in MIME:
            raise NotFound(f"unknown RDF format {fmt!r}; use ttl, rdf or jsonld")
        if page < 1:
            raise InvalidInput("page must be at least 1")
        since = _since(modified_since)
        datasets = service.public_datasets(session, modified_since=since)
        tenants = service.tenants_by_id(session)
        urls = Urls(request)
        graph = new_graph()
        builder = CatalogBuilder(graph, urls, tenants, request.app.state.city)
        chunk = datasets[(page - 1) * PER_PAGE : page * PER_PAGE]
        modified = max((d.modified for d in datasets), default=None)
        builder.catalog(urls.abs("/catalog"), chunk, _publisher(tenants), modified)
        query = {"modified_since": modified_since} if modified_since else {}
        builder.paging(urls.abs(f"/catalog.{fmt}"), page, len(datasets), query)
        return _serialize(graph, fmt)

    def dataset(name: str, fmt: str, request: Request, session: DbSession, background: BackgroundTasks):
        """DCAT-AP.de description of one public dataset."""
        if fmt not in MIME:
            raise NotFound(f"unknown RDF format {fmt!r}; use ttl, rdf or jsonld")
        record = service.get_dataset(session, name)
        if record.classification != "public":
            raise NotFound(f"dataset {name!r} not found")
        usage.track(request, background, record.id, usage.API)
        graph = new_graph()
        CatalogBuilder(graph, Urls(request), service.tenants_by_id(session), request.app.state.city).dataset(
            record
        )
        return _serialize(graph, fmt)

    router.add_api_route("/catalog.{fmt}", catalog, methods=["GET"], tags=["dcat"], response_class=Response)
    router.add_api_route(
        "/dataset/{name}.{fmt}", dataset, methods=["GET"], tags=["dcat"], response_class=Response
    )
