"""Pages of the open data portal: catalogue, dataset, chart embed, staff editing."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse

from gelsencloud.apps.opendata import autoviz, distributions, service, tabular, vocab
from gelsencloud.apps.opendata.models import Dataset
from gelsencloud.apps.opendata.urls import Urls
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


def _charts(session, dataset: Dataset, request: Request) -> list[dict]:
    charts = []
    for dist in dataset.distributions:
        if not dist.tabular or not dist.row_count:
            continue
        data_url = Urls(request).abs(f"/api/v1/opendata/distributions/{dist.id}/export.json")
        for rec in autoviz.recommend(
            tabular.sample_rows(session, dist), dist.columns, data_url=data_url, limit=3
        ):
            charts.append({"title": rec.title, "spec": rec.spec, "dist": dist})
    return charts


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
        result = service.search_datasets(session, q=q, filters=filters, offset=(page - 1) * 20, limit=20)
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
    def dataset_page(name: str, request: Request, session: DbSession):
        """Dataset with distributions, preview table, chart and API links."""
        dataset = service.get_dataset(session, name)
        tenants = service.tenants_by_id(session)
        preview = next((d for d in dataset.distributions if d.tabular and d.row_count), None)
        rows = tabular.sample_rows(session, preview, limit=20) if preview else []
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
                "licenses": vocab.LICENSES,
                "themes": vocab.THEMES,
                "frequencies": vocab.FREQUENCIES,
                "can_edit": request.state.principal.can_write(dataset.tenant_id)
                and request.state.principal.has_role(*service.EDITOR_ROLES),
            },
        )

    @router.get("/daten/{name}/diagramm/{n}")
    def chart_embed(name: str, n: int, request: Request, session: DbSession):
        """Embeddable chart page (vega-embed)."""
        dataset = service.get_dataset(session, name)
        charts = _charts(session, dataset, request)
        if not 1 <= n <= len(charts):
            raise HTTPException(404, detail="Diagramm nicht gefunden")
        html = request.app.state.renderer.env.get_template("opendata/embed.html").render(
            chart=charts[n - 1], dataset=dataset, lang="de"
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
