"""Absolute URLs of catalogue records, shared by pages, CKAN, DCAT and OGC output."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from gelsencloud.apps.opendata.models import Dataset, Distribution
from gelsencloud.core.http import absolute_url


@dataclass(frozen=True)
class Urls:
    """Builds absolute links for one request (honours the base URL and trusted proxy headers)."""

    request: Request

    def abs(self, path: str) -> str:
        """Return an absolute URL of a site path."""
        return absolute_url(self.request, path)

    def dataset_page(self, dataset: Dataset) -> str:
        """Human-readable page of a dataset."""
        return self.abs(f"/daten/{dataset.name}")

    def dataset_iri(self, dataset: Dataset) -> str:
        """The dataset's RDF identifier (dereferences to its Turtle description)."""
        return self.abs(f"/daten/{dataset.name}#dataset")

    def distribution_iri(self, dataset: Dataset, dist: Distribution) -> str:
        """The distribution's RDF identifier."""
        return self.abs(f"/daten/{dataset.name}#distribution-{dist.identifier}")

    def download(self, dataset: Dataset, dist: Distribution) -> str:
        """Where to get the distribution's data (file, export, or the linked API)."""
        if dist.kind == "api":
            return dist.access_url if "://" in dist.access_url else self.abs(dist.access_url)
        if dist.kind == "file":
            return self.abs(f"/api/v1/opendata/distributions/{dist.id}/file")
        return self.abs(f"/api/v1/opendata/distributions/{dist.id}/export.csv")

    def access(self, dataset: Dataset, dist: Distribution) -> str:
        """Where the distribution can be accessed (data API for tables, the download otherwise)."""
        if dist.tabular:
            return self.abs(f"/api/v1/opendata/distributions/{dist.id}/rows")
        return self.download(dataset, dist)
