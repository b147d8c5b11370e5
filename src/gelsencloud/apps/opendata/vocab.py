"""Controlled vocabularies of DCAT-AP.de: licences, EU data themes, file types, frequencies."""

from __future__ import annotations

DCATDE = "http://dcat-ap.de/def/dcatde/"
LICENSE_BASE = "http://dcat-ap.de/def/licenses/"
THEME_BASE = "http://publications.europa.eu/resource/authority/data-theme/"
FILE_TYPE_BASE = "http://publications.europa.eu/resource/authority/file-type/"
FREQUENCY_BASE = "http://publications.europa.eu/resource/authority/frequency/"
LANGUAGE_BASE = "http://publications.europa.eu/resource/authority/language/"
MEDIA_TYPE_BASE = "https://www.iana.org/assignments/media-types/"
GEOCODING = "http://dcat-ap.de/def/politicalGeocoding/"
CONTRIBUTORS = "http://dcat-ap.de/def/contributors/"

# id (path below LICENSE_BASE) -> (German title, needs attribution)
LICENSES: dict[str, tuple[str, bool]] = {
    "dl-by-de/2.0": ("Datenlizenz Deutschland – Namensnennung – Version 2.0", True),
    "dl-zero-de/2.0": ("Datenlizenz Deutschland – Zero – Version 2.0", False),
    "cc-by/4.0": ("Creative Commons Namensnennung – 4.0 International (CC BY 4.0)", True),
    "cc-by-sa/4.0": ("Creative Commons Namensnennung – Weitergabe unter gleichen Bedingungen 4.0", True),
    "cc-zero": ("Creative Commons CC Zero License (cc-zero)", False),
    "odbl": ("Open Data Commons Open Database License (ODbL)", True),
}

# EU data themes (the only ones allowed in dcat:theme, Konventionenhandbuch K30)
THEMES: dict[str, tuple[str, str]] = {
    "AGRI": (
        "Landwirtschaft, Fischerei, Forstwirtschaft und Nahrungsmittel",
        "Agriculture, fisheries, forestry and food",
    ),
    "ECON": ("Wirtschaft und Finanzen", "Economy and finance"),
    "EDUC": ("Bildung, Kultur und Sport", "Education, culture and sport"),
    "ENER": ("Energie", "Energy"),
    "ENVI": ("Umwelt", "Environment"),
    "GOVE": ("Regierung und öffentlicher Sektor", "Government and public sector"),
    "HEAL": ("Gesundheit", "Health"),
    "INTR": ("Internationale Themen", "International issues"),
    "JUST": ("Justiz, Rechtssystem und öffentliche Sicherheit", "Justice, legal system and public safety"),
    "REGI": ("Regionen und Städte", "Regions and cities"),
    "SOCI": ("Bevölkerung und Gesellschaft", "Population and society"),
    "TECH": ("Wissenschaft und Technologie", "Science and technology"),
    "TRAN": ("Verkehr", "Transport"),
}

# EU file-type code -> IANA media type
FILE_TYPES: dict[str, str] = {
    "CSV": "text/csv",
    "JSON": "application/json",
    "GEOJSON": "application/geo+json",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "HTML": "text/html",
    "XML": "application/xml",
    "RDF_TURTLE": "text/turtle",
    "PDF": "application/pdf",
}

FREQUENCIES: dict[str, str] = {
    "DAILY": "täglich",
    "WEEKLY": "wöchentlich",
    "MONTHLY": "monatlich",
    "ANNUAL": "jährlich",
    "IRREG": "unregelmäßig",
    "CONT": "kontinuierlich",
}

# The city's GovData contributor ID is assigned by GovData; until then the generic
# "municipality" style ID is configured here (one place to change).
DEFAULT_CONTRIBUTOR_ID = CONTRIBUTORS + "stadtGelsenkirchen"


def license_iri(license_id: str) -> str:
    """Return the dcat-ap.de licence IRI of a licence id."""
    return LICENSE_BASE + license_id


def theme_iri(code: str) -> str:
    """Return the EU data-theme IRI of a theme code."""
    return THEME_BASE + code


def file_type_iri(code: str) -> str:
    """Return the EU file-type IRI of a format code."""
    return FILE_TYPE_BASE + code


def media_type_iri(media_type: str) -> str:
    """Return the IANA IRI of a media type."""
    return MEDIA_TYPE_BASE + media_type


def format_for_filename(filename: str) -> str | None:
    """Guess the EU file-type code from a file name."""
    lower = filename.lower()
    for suffix, code in ((".geojson", "GEOJSON"), (".csv", "CSV"), (".json", "JSON"), (".xlsx", "XLSX")):
        if lower.endswith(suffix):
            return code
    return None
