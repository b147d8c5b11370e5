"""Render Jinja2 pages with the shared layout, navigation, language and CSRF token."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from gelsencloud.core import i18n
from gelsencloud.core.auth import SESSION_COOKIE
from gelsencloud.core.plugins import PluginRegistry
from gelsencloud.core.principal import ANONYMOUS
from gelsencloud.core.security import csrf_token
from gelsencloud.web import nav as navigation
from gelsencloud.web.translations import WEB_TRANSLATIONS_EN


def _with_lang(request: Request, lang: str) -> str:
    """Return the current page's URL (path and query) asking for another language."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return request.url.path + "?" + urlencode([*query, ("lang", lang)])


def format_number(value: float | int | None, lang: str, digits: int = 1) -> str:
    """Format a number for the language: 1.234,5 in German, 1,234.5 in English; – for none."""
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}"
    if lang == "de":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


TEMPLATES = Path(__file__).resolve().parent / "templates"


def _is_demo_city(state) -> bool:
    """Tell whether this database holds the synthetic demo city (then every page says so)."""
    known, checked = getattr(state, "demo_city", None), getattr(state, "demo_city_checked", 0.0)
    if known is True or (known is False and time.monotonic() - checked < 60):
        return known
    from gelsencloud.core import demo

    try:
        state.demo_city = demo.is_built(state.db)
    except Exception:  # noqa: BLE001 - an unmigrated database has no audit table yet; that is no demo
        state.demo_city = False
    state.demo_city_checked = time.monotonic()
    return state.demo_city


class Renderer:
    """Holds the Jinja2 environment built from the core's and the plugins' template folders."""

    def __init__(self, registry: PluginRegistry) -> None:
        folders = [TEMPLATES] + [p.templates for p in registry.plugins if p.templates is not None]
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(str(f)) for f in folders]),
            autoescape=select_autoescape(["html", "xml"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.registry = registry
        # The web layer's own strings first, so a plugin's catalogue can still override them.
        self.catalogue_en = {**WEB_TRANSLATIONS_EN, **registry.translations_en()}
        self.entries = navigation.all_entries(registry)

    def page(self, request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200):
        """Render a full page."""
        lang = i18n.negotiate(request)
        principal = getattr(request.state, "principal", ANONYMOUS)
        settings = request.app.state.settings
        session_token = request.cookies.get(SESSION_COOKIE, "")
        path = request.url.path
        header = navigation.main_nav(self.entries, principal)
        workspace = navigation.workspace_nav(self.entries, principal)
        values = {
            "request": request,
            "lang": lang,
            "_": i18n.translator(self.catalogue_en, lang),
            "nav": header,
            "nav_current": navigation.current_path(header, path),
            "workspace_nav": workspace,
            "workspace_current": navigation.current_path(workspace, path),
            "in_workspace": bool(workspace) and navigation.current_path(workspace, path) is not None,
            "nav_label": lambda entry: entry.label_de if lang == "de" else entry.label_en,
            "nav_description": lambda entry: navigation.description(entry, lang),
            "principal": principal,
            "city": request.app.state.city,
            "csrf": csrf_token(settings.secret_key, session_token) if session_token else "",
            "path": path,
            "num": lambda value, digits=1: format_number(value, lang, digits),
            "lang_switch_url": _with_lang(request, "en" if lang == "de" else "de"),
            "demo_city": _is_demo_city(request.app.state),
        }
        values.update(context or {})
        html = self.env.get_template(template).render(values)
        response = HTMLResponse(html, status_code=status)
        if request.query_params.get("lang") in i18n.LANGUAGES:
            response.set_cookie(i18n.LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
        return response
