"""Migration 0011 on a database with keys made before it: they keep working as Bearer keys,
have no Digest HA1 (their secret is not kept to make one), and the downgrade undoes it all."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from mapping.keys import authenticate, create_key, hash_key
from mapping.storage import make_engine
from mapping.storage import migrate as migrations


def test_keys_made_before_stay_bearer_keys_and_the_downgrade_undoes_forms(database_url):
    engine = make_engine(database_url)
    try:
        migrations.upgrade(engine, "0009")
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO api_keys (id, name, role, key_hash, prefix, created_at) "
                    "VALUES (:id, 'old', 'volunteer', :h, 'cm_oldkey1', CURRENT_TIMESTAMP)"
                ),
                {
                    "id": "6f1c0a4e-2b8d-4c3e-9f5a-1d2e3f4a5b6c",
                    "h": hash_key("cm_oldkey1-secret"),
                },
            )
        migrations.upgrade(engine)
        with engine.begin() as conn:
            old = authenticate(conn, "cm_oldkey1-secret")
            assert old is not None and old.role == "volunteer"
            create_key(conn, name="new", role="volunteer")
            ha1 = dict(conn.execute(sa.text("SELECT name, digest_ha1 FROM api_keys")).all())
        assert ha1["old"] is None and len(ha1["new"]) == 32
        config = migrations._config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0009")
        tables = set(sa.inspect(engine).get_table_names())
        assert not tables & {"forms", "form_responses", "form_answers"}
        columns = {c["name"] for c in sa.inspect(engine).get_columns("api_keys")}
        assert "digest_ha1" not in columns
    finally:
        engine.dispose()
