"""Open data fixtures, shared with the other open data test folders."""

from opendata_fixtures import catalog, served  # noqa: F401
