"""The plugin contract: how an application (and the core itself) plugs into the platform.

An application is one folder exposing a module-level ``plugin = Plugin(...)`` and one entry
point in ``pyproject.toml`` under ``[project.entry-points."gelsencloud.plugins"]``. Everything
it contributes is declared here, typed, so the platform can list, document and test it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from gelsencloud.core.principal import Role

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter
    from sqlalchemy.orm import Session

    from gelsencloud.core.settings import Settings

LOGGER = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "gelsencloud.plugins"


@dataclass(frozen=True)
class NavEntry:
    """A navigation link: public ones in the site header, ``staff_only`` ones in the workspace."""

    path: str
    label_de: str
    label_en: str
    order: int = 100
    staff_only: bool = False
    roles: tuple[Role, ...] = ()  # who may use it; empty = everyone it is shown to
    description_de: str = ""  # one line on the workspace dashboard card
    description_en: str = ""


@dataclass(frozen=True)
class MapLayer:
    """A GeoJSON layer of the city map (/karte); labels German first, English second."""

    id: str  # unique: letters, digits, dashes (used in HTML ids)
    url: str  # same-origin GeoJSON FeatureCollection
    label_de: str
    label_en: str
    order: int = 100
    visible: bool = True  # drawn when the page opens; visitors can switch it
    color: str = "#00549f"
    fill_opacity: float = 0.15
    weight: float = 2.0
    # Where the same data is readable without the map: every layer needs an accessible alternative.
    text_alternative: str | None = None


@dataclass(frozen=True)
class HomePanel:
    """A section of the start page: ``template`` rendered with ``context(session)`` merged in."""

    template: str
    context: Callable[[Session], dict[str, Any]] | None = None
    order: int = 100


@dataclass(frozen=True)
class Job:
    """A scheduled job: ``run(ctx)`` is called every ``every`` while the server runs."""

    name: str
    run: Callable[[JobContext], str | None]
    every: timedelta
    description: str = ""


@dataclass(frozen=True)
class JobContext:
    """What a job gets: the database (acting as the system principal) and the settings."""

    db: Any
    settings: Settings

    def transaction(self):
        """Open a unit of work acting as the platform itself."""
        from gelsencloud.core.principal import SYSTEM

        return self.db.transaction(SYSTEM)


@dataclass(frozen=True)
class KpiValue:
    """One computed KPI value with its provenance."""

    kpi_id: str
    value: float | None
    period_start: Any
    period_end: Any
    district_code: str | None = None
    source: str = ""
    method: str = ""
    details: dict[str, Any] = field(default_factory=dict)


class KpiProvider(Protocol):
    """Computes KPIs from platform data (used by the strategy cockpit)."""

    kpi_ids: tuple[str, ...]

    def compute(self, session: Session, period_start: Any, period_end: Any) -> list[KpiValue]:
        """Compute the provider's KPIs for a period."""


@dataclass(frozen=True)
class EventHandler:
    """A subscriber of the in-process event bus (``gelsencloud.core.events``), active while the server runs."""

    pattern: str  # shell-style topic pattern, e.g. "maengelmelder.request.*"
    handle: Callable[[Any], None]  # called with a gelsencloud.core.events.Event after commit
    description: str = ""


@dataclass(frozen=True)
class Ingestor:
    """An ingestion path (webhook, MQTT topic, file import) an application offers."""

    name: str
    description: str
    mqtt_topics: tuple[str, ...] = ()
    handle_mqtt: Callable[[str, bytes, Any], None] | None = None


@dataclass(frozen=True)
class DemoContext:
    """What a demo-data generator gets: database, settings, history length and a progress callback."""

    db: Any
    settings: Settings
    days: int
    seed: int
    progress: Callable[[str, int, int], None]

    def transaction(self):
        """Open a unit of work acting as the platform itself."""
        from gelsencloud.core.principal import SYSTEM

        return self.db.transaction(SYSTEM)


@dataclass(frozen=True)
class Plugin:
    """Everything an application contributes. Only ``name`` and ``title`` are required."""

    name: str
    title_de: str
    title_en: str
    description: str = ""
    models_module: str | None = None  # imported so its tables join the shared metadata
    migrations: Path | None = None  # Alembic version folder; its branch label is ``name``
    api_router: Callable[[], APIRouter] | None = None
    # Standard APIs answer errors in their standard's format: map their exception classes here.
    exception_handlers: dict[type[Exception], Callable[..., Any]] = field(default_factory=dict)
    page_router: Callable[[], APIRouter] | None = None
    templates: Path | None = None
    static: Path | None = None
    nav: tuple[NavEntry, ...] = ()
    map_layers: tuple[MapLayer, ...] = ()
    home_panels: tuple[HomePanel, ...] = ()
    cli: Callable[[], typer.Typer] | None = None
    jobs: tuple[Job, ...] = ()
    kpi_providers: tuple[KpiProvider, ...] = ()
    ingestors: tuple[Ingestor, ...] = ()
    event_handlers: tuple[EventHandler, ...] = ()
    demo: Callable[[DemoContext], None] | None = None
    demo_order: int = 100  # generators run in ascending order (reference data first)
    translations_en: dict[str, str] = field(default_factory=dict)


class PluginError(RuntimeError):
    """Raised when a plugin is malformed or two plugins clash."""


class PluginRegistry:
    """The loaded plugins, in a stable order, with their contributions merged."""

    def __init__(self, plugins: Iterable[Plugin]) -> None:
        self.plugins: list[Plugin] = []
        for plugin in plugins:
            self.add(plugin)

    def add(self, plugin: Plugin) -> None:
        """Register a plugin, refusing duplicates and clashing names."""
        if not isinstance(plugin, Plugin):
            raise PluginError(f"{plugin!r} is not a gelsencloud Plugin")
        if not plugin.name.isidentifier():
            raise PluginError(f"plugin name {plugin.name!r} must be a Python identifier")
        if plugin.name in self.names():
            raise PluginError(f"plugin {plugin.name!r} registered twice")
        layer_ids = {layer.id for layer in self.map_layers()}
        for layer in plugin.map_layers:
            if layer.id in layer_ids:
                raise PluginError(
                    f"map layer {layer.id!r} of plugin {plugin.name!r} clashes with another plugin"
                )
        job_names = {job.name for job in self.jobs()}
        for job in plugin.jobs:
            if job.name in job_names:
                raise PluginError(f"job {job.name!r} of plugin {plugin.name!r} clashes with another plugin")
        if plugin.migrations is not None and not plugin.migrations.is_dir():
            raise PluginError(f"migrations folder of plugin {plugin.name!r} not found: {plugin.migrations}")
        if plugin.models_module:
            import_module(plugin.models_module)
        self.plugins.append(plugin)

    def names(self) -> list[str]:
        """Return the names of the loaded plugins."""
        return [p.name for p in self.plugins]

    def get(self, name: str) -> Plugin:
        """Return a plugin by name."""
        for plugin in self.plugins:
            if plugin.name == name:
                return plugin
        raise KeyError(name)

    def nav(self) -> list[NavEntry]:
        """Return all navigation entries, ordered."""
        return sorted((e for p in self.plugins for e in p.nav), key=lambda e: (e.order, e.path))

    def map_layers(self) -> list[MapLayer]:
        """Return all map layers, ordered."""
        return sorted((m for p in self.plugins for m in p.map_layers), key=lambda m: (m.order, m.id))

    def home_panels(self) -> list[HomePanel]:
        """Return all start-page panels, ordered."""
        return sorted((h for p in self.plugins for h in p.home_panels), key=lambda h: h.order)

    def jobs(self) -> list[Job]:
        """Return all scheduled jobs."""
        return [job for p in self.plugins for job in p.jobs]

    def kpi_providers(self) -> list[KpiProvider]:
        """Return all KPI providers."""
        return [kp for p in self.plugins for kp in p.kpi_providers]

    def event_handlers(self) -> list[EventHandler]:
        """Return all event subscribers."""
        return [h for p in self.plugins for h in p.event_handlers]

    def ingestors(self) -> list[Ingestor]:
        """Return all ingestors."""
        return [i for p in self.plugins for i in p.ingestors]

    def migration_folders(self) -> list[Path]:
        """Return the Alembic version folders of all plugins."""
        return [p.migrations for p in self.plugins if p.migrations is not None]

    def demo_generators(self) -> list[tuple[str, Callable[[DemoContext], None]]]:
        """Return demo-data generators in run order."""
        ordered = sorted((p for p in self.plugins if p.demo), key=lambda p: (p.demo_order, p.name))
        return [(p.name, p.demo) for p in ordered]

    def translations_en(self) -> dict[str, str]:
        """Merge the German-to-English catalogues of all plugins."""
        merged: dict[str, str] = {}
        for plugin in self.plugins:
            merged.update(plugin.translations_en)
        return merged


# The core's own features use the same contract; they always load first.
CORE_PLUGIN_MODULES = ("gelsencloud.core.builtin",)


def discover(settings: Settings) -> PluginRegistry:
    """Load the core plugins and the installed application plugins the settings allow."""
    allow = settings.plugin_allow_list
    deny = settings.plugin_deny_list
    found: list[Plugin] = [import_module(module).plugin for module in CORE_PLUGIN_MODULES]
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in deny or (allow is not None and ep.name not in allow):
            LOGGER.info("plugin %s not enabled by settings", ep.name)
            continue
        plugin = ep.load()
        if plugin.name != ep.name:
            raise PluginError(f"entry point {ep.name!r} loads a plugin named {plugin.name!r}")
        found.append(plugin)
    return PluginRegistry(found)
