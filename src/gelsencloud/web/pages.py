"""The core's pages: start page, districts, log-in/log-out and the staff workspace."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from gelsencloud.core import audit, i18n, identity
from gelsencloud.core.auth import SESSION_COOKIE, CurrentPrincipal, DbSession
from gelsencloud.core.city import areas_feature_collection
from gelsencloud.core.classification import PermissionDenied
from gelsencloud.core.models import CityArea
from gelsencloud.core.principal import Role
from gelsencloud.web.forms import check_csrf, check_origin
from gelsencloud.web.layers import map_config
from gelsencloud.web.nav import ADMIN_PATHS, ROLE_LABELS
from gelsencloud.web.svgmap import render_areas_svg


def _render(request: Request, template: str, context: dict | None = None, status: int = 200):
    return request.app.state.renderer.page(request, template, context, status)


def _staff(principal, *roles: Role):
    if principal.is_anonymous:
        raise HTTPException(401, detail="please log in")
    if roles and not principal.has_role(*roles):
        raise HTTPException(403, detail="not allowed for your role")


def build_page_router() -> APIRouter:
    """Routes of the core pages."""
    router = APIRouter()

    @router.get("/")
    def home(request: Request, session: DbSession):
        """Show the start page."""
        areas = list(
            session.scalars(select(CityArea).where(CityArea.level == "stadtbezirk").order_by(CityArea.name))
        )
        registry = request.app.state.registry
        apps = [
            (p, next((e.path for e in p.nav if not e.staff_only), None))
            for p in registry.plugins
            if p.name != "core"
        ]
        panels = [
            (panel.template, panel.context(session) if panel.context else {})
            for panel in registry.home_panels()
        ]
        return _render(request, "index.html", {"districts": areas, "apps": apps, "panels": panels})

    @router.get("/karte")
    def city_map(request: Request, session: DbSession):
        """Show the interactive city map (Leaflet) with the list of areas as its text version."""
        lang = i18n.negotiate(request)
        registry = request.app.state.registry
        areas = list(session.scalars(select(CityArea).order_by(CityArea.level, CityArea.name)))
        config = map_config(registry, request.app.state.settings, request.app.state.city, lang)
        return _render(
            request,
            "map.html",
            {"areas": areas, "map_config": config, "layers": registry.map_layers()},
        )

    @router.get("/stadtteile")
    def districts(request: Request, session: DbSession):
        """Show districts and quarters with an SVG map (no tile server needed)."""
        areas = list(session.scalars(select(CityArea).order_by(CityArea.level, CityArea.name)))
        _ = i18n.translator(request.app.state.renderer.catalogue_en, i18n.negotiate(request))
        svg = render_areas_svg(
            areas_feature_collection(session, "stadtteil"),
            request.app.state.city.bbox,
            title=_("Karte der Stadtteile"),
        )
        return _render(request, "areas.html", {"areas": areas, "svg": svg})

    @router.get("/anmelden")
    def login_form(request: Request, next: str = "/arbeitsbereich"):
        """Show the log-in form."""
        return _render(request, "login.html", {"next": _safe_next(next), "error": None})

    @router.post("/anmelden")
    def login(
        request: Request,
        session: DbSession,
        username: str = Form(),
        password: str = Form(),
        next: str = Form("/arbeitsbereich"),
    ):
        """Check the log-in and start a web session."""
        check_origin(request)
        settings = request.app.state.settings
        try:
            user = identity.log_in(session, settings, username, password)
        except identity.LoginFailed as exc:
            return _render(request, "login.html", {"next": _safe_next(next), "error": str(exc)}, status=401)
        token, record = identity.open_session(session, user, kind="web", hours=settings.session_hours)
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=settings.session_hours * 3600,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return response

    @router.post("/abmelden")
    def logout(request: Request, session: DbSession, csrf: str = Form("")):
        """End the web session."""
        check_csrf(request, csrf)
        identity.close_session(session, request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @router.get("/arbeitsbereich")
    def workspace(request: Request, principal: CurrentPrincipal):
        """Show the staff workspace overview."""
        if principal.is_anonymous:
            return RedirectResponse("/anmelden?next=/arbeitsbereich", status_code=303)
        return _render(
            request, "staff/index.html", {"role_labels": ROLE_LABELS, "admin_paths": list(ADMIN_PATHS)}
        )

    @router.get("/arbeitsbereich/protokoll")
    def audit_page(
        request: Request, session: DbSession, principal: CurrentPrincipal, before: int | None = None
    ):
        """Show the audit log to administrators."""
        _staff(principal, Role.TENANT_ADMIN, Role.PLATFORM_ADMIN)
        entries = audit.query(session, limit=50, before_id=before)
        return _render(request, "staff/audit.html", {"entries": entries})

    @router.get("/arbeitsbereich/benutzer")
    def users_page(request: Request, session: DbSession, principal: CurrentPrincipal):
        """Show users of the administrator's scope."""
        _staff(principal, Role.TENANT_ADMIN, Role.PLATFORM_ADMIN)
        return _render(
            request,
            "staff/users.html",
            {
                "users": identity.list_users(session),
                "tenants": identity.list_tenants(session),
                "roles": list(Role),
            },
        )

    @router.post("/arbeitsbereich/benutzer")
    def create_user(
        request: Request,
        session: DbSession,
        principal: CurrentPrincipal,
        csrf: str = Form(""),
        username: str = Form(),
        password: str = Form(),
        tenant: str = Form(),
        role: str = Form(),
        display_name: str = Form(""),
    ):
        """Create a user from the form."""
        _staff(principal, Role.TENANT_ADMIN, Role.PLATFORM_ADMIN)
        check_csrf(request, csrf)
        error = None
        try:
            identity.create_user(
                session,
                username=username,
                password=password,
                tenant=identity.get_tenant(session, tenant),
                role=role,
                display_name=display_name,
            )
        except (identity.InvalidInput, identity.NotFound, PermissionDenied) as exc:
            error = str(exc)
            session.rollback()
        context = {
            "users": identity.list_users(session),
            "tenants": identity.list_tenants(session),
            "roles": list(Role),
            "error": error,
        }
        return _render(request, "staff/users.html", context, status=400 if error else 200)

    @router.get("/arbeitsbereich/schluessel")
    def keys_page(request: Request, session: DbSession, principal: CurrentPrincipal):
        """Show API keys of the administrator's scope."""
        _staff(principal, Role.TENANT_ADMIN, Role.PLATFORM_ADMIN)
        return _render(request, "staff/apikeys.html", _keys_context(session))

    @router.post("/arbeitsbereich/schluessel")
    def create_key(
        request: Request,
        session: DbSession,
        principal: CurrentPrincipal,
        csrf: str = Form(""),
        name: str = Form(),
        tenant: str = Form(),
        role: str = Form(),
    ):
        """Issue an API key and show its secret once."""
        _staff(principal, Role.TENANT_ADMIN, Role.PLATFORM_ADMIN)
        check_csrf(request, csrf)
        try:
            issued = identity.create_api_key(
                session, tenant=identity.get_tenant(session, tenant), role=role, name=name
            )
        except (identity.InvalidInput, identity.NotFound, PermissionDenied) as exc:
            session.rollback()
            return _render(request, "staff/apikeys.html", _keys_context(session, error=str(exc)), status=400)
        return _render(request, "staff/apikeys.html", _keys_context(session, new_key=issued.key))

    @router.post("/arbeitsbereich/schluessel/{prefix}/widerrufen")
    def revoke_key(
        request: Request, prefix: str, session: DbSession, principal: CurrentPrincipal, csrf: str = Form("")
    ):
        """Revoke an API key."""
        _staff(principal, Role.TENANT_ADMIN, Role.PLATFORM_ADMIN)
        check_csrf(request, csrf)
        identity.revoke_api_key(session, prefix)
        return RedirectResponse("/arbeitsbereich/schluessel", status_code=303)

    return router


def _keys_context(session, *, new_key: str | None = None, error: str | None = None) -> dict:
    return {
        "keys": identity.list_api_keys(session),
        "tenants": identity.list_tenants(session),
        "roles": list(Role),
        "new_key": new_key,
        "error": error,
        "now": datetime.now().astimezone(),
    }


def _safe_next(target: str) -> str:
    # Only local paths: an open redirect after log-in would help phishing.
    if target.startswith("/") and not target.startswith("//"):
        return target
    return "/arbeitsbereich"
