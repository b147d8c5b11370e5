"""Render Jinja2 pages with the shared layout, navigation, language and CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from gelsencloud.core import i18n
from gelsencloud.core.auth import SESSION_COOKIE
from gelsencloud.core.plugins import PluginRegistry
from gelsencloud.core.principal import ANONYMOUS
from gelsencloud.core.security import csrf_token

TEMPLATES = Path(__file__).resolve().parent / "templates"


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
        self.catalogue_en = registry.translations_en()

    def page(self, request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200):
        """Render a full page."""
        lang = i18n.negotiate(request)
        principal = getattr(request.state, "principal", ANONYMOUS)
        settings = request.app.state.settings
        session_token = request.cookies.get(SESSION_COOKIE, "")
        values = {
            "request": request,
            "lang": lang,
            "_": i18n.translator(self.catalogue_en, lang),
            "nav": [e for e in self.registry.nav() if not e.staff_only or not principal.is_anonymous],
            "principal": principal,
            "city": request.app.state.city,
            "csrf": csrf_token(settings.secret_key, session_token) if session_token else "",
            "path": request.url.path,
        }
        values.update(context or {})
        html = self.env.get_template(template).render(values)
        response = HTMLResponse(html, status_code=status)
        if request.query_params.get("lang") in i18n.LANGUAGES:
            response.set_cookie(i18n.LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
        return response
