"""Build DCAT-AP.de 3.0 RDF graphs of catalogue records with rdflib."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from gelsencloud.apps.opendata import vocab
from gelsencloud.apps.opendata.models import Dataset, Distribution
from gelsencloud.apps.opendata.service import contributor_id
from gelsencloud.apps.opendata.urls import Urls
from gelsencloud.core.models import Tenant

DCATDE = Namespace("http://dcat-ap.de/def/dcatde/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
LANG_DE = URIRef(vocab.LANGUAGE_BASE + "DEU")
LANG_EN = URIRef(vocab.LANGUAGE_BASE + "ENG")
MIME = {"ttl": "text/turtle", "rdf": "application/rdf+xml", "jsonld": "application/ld+json"}
RDFLIB_FORMAT = {"ttl": "turtle", "rdf": "pretty-xml", "jsonld": "json-ld"}
PER_PAGE = 100


def new_graph() -> Graph:
    """Return an empty graph with the DCAT-AP.de prefixes bound."""
    g = Graph()
    for prefix, ns in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("dcatde", DCATDE),
        ("dcatap", DCATAP),
        ("vcard", VCARD),
        ("spdx", SPDX),
        ("hydra", HYDRA),
        ("skos", SKOS),
        ("locn", LOCN),
        ("gsp", GSP),
    ):
        g.bind(prefix, ns)
    return g


def _dt(value: datetime) -> Literal:
    return Literal(value.astimezone(UTC).replace(microsecond=0).isoformat(), datatype=XSD.dateTime)


class CatalogBuilder:
    """Adds catalogue, dataset and distribution triples for one request."""

    def __init__(self, graph: Graph, urls: Urls, tenants: dict[int, Tenant], city) -> None:
        self.g = graph
        self.urls = urls
        self.tenants = tenants
        self.city = city
        self.spatial = URIRef(vocab.GEOCODING + f"regionalKey/{city.ars}")

    def agent(self, tenant: Tenant) -> URIRef:
        """The publisher agent of a tenant."""
        node = URIRef(self.urls.abs(f"/organisationen/{tenant.slug}"))
        self.g.add((node, RDF.type, FOAF.Agent))
        self.g.add((node, FOAF.name, Literal(tenant.name, lang="de")))
        if tenant.website:
            self.g.add((node, FOAF.homepage, URIRef(tenant.website)))
        return node

    def _typed(self, iri: str, rdf_type: URIRef) -> URIRef:
        node = URIRef(iri)
        self.g.add((node, RDF.type, rdf_type))
        return node

    def _location(self) -> URIRef:
        node = self._typed(str(self.spatial), DCTERMS.Location)
        minx, miny, maxx, maxy = self.city.bbox
        wkt = f"POLYGON(({minx} {miny},{maxx} {miny},{maxx} {maxy},{minx} {maxy},{minx} {miny}))"
        self.g.add((node, DCAT.bbox, Literal(wkt, datatype=GSP.wktLiteral)))
        self.g.add((node, SKOS.prefLabel, Literal(self.city.official_name, lang="de")))
        return node

    def catalog(
        self, iri: str, datasets: list[Dataset], publisher: Tenant, modified: datetime | None
    ) -> URIRef:
        """Add the catalogue node linking ``datasets``."""
        g = self.g
        node = URIRef(iri)
        g.add((node, RDF.type, DCAT.Catalog))
        g.add((node, DCTERMS.title, Literal(f"Offene Daten {self.city.name}", lang="de")))
        g.add((node, DCTERMS.title, Literal(f"Open data {self.city.name}", lang="en")))
        g.add(
            (
                node,
                DCTERMS.description,
                Literal(
                    f"Offene Daten der {self.city.official_name} und ihrer Gesellschaften (GELSENcloud).",
                    lang="de",
                ),
            )
        )
        g.add((node, DCTERMS.publisher, self.agent(publisher)))
        g.add((node, DCTERMS.language, self._typed(str(LANG_DE), DCTERMS.LinguisticSystem)))
        g.add((node, FOAF.homepage, self._typed(self.urls.abs("/daten"), FOAF.Document)))
        g.add((node, DCAT.themeTaxonomy, self._typed(vocab.THEME_BASE.rstrip("/"), SKOS.ConceptScheme)))
        g.add((node, DCTERMS.spatial, self._location()))
        if modified:
            g.add((node, DCTERMS.modified, _dt(modified)))
        for dataset in datasets:
            g.add((node, DCAT.dataset, self.dataset(dataset)))
        return node

    def dataset(self, dataset: Dataset) -> URIRef:
        """Add one dataset with its distributions."""
        g = self.g
        node = URIRef(self.urls.dataset_iri(dataset))
        tenant = self.tenants[dataset.tenant_id]
        g.add((node, RDF.type, DCAT.Dataset))
        g.add((node, DCTERMS.title, Literal(dataset.title, lang="de")))
        g.add((node, DCTERMS.description, Literal(dataset.description or dataset.title, lang="de")))
        if dataset.title_en:
            g.add((node, DCTERMS.title, Literal(dataset.title_en, lang="en")))
        if dataset.description_en:
            g.add((node, DCTERMS.description, Literal(dataset.description_en, lang="en")))
        g.add((node, DCTERMS.identifier, Literal(dataset.identifier)))
        g.add((node, DCTERMS.publisher, self.agent(tenant)))
        g.add((node, DCATDE.contributorID, URIRef(contributor_id())))
        g.add((node, DCATDE.politicalGeocodingLevelURI, URIRef(vocab.GEOCODING + "Level/municipality")))
        # 2.0 consumers read politicalGeocodingURI; 3.0 puts the ARS IRI into dct:spatial (both given).
        g.add((node, DCATDE.politicalGeocodingURI, self.spatial))
        g.add((node, DCTERMS.spatial, self._location()))
        g.add((node, DCTERMS.issued, _dt(dataset.issued)))
        g.add((node, DCTERMS.modified, _dt(dataset.modified)))
        g.add((node, DCTERMS.language, self._typed(str(LANG_DE), DCTERMS.LinguisticSystem)))
        g.add((node, DCAT.landingPage, self._typed(self.urls.dataset_page(dataset), FOAF.Document)))
        for code in dataset.themes:
            g.add((node, DCAT.theme, self._typed(vocab.theme_iri(code), SKOS.Concept)))
        for keyword in dataset.keywords:
            g.add((node, DCAT.keyword, Literal(keyword, lang="de")))
        if dataset.accrual_periodicity:
            freq = self._typed(vocab.FREQUENCY_BASE + dataset.accrual_periodicity, DCTERMS.Frequency)
            g.add((node, DCTERMS.accrualPeriodicity, freq))
        if dataset.temporal_start or dataset.temporal_end:
            period = BNode()
            g.add((period, RDF.type, DCTERMS.PeriodOfTime))
            if dataset.temporal_start:
                g.add(
                    (period, DCAT.startDate, Literal(dataset.temporal_start.isoformat(), datatype=XSD.date))
                )
            if dataset.temporal_end:
                g.add((period, DCAT.endDate, Literal(dataset.temporal_end.isoformat(), datatype=XSD.date)))
            g.add((node, DCTERMS.temporal, period))
        g.add((node, DCAT.contactPoint, self._contact(dataset, tenant)))
        for dist in dataset.distributions:
            g.add((node, DCAT.distribution, self.distribution(dataset, dist)))
        return node

    def _contact(self, dataset: Dataset, tenant: Tenant) -> BNode:
        g = self.g
        contact = BNode()
        # vcard:Kind is the range the shapes check (no RDFS inference there); Organization says more
        g.add((contact, RDF.type, VCARD.Kind))
        g.add((contact, RDF.type, VCARD.Organization))
        g.add((contact, VCARD.fn, Literal(dataset.contact_name or tenant.name)))
        if dataset.contact_email:
            g.add((contact, VCARD.hasEmail, URIRef("mailto:" + dataset.contact_email)))
        url = dataset.contact_url or tenant.website or self.urls.dataset_page(dataset)
        g.add((contact, VCARD.hasURL, URIRef(url)))
        return contact

    def distribution(self, dataset: Dataset, dist: Distribution) -> URIRef:
        """Add one distribution."""
        g = self.g
        node = URIRef(self.urls.distribution_iri(dataset, dist))
        license_id = dist.license_id or dataset.license_id
        g.add((node, RDF.type, DCAT.Distribution))
        g.add((node, DCTERMS.title, Literal(dist.title, lang="de")))
        if dist.description:
            g.add((node, DCTERMS.description, Literal(dist.description, lang="de")))
        g.add((node, DCAT.accessURL, self._typed(self.urls.access(dataset, dist), RDFS.Resource)))
        if dist.kind != "api":
            g.add((node, DCAT.downloadURL, self._typed(self.urls.download(dataset, dist), RDFS.Resource)))
        g.add((node, DCTERMS.license, self._typed(vocab.license_iri(license_id), DCTERMS.LicenseDocument)))
        if dataset.license_attribution:
            g.add((node, DCATDE.licenseAttributionByText, Literal(dataset.license_attribution, lang="de")))
        g.add(
            (node, DCTERMS.format, self._typed(vocab.file_type_iri(dist.format), DCTERMS.MediaTypeOrExtent))
        )
        g.add((node, DCAT.mediaType, self._typed(vocab.media_type_iri(dist.media_type), DCTERMS.MediaType)))
        g.add((node, DCTERMS.issued, _dt(dist.issued)))
        g.add((node, DCTERMS.modified, _dt(dist.modified)))
        if dist.byte_size is not None:
            g.add((node, DCAT.byteSize, Literal(dist.byte_size, datatype=XSD.nonNegativeInteger)))
        if dist.checksum:
            checksum = BNode()
            g.add((checksum, RDF.type, SPDX.Checksum))
            g.add(
                (
                    checksum,
                    SPDX.algorithm,
                    self._typed(str(SPDX.checksumAlgorithm_sha256), SPDX.ChecksumAlgorithm),
                )
            )
            g.add((checksum, SPDX.checksumValue, Literal(dist.checksum, datatype=XSD.hexBinary)))
            g.add((node, SPDX.checksum, checksum))
        return node

    def paging(self, base: str, page: int, total: int, query: dict[str, Any]) -> None:
        """Add Hydra paging (both the legacy PagedCollection and PartialCollectionView forms)."""
        from urllib.parse import urlencode

        def page_url(n: int) -> str:
            return base + "?" + urlencode({**query, "page": n})

        last = max(1, -(-total // PER_PAGE))
        node = URIRef(page_url(page))
        g = self.g
        g.add((node, RDF.type, HYDRA.PagedCollection))
        g.add((node, RDF.type, HYDRA.PartialCollectionView))
        g.add((node, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
        g.add((node, HYDRA.itemsPerPage, Literal(PER_PAGE, datatype=XSD.integer)))
        g.add((node, HYDRA.firstPage, Literal(page_url(1))))
        g.add((node, HYDRA.lastPage, Literal(page_url(last))))
        g.add((node, HYDRA.first, URIRef(page_url(1))))
        g.add((node, HYDRA.last, URIRef(page_url(last))))
        if page < last:
            g.add((node, HYDRA.nextPage, Literal(page_url(page + 1))))
            g.add((node, HYDRA.next, URIRef(page_url(page + 1))))
        if page > 1:
            g.add((node, HYDRA.previousPage, Literal(page_url(page - 1))))
            g.add((node, HYDRA.previous, URIRef(page_url(page - 1))))
