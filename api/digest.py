"""HTTP Digest for the OpenRosa endpoints, since ODK Collect signs with a username and password
and cannot send a Bearer key: the username is a key's printed prefix, the password the key.

Nonces are stateless: a time and its HMAC under the installation's secret, good for
NONCE_LIFETIME_S; an older one is answered with a new challenge marked `stale`, on which
clients sign again without asking the person. Each signed answer is believed once
(mapping.storage.trust.claim_digest): Digest does not sign the body, so a replayed header is
answered as stale too. A Digest header is believed only on /openrosa/
paths (mapping.keys says why). The header is parsed by the standard library's parser of
HTTP lists.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.request

from fastapi import Request

from mapping.errors import Unauthorized
from mapping.keys import DIGEST_REALM, DigestAnswer, Principal, authenticate_digest
from mapping.storage import trust as trust_store

NONCE_LIFETIME_S = 300
PATH_PREFIX = "/openrosa/"
_FIELDS = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")


class Challenge(Unauthorized):
    """A 401 that asks for Digest (and names Bearer too) in its WWW-Authenticate."""

    def __init__(self, detail: str, challenge: str) -> None:
        super().__init__(detail)
        self.challenge = challenge


def installation_secret(request: Request) -> bytes:
    state = request.app.state
    if getattr(state, "submitter_secret", None) is None:
        with state.engine.connect() as conn:
            state.submitter_secret = trust_store.secret(conn).encode()
    return state.submitter_secret  # type: ignore[no-any-return]


def _nonce(secret: bytes, issued: int) -> str:
    mac = hmac.new(secret, f"nonce:{issued}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{issued}.{mac}"


def _fresh(secret: bytes, nonce: str) -> bool | None:
    """True for a nonce we made that is still good, False for one we made that is too old,
    None for one we did not make."""
    issued, _, _ = nonce.partition(".")
    if not (issued.isascii() and issued.isdigit()) or len(issued) > 12:
        return None
    if not hmac.compare_digest(_nonce(secret, int(issued)), nonce):
        return None
    return time.time() - int(issued) <= NONCE_LIFETIME_S


def challenge(request: Request, detail: str, *, stale: bool = False) -> Challenge:
    nonce = _nonce(installation_secret(request), int(time.time()))
    header = (
        f'Digest realm="{DIGEST_REALM}", qop="auth", algorithm=MD5, nonce="{nonce}"'
        f'{", stale=true" if stale else ""}, Bearer realm="{DIGEST_REALM}"'
    )
    return Challenge(detail, header)


def applies(request: Request, header: str) -> bool:
    return header[:7].lower() == "digest " and request.url.path.startswith(PATH_PREFIX)


def principal(request: Request, header: str) -> Principal:
    """The key holder who signed this request, or a Challenge (401) saying what to fix."""
    try:
        fields = urllib.request.parse_keqv_list(urllib.request.parse_http_list(header[7:]))
    except (ValueError, IndexError):  # an item without `=`, or `name=` with nothing after it
        raise challenge(request, "The Digest answer is not a list of name=value.") from None
    if not all(value.isascii() and "\x00" not in value for value in fields.values()):
        raise challenge(request, "The Digest answer holds NUL or characters beyond ASCII.")
    if any(not fields.get(name) for name in _FIELDS) or fields["qop"] != "auth":
        raise challenge(request, "The Digest answer lacks a field or is not qop=auth.")
    if fields["realm"] != DIGEST_REALM:
        raise challenge(request, f"Sign for the realm {DIGEST_REALM!r}.")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if fields["uri"] != target:
        raise challenge(request, "The Digest answer signs another URI than this request's.")
    fresh = _fresh(installation_secret(request), fields["nonce"])
    if fresh is None:
        raise challenge(request, "The nonce was not made here; sign the new one.")
    if not fresh:
        raise challenge(request, "The nonce is too old; sign the new one.", stale=True)
    answer = DigestAnswer(
        username=fields["username"],
        nonce=fields["nonce"],
        uri=fields["uri"],
        response=fields["response"],
        nc=fields["nc"],
        cnonce=fields["cnonce"],
        method=request.method,
    )
    with request.app.state.engine.begin() as conn:
        found = authenticate_digest(conn, answer)
        # Digest signs no body: a signed header seen again could carry any submission.
        fresh_use = found is not None and trust_store.claim_digest(
            conn, answer.response.lower(), now=int(time.time()), lifetime_s=NONCE_LIFETIME_S
        )
    if found is None:
        raise challenge(request, "The username (a key's prefix) or key is not right.")
    if not fresh_use:
        raise challenge(request, "This signed answer was used before; sign anew.", stale=True)
    return found
