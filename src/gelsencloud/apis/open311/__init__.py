"""Open311 GeoReport v2 (with paging, bbox, updated_after, notes, extensions and media upload).

The resources are served by the GE-meldet application (``gelsencloud.apps.maengelmelder``);
``register(router)`` adds the routes to that plugin's flat router.
"""

from gelsencloud.apis.open311.errors import Open311Error, open311_error_handler
from gelsencloud.apis.open311.routes import register

__all__ = ["Open311Error", "open311_error_handler", "register"]
