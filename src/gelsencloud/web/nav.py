"""One navigation for all pages: header menu, current-page mark and workspace entries by role.

Entries come from the plugin registry (``NavEntry``). Public entries form the header menu; entries
with ``staff_only`` are workspace entries, listed on the workspace dashboard and in the workspace's
own menu, and the header shows only the workspace itself. ``NavEntry.roles`` limits an entry to
roles; ``description_de``/``description_en`` is the line on its dashboard card.
"""

from __future__ import annotations

from collections.abc import Iterable

from gelsencloud.core.plugins import NavEntry, PluginRegistry
from gelsencloud.core.principal import Principal, Role

WORKSPACE_PATH = "/arbeitsbereich"

# The core's own administration pages: the dashboard lists them apart from the applications.
ADMIN_PATHS = ("/arbeitsbereich/benutzer", "/arbeitsbereich/schluessel", "/arbeitsbereich/protokoll")

# German names of the roles (English via the catalogue in translations.py).
ROLE_LABELS: dict[str, str] = {
    Role.PLATFORM_ADMIN: "Plattform-Administration",
    Role.TENANT_ADMIN: "Mandanten-Administration",
    Role.EDITOR: "Redaktion",
    Role.OPERATOR: "Betrieb",
    Role.VIEWER: "Lesen",
}


def all_entries(registry: PluginRegistry) -> list[NavEntry]:
    """Return the registry's entries, ordered, one per path (the first plugin to claim a path wins)."""
    seen: dict[str, NavEntry] = {}
    for entry in registry.nav():
        seen.setdefault(entry.path, entry)
    return sorted(seen.values(), key=lambda e: (e.order, e.path))


def entry_roles(entry: NavEntry) -> frozenset[Role]:
    """Return the roles that may use an entry (empty: everyone it is shown to)."""
    return frozenset(Role(r) for r in entry.roles)


def may_see(entry: NavEntry, principal: Principal) -> bool:
    """Tell whether an entry is shown to this principal."""
    if entry.staff_only and principal.is_anonymous:
        return False
    roles = entry_roles(entry)
    return not roles or principal.has_role(*roles)


def main_nav(entries: Iterable[NavEntry], principal: Principal) -> list[NavEntry]:
    """Return the header menu: public entries plus the workspace once logged in."""
    return [e for e in entries if may_see(e, principal) and (not e.staff_only or e.path == WORKSPACE_PATH)]


def workspace_nav(entries: Iterable[NavEntry], principal: Principal) -> list[NavEntry]:
    """Return the workspace entries this principal may use (the dashboard itself first)."""
    mine = [e for e in entries if e.staff_only and may_see(e, principal)]
    return sorted(mine, key=lambda e: e.path != WORKSPACE_PATH)  # stable: the dashboard first


def current_path(entries: Iterable[NavEntry], path: str) -> str | None:
    """Return the path of the entry the page belongs to: exact match, else the longest prefix."""
    best: str | None = None
    for entry in entries:
        if entry.path == path:
            return path
        if entry.path != "/" and path.startswith(entry.path.rstrip("/") + "/"):
            if best is None or len(entry.path) > len(best):
                best = entry.path
    return best


def description(entry: NavEntry, lang: str) -> str:
    """Return the entry's one-line description in the language, or an empty string."""
    return entry.description_de if lang == "de" else (entry.description_en or entry.description_de)
