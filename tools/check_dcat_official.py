#!/usr/bin/env python3
"""Validate GELSENcloud's DCAT-AP.de output against the official DCAT-AP.de 3.0 SHACL shapes.

The official shapes are not part of this repository (licence/provenance rule of the workplace):
download them yourself and put them into one folder, see docs/dcat-validation.md. The folder holds

  * the GovData files of ``Releases/DCAT-AP.de V3.0/shacl/`` (GovDataOfficial/DCAT-AP.de):
    dcat-ap-SHACL-DE.ttl, dcat-ap-spec-german-additions.ttl, dcat-ap-de-controlledvocabularies.ttl,
    dcat-ap-de-deprecated.ttl (dcat-ap-de-imports.ttl only lists vocabularies, it is not a shape file);
  * the EU DCAT-AP 3.0.0 shapes (dcat-ap-SHACL.ttl of SEMICeu/DCAT-AP, any file name);
  * optionally a sub-folder ``vocab/`` with the vocabularies that dcat-ap-de-imports.ttl names
    (EU authority tables, dcat-ap.de licences/contributors/geocoding levels, ...), in any RDF syntax.

Like the official ITB validator (which merges the imported vocabularies with the data before it
validates), the vocabulary triples are merged into the data graph before pySHACL runs.
The EU shape IRIs are rewritten to the published base so that the German severities, messages and
deactivations (which address ``…/releases/3.0.0/shacl/dcat-ap-SHACL.ttl#<shape>/<hash>``) apply.

Usage:
  tools/check_dcat_official.py SHAPES_DIR SOURCE [SOURCE ...] [--vocab FILE ...]
                               [--extra-shapes FILE ...] [--no-follow] [--quiet]
SOURCE is a file or an http(s) URL; for URLs the Hydra ``hydra:next`` links are followed, so
``http://host/catalog.ttl`` validates every page. Prints the pySHACL report and a summary; exit
status 1 when any sh:Violation is reported, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import collections
import sys
import urllib.request
from pathlib import Path

from pyshacl import validate
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF

SH = Namespace("http://www.w3.org/ns/shacl#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
PUBLISHED_BASE = "https://semiceu.github.io/DCAT-AP/releases/3.0.0/shacl/dcat-ap-SHACL.ttl#"
# Bases used for the same shapes by the copies in the SEMICeu/DCAT-AP repository history.
EU_BASES = (
    "https://semiceu.github.io//DCAT-AP/releases/3.0.0#",
    "https://semiceu.github.io/DCAT-AP/releases/3.0.0#",
)
RDF_SUFFIXES = {
    ".ttl": "turtle",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
    ".jsonld": "json-ld",
    ".nt": "nt",
}
ACCEPT = "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8"
MAX_PAGES = 1000


def _out(text: str, stream=None) -> None:
    """Write one line of the report (a CLI prints; the lint rule against print targets library code)."""
    (stream or sys.stdout).write(text + "\n")


def _rebase(graph: Graph) -> Graph:
    """Return ``graph`` with EU shape IRIs moved to the published base (other terms unchanged)."""

    def fix(term):
        if isinstance(term, URIRef):
            for base in EU_BASES:
                if str(term).startswith(base):
                    return URIRef(PUBLISHED_BASE + str(term)[len(base) :])
        return term

    out = Graph()
    for s, p, o in graph:
        out.add((fix(s), p, fix(o)))
    return out


def load_shapes(folder: Path) -> Graph:
    """Parse every shape file of ``folder`` (not vocab/) into one rebased shapes graph."""
    shapes = Graph()
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in RDF_SUFFIXES)
    for path in files:
        if path.name == "dcat-ap-de-imports.ttl":
            continue  # an owl:imports list of vocabularies, handled through vocab/
        shapes += _rebase(Graph().parse(path, format=RDF_SUFFIXES[path.suffix]))
    if not any(shapes.subjects(RDF.type, SH.NodeShape)):
        raise SystemExit(f"no SHACL node shapes found in {folder}")
    return shapes


def load_vocab(paths: list[Path]) -> Graph | None:
    """Parse the vocabulary files (EU authority tables, dcat-ap.de lists) into one graph."""
    vocab = Graph()
    for path in paths:
        vocab.parse(path, format=RDF_SUFFIXES.get(path.suffix, "turtle"))
    return vocab if len(vocab) else None


def _fetch(url: str) -> tuple[str, str]:
    request = urllib.request.Request(url, headers={"Accept": ACCEPT})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (user-given URL)
        ctype = response.headers.get_content_type()
        body = response.read().decode("utf-8")
    fmt = {"application/rdf+xml": "xml", "application/ld+json": "json-ld"}.get(ctype, "turtle")
    return body, fmt


def load_data(sources: list[str], follow: bool) -> tuple[Graph, int]:
    """Load files and URLs (following hydra:next for URLs); return the graph and the page count."""
    data = Graph()
    pages = 0
    for source in sources:
        if not source.startswith(("http://", "https://")):
            path = Path(source)
            data.parse(path, format=RDF_SUFFIXES.get(path.suffix, "turtle"))
            pages += 1
            continue
        url: str | None = source
        seen: set[str] = set()
        while url and url not in seen and len(seen) < MAX_PAGES:
            seen.add(url)
            body, fmt = _fetch(url)
            page = Graph().parse(data=body, format=fmt, publicID=url)
            data += page
            pages += 1
            nxt = next(iter(page.objects(None, HYDRA.next)), None) if follow else None
            url = str(nxt) if nxt is not None else None
    return data, pages


def _shape_label(shapes: Graph, shape) -> str:
    if isinstance(shape, URIRef):
        text = str(shape)
        return "EU#" + text[len(PUBLISHED_BASE) :] if text.startswith(PUBLISHED_BASE) else shapes.qname(shape)
    # a blank property shape nested in a named one (controlled vocabulary lists, deprecations)
    for parent in shapes.subjects(SH.property, shape):
        return _shape_label(shapes, parent) + "/[]"
    return "[]"


def summarise(report: Graph, shapes: Graph) -> tuple[collections.Counter, collections.Counter]:
    """Count results per severity and per (severity, source shape, message of the shape)."""
    by_severity: collections.Counter = collections.Counter()
    by_shape: collections.Counter = collections.Counter()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity = str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]
        shape = report.value(result, SH.sourceShape)
        # the shape's own (German) message groups equal findings; pySHACL's text names the node
        message = shapes.value(shape, SH.message) or report.value(result, SH.resultMessage) or ""
        by_severity[severity] += 1
        by_shape[(severity, _shape_label(shapes, shape), str(message))] += 1
    return by_severity, by_shape


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shapes_dir", type=Path, help="folder with the official shape files")
    parser.add_argument("sources", nargs="+", help="catalogue file(s) or URL(s)")
    parser.add_argument("--vocab", type=Path, action="append", default=[], help="extra vocabulary file")
    parser.add_argument(
        "--extra-shapes", type=Path, action="append", default=[], help="additional (local) shape file"
    )
    parser.add_argument("--no-follow", action="store_true", help="do not follow hydra:next links")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    args = parser.parse_args(argv)
    if not args.shapes_dir.is_dir():
        parser.print_usage(sys.stderr)
        _out(f"error: {args.shapes_dir} is not a folder", sys.stderr)
        return 2
    vocab_dir = args.shapes_dir / "vocab"
    vocab_files = list(args.vocab)
    if vocab_dir.is_dir():
        vocab_files += sorted(p for p in vocab_dir.iterdir() if p.suffix in RDF_SUFFIXES)
    shapes = load_shapes(args.shapes_dir)
    for path in args.extra_shapes:
        shapes += _rebase(Graph().parse(path, format=RDF_SUFFIXES.get(path.suffix, "turtle")))
    vocab = load_vocab(vocab_files)
    data, pages = load_data(args.sources, follow=not args.no_follow)
    merged = Graph()
    merged += data
    if vocab is not None:
        # pySHACL's ont_graph only "inoculates" class axioms, not instance triples such as
        # skos:inScheme, so the vocabularies are merged into the data graph as ITB does.
        merged += vocab
    conforms, report, text = validate(
        merged,
        shacl_graph=shapes,
        inference="none",
        abort_on_first=False,
        allow_warnings=True,
        allow_infos=True,
    )
    if not args.quiet:
        _out(text)
    by_severity, by_shape = summarise(report, shapes)
    _out(f"data: {pages} page(s)/file(s), {len(data)} triples; vocabulary: {len(vocab or [])} triples")
    _out(
        "results: "
        + ", ".join(f"{name} {by_severity.get(name, 0)}" for name in ("Violation", "Warning", "Info"))
    )
    for (severity, shape, message), count in sorted(by_shape.items()):
        _out(f"  {count:5d}  {severity:9s} {shape}  {message}")
    return 1 if by_severity.get("Violation", 0) else 0


if __name__ == "__main__":
    sys.exit(main())
