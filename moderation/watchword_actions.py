"""What a watch-word's action does to the comments it matches, once they are scored.

``flag`` only raises priority. ``reject`` rejects the comment and ``hold`` keeps it
for review (a comment its source published goes back to pending), as decisions of
the *watch-words* account, so that the audit log says who decided and why and an
admin can undo them like any other.

Only comments no one has decided here are touched: once a moderator (or an earlier
run) decided a comment, their word stands, whatever the watch list says later.
Comments the source marked spam or deleted are left as they came.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
import sqlalchemy.orm as so

from .decisions import Conflict, DecisionError, decide_automatically
from .models import Comment, CommentScore, Decision, ModerationStatus, User
from .scoring.watchwords import ACTIONS

SYSTEM_USERNAME = "watch-words (automatic)"
"""A space, which people's usernames cannot have: no account of a person can be taken for it."""
SYSTEM_ROLE = "system"
"""Not one of the roles people have: the account cannot sign in, is not listed for admins
to edit, and cannot be given a role or password."""

# What each action does, by the comment's current status.
_CHANGES: dict[str, dict[str, str]] = {
    "reject": {
        ModerationStatus.PENDING: ModerationStatus.REJECTED,
        ModerationStatus.APPROVED: ModerationStatus.REJECTED,
    },
    "hold": {ModerationStatus.APPROVED: ModerationStatus.PENDING},
}


def system_account(session: so.Session) -> User:
    """The account automatic decisions are recorded under; made on first use."""
    user = session.scalar(
        sa.select(User).where(User.username == SYSTEM_USERNAME, User.role == SYSTEM_ROLE)
    )
    if user is None:
        # No password can match "!" and the account is inactive: it never signs in.
        user = User(username=SYSTEM_USERNAME, password_hash="!", role=SYSTEM_ROLE, active=False)
        session.add(user)
        session.flush()
    return user


def strongest_action(flags: list[dict]) -> tuple[str, str] | None:
    """The most severe watch-word action among a score's flags, with that flag's reason."""
    found = [
        (flag["weight_key"].removeprefix("watchword_"), flag["reason"])
        for flag in flags
        if flag.get("code") == "watchword" and flag.get("weight_key", "").startswith("watchword_")
    ]
    found = [(action, reason) for action, reason in found if action in ACTIONS]
    return max(found, key=lambda pair: ACTIONS.index(pair[0])) if found else None


def apply_watchword_actions(session: so.Session, comment_ids: Collection[int]) -> int:
    """Reject or hold those of ``comment_ids`` (just scored) that are undecided and whose
    watch-words say so. Returns how many were decided; the caller commits."""
    if not comment_ids:
        return 0
    undecided = ~sa.exists().where(Decision.comment_id == Comment.id)
    rows = session.execute(
        sa.select(Comment.id, Comment.status, Comment.version, CommentScore.flags)
        .join(CommentScore, CommentScore.comment_id == Comment.id)
        .where(
            Comment.id.in_(comment_ids),
            Comment.status.in_([ModerationStatus.PENDING, ModerationStatus.APPROVED]),
            undecided,
        )
    ).all()
    decided = 0
    account = None
    for comment_id, status, version, flags in rows:
        strongest = strongest_action(flags)
        to_status = _CHANGES.get(strongest[0], {}).get(status) if strongest else None
        if to_status is None:
            continue
        account = account or system_account(session)
        try:
            decide_automatically(session, comment_id, version, to_status, account, strongest[1])
        except (Conflict, DecisionError):
            continue  # a moderator got there first: their decision stands
        decided += 1
    return decided
