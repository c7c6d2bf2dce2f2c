"""The account the tool's own decisions are recorded under: watch-words and author rules.

Automatic decisions go through the same race-safe path as moderators'
(:func:`moderation.decisions.decide_automatically`), as decisions of this one
account, so that the audit log says who decided and why, and an admin can undo
them like any other.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from .models import Comment, Decision, User

SYSTEM_USERNAME = "system (automatic)"
"""A space, which people's usernames cannot have: no account of a person can be taken for it."""
SYSTEM_ROLE = "system"
"""Not one of the roles people have: the account cannot sign in, is not listed for admins
to edit, and cannot be given a role or password."""
API_ROLE = "api"
"""The accounts API tokens decide under (:mod:`moderation.api_tokens`): like the system
account they never sign in, but their decisions are a client's deliberate ones."""
NO_PERSON_ROLES = (SYSTEM_ROLE, API_ROLE)


def system_account(session: so.Session) -> User:
    """The one account of role ``system``; made on first use."""
    user = session.scalar(sa.select(User).where(User.role == SYSTEM_ROLE).order_by(User.id))
    if user is None:
        # No password can match "!" and the account is inactive: it never signs in.
        user = User(username=SYSTEM_USERNAME, password_hash="!", role=SYSTEM_ROLE, active=False)
        session.add(user)
        session.flush()
    return user


def decided_by_a_person() -> sa.ColumnElement[bool]:
    """Whether someone other than the system account decided the comment (or undid a decision):
    their word stands, whatever the automatic rules say later."""
    return (
        sa.exists()
        .where(Decision.comment_id == Comment.id)
        .where(Decision.moderator_id == User.id, User.role != SYSTEM_ROLE)
    )
