"""DCAT-AP.de RDF catalogue: shapes (pySHACL), Hydra paging, modified_since, formats, visibility."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib.resources import files

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from gelsencloud.apps.opendata import service
from gelsencloud.core.principal import SYSTEM

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
SHAPES = files("gelsencloud.apps.opendata") / "shapes" / "gelsencloud-dcat-ap-de.ttl"


def _shapes() -> Graph:
    return Graph().parse(data=SHAPES.read_text(encoding="utf-8"), format="turtle")


def _conforms(graph: Graph) -> tuple[bool, str]:
    conforms, _, text = validate(graph, shacl_graph=_shapes(), inference="none", allow_warnings=True)
    return conforms, text


def _graph(client, url: str, fmt: str = "turtle") -> Graph:
    response = client.get(url)
    assert response.status_code == 200, response.text[:300]
    return Graph().parse(data=response.text, format=fmt)


@pytest.mark.usefixtures("backend")
def test_catalog_conforms_to_the_projects_shapes(client, catalog):
    graph = _graph(client, "/catalog.ttl")
    conforms, report = _conforms(graph)
    assert conforms, report
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 10
    trees = URIRef("http://testserver/daten/demo-strassenbaeume#dataset")
    assert trees in datasets
    assert (trees, DCATDE.contributorID, URIRef(service.contributor_id())) in graph
    assert (
        trees,
        DCTERMS.spatial,
        URIRef("http://dcat-ap.de/def/politicalGeocoding/regionalKey/055130000000"),
    ) in graph
    dists = list(graph.objects(trees, DCAT.distribution))
    assert len(dists) == 2
    licences = {str(o) for d in dists for o in graph.objects(d, DCTERMS.license)}
    assert licences == {"http://dcat-ap.de/def/licenses/dl-by-de/2.0"}
    formats = {str(o) for d in dists for o in graph.objects(d, DCTERMS.format)}
    assert "http://publications.europa.eu/resource/authority/file-type/GEOJSON" in formats


def test_shapes_reject_what_govdata_would_reject(client, catalog):
    graph = _graph(client, "/catalog.ttl")
    dist = next(graph.subjects(RDF.type, DCAT.Distribution))
    broken = Graph()
    for triple in graph:
        broken.add(triple)
    broken.remove((dist, DCTERMS.license, None))
    conforms, report = _conforms(broken)
    assert not conforms and "license" in report
    dataset = next(graph.subjects(RDF.type, DCAT.Dataset))
    wrong_theme = Graph()
    for triple in graph:
        wrong_theme.add(triple)
    wrong_theme.add((dataset, DCAT.theme, URIRef("http://example.org/themes/Sport")))
    assert not _conforms(wrong_theme)[0]
    no_contributor = Graph()
    for triple in graph:
        no_contributor.add(triple)
    no_contributor.remove((dataset, DCATDE.contributorID, None))
    assert not _conforms(no_contributor)[0]


@pytest.mark.parametrize(("suffix", "fmt"), [("ttl", "turtle"), ("rdf", "xml"), ("jsonld", "json-ld")])
def test_all_serialisations_carry_the_same_catalogue(client, catalog, suffix, fmt):
    graph = _graph(client, f"/catalog.{suffix}", fmt)
    assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == 10
    assert _conforms(graph)[0]
    single = _graph(client, f"/dataset/demo-strassenbaeume.{suffix}", fmt)
    assert len(set(single.subjects(RDF.type, DCAT.Dataset))) == 1
    assert _conforms(single)[0]


def test_internal_datasets_are_never_in_rdf(client, catalog):
    text = client.get("/catalog.ttl", headers={"Authorization": f"Bearer {catalog.keys['city.admin']}"}).text
    assert "sanierungen" not in text
    assert client.get("/dataset/demo-interne-planungsliste-sanierungen.ttl").status_code == 404


@pytest.mark.usefixtures("backend")
def test_hydra_paging_and_modified_since(client, db, catalog):
    with db.transaction(SYSTEM) as session:
        city = catalog.tenants["stadt-gelsenkirchen"]
        for i in range(95):
            service.create_dataset(
                session,
                service.DatasetInput(
                    title=f"Demo: Paging-Datensatz {i}",
                    description="synthetisch",
                    license_id="dl-zero-de/2.0",
                ),
                tenant_id=city,
            )
    first = _graph(client, "/catalog.ttl")
    assert len(set(first.subjects(RDF.type, DCAT.Dataset))) == 100
    view = next(first.subjects(RDF.type, HYDRA.PagedCollection))
    assert first.value(view, HYDRA.totalItems) == Literal(105)
    next_url = str(first.value(view, HYDRA.nextPage))
    assert next_url.endswith("/catalog.ttl?page=2")
    second = _graph(client, next_url.replace("http://testserver", ""))
    second_view = next(second.subjects(RDF.type, HYDRA.PartialCollectionView))
    assert second.value(second_view, HYDRA.next) is None and second.value(second_view, HYDRA.nextPage) is None
    assert len(set(second.subjects(RDF.type, DCAT.Dataset))) == 5
    all_ids = set(first.subjects(RDF.type, DCAT.Dataset)) | set(second.subjects(RDF.type, DCAT.Dataset))
    assert len(all_ids) == 105

    future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    none = _graph(client, f"/catalog.ttl?modified_since={future}")
    assert not set(none.subjects(RDF.type, DCAT.Dataset))
    past = _graph(client, "/catalog.ttl?modified_since=2000-01-01")
    assert len(set(past.subjects(RDF.type, DCAT.Dataset))) == 100
    assert client.get("/catalog.ttl?modified_since=gestern").status_code == 400
    assert client.get("/catalog.xyz").status_code == 404


def test_ckanext_dcat_style_parser_finds_next_page(client, catalog):
    """GovData's harvester (ckanext-dcat RDFParser.next_page) reads hydra:nextPage of a PagedCollection."""
    graph = _graph(client, "/catalog.ttl")
    next_pages = [
        str(o)
        for s in graph.subjects(RDF.type, HYDRA.PagedCollection)
        for o in graph.objects(s, HYDRA.nextPage)
    ]
    assert next_pages == []  # 10 datasets fit on one page
