"""Accounts: creating users, hashing passwords, and signing in with a rate limit.

Failed sign-ins are stored in the database (:class:`~moderation.models.SignInFailure`),
not in memory, so the limit holds across worker threads, processes and restarts.
Within any 15 minutes an account may fail 5 times and an address 20 times; after
that even the right password is refused until the oldest failure ages out. A
successful sign-in clears the account's failures.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from werkzeug.security import check_password_hash, generate_password_hash

from .models import Role, SignedInSession, SignInFailure, User, utcnow

FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
# A signed-in session left open this long is over (its browser was closed long ago).
SESSION_MAX_AGE = timedelta(days=30)
"""The sign-in form takes no more, so no account may have a longer one."""
USERNAME_PATTERN = re.compile(r"^[\w.@+-]{1,80}$")


@functools.cache
def _unknown_user_hash() -> str:
    """Checked against when the username is unknown, so that a wrong name takes as
    long as a wrong password and does not reveal which accounts exist. Made on first
    use: hashing costs a fifth of a second, too much for every command's start."""
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


class AccountError(ValueError):
    """A username, role or password that cannot be used; the message says why."""


def hash_password(password: str) -> str:
    """A salted scrypt hash (werkzeug's format: method, salt and hash in one string)."""
    return generate_password_hash(password, method="scrypt")


def generate_password() -> str:
    """A random password of 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


def validate_username(username: str) -> str:
    username = username.strip()
    if not USERNAME_PATTERN.match(username):
        raise AccountError(
            "a username is 1 to 80 letters, digits or . @ + - _ (no spaces): "
            f"{username[:80]!r} is not"
        )
    return username


def validate_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    return password


def validate_role(role: str) -> str:
    if role not in {r.value for r in Role}:
        raise AccountError(f"role must be one of {', '.join(r.value for r in Role)}")
    return role


def create_user(session: so.Session, username: str, role: str, password: str) -> User:
    """Add an account (committed); raises AccountError for a bad or taken name."""
    username = validate_username(username)
    validate_role(role)
    validate_password(password)
    taken = session.scalar(
        sa.select(User.username).where(sa.func.lower(User.username) == username.lower())
    )
    if taken is not None:
        # "alice" and "Alice" would be two people in the audit log who look like one.
        raise AccountError(f"there is already an account named {taken!r}")
    user = User(username=username, role=role, password_hash=hash_password(password))
    session.add(user)
    session.commit()
    return user


def set_password(session: so.Session, user: User, password: str) -> None:
    """A new password (committed): every session of the account is signed out, and its
    failed sign-ins are forgotten, so that an account locked out by the rate limit can
    sign in with the new one at once."""
    user.password_hash = hash_password(validate_password(password))
    session.execute(sa.delete(SignInFailure).where(SignInFailure.username == user.username.lower()))
    end_sessions(session, user)


def start_session(session: so.Session, user: User) -> str:
    """A new signed-in session for ``user`` (committed): the secret its cookie will hold.
    The account's sessions past SESSION_MAX_AGE are deleted on the way."""
    secret = secrets.token_urlsafe(24)
    session.execute(
        sa.delete(SignedInSession).where(
            SignedInSession.user_id == user.id,
            SignedInSession.created_at < utcnow() - SESSION_MAX_AGE,
        )
    )
    session.add(SignedInSession(user_id=user.id, secret_hash=_secret_hash(secret)))
    session.commit()
    return secret


def session_user(session: so.Session, user_id: int, secret: str) -> User | None:
    """The account whose session has this secret, if the session is still open."""
    values = {"user_id": user_id, "secret_hash": _secret_hash(secret)}
    return session.scalar(_SESSION_USER, {**values, "since": utcnow() - SESSION_MAX_AGE})


_SESSION_USER = (
    sa.select(User)
    .join(SignedInSession, SignedInSession.user_id == User.id)
    .where(
        User.id == sa.bindparam("user_id"),
        SignedInSession.secret_hash == sa.bindparam("secret_hash"),
        SignedInSession.created_at >= sa.bindparam("since"),
    )
)
"""Built once: every request asks it, and building it cost about what running it did."""


def end_session(session: so.Session, secret: str) -> None:
    """Sign one browser out (committed): the session with this secret; others stay."""
    session.execute(
        sa.delete(SignedInSession).where(SignedInSession.secret_hash == _secret_hash(secret))
    )
    session.commit()


def _secret_hash(secret: str) -> str:
    # Stored hashed: the table read by someone else gives them no cookie.
    return hashlib.sha256(secret.encode()).hexdigest()


def end_sessions(session: so.Session, user: User) -> None:
    """Sign the account out everywhere (committed): every session cookie it has
    names its current ``session_generation``, which this raises; its sessions' rows go."""
    session.execute(sa.delete(SignedInSession).where(SignedInSession.user_id == user.id))
    session.execute(
        sa.update(User)
        .where(User.id == user.id)
        .values(session_generation=User.session_generation + 1),
        execution_options={"synchronize_session": False},
    )
    session.commit()


def find_user(session: so.Session, username: str) -> User | None:
    return session.scalar(sa.select(User).where(User.username == username))


def count_admins(session: so.Session) -> int:
    return session.scalar(
        sa.select(sa.func.count()).where(User.role == Role.ADMIN, User.active.is_(True))
    )


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    """The account signed in, or None."""
    retry_after: timedelta | None = None
    """Set when the attempt was refused by the rate limit: how long until it may retry."""

    @property
    def rate_limited(self) -> bool:
        return self.retry_after is not None


def sign_in(
    session: so.Session,
    username: str,
    password: str,
    address: str,
    now: datetime | None = None,
) -> SignInResult:
    """Check a username and password under the rate limit; records the outcome (committed)."""
    now = now or utcnow()
    key = username.strip().lower()[:80]
    address = (address or "unknown")[:64]
    since = now - FAILURE_WINDOW
    session.execute(sa.delete(SignInFailure).where(SignInFailure.created_at < since))

    retry_after = _retry_after(session, key, address, since, now)
    if retry_after is not None:
        session.commit()
        return SignInResult(None, retry_after)

    user = find_user(session, username.strip())
    stored_hash = user.password_hash if user else _unknown_user_hash()
    password_ok = check_password_hash(stored_hash, password)
    if user is None or not password_ok or not user.active:
        session.add(SignInFailure(username=key, address=address, created_at=now))
        session.commit()
        return SignInResult(None)

    session.execute(sa.delete(SignInFailure).where(SignInFailure.username == key))
    user.last_login_at = now
    session.commit()
    return SignInResult(user)


def _retry_after(
    session: so.Session, key: str, address: str, since: datetime, now: datetime
) -> timedelta | None:
    for column, value, limit in (
        (SignInFailure.username, key, MAX_FAILURES_PER_ACCOUNT),
        (SignInFailure.address, address, MAX_FAILURES_PER_ADDRESS),
    ):
        recent = (
            session.scalars(
                sa.select(SignInFailure.created_at)
                .where(column == value, SignInFailure.created_at >= since)
                .order_by(SignInFailure.created_at.desc())
                .limit(limit)
            )
        ).all()
        if len(recent) >= limit:
            # Free again when the oldest of the last ``limit`` failures leaves the window.
            return max(recent[-1] + FAILURE_WINDOW - now, timedelta(seconds=1))
    return None
