"""Storage on SpatiaLite (embedded default) or PostgreSQL with PostGIS, one schema for both.

May import hexgrid and errors only: every room stands on it, so it stands on no room (checked
by lint-imports). What differs between the two databases is said once, in dialect.py.
"""

from mapping.storage.engine import make_engine
from mapping.storage.migrate import upgrade

__all__ = ["make_engine", "upgrade"]
