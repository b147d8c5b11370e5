"""Catalogue records as CKAN dictionaries (package, resource, organization, group, tag)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from gelsencloud.apps.opendata import vocab
from gelsencloud.apps.opendata.models import Dataset, Distribution
from gelsencloud.apps.opendata.service import contributor_id
from gelsencloud.apps.opendata.urls import Urls
from gelsencloud.core.models import Tenant


def ckan_time(value: datetime | None) -> str | None:
    """CKAN timestamps: naive UTC ISO 8601."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() if value else None


def organization_dict(tenant: Tenant, package_count: int | None = None) -> dict[str, Any]:
    """A tenant as a CKAN organization."""
    org = {
        "id": tenant.slug,
        "name": tenant.slug,
        "title": tenant.name,
        "display_name": tenant.name,
        "description": tenant.description,
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "created": ckan_time(tenant.created_at),
    }
    if package_count is not None:
        org["package_count"] = package_count
    return org


def group_dict(code: str, package_count: int | None = None) -> dict[str, Any]:
    """An EU data theme as a CKAN group."""
    title_de, _ = vocab.THEMES[code]
    group = {
        "id": code.lower(),
        "name": code.lower(),
        "title": title_de,
        "display_name": title_de,
        "description": vocab.theme_iri(code),
        "type": "group",
        "is_organization": False,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
    }
    if package_count is not None:
        group["package_count"] = package_count
    return group


def resource_dict(dist: Distribution, dataset: Dataset, urls: Urls, position: int) -> dict[str, Any]:
    """A distribution as a CKAN resource."""
    return {
        "id": dist.identifier,
        "package_id": dataset.identifier,
        "name": dist.title,
        "description": dist.description,
        "format": dist.format,
        "mimetype": dist.media_type,
        "url": urls.download(dataset, dist),
        "access_url": urls.access(dataset, dist),
        "size": dist.byte_size,
        "hash": f"sha256:{dist.checksum}" if dist.checksum else "",
        "created": ckan_time(dist.issued),
        "last_modified": ckan_time(dist.modified),
        "metadata_modified": ckan_time(dist.modified),
        "position": position,
        "state": "active",
        "url_type": "upload" if dist.kind == "file" else "",
        "resource_type": dist.kind,
        "license": vocab.license_iri(dist.license_id or dataset.license_id),
        "datastore_active": dist.tabular,
    }


def package_dict(dataset: Dataset, tenant: Tenant, urls: Urls, city) -> dict[str, Any]:
    """A dataset as a CKAN package (with DCAT-AP.de fields as extras, like ckanext-dcatde)."""
    license_title, _ = vocab.LICENSES.get(dataset.license_id, (dataset.license_id, False))
    extras = [
        {"key": "contributorID", "value": json.dumps([contributor_id()])},
        {"key": "politicalGeocodingLevelURI", "value": vocab.GEOCODING + "Level/municipality"},
        {"key": "politicalGeocodingURI", "value": json.dumps([vocab.GEOCODING + f"regionalKey/{city.ars}"])},
        {"key": "licenseAttributionByText", "value": dataset.license_attribution},
        {"key": "identifier", "value": dataset.identifier},
        {"key": "issued", "value": dataset.issued.isoformat()},
        {"key": "modified", "value": dataset.modified.isoformat()},
    ]
    if dataset.temporal_start:
        extras.append({"key": "temporal_start", "value": dataset.temporal_start.isoformat()})
    if dataset.temporal_end:
        extras.append({"key": "temporal_end", "value": dataset.temporal_end.isoformat()})
    if dataset.accrual_periodicity:
        extras.append({"key": "frequency", "value": vocab.FREQUENCY_BASE + dataset.accrual_periodicity})
    if dataset.synthetic:
        extras.append({"key": "synthetic", "value": "true"})
    resources = [resource_dict(d, dataset, urls, i) for i, d in enumerate(dataset.distributions)]
    tags = [{"name": k, "display_name": k, "state": "active"} for k in dataset.keywords]
    return {
        "id": dataset.identifier,
        "name": dataset.name,
        "title": dataset.title,
        "notes": dataset.description,
        "url": urls.dataset_page(dataset),
        "type": "dataset",
        "state": "active",
        "private": dataset.classification != "public",
        "license_id": dataset.license_id,
        "license_title": license_title,
        "license_url": vocab.license_iri(dataset.license_id),
        "author": tenant.name,
        "author_email": None,
        "maintainer": dataset.contact_name or tenant.name,
        "maintainer_email": dataset.contact_email or None,
        "metadata_created": ckan_time(dataset.issued),
        "metadata_modified": ckan_time(dataset.modified),
        "owner_org": tenant.slug,
        "organization": organization_dict(tenant),
        "groups": [group_dict(t) for t in dataset.themes if t in vocab.THEMES],
        "tags": tags,
        "num_tags": len(tags),
        "resources": resources,
        "num_resources": len(resources),
        "extras": extras,
        "title_en": dataset.title_en,
        "notes_en": dataset.description_en,
    }
