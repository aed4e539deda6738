"""Storage on SpatiaLite (embedded default) or PostgreSQL with PostGIS, one schema for both."""

from mapping.storage.engine import make_engine
from mapping.storage.migrate import upgrade

__all__ = ["make_engine", "upgrade"]
