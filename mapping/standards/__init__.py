"""Standard interfaces spoken by other tools: OGC API - Features, and Open311 GeoReport v2.

May import anything in mapping except cli: they translate the domain into a standard's shape.
"""
