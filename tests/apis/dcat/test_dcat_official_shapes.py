"""Regressions for the findings of the official DCAT-AP.de 3.0 SHACL run (see docs/dcat-validation.md).

The official shape files may not live in this repository, so each finding is pinned here with the
project's own shapes or with direct triple assertions.
"""

from __future__ import annotations

from importlib.resources import files

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SKOS

from gelsencloud.apis.dcat.graph import mail_iri, web_iri
from gelsencloud.apps.opendata import service
from gelsencloud.core.principal import SYSTEM

DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
SHAPES = files("gelsencloud.apps.opendata") / "shapes" / "gelsencloud-dcat-ap-de.ttl"
TREES = "demo-strassenbaeume"


def _graph(client, url: str, fmt: str = "turtle") -> Graph:
    response = client.get(url)
    assert response.status_code == 200, response.text[:300]
    return Graph().parse(data=response.text, format=fmt)


def _conforms(graph: Graph) -> tuple[bool, str]:
    shapes = Graph().parse(data=SHAPES.read_text(encoding="utf-8"), format="turtle")
    conforms, _, text = validate(graph, shacl_graph=shapes, inference="none", allow_warnings=True)
    return conforms, text


def test_deprecated_political_geocoding_uri_is_not_emitted(client, catalog):
    """dcat-ap-de-deprecated.ttl warned 12x; 3.0 carries the ARS in dct:spatial only."""
    graph = _graph(client, "/catalog.ttl")
    assert not list(graph.subject_objects(DCATDE.politicalGeocodingURI))
    ars = URIRef("http://dcat-ap.de/def/politicalGeocoding/regionalKey/055130000000")
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    assert datasets and all((d, DCTERMS.spatial, ars) in graph for d in datasets)


def test_checksums_survive_merging_documents(client, catalog):
    """Merged catalogue + dataset documents broke spdx:checksum maxCount 1 (blank nodes, 12 violations)."""
    merged = _graph(client, "/catalog.ttl")
    for suffix, fmt in (("ttl", "turtle"), ("rdf", "xml"), ("jsonld", "json-ld")):
        merged += _graph(client, f"/dataset/{TREES}.{suffix}", fmt)
    trees = URIRef(f"http://testserver/daten/{TREES}#dataset")
    with_checksum = [
        d for d in merged.objects(trees, DCAT.distribution) if (d, SPDX.checksum, None) in merged
    ]
    assert with_checksum, "the demo trees dataset should have a stored file with a checksum"
    for dist in with_checksum:
        checksums = list(merged.objects(dist, SPDX.checksum))
        assert len(checksums) == 1 and isinstance(checksums[0], URIRef)
        assert len(list(merged.objects(checksums[0], SPDX.checksumValue))) == 1
    conforms, report = _conforms(merged)
    assert conforms, report


def test_controlled_terms_name_their_vocabulary(client, catalog):
    """The official vocabulary checks test skos:inScheme; the output states it for every term used."""
    graph = _graph(client, "/catalog.ttl")
    schemes = {
        DCAT.theme: EU + "data-theme",
        DCTERMS.language: EU + "language",
        DCTERMS.accrualPeriodicity: EU + "frequency",
        DCTERMS.format: EU + "file-type",
        DCTERMS.license: "http://dcat-ap.de/def/licenses",
        DCATDE.politicalGeocodingLevelURI: "http://dcat-ap.de/def/politicalGeocoding/Level",
    }
    for prop, scheme in schemes.items():
        terms = set(graph.objects(None, prop))
        assert terms, prop
        for term in terms:
            assert (term, SKOS.inScheme, URIRef(scheme)) in graph, (prop, term)
    # plain DCAT-AP 3.0.0 (without the German overlay) wants labels on concepts and schemes
    for theme in set(graph.objects(None, DCAT.theme)):
        assert {label.language for label in graph.objects(theme, SKOS.prefLabel)} == {"de", "en"}
    taxonomy = URIRef(EU + "data-theme")
    assert (taxonomy, DCTERMS.title, Literal("Datenthema", lang="de")) in graph


@pytest.mark.usefixtures("backend")
def test_contact_point_never_carries_a_broken_iri(client, db, catalog):
    """Free-text contact fields must not become IRIs; the contact point keeps a usable URL (K01)."""
    with db.transaction(SYSTEM) as session:
        record = service.get_dataset(session, TREES)
        record.contact_url = "www.gelsenkirchen.de/baeume"
        record.contact_email = "Grünflächenamt (Zimmer 3)"
    graph = _graph(client, f"/dataset/{TREES}.ttl")
    trees = URIRef(f"http://testserver/daten/{TREES}#dataset")
    contact = graph.value(trees, DCAT.contactPoint)
    assert graph.value(contact, VCARD.hasEmail) is None
    url = str(graph.value(contact, VCARD.hasURL))
    assert url.startswith(("http://", "https://")) and " " not in url
    conforms, report = _conforms(graph)
    assert conforms, report


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://www.gelsenkirchen.de/", True),
        ("www.gelsenkirchen.de", False),
        ("http://a b", False),
        ("", False),
    ],
)
def test_web_iri_accepts_only_absolute_web_urls(value, expected):
    assert (web_iri(value) is not None) is expected


@pytest.mark.parametrize(
    ("value", "expected"), [("daten@gelsenkirchen.de", True), ("daten @gelsenkirchen.de", False), ("", False)]
)
def test_mail_iri_accepts_only_plausible_addresses(value, expected):
    assert (mail_iri(value) is not None) is expected
