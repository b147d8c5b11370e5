"""CKAN Action API (read side) over the open data catalogue: /api/3/action/<name>."""
