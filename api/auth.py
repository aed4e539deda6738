"""Who is asking, and whether they may: API keys (Bearer), roles, write quotas.

Every route names the capability it needs with `requires(...)`, or `PUBLIC`; the capability and
its roles are written into the OpenAPI operation (`x-civicmap-role`), so the docs say it too.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api import digest
from api.deps import EngineDep, SettingsDep
from mapping.disclosure.publish import View
from mapping.errors import Forbidden, RateLimited, Unauthorized
from mapping.keys import ANONYMOUS, CAPABILITIES, Principal, authenticate
from mapping.storage import trust as trust_store

bearer = HTTPBearer(auto_error=False, description="An API key made with `civicmap keys create`.")


def principal_for_key(request: Request, key: str | None) -> Principal:
    """The holder of `key` (None: anonymous); 401 for a key that is unknown or revoked."""
    if not key:
        return ANONYMOUS
    with request.app.state.engine.connect() as conn:
        principal = authenticate(conn, key)
    if principal is None:
        raise Unauthorized("The API key is unknown or revoked; ask an admin for a new one.")
    return principal


def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    header = request.headers.get("authorization", "")
    if digest.applies(request, header):
        return digest.principal(request, header)
    return principal_for_key(request, credentials.credentials if credentials else None)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_view(principal: PrincipalDep, settings: SettingsDep) -> View:
    """How this principal sees reports: exact points for moderators and planners."""
    return View(
        public_resolution=settings.public_h3_resolution,
        exact_locations=principal.may("exact_locations"),
        moderation=principal.may("see_hidden"),
    )


ViewDep = Annotated[View, Depends(get_view)]


def requires(capability: str):  # type: ignore[no-untyped-def]
    """A dependency that lets through only keys whose role has `capability`."""
    roles = sorted(CAPABILITIES[capability])

    def check(principal: PrincipalDep) -> Principal:
        if principal.may(capability):
            return principal
        if principal.role is None:
            raise Unauthorized(
                f"This needs an API key (Authorization: Bearer KEY) of role {' or '.join(roles)}."
            )
        raise Forbidden(
            f"A {principal.role} key may not do this; it needs role {' or '.join(roles)}."
        )

    return Depends(check)


def role_doc(capability: str | None) -> dict[str, Any]:
    """`openapi_extra` saying who may call a route."""
    if capability is None:
        return {"x-civicmap-role": "anyone (anonymous writes are rate limited)"}
    return {
        "x-civicmap-role": " or ".join(sorted(CAPABILITIES[capability])),
        "security": [{"HTTPBearer": []}],
    }


PUBLIC = role_doc(None)


def submitter_of(request: Request, principal: Principal) -> str:
    """A pseudonym of the sender (its key, or its address), keyed with the installation's
    secret so it cannot be reversed from what is stored."""
    subject = f"key:{principal.key_id}" if principal.key_id else f"addr:{_address(request)}"
    secret = digest.installation_secret(request)
    return hmac.new(secret, subject.encode(), hashlib.sha256).hexdigest()[:32]


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def count_write(
    request: Request, engine: EngineDep, settings: SettingsDep, principal: PrincipalDep
) -> str:
    """Count a write against its sender's quota; 429 with Retry-After past it. The sender's
    pseudonym comes back, for the report's `submitter`."""
    if principal.key_id is None:
        limit = settings.anonymous_writes_per_minute
        if limit == 0:
            raise Unauthorized("Anonymous submission is off here; send an API key.")
    else:
        limit = settings.key_writes_per_minute
    submitter = submitter_of(request, principal)
    now = time.time()
    window = int(now // 60)
    with engine.begin() as conn:
        count = trust_store.count_write(conn, subject=submitter, window=window)
    if count > limit:
        retry = max(1, int((window + 1) * 60 - now) + 1)
        raise RateLimited(
            f"More than {limit} writes in a minute from this "
            f"{'key' if principal.key_id else 'address'}; try again in {retry} s.",
            retry,
        )
    return submitter


WriterDep = Annotated[str, Depends(count_write)]
