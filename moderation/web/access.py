"""Who may see what: the signed-in account, and the role each view requires.

Roles: an admin may do everything; a moderator decides comments; an analyst
reads (the queue read-only, histories, author pages) but decides nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from flask import abort, request
from flask_login import UserMixin, current_user

from .. import accounts
from ..extensions import db
from ..models import Role, User

EVERYONE = frozenset(Role)
DECIDERS = frozenset({Role.ADMIN, Role.MODERATOR})
ADMINS = frozenset({Role.ADMIN})


class Account(UserMixin):
    """The signed-in user as Flask-Login sees it, wrapping the database row."""

    def __init__(self, user: User, session_secret: str):
        self.user = user
        self.id = user.id
        self.username = user.username
        self.role = user.role
        self.session_secret = session_secret
        """This browser's session (accounts.start_session): signing out ends it."""

    def get_id(self) -> str:
        # The id, the account's session generation (raised to sign it out everywhere,
        # see accounts.end_sessions), a fingerprint of the password hash, so that a
        # password set any other way signs it out too, and this browser's session.
        user = self.user
        fingerprint = password_fingerprint(user)
        return f"{user.id}.{user.session_generation}.{fingerprint}.{self.session_secret}"

    @property
    def is_active(self) -> bool:
        return self.user.active


def password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def load_account(session_id: str) -> Account | None:
    """Flask-Login's user loader: None (signed out) for a deactivated account, a session
    ended or unknown, or one of an older generation or password."""
    user_id, _, rest = session_id.partition(".")
    secret = rest.rpartition(".")[2]
    if not user_id.isdigit() or int(user_id) >= 2**31 or not secret:
        return None
    user = accounts.session_user(db.session, int(user_id), secret)
    if user is None or not user.active:
        return None
    account = Account(user, secret)
    return account if session_id == account.get_id() else None


def requires(roles: frozenset[str]) -> Callable:
    """Decorate a view: signed-in users with one of ``roles`` only (403 for other roles)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            from . import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            # The access log's user field (Common Log Format), written after the response.
            request.environ["REMOTE_USER"] = current_user.username
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles
        return wrapped

    return decorator


def role_allows(roles_name: str) -> bool:
    """For templates: does the current user's role belong to DECIDERS / ADMINS / EVERYONE?"""
    roles = {"deciders": DECIDERS, "admins": ADMINS, "everyone": EVERYONE}[roles_name]
    return current_user.is_authenticated and current_user.role in roles
