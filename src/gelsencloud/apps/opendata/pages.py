"""Pages of the open data portal: catalogue, dataset, chart embed, staff editing."""

from __future__ import annotations

import hashlib
import html
from datetime import date

from fastapi import APIRouter, BackgroundTasks, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse

from gelsencloud.apps.opendata import charts as chart_recommendations
from gelsencloud.apps.opendata import distributions, service, tables, tabular, usage, vocab
from gelsencloud.apps.opendata.models import Dataset
from gelsencloud.apps.opendata.urls import Urls
from gelsencloud.core import i18n
from gelsencloud.core.auth import CurrentPrincipal, DbSession
from gelsencloud.core.identity import InvalidInput
from gelsencloud.web.forms import check_csrf

FACETS = (
    ("organization", "Organisation"),
    ("groups", "Kategorie"),
    ("res_format", "Format"),
    ("tags", "Schlagwort"),
)


def _staff(principal) -> None:
    if principal.is_anonymous:
        raise HTTPException(401, detail="Bitte anmelden")
    if not principal.has_role(*service.EDITOR_ROLES):
        raise HTTPException(403, detail="Nur für Redaktion und Administration")


CHARTS_SHOWN = 3  # per table on the dataset page
CHARTS_EMBEDDABLE = 10  # an embedded chart keeps working while it stays among a table's first 10


def chart_key(dist_id: int, kind: str, fields: tuple[str, ...]) -> str:
    """A chart's stable identifier: its table, type and columns (not its rank, which new data may change)."""
    digest = hashlib.sha256("\x1f".join((str(dist_id), kind, *fields)).encode()).hexdigest()[:10]
    return f"{dist_id}-{kind}-{digest}"


def _charts(session, dataset: Dataset, request: Request, per_table: int = CHARTS_SHOWN) -> list[dict]:
    charts = []
    for dist in dataset.distributions:
        if not dist.tabular or not dist.row_count:
            continue
        for rec in chart_recommendations.recommend(session, request, dist, limit=per_table):
            key = chart_key(dist.id, rec.kind, rec.fields)
            charts.append({"title": rec.title, "spec": rec.spec, "dist": dist, "key": key})
    urls = Urls(request)
    for chart in charts:
        chart["url"] = urls.abs(f"/daten/{dataset.name}/diagramm/{chart['key']}")
        chart.update(embed_snippets(chart["url"], chart["title"], urls.abs("/static/opendata/embed.js")))
    return charts


def embed_snippets(chart_url: str, title: str, script_url: str) -> dict[str, str]:
    """The HTML a web editor copies to show a chart on another site: an iframe, or a self-sizing script."""
    src, label, script = (html.escape(v, quote=True) for v in (chart_url, title, script_url))
    return {
        "embed_iframe": f'<iframe src="{src}" title="{label}" width="100%" height="440" '
        f'style="border:0" loading="lazy"></iframe>',
        "embed_script": f'<div data-gelsencloud-chart="{src}" data-title="{label}"></div>'
        f'<script src="{script}" async></script>',
    }


MAP_MAX_ROWS = 20_000  # larger geo tables are linked (OGC API), not drawn on the dataset page
MAP_COLOURS = ("#b30059", "#00549f", "#1b7837", "#8c510a")


def _map_config(request: Request, dataset: Dataset, lang: str) -> dict | None:
    """What the core map script needs to draw the dataset's geo distributions (None without any)."""
    from dataclasses import asdict

    from gelsencloud.web.layers import tile_settings

    geo = [d for d in dataset.distributions if d.geo and d.tabular and 0 < d.row_count <= MAP_MAX_ROWS]
    if not geo:
        return None
    tiles = tile_settings(request.app.state.settings)
    min_lon, min_lat, max_lon, max_lat = request.app.state.city.bbox
    return {
        "bounds": [[min_lat, min_lon], [max_lat, max_lon]],
        "tiles": asdict(tiles) if tiles.url else None,
        "layers": [
            {
                "id": f"verteilung-{dist.id}",
                # _chart: the map's data fetch is part of the page view, not a download
                "url": f"/api/v1/opendata/distributions/{dist.id}/export.geojson?_chart=1",
                "label": dist.title,
                "visible": True,
                "style": {"color": MAP_COLOURS[i % len(MAP_COLOURS)], "weight": 2, "fillOpacity": 0.3},
            }
            for i, dist in enumerate(geo)
        ],
        "messages": {
            "loaded": "Kartenebenen geladen." if lang == "de" else "Map layers loaded.",
            "failed": "Ebene konnte nicht geladen werden:" if lang == "de" else "Layer could not be loaded:",
        },
    }


def _form_input(form: dict, classification: str) -> service.DatasetInput:
    def day(value: str) -> date | None:
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            raise InvalidInput(f"Datum {value!r} ungültig (JJJJ-MM-TT)") from None

    return service.DatasetInput(
        title=form.get("title", ""),
        description=form.get("description", ""),
        name=form.get("name", ""),
        title_en=form.get("title_en", ""),
        description_en=form.get("description_en", ""),
        license_id=form.get("license_id", "dl-by-de/2.0"),
        license_attribution=form.get("license_attribution", ""),
        themes=form.get("themes", []),
        keywords=[k.strip() for k in form.get("keywords", "").split(",") if k.strip()],
        temporal_start=day(form.get("temporal_start", "")),
        temporal_end=day(form.get("temporal_end", "")),
        accrual_periodicity=form.get("accrual_periodicity", ""),
        contact_name=form.get("contact_name", ""),
        contact_email=form.get("contact_email", ""),
        classification=classification,
    )


def build_router() -> APIRouter:
    """Routes of the portal pages."""
    router = APIRouter()

    @router.get("/daten")
    def catalogue(request: Request, session: DbSession, q: str = "", page: int = 1):
        """Dataset list with search and facets."""
        filters = {f: request.query_params.getlist(f) for f, _ in FACETS if request.query_params.getlist(f)}
        page = max(page, 1)
        result = service.search_datasets(
            session,
            q=q,
            filters=filters,
            offset=(page - 1) * 20,
            limit=20,
            facet_fields=tuple(f for f, _ in FACETS),  # only the facets the page shows
        )
        tenants = service.tenants_by_id(session)
        names = {t.slug: t.name for t in tenants.values()}
        names.update({c.lower(): de for c, (de, _) in vocab.THEMES.items()})
        return request.app.state.renderer.page(
            request,
            "opendata/catalogue.html",
            {
                "q": q,
                "result": result,
                "filters": filters,
                "facets": FACETS,
                "labels": names,
                "tenants": tenants,
                "page": page,
                "can_edit": request.state.principal.has_role(*service.EDITOR_ROLES),
            },
        )

    @router.get("/daten/neu")
    def new_form(request: Request, principal: CurrentPrincipal):
        """Form to create a dataset (editors)."""
        _staff(principal)
        return _edit_page(request, None, {})

    @router.post("/daten/neu")
    async def create(request: Request, session: DbSession, principal: CurrentPrincipal):
        """Create a dataset from the form."""
        _staff(principal)
        form = await request.form()
        check_csrf(request, str(form.get("csrf", "")))
        values = {k: str(v) for k, v in form.items() if k != "themes"}
        values["themes"] = [str(t) for t in form.getlist("themes")]
        try:
            dataset = service.create_dataset(
                session, _form_input(values, values.get("classification", "public"))
            )
        except InvalidInput as exc:
            return _edit_page(request, None, values, error=str(exc), status=400)
        return RedirectResponse(f"/daten/{dataset.name}", status_code=303)

    @router.get("/daten/{name}")
    def dataset_page(name: str, request: Request, session: DbSession, background: BackgroundTasks):
        """Dataset with distributions, preview table, chart, map, API links and usage figures."""
        dataset = service.get_dataset(session, name)
        usage.track(request, background, dataset.id, usage.VIEW)
        tenants = service.tenants_by_id(session)
        preview = next((d for d in dataset.distributions if d.tabular and d.row_count), None)
        rows = tables.sample_rows(session, preview, limit=20) if preview else []
        return request.app.state.renderer.page(
            request,
            "opendata/dataset.html",
            {
                "dataset": dataset,
                "tenant": tenants.get(dataset.tenant_id),
                "urls": Urls(request),
                "preview": preview,
                "rows": rows,
                "charts": _charts(session, dataset, request),
                "usage": usage.dataset_usage(session, dataset.id),
                "map_config": _map_config(request, dataset, i18n.negotiate(request)),
                "licenses": vocab.LICENSES,
                "themes": vocab.THEMES,
                "frequencies": vocab.FREQUENCIES,
                "can_edit": request.state.principal.can_write(dataset.tenant_id)
                and request.state.principal.has_role(*service.EDITOR_ROLES),
            },
        )

    @router.get("/daten/{name}/diagramm/{n}")
    def chart_embed(name: str, n: str, request: Request, session: DbSession):
        """Embeddable chart page (vega-embed): by stable key, or by its number on the dataset page."""
        dataset = service.get_dataset(session, name)
        if n.isdigit():
            charts = _charts(session, dataset, request)
            chart = charts[int(n) - 1] if 1 <= int(n) <= len(charts) else None
        else:
            charts = _charts(session, dataset, request, per_table=CHARTS_EMBEDDABLE)
            chart = next((c for c in charts if c["key"] == n), None)
        if chart is None:
            raise HTTPException(404, detail="Diagramm nicht gefunden")
        html = request.app.state.renderer.env.get_template("opendata/embed.html").render(
            chart=chart, dataset=dataset, lang="de"
        )
        from fastapi.responses import HTMLResponse

        return HTMLResponse(html)

    @router.get("/daten/{name}/bearbeiten")
    def edit_form(name: str, request: Request, session: DbSession, principal: CurrentPrincipal):
        """Form to edit a dataset."""
        _staff(principal)
        dataset = service.get_dataset(session, name)
        if not principal.can_write(dataset.tenant_id):
            raise HTTPException(403, detail="Nur die eigene Organisation darf bearbeiten")
        return _edit_page(request, dataset, {})

    @router.post("/daten/{name}/bearbeiten")
    async def edit(name: str, request: Request, session: DbSession, principal: CurrentPrincipal):
        """Save a dataset's metadata."""
        _staff(principal)
        dataset = service.get_dataset(session, name)
        form = await request.form()
        check_csrf(request, str(form.get("csrf", "")))
        values = {k: str(v) for k, v in form.items() if k != "themes"}
        values["themes"] = [str(t) for t in form.getlist("themes")]
        try:
            service.update_dataset(
                session, dataset, _form_input(values, values.get("classification", "public"))
            )
        except InvalidInput as exc:
            return _edit_page(request, dataset, values, error=str(exc), status=400)
        return RedirectResponse(f"/daten/{dataset.name}", status_code=303)

    @router.post("/daten/{name}/hochladen")
    def upload(
        name: str,
        request: Request,
        session: DbSession,
        principal: CurrentPrincipal,
        file: UploadFile = File(...),
        title: str = Form(""),
        counts_people: bool = Form(False),
        csrf: str = Form(""),
    ):
        """Upload a file to a dataset."""
        _staff(principal)
        check_csrf(request, csrf)
        dataset = service.get_dataset(session, name)
        distributions.add_file(
            session,
            dataset,
            root=tabular.files_root(request.app.state.settings),
            source=file.file,
            filename=file.filename or "upload",
            title=title,
            counts_people=counts_people,
        )
        return RedirectResponse(f"/daten/{dataset.name}", status_code=303)

    return router


def _edit_page(request: Request, dataset: Dataset | None, values: dict, error: str = "", status: int = 200):
    if dataset is not None and not values:
        values = {
            "title": dataset.title,
            "description": dataset.description,
            "name": dataset.name,
            "title_en": dataset.title_en,
            "description_en": dataset.description_en,
            "license_id": dataset.license_id,
            "license_attribution": dataset.license_attribution,
            "themes": dataset.themes,
            "keywords": ", ".join(dataset.keywords),
            "temporal_start": dataset.temporal_start.isoformat() if dataset.temporal_start else "",
            "temporal_end": dataset.temporal_end.isoformat() if dataset.temporal_end else "",
            "accrual_periodicity": dataset.accrual_periodicity,
            "contact_name": dataset.contact_name,
            "contact_email": dataset.contact_email,
            "classification": dataset.classification,
        }
    return request.app.state.renderer.page(
        request,
        "opendata/edit.html",
        {
            "dataset": dataset,
            "v": values,
            "error": error,
            "licenses": vocab.LICENSES,
            "themes": vocab.THEMES,
            "frequencies": vocab.FREQUENCIES,
        },
        status,
    )
