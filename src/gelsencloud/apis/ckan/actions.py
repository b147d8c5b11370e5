"""The read actions of the CKAN Action API, GET (query string) and POST (JSON body)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from gelsencloud import __version__
from gelsencloud.apis.ckan import errors
from gelsencloud.apis.ckan.dicts import group_dict, organization_dict, package_dict, resource_dict
from gelsencloud.apps.opendata import service, usage, vocab
from gelsencloud.apps.opendata.models import Dataset
from gelsencloud.apps.opendata.urls import Urls
from gelsencloud.core.auth import DbSession
from gelsencloud.core.http import absolute_url
from gelsencloud.core.identity import InvalidInput, NotFound

ROWS_MAX = 1000
FQ_TERM = re.compile(r'([+-]?)([\w.]+):("(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+)')


async def action_params(request: Request) -> dict[str, Any]:
    """Read the data dict: query parameters on GET, a JSON (or form) body on POST."""
    params: dict[str, Any] = {}
    for key in request.query_params:
        values = request.query_params.getlist(key)
        params[key] = values if len(values) > 1 else values[0]
    if request.method == "POST":
        raw = await request.body()
        if raw.strip():
            ctype = request.headers.get("content-type", "")
            if "form" in ctype:
                form = await request.form()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
            else:
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise errors.CkanError(
                        400, None, "Bad request - JSON Error: Could not parse request body"
                    ) from None
                if not isinstance(body, dict):
                    raise errors.CkanError(
                        400, None, "Bad request - JSON Error: Request data JSON decoded to a non-dict"
                    )
                params.update(body)
    return params


def _int(params: dict[str, Any], key: str, default: int, maximum: int | None = None) -> int:
    value = params.get(key, default)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise errors.validation(key, "Invalid integer") from None
    if number < 0:
        raise errors.validation(key, "Must be a natural number")
    return min(number, maximum) if maximum is not None else number


def _bool(params: dict[str, Any], key: str, default: bool = False) -> bool:
    value = params.get(key, default)
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1", "yes", "on")


def _list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value)
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            raise errors.validation("facet.field", "Invalid JSON list") from None
        return [str(v) for v in parsed]
    return [text]


class Ctx:
    """What every action needs: session, URLs, tenants, city profile."""

    def __init__(self, request: Request, session: Session, background: BackgroundTasks | None = None) -> None:
        self.request = request
        self.session = session
        self.background = background or BackgroundTasks()
        self.urls = Urls(request)
        self.tenants = service.tenants_by_id(session)
        self.city = request.app.state.city

    def package(self, dataset: Dataset) -> dict[str, Any]:
        """Return the package dict of a dataset."""
        return package_dict(dataset, self.tenants[dataset.tenant_id], self.urls, self.city)

    def published(self, include_private: bool = False) -> list[Dataset]:
        """Datasets the caller may list: public ones (plus own internal ones on request)."""
        stmt = select(Dataset).order_by(Dataset.modified.desc(), Dataset.id.desc())
        if not include_private:
            stmt = stmt.where(Dataset.classification == "public")
        return list(self.session.scalars(stmt))


def _required(params: dict[str, Any], key: str) -> str:
    value = params.get(key)
    if value in (None, ""):
        raise errors.validation(key, "Missing value")
    return str(value)


def package_list(ctx: Ctx, params):
    """Names of the public datasets."""
    offset, limit = _int(params, "offset", 0), _int(params, "limit", 0)
    names = sorted(d.name for d in ctx.published())
    return names[offset : offset + limit] if limit else names[offset:]


def package_show(ctx: Ctx, params):
    """One dataset by id or name."""
    try:
        dataset = service.get_dataset(ctx.session, _required(params, "id"))
    except NotFound:
        raise errors.not_found("Dataset") from None
    usage.track(ctx.request, ctx.background, dataset.id, usage.API)
    package = ctx.package(dataset)
    # CKAN's tracking: the package counts page views, each resource its downloads (recent = 14 days)
    figures = usage.dataset_usage(ctx.session, dataset.id)
    package["tracking_summary"] = figures["views"]
    package["usage"] = figures
    downloads = usage.distribution_downloads(ctx.session, dataset.id)
    for resource, dist in zip(package["resources"], dataset.distributions, strict=True):
        resource["tracking_summary"] = downloads.get(dist.id, {"total": 0, "recent": 0})
    return package


def current_package_list_with_resources(ctx: Ctx, params):
    """Full public datasets, most recently modified first."""
    offset, limit = _int(params, "offset", 0), _int(params, "limit", 0)
    if "page" in params and limit:
        offset = (max(_int(params, "page", 1), 1) - 1) * limit
    datasets = ctx.published()
    datasets = datasets[offset : offset + limit] if limit else datasets[offset:]
    return [ctx.package(d) for d in datasets]


def _parse_query(q: str, fq: str) -> tuple[str, dict[str, list[str]], datetime | None]:
    words: list[str] = []
    filters: dict[str, list[str]] = {}
    since: datetime | None = None
    text = " ".join(p for p in (q if q not in ("*:*", "*") else "", fq) if p)
    position = 0
    for match in FQ_TERM.finditer(text):
        words.extend(w for w in text[position : match.start()].split() if w.upper() not in ("AND", "+"))
        position = match.end()
        sign, field, value = match.groups()
        if sign == "-":
            raise errors.search_query(f"negated clauses are not supported: {match.group(0)}")
        value = value.strip('"')
        if field in ("metadata_modified", "modified"):
            since = _range_start(value)
            continue
        if field in ("owner_org", "organization"):
            field = "organization"
        elif field in ("tags", "keywords"):
            field = "tags"
        elif field in ("groups", "res_format", "license_id", "name", "id"):
            pass
        elif field == "*" and value == "*":
            continue
        else:
            raise errors.search_query(f"unknown field {field!r}")
        filters.setdefault(field, []).append(value)
    words.extend(w for w in text[position:].split() if w.upper() not in ("AND", "+"))
    return " ".join(words), filters, since


def _range_start(value: str) -> datetime | None:
    match = re.fullmatch(r"\[\s*(\S+)\s+TO\s+(\S+)\s*\]", value)
    start = match.group(1) if match else value
    if start == "*":
        return None
    try:
        parsed = datetime.fromisoformat(start.replace("Z", "+00:00"))
    except ValueError:
        raise errors.search_query(f"invalid date {start!r}") from None
    if parsed.tzinfo is None:
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def package_search(ctx: Ctx, params):
    """Search public datasets with Solr-like q/fq, paging, sorting and facets."""
    rows = _int(params, "rows", 10, ROWS_MAX)
    start = _int(params, "start", 0)
    fq = " ".join(_list(params.get("fq_list"))) + " " + str(params.get("fq", "") or "")
    q, filters, since = _parse_query(str(params.get("q", "") or ""), fq)
    facet_fields = tuple(_list(params.get("facet.field")))
    facet_limit = _int(params, "facet.limit", 50) if str(params.get("facet.limit", "")) != "-1" else -1
    include_private = _bool(params, "include_private")
    sort = str(params.get("sort") or "score desc, metadata_modified desc")
    try:
        result = service.search_datasets(
            ctx.session,
            q=q,
            filters=filters,
            sort=sort,
            offset=start,
            limit=rows,
            facet_fields=facet_fields,
            facet_limit=facet_limit,
            facet_mincount=_int(params, "facet.mincount", 1),
            modified_since=since,
            public_only=not include_private,
        )
    except InvalidInput as exc:
        raise errors.search_query(str(exc)) from None
    search_facets = {}
    facets = {}
    for field_name, items in result.facets.items():
        facets[field_name] = dict(items)
        search_facets[field_name] = {
            "title": field_name,
            "items": [
                {"name": v, "display_name": _display(ctx, field_name, v), "count": c} for v, c in items
            ],
        }
    return {
        "count": result.count,
        "sort": sort,
        "results": [ctx.package(d) for d in result.datasets],
        "facets": facets,
        "search_facets": search_facets,
    }


def _display(ctx: Ctx, field_name: str, value: str) -> str:
    if field_name == "organization":
        return next((t.name for t in ctx.tenants.values() if t.slug == value), value)
    if field_name == "groups" and value.upper() in vocab.THEMES:
        return vocab.THEMES[value.upper()][0]
    return value


def _counts(ctx: Ctx) -> tuple[dict[int, int], dict[str, int]]:
    by_org: dict[int, int] = {}
    by_theme: dict[str, int] = {}
    for dataset in ctx.published():
        by_org[dataset.tenant_id] = by_org.get(dataset.tenant_id, 0) + 1
        for theme in dataset.themes:
            by_theme[theme] = by_theme.get(theme, 0) + 1
    return by_org, by_theme


def _sorted_page(items: list[dict[str, Any]], params) -> list[dict[str, Any]]:
    sort = str(params.get("sort") or "title asc").split()
    key = sort[0] if sort and sort[0] in ("name", "title", "package_count") else "title"
    items.sort(key=lambda i: (i.get(key) or 0) if key == "package_count" else str(i.get(key, "")).lower())
    if len(sort) > 1 and sort[1].lower() == "desc":
        items.reverse()
    all_fields = _bool(params, "all_fields")
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", 25 if all_fields else 1000)
    page = items[offset : offset + limit]
    return page if all_fields else [i["name"] for i in page]


def organization_list(ctx: Ctx, params):
    """The tenants (organisations)."""
    by_org, _ = _counts(ctx)
    orgs = [organization_dict(t, by_org.get(t.id, 0)) for t in ctx.tenants.values()]
    return _sorted_page(orgs, params)


def organization_show(ctx: Ctx, params):
    """One tenant, optionally with its first 10 datasets."""
    key = _required(params, "id")
    tenant = next((t for t in ctx.tenants.values() if key in (t.slug, str(t.id))), None)
    if tenant is None:
        raise errors.not_found("Organization was not found.")
    datasets = [d for d in ctx.published() if d.tenant_id == tenant.id]
    org = organization_dict(tenant, len(datasets))
    if _bool(params, "include_datasets"):
        org["packages"] = [ctx.package(d) for d in datasets[:10]]
    org["users"] = []
    org["extras"] = []
    return org


def group_list(ctx: Ctx, params):
    """The EU data themes (groups)."""
    _, by_theme = _counts(ctx)
    groups = [group_dict(code, by_theme.get(code, 0)) for code in vocab.THEMES]
    return _sorted_page(groups, params)


def group_show(ctx: Ctx, params):
    """One EU data theme."""
    code = _required(params, "id").upper()
    if code not in vocab.THEMES:
        raise errors.not_found("Group was not found.")
    datasets = [d for d in ctx.published() if code in d.themes]
    group = group_dict(code, len(datasets))
    if _bool(params, "include_datasets"):
        group["packages"] = [ctx.package(d) for d in datasets[:10]]
    group["users"] = []
    group["extras"] = []
    return group


def tag_list(ctx: Ctx, params):
    """Keywords of public datasets, optionally filtered by ``query``."""
    query = str(params.get("query", "") or "").lower()
    tags = sorted({k for d in ctx.published() for k in d.keywords if query in k.lower()})
    if _bool(params, "all_fields"):
        return [{"id": t, "name": t, "display_name": t, "vocabulary_id": None} for t in tags]
    return tags


def resource_show(ctx: Ctx, params):
    """One distribution by id."""
    try:
        dist = service.get_distribution(ctx.session, _required(params, "id"))
    except NotFound:
        raise errors.not_found("Resource was not found.") from None
    dataset = ctx.session.get(Dataset, dist.dataset_id)
    if dataset is None:
        raise errors.not_found("Resource was not found.")
    usage.track(ctx.request, ctx.background, dataset.id, usage.API, dist.id)
    resource = resource_dict(dist, dataset, ctx.urls, dataset.distributions.index(dist))
    resource["tracking_summary"] = usage.distribution_downloads(ctx.session, dataset.id).get(
        dist.id, {"total": 0, "recent": 0}
    )
    return resource


def status_show(ctx: Ctx, params):
    """Site information."""
    return {
        "site_title": "GELSENcloud – Offene Daten Gelsenkirchen",
        "site_description": "Offene Daten der Stadt Gelsenkirchen und ihrer Gesellschaften.",
        "site_url": absolute_url(ctx.request, "/"),
        "error_emails_to": None,
        "locale_default": "de",
        "extensions": ["dcat", "dcatde", "datastore"],
        "ckan_version": "2.11.0",
        "gelsencloud_version": __version__,
    }


ACTIONS = {
    f.__name__: f
    for f in (
        package_list,
        package_show,
        package_search,
        current_package_list_with_resources,
        organization_list,
        organization_show,
        group_list,
        group_show,
        tag_list,
        resource_show,
        status_show,
    )
}


def register(router: APIRouter) -> None:
    """Add the CKAN action routes to the plugin's flat router."""

    def run(
        name: str,
        request: Request,
        session: DbSession,
        background: BackgroundTasks,
        params: dict = Depends(action_params),
    ):
        """CKAN Action API: call a read action."""
        action = ACTIONS.get(name)
        if action is None:
            raise errors.CkanError(400, None, f"Bad request - Action name not known: {name}")
        result = action(Ctx(request, session, background), params)
        # the action dicts are JSON already: JSONResponse skips FastAPI's recursive jsonable_encoder
        # (a few ms for a page of packages)
        return JSONResponse(
            {
                "help": absolute_url(request, f"/api/3/action/help_show?name={name}"),
                "success": True,
                "result": result,
            },
            background=background,
        )

    for version, path in (("v3", "/api/3/action/{name}"), ("unversioned", "/api/action/{name}")):
        for method in ("GET", "POST"):
            router.add_api_route(
                path,
                run,
                methods=[method],
                tags=["ckan"],
                name=f"ckan_action_{version}_{method.lower()}",
                operation_id=f"ckan_action_{version}_{method.lower()}",
            )
