"""Rules on authors (ban, always premoderate, trust), notes on them, and what the rules do.

An author is who the app shows on the author page: a comment's ``author_name``.
An author has at most one rule at a time (:class:`~moderation.models.AuthorRule`):

* ``ban``: their comments are rejected;
* ``premoderate``: their comments are never approved without a moderator; one the
  source published goes back to pending;
* ``trust``: their comments are approved, once moderators here have approved at
  least ``TRUSTED_AUTHOR_MIN_APPROVED`` of their comments (app config, default 3),
  except a comment a watch-word matched, which stays for a person to read.

Rules act on comments imported after the rule was set, when the import's scoring
run reaches them (:func:`apply_author_rules`, called by the batch runner after the
watch-word actions), as decisions of the system account through the same
race-safe path as moderators' decisions. Comments a person decided are left as
they are. Setting a ban may also reject the author's pending comments at once,
as one bulk action of the moderator (:func:`reject_pending`), undone as one.

Every change of rule is logged (:class:`~moderation.models.AuthorRuleChange`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from .decisions import BulkOutcome, Conflict, DecisionError, bulk_decide, decide_automatically
from .models import (
    AuthorNote,
    AuthorRule,
    AuthorRuleChange,
    Comment,
    CommentScore,
    ModerationStatus,
    User,
    utcnow,
)
from .system_account import decided_by_a_person, system_account

BAN = "ban"
PREMODERATE = "premoderate"
TRUST = "trust"
RULES: dict[str, str] = {BAN: "banned", PREMODERATE: "always premoderated", TRUST: "trusted"}
"""Each rule, and how the pages describe an author under it."""
DEFAULT_TRUST_AFTER = 3
NOTE_MAX = 2000
BAN_REASON = "author banned"


class RuleError(ValueError):
    """A rule change that cannot be made (unknown rule, nothing to clear...)."""


@dataclass
class RuleConflict(Exception):
    """The author's rule changed after the moderator loaded the page; nothing was changed."""

    author_name: str
    rule: str | None
    changed_by: str | None
    changed_at: object

    @property
    def message(self) -> str:
        now = f"now {RULES[self.rule]}" if self.rule else "now without a rule"
        who = (
            f" by {self.changed_by} at {self.changed_at:%Y-%m-%d %H:%M UTC}"
            if self.changed_by
            else ""
        )
        return f"This author's rule was changed{who} ({now}); your change was not applied."


# What a rule does to one comment: pure, so that it is tested without a database ----------


def automatic_change(
    rule: str, status: str, approved_by_moderators: int, trust_after: int, watched: bool
) -> tuple[str, str] | None:
    """The status a rule gives a newly imported comment no person decided, and the reason;
    None when it leaves the comment as it is.

    ``approved_by_moderators``: the author's comments moderators approved here so far;
    ``watched``: a watch-word matched the comment.
    """
    if rule == BAN and status in (ModerationStatus.PENDING, ModerationStatus.APPROVED):
        return ModerationStatus.REJECTED, BAN_REASON
    if rule == PREMODERATE and status == ModerationStatus.APPROVED:
        return ModerationStatus.PENDING, "author always premoderated"
    if (
        rule == TRUST
        and status == ModerationStatus.PENDING
        and not watched
        and approved_by_moderators >= trust_after
    ):
        return (
            ModerationStatus.APPROVED,
            f"trusted author ({approved_by_moderators} approved by moderators)",
        )
    return None


def trust_threshold() -> int:
    """How many comments moderators must have approved before ``trust`` approves the rest."""
    return int(current_app.config.get("TRUSTED_AUTHOR_MIN_APPROVED", DEFAULT_TRUST_AFTER))


def has_watchword(flags: list[dict] | None) -> bool:
    return any(flag.get("code") == "watchword" for flag in flags or ())


# Applying the rules after scoring ----------------------------------------------------------


def apply_author_rules(
    session: so.Session, comment_ids: Collection[int], trust_after: int = DEFAULT_TRUST_AFTER
) -> int:
    """Decide those of ``comment_ids`` (just scored) whose author's rule says so.

    Only comments imported since the rule was set and no person decided. Returns how
    many were decided; the caller commits.
    """
    if not comment_ids or not session.scalar(sa.select(sa.exists().select_from(AuthorRule))):
        return 0  # most runs: one cheap query, then nothing to do
    rows = session.execute(
        sa.select(
            Comment.id,
            Comment.status,
            Comment.version,
            Comment.author_name,
            AuthorRule.rule,
            CommentScore.flags,
        )
        .join(AuthorRule, AuthorRule.author_name == Comment.author_name)
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
        .where(
            Comment.id.in_(comment_ids),
            Comment.created_at >= AuthorRule.set_at,
            Comment.status.in_([ModerationStatus.PENDING, ModerationStatus.APPROVED]),
            ~decided_by_a_person(),
        )
        .order_by(Comment.id)
    ).all()
    trusted = {row.author_name for row in rows if row.rule == TRUST}
    approved = approved_by_moderators(session, trusted) if trusted else {}
    decided = 0
    account = None
    for row in rows:
        change = automatic_change(
            row.rule,
            row.status,
            approved.get(row.author_name, 0),
            trust_after,
            has_watchword(row.flags),
        )
        if change is None:
            continue
        account = account or system_account(session)
        try:
            decide_automatically(session, row.id, row.version, change[0], account, change[1])
        except (Conflict, DecisionError):
            continue  # a moderator got there first: their decision stands
        decided += 1
    return decided


def approved_by_moderators(session: so.Session, names: Collection[str]) -> dict[str, int]:
    """Per author: their comments now approved that a person decided (the system's own
    approvals, and what the source published, do not earn trust)."""
    return dict(
        session.execute(
            sa.select(Comment.author_name, sa.func.count())
            .where(
                Comment.author_name.in_(names),
                Comment.status == ModerationStatus.APPROVED,
                decided_by_a_person(),
            )
            .group_by(Comment.author_name)
        ).all()
    )


# Changing rules and adding notes -------------------------------------------------------


def rule_of(session: so.Session, author_name: str) -> AuthorRule | None:
    return session.get(AuthorRule, author_name)


def rules_for(session: so.Session, names: Collection[str]) -> dict[str, str]:
    """The rule in force for each of ``names`` that has one (for the queue's markers)."""
    if not names:
        return {}
    return dict(
        session.execute(
            sa.select(AuthorRule.author_name, AuthorRule.rule).where(
                AuthorRule.author_name.in_(set(names))
            )
        ).all()
    )


def change_rule(
    session: so.Session,
    author_name: str,
    rule: str | None,
    moderator: User,
    expected: str | None,
) -> AuthorRuleChange:
    """Set the author's rule (None clears it), if it is still ``expected``, the rule the
    moderator saw; logged. Not committed: :func:`reject_pending` may join the transaction.

    Raises :class:`RuleConflict` when the rule changed meanwhile, :class:`RuleError` when
    there is nothing to change.
    """
    if rule is not None and rule not in RULES:
        raise RuleError(f"{rule!r} is not a rule")
    current = session.get(AuthorRule, author_name, with_for_update=True)
    current_rule = current.rule if current else None
    if current_rule != expected:
        raise _rule_conflict(session, author_name, current_rule)
    if rule == current_rule:
        raise RuleError(
            f"This author is {RULES[rule]} already." if rule else "This author has no rule."
        )
    now = utcnow()
    if rule is None:
        session.delete(current)
    elif current is None:
        session.add(
            AuthorRule(author_name=author_name, rule=rule, set_by_id=moderator.id, set_at=now)
        )
    else:
        current.rule, current.set_by_id, current.set_at = rule, moderator.id, now
    change = AuthorRuleChange(
        author_name=author_name,
        from_rule=current_rule,
        to_rule=rule,
        changed_by_id=moderator.id,
        created_at=now,
    )
    session.add(change)
    session.flush()
    return change


def _rule_conflict(session: so.Session, author_name: str, rule: str | None) -> RuleConflict:
    last = session.execute(
        sa.select(User.username, AuthorRuleChange.created_at)
        .join(User, User.id == AuthorRuleChange.changed_by_id)
        .where(AuthorRuleChange.author_name == author_name)
        .order_by(AuthorRuleChange.id.desc())
        .limit(1)
    ).one_or_none()
    return RuleConflict(author_name, rule, *(last or (None, None)))


def pending_targets(session: so.Session, author_name: str, limit: int) -> list[tuple[int, int]]:
    """``(id, version)`` of the author's pending comments, oldest first, at most ``limit``."""
    return [
        tuple(row)
        for row in session.execute(
            sa.select(Comment.id, Comment.version)
            .where(Comment.author_name == author_name, Comment.status == ModerationStatus.PENDING)
            .order_by(Comment.id)
            .limit(limit)
        )
    ]


def count_pending(session: so.Session, author_name: str) -> int:
    return session.scalar(
        sa.select(sa.func.count()).where(
            Comment.author_name == author_name, Comment.status == ModerationStatus.PENDING
        )
    )


def reject_pending(
    session: so.Session, author_name: str, moderator: User, limit: int
) -> BulkOutcome:
    """Reject up to ``limit`` of the author's pending comments as one bulk action of the
    moderator (committed, with whatever the session holds: the ban that asked for it)."""
    return bulk_decide(
        session,
        pending_targets(session, author_name, limit),
        ModerationStatus.REJECTED,
        moderator,
        reason=BAN_REASON,
    )


def add_note(session: so.Session, author_name: str, body: str, moderator: User) -> AuthorNote:
    """A note on the author (committed); blank or overlong notes raise RuleError."""
    body = body.strip()
    if not body:
        raise RuleError("A note needs some text.")
    if len(body) > NOTE_MAX:
        raise RuleError(f"A note has at most {NOTE_MAX} characters.")
    note = AuthorNote(author_name=author_name, body=body, written_by_id=moderator.id)
    session.add(note)
    session.commit()
    return note


def rule_history(session: so.Session, author_name: str) -> list[tuple[AuthorRuleChange, str]]:
    """Every change of the author's rule, latest first, with who made it."""
    return list(
        session.execute(
            sa.select(AuthorRuleChange, User.username)
            .join(User, User.id == AuthorRuleChange.changed_by_id)
            .where(AuthorRuleChange.author_name == author_name)
            .order_by(AuthorRuleChange.id.desc())
        ).all()
    )


def notes_on(session: so.Session, author_name: str) -> list[tuple[AuthorNote, str]]:
    """The author's notes, latest first, with who wrote each."""
    return list(
        session.execute(
            sa.select(AuthorNote, User.username)
            .join(User, User.id == AuthorNote.written_by_id)
            .where(AuthorNote.author_name == author_name)
            .order_by(AuthorNote.id.desc())
        ).all()
    )
