"""API keys and what each role may do.

A key is shown once, when made; only its SHA-256 is stored (keys are long random strings, so a
plain hash is enough: there is nothing to guess). Each key carries one role.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.engine import Connection

from mapping.errors import InvalidInput
from mapping.storage import trust as store

Role = Literal["volunteer", "moderator", "planner", "admin"]
ROLES: tuple[Role, ...] = ("volunteer", "moderator", "planner", "admin")

# What each capability needs. Anonymous clients may read public data and submit single reports.
CAPABILITIES: dict[str, frozenset[str]] = {
    "submit_batch": frozenset(ROLES),
    "moderate": frozenset({"moderator", "admin"}),
    "see_hidden": frozenset({"moderator", "admin"}),
    "exact_locations": frozenset({"moderator", "planner", "admin"}),
    "plan": frozenset({"planner", "admin"}),
    "administer": frozenset({"admin"}),
}
KEY_PREFIX = "cm_"
# HTTP Digest (RFC 7616, MD5, as ODK Collect speaks it): the username is the key's printed
# prefix, the password the key. HA1 is kept for keys made since forms came: it lets whoever
# holds it sign Digest requests, so it is checked only on the OpenRosa endpoints.
DIGEST_REALM = "civicmap"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who sends a request: a key's holder, or nobody in particular."""

    key_id: uuid.UUID | None = None
    name: str = "anonymous"
    role: str | None = None

    def may(self, capability: str) -> bool:
        return self.role is not None and self.role in CAPABILITIES[capability]


ANONYMOUS = Principal()


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(conn: Connection, *, name: str, role: str) -> tuple[uuid.UUID, str]:
    """A new key for `name` with `role`: its id, and the key itself (shown this once)."""
    if role not in ROLES:
        raise InvalidInput(f"{role!r} is not a role; the roles are {', '.join(ROLES)}.")
    if not name.strip():
        raise InvalidInput("Give the key a name that says who holds it.")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    key_id = store.add_key(
        conn,
        name=name.strip(),
        role=role,
        key_hash=hash_key(key),
        prefix=key[:11],
        digest_ha1=_md5(f"{key[:11]}:{DIGEST_REALM}:{key}"),
    )
    return key_id, key


def authenticate(conn: Connection, key: str) -> Principal | None:
    """The holder of `key`, or None when it is unknown or revoked."""
    row = store.key_by_hash(conn, hash_key(key))
    if row is None:
        return None
    return Principal(key_id=row["id"], name=row["name"], role=row["role"])


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class DigestAnswer:
    """What an HTTP Digest Authorization header says (qop `auth`), and the request's method."""

    username: str
    nonce: str
    uri: str
    response: str
    nc: str
    cnonce: str
    method: str


def authenticate_digest(conn: Connection, answer: DigestAnswer) -> Principal | None:
    """The holder of the key whose HA1 signs `answer`, or None."""
    ha2 = _md5(f"{answer.method}:{answer.uri}")
    for row in store.keys_by_prefix(conn, answer.username):
        expected = _md5(
            f"{row['digest_ha1']}:{answer.nonce}:{answer.nc}:{answer.cnonce}:auth:{ha2}"
        )
        if hmac.compare_digest(expected, answer.response.lower()):
            return Principal(key_id=row["id"], name=row["name"], role=row["role"])
    return None
