"""Build DCAT-AP.de 3.0 RDF graphs of catalogue records with rdflib."""

from __future__ import annotations

import re
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
# Values that may become vcard/foaf IRIs; free text in the record must not yield a broken IRI.
_WEB_URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
_EMAIL = re.compile(r"^[^\s<>\"@]+@[^\s<>\"@]+\.[^\s<>\"@]+$")


def web_iri(value: str | None) -> URIRef | None:
    """Return an absolute http(s) URL as IRI, or None when the text is no such URL."""
    value = (value or "").strip()
    return URIRef(value) if _WEB_URL.match(value) else None


def mail_iri(address: str | None) -> URIRef | None:
    """Return a mailto: IRI for a plausible e-mail address, or None."""
    address = (address or "").strip()
    return URIRef("mailto:" + address) if _EMAIL.match(address) else None


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
        homepage = web_iri(tenant.website)
        if homepage is not None:
            self.g.add((node, FOAF.homepage, homepage))
        return node

    def _typed(self, iri: str, rdf_type: URIRef) -> URIRef:
        node = URIRef(iri)
        self.g.add((node, RDF.type, rdf_type))
        return node

    def _term(self, iri: str, rdf_type: URIRef | None, scheme: str) -> URIRef:
        """A controlled-vocabulary term with its skos:inScheme, as the official vocabulary states it.

        The official DCAT-AP.de 3.0 shapes check vocabulary membership through skos:inScheme; the
        ITB validator loads the vocabularies for that, other validators and harvesters do not.
        """
        node = self._typed(iri, rdf_type) if rdf_type is not None else URIRef(iri)
        self.g.add((node, SKOS.inScheme, URIRef(scheme)))
        return node

    def _theme_taxonomy(self) -> URIRef:
        node = self._typed(vocab.THEME_BASE.rstrip("/"), SKOS.ConceptScheme)
        # DCAT-AP 3.0.0 requires a title on a concept scheme (the German overlay waives it)
        self.g.add((node, DCTERMS.title, Literal("Datenthema", lang="de")))
        self.g.add((node, DCTERMS.title, Literal("Data theme", lang="en")))
        return node

    def _theme(self, code: str) -> URIRef:
        node = self._term(vocab.theme_iri(code), SKOS.Concept, vocab.THEME_BASE.rstrip("/"))
        label_de, label_en = vocab.THEMES.get(code, (code, code))
        # DCAT-AP 3.0.0 requires skos:prefLabel on a concept (the German overlay waives it)
        self.g.add((node, SKOS.prefLabel, Literal(label_de, lang="de")))
        self.g.add((node, SKOS.prefLabel, Literal(label_en, lang="en")))
        return node

    def _language(self, iri: URIRef) -> URIRef:
        return self._term(str(iri), DCTERMS.LinguisticSystem, vocab.LANGUAGE_BASE.rstrip("/"))

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
        g.add((node, DCTERMS.language, self._language(LANG_DE)))
        g.add((node, FOAF.homepage, self._typed(self.urls.abs("/daten"), FOAF.Document)))
        g.add((node, DCAT.themeTaxonomy, self._theme_taxonomy()))
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
        level = self._term(vocab.GEOCODING + "Level/municipality", None, vocab.GEOCODING + "Level")
        g.add((node, DCATDE.politicalGeocodingLevelURI, level))
        # DCAT-AP.de 3.0 carries the ARS IRI in dct:spatial only; dcatde:politicalGeocodingURI is
        # deprecated there (official dcat-ap-de-deprecated.ttl warns). 2.0 consumers get it via CKAN extras.
        g.add((node, DCTERMS.spatial, self._location()))
        g.add((node, DCTERMS.issued, _dt(dataset.issued)))
        g.add((node, DCTERMS.modified, _dt(dataset.modified)))
        g.add((node, DCTERMS.language, self._language(LANG_DE)))
        g.add((node, DCAT.landingPage, self._typed(self.urls.dataset_page(dataset), FOAF.Document)))
        for code in dataset.themes:
            g.add((node, DCAT.theme, self._theme(code)))
        for keyword in dataset.keywords:
            g.add((node, DCAT.keyword, Literal(keyword, lang="de")))
        if dataset.accrual_periodicity:
            freq = self._term(
                vocab.FREQUENCY_BASE + dataset.accrual_periodicity,
                DCTERMS.Frequency,
                vocab.FREQUENCY_BASE.rstrip("/"),
            )
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
        email = mail_iri(dataset.contact_email)
        if email is not None:
            g.add((contact, VCARD.hasEmail, email))
        # K01 / German additions: a URL (or e-mail) IRI is required; fall back to the dataset page
        url = (
            web_iri(dataset.contact_url) or web_iri(tenant.website) or URIRef(self.urls.dataset_page(dataset))
        )
        g.add((contact, VCARD.hasURL, url))
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
        licence = self._term(
            vocab.license_iri(license_id), DCTERMS.LicenseDocument, vocab.LICENSE_BASE.rstrip("/")
        )
        g.add((node, DCTERMS.license, licence))
        if dataset.license_attribution:
            g.add((node, DCATDE.licenseAttributionByText, Literal(dataset.license_attribution, lang="de")))
        file_type = self._term(
            vocab.file_type_iri(dist.format), DCTERMS.MediaTypeOrExtent, vocab.FILE_TYPE_BASE.rstrip("/")
        )
        g.add((node, DCTERMS.format, file_type))
        g.add((node, DCAT.mediaType, self._typed(vocab.media_type_iri(dist.media_type), DCTERMS.MediaType)))
        g.add((node, DCTERMS.issued, _dt(dist.issued)))
        g.add((node, DCTERMS.modified, _dt(dist.modified)))
        if dist.byte_size is not None:
            g.add((node, DCAT.byteSize, Literal(dist.byte_size, datatype=XSD.nonNegativeInteger)))
        if dist.checksum:
            # an IRI, not a blank node: graphs merged from several documents (catalogue page plus
            # dataset page, or two formats) must still hold one checksum per distribution (maxCount 1)
            checksum = URIRef(f"{node}-checksum")
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
