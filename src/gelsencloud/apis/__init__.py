"""Standard APIs (SensorThings, Open311, CKAN/DCAT, OGC API Features)."""
