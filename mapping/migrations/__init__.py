"""Alembic migrations of the one schema, run by `civicmap db upgrade` and at start-up.

May import storage's dialect only; each version under versions/ is frozen once released.
"""
