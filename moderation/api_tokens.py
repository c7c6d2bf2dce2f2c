"""API tokens: made and revoked by admins, shown once, kept only as a SHA-256 hash.

A token is 32 random bytes (256 bits), so a plain SHA-256 is enough to store it: there
is nothing to guess that a slow hash would protect, as there is with passwords. A
request's token is looked up by its hash and compared again in constant time.

Each token has its own account (role ``system``: it never signs in and admins do not
edit it on the accounts page), under which its decisions enter the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from .models import ApiToken, User, utcnow
from .system_account import API_ROLE

SCOPES = ("read", "ingest", "decide")
"""read: comments, scores and the audit log; ingest: post comments; decide: post decisions."""
TOKEN_PREFIX = "mod_"
NAME_PATTERN = re.compile(r"^[\w.@+-]{1,60}$")
LAST_USED_EVERY = timedelta(minutes=1)
"""last_used_at is written at most this often per token, not on every request."""


class TokenError(ValueError):
    """A token name or scope list that cannot be used; the message says why."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def parse_scopes(scopes: str | Iterable[str]) -> list[str]:
    """Scopes from "read,ingest" or a list, in SCOPES order; TokenError for unknown ones."""
    names = scopes.split(",") if isinstance(scopes, str) else list(scopes)
    wanted = {name.strip() for name in names if name.strip()}
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise TokenError(f"unknown scope {', '.join(unknown)}: use {', '.join(SCOPES)}")
    if not wanted:
        raise TokenError(f"a token needs at least one scope: {', '.join(SCOPES)}")
    return [scope for scope in SCOPES if scope in wanted]


def account_name(name: str) -> str:
    # A space, which people's usernames cannot have: no person's account can be taken for it.
    return f"{name} (API token)"


def create_token(
    session: so.Session, name: str, scopes: str | Iterable[str], created_by: User | None = None
) -> tuple[ApiToken, str]:
    """A new token (committed) and its secret, which is not stored and cannot be shown again."""
    name = name.strip()
    if not NAME_PATTERN.match(name):
        raise TokenError(
            "a token name is 1 to 60 letters, digits or . @ + - _ (no spaces): "
            f"{name[:60]!r} is not"
        )
    scope_list = parse_scopes(scopes)
    taken = session.scalar(
        sa.select(ApiToken.name).where(sa.func.lower(ApiToken.name) == name.lower())
    )
    if taken is not None:
        raise TokenError(f"there is already a token named {taken!r} (revoked ones keep their name)")
    user = User(username=account_name(name), password_hash="!", role=API_ROLE, active=False)
    session.add(user)
    session.flush()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_hash=hash_token(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        scopes=",".join(scope_list),
        user_id=user.id,
        created_by_id=created_by.id if created_by else None,
        created_at=utcnow(),
    )
    session.add(token)
    session.commit()
    return token, secret


def find_token(session: so.Session, name: str) -> ApiToken | None:
    return session.scalar(sa.select(ApiToken).where(ApiToken.name == name))


def revoke_token(session: so.Session, token: ApiToken) -> bool:
    """Revoke (committed); False when it was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    session.commit()
    return True


def list_tokens(session: so.Session) -> list[ApiToken]:
    return list(session.scalars(sa.select(ApiToken).order_by(ApiToken.name)))


def authenticate(session: so.Session, secret: str, now: datetime | None = None) -> ApiToken | None:
    """The live token ``secret`` is, or None (unknown or revoked). Notes when it was used."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = hash_token(secret)
    token = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        # Conditional, so concurrent requests of one token write it once.
        session.execute(
            sa.update(ApiToken)
            .where(
                ApiToken.id == token.id,
                sa.or_(
                    ApiToken.last_used_at.is_(None),
                    ApiToken.last_used_at <= now - LAST_USED_EVERY,
                ),
            )
            .values(last_used_at=now),
            execution_options={"synchronize_session": False},
        )
        session.commit()
    return token
