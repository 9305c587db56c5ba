"""The three signed values of the web component.

- Session token (`/ws/widget/?token=`): names the session and binds it to the organization,
  widget key, agent, page origin and visitor. Signed with SECRET_KEY (TimestampSigner),
  short-lived; the socket middleware also checks the session in the database, so a revoked
  session's token is refused before it expires.
- Visitor id: issued by us on the first session, kept by the widget in localStorage. It is
  signed per widget key, so a visitor id cannot be invented (or taken from another
  site's key), only reused by the browser that holds it.
- Identity hash: the embedding site's server computes `hex(HMAC-SHA256(widget secret,
  user_id))`; a matching hash binds the visitor to `user:<user_id>`, so the same person
  finds the same conversation on every device and nobody can claim someone else's id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.core import signing

from channels_app.widget import config

SESSION_SALT = "widget.session.v1"
VISITOR_SALT = "widget.visitor.v1:"
QUERY_PARAMETER = "token"


@dataclass(frozen=True)
class SessionClaims:
    session_id: str
    organization_id: str
    widget_key_id: str
    agent_id: str
    origin: str
    visitor: str  # the contact's external id: "visitor:<id>" or "user:<id>"


class _IssuedAtSigner(signing.TimestampSigner):
    """A TimestampSigner whose timestamp can be given (tokens issued "earlier", in tests)."""

    def __init__(self, *, issued_at: float | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._issued_at = issued_at

    def timestamp(self) -> str:
        if self._issued_at is None:
            return super().timestamp()
        return signing.b62_encode(int(self._issued_at))


def session_token_sign(
    *,
    session_id: str,
    organization_id: str,
    widget_key_id: str,
    agent_id: str,
    origin: str,
    visitor: str,
    issued_at: float | None = None,
) -> str:
    payload = {
        "s": session_id,
        "o": organization_id,
        "k": widget_key_id,
        "a": agent_id,
        "origin": origin,
        "v": visitor,
    }
    return _IssuedAtSigner(issued_at=issued_at, salt=SESSION_SALT).sign_object(payload, compress=True)


def session_token_verify(token: str) -> SessionClaims | None:
    """The claims of a valid, unexpired token; None for anything else (forged, expired, garbage)."""
    if not token or len(token) > 2048:
        return None
    try:
        data = signing.TimestampSigner(salt=SESSION_SALT).unsign_object(token, max_age=config.token_ttl_seconds())
    except (signing.BadSignature, ValueError):  # BadSignature includes SignatureExpired
        return None
    if not isinstance(data, dict):
        return None
    try:
        return SessionClaims(
            session_id=str(data["s"]),
            organization_id=str(data["o"]),
            widget_key_id=str(data["k"]),
            agent_id=str(data["a"]),
            origin=str(data["origin"]),
            visitor=str(data["v"]),
        )
    except KeyError:
        return None


def visitor_id_issue(*, widget_key_id: str) -> tuple[str, str]:
    """A new (signed visitor id for the browser, anonymous id for the contact)."""
    anonymous_id = secrets.token_urlsafe(16)
    return signing.Signer(salt=VISITOR_SALT + widget_key_id).sign(anonymous_id), anonymous_id


def visitor_id_verify(*, widget_key_id: str, visitor_id: str | None) -> str | None:
    """The anonymous id inside a visitor id we issued for this key; None if absent or not ours."""
    if not visitor_id or not isinstance(visitor_id, str) or len(visitor_id) > 200:
        return None
    try:
        return signing.Signer(salt=VISITOR_SALT + widget_key_id).unsign(visitor_id)
    except signing.BadSignature:
        return None


def identity_hash(*, secret: str, user_id: str) -> str:
    """What the embedding site's server computes: hex HMAC-SHA256 of the user id."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def identity_verify(*, secret: str, user_id: str, user_hash: str) -> bool:
    if not secret or not user_hash:
        return False
    # Bytes, not str: compare_digest raises TypeError on non-ASCII str, and the hash is visitor input.
    expected = identity_hash(secret=secret, user_id=user_id).encode()
    return hmac.compare_digest(expected, user_hash.strip().lower().encode("utf-8", "surrogatepass"))
