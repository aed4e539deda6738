"""Schema migrations with Alembic, run from code (`civicmap db upgrade`, or at `civicmap serve`)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from mapping.storage import versions


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", "mapping:migrations")
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database's schema to `revision` (the newest by default)."""
    config = _config()
    with engine.begin() as conn:
        conn.execution_options(**{versions.UNTRACKED_OPTION: True})
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()
