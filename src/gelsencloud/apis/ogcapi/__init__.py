"""OGC API – Features (Part 1 core, Part 2 CRS, basic CQL2 text filters) for geo datasets and city layers."""
