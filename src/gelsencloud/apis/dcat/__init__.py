"""DCAT-AP.de RDF output of the open data catalogue (what GovData's DCAT harvester fetches)."""
