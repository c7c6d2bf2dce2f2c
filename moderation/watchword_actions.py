"""What a watch-word's action does to the comments it matches, once they are scored.

``flag`` only raises priority. ``reject`` rejects the comment and ``hold`` keeps it
for review (a comment its source published goes back to pending), as decisions of
the system account (:mod:`moderation.system_account`), so that the audit log says
who decided and why and an admin can undo them like any other.

Only comments no person has decided are touched: once a moderator decided a
comment, their word stands, whatever the watch list says later. The tool's own
earlier decisions do not stand in the way: a comment held by one watch-word is
rejected when a reject word matches it later. Comments the source marked spam or
deleted are left as they came.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
import sqlalchemy.orm as so

from .decisions import Conflict, DecisionError, decide_automatically
from .models import Comment, CommentScore, ModerationStatus
from .scoring.watchwords import ACTIONS
from .system_account import decided_by_a_person, system_account

# What each action does, by the comment's current status.
_CHANGES: dict[str, dict[str, str]] = {
    "reject": {
        ModerationStatus.PENDING: ModerationStatus.REJECTED,
        ModerationStatus.APPROVED: ModerationStatus.REJECTED,
    },
    "hold": {ModerationStatus.APPROVED: ModerationStatus.PENDING},
}


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
    """Reject or hold those of ``comment_ids`` (just scored) that no person decided and whose
    watch-words say so. Returns how many were decided; the caller commits."""
    if not comment_ids:
        return 0
    rows = session.execute(
        sa.select(Comment.id, Comment.status, Comment.version, CommentScore.flags)
        .join(CommentScore, CommentScore.comment_id == Comment.id)
        .where(
            Comment.id.in_(comment_ids),
            Comment.status.in_([ModerationStatus.PENDING, ModerationStatus.APPROVED]),
            ~decided_by_a_person(),
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
