"""Deciding comments: status changes that never overwrite each other, each with its audit row.

Every change of a comment's status is one conditional update,
``UPDATE comments SET status=?, version=version+1 WHERE id=? AND version=?``,
and the :class:`~moderation.models.Decision` row recording it, in one
transaction. The version is the one the moderator saw on the page: if anyone
changed the comment since, no row matches and the moderator gets a
:class:`Conflict` saying who decided it and when, instead of silently winning.
An undo is one conditional update too, on the status its decision set and on no
later decision standing, so a decision made meanwhile wins over it. The webhook event
of each (:mod:`moderation.webhooks.events`) is written in the same transaction.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from . import queue as queue_queries
from .models import Comment, CommentRevision, Decision, ModerationStatus, Role, User, utcnow
from .webhooks import events as webhook_events

# What each decision button does.
ACTIONS: dict[str, ModerationStatus] = {
    "approve": ModerationStatus.APPROVED,
    "reject": ModerationStatus.REJECTED,
    "spam": ModerationStatus.SPAM,
    "escalate": ModerationStatus.ESCALATED,
}


class DecisionError(ValueError):
    """A decision that cannot be made at all (unknown comment, nothing to undo...)."""


@dataclass
class Conflict(Exception):
    """Someone changed the comment after the moderator loaded it; nothing was changed."""

    comment_id: int
    status: str
    decided_by: str | None = None
    decided_at: datetime | None = None
    edited_at: datetime | None = None
    """When an import last changed the comment, if that came after the last decision."""
    version: int | None = None
    """The comment's version now, for the page to show it as it is and decide again."""

    def __str__(self) -> str:
        return self.message

    @property
    def message(self) -> str:
        if self.edited_at:
            when = self.edited_at.strftime("%Y-%m-%d %H:%M UTC")
            return (
                f"Comment #{self.comment_id} was edited by an import at {when}, after you "
                "opened it; your decision was not applied. Read it again before deciding."
            )
        if self.decided_by and self.decided_at:
            when = self.decided_at.strftime("%Y-%m-%d %H:%M UTC")
            who = f"already decided by {self.decided_by} at {when}"
        else:
            who = "changed by someone else"
        return (
            f"Comment #{self.comment_id} was {who} (now {self.status}); "
            "your decision was not applied."
        )


@dataclass
class CountChanged(DecisionError):
    """The view no longer matches the number of comments the moderator confirmed."""

    count: int
    confirmed: int | None

    def __str__(self) -> str:
        return f"The view matches {self.count} comments now, not {self.confirmed}."


@dataclass
class TooMany(DecisionError):
    """More comments match than one bulk action may decide."""

    count: int
    limit: int

    def __str__(self) -> str:
        return (
            f"This view matches {self.count} comments, more than the {self.limit} one bulk "
            "action decides; narrow the view and apply it in parts."
        )


@dataclass(frozen=True)
class BulkSummary:
    """A bulk action that can still be undone: what it set, and how many of its
    decisions are not undone yet."""

    bulk_id: str
    to_status: str
    in_force: int


@dataclass
class BulkOutcome:
    """What a bulk action (or the undo of one) did: decisions made and conflicts met."""

    decisions: list[Decision] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    bulk_id: str | None = None


def decide(
    session: so.Session,
    comment_id: int,
    expected_version: int,
    to_status: str,
    moderator: User,
    reason: str | None = None,
    note: str | None = None,
    bulk: bool = False,
) -> Decision:
    """Set one comment's status if it is still at ``expected_version`` (committed).

    Raises :class:`Conflict` when it is not, :class:`DecisionError` when the
    comment does not exist or the status is not one a moderator can choose.
    """
    try:
        _check_status(to_status)
        decision = _decide_one(
            session, comment_id, expected_version, to_status, moderator, reason, note, bulk
        )
    except (Conflict, DecisionError):
        session.rollback()
        raise
    session.commit()
    return decision


def decide_automatically(
    session: so.Session,
    comment_id: int,
    expected_version: int,
    to_status: str,
    account: User,
    reason: str,
) -> Decision:
    """A decision the tool makes itself (see :mod:`moderation.watchword_actions`), not committed.

    Like a moderator's, it may also put a comment back to pending. Raises
    :class:`Conflict` when the comment changed since ``expected_version``.
    """
    if to_status not in set(ModerationStatus):
        raise DecisionError(f"{to_status!r} is not a status")
    return _decide_one(
        session, comment_id, expected_version, to_status, account, reason, None, False
    )


def bulk_decide(
    session: so.Session,
    targets: Iterable[tuple[int, int]],
    to_status: str,
    moderator: User,
    reason: str | None = None,
    note: str | None = None,
) -> BulkOutcome:
    """Decide many ``(comment_id, expected_version)`` pairs in one transaction.

    Comments changed meanwhile are left alone and reported as conflicts; the
    others are decided. The decisions share a ``bulk_id`` so they undo as one.
    """
    _check_status(to_status)
    outcome = BulkOutcome(bulk_id=uuid.uuid4().hex)
    # Rows are locked in one order, comment id, by every bulk action and its undo:
    # two of them over the same comments then wait for each other, never deadlock.
    for comment_id, expected_version in sorted(targets):
        try:
            decision = _decide_one(
                session,
                comment_id,
                expected_version,
                to_status,
                moderator,
                reason,
                note,
                True,
                outcome.bulk_id,
            )
        except Conflict as conflict:
            outcome.conflicts.append(conflict)
            continue
        except DecisionError:
            continue  # deleted meanwhile, or already at that status: nothing to do
        outcome.decisions.append(decision)
    session.commit()
    return outcome


def matching_count(session: so.Session, view: queue_queries.QueueFilter, limit: int) -> int:
    """The exact number of comments a bulk action on "all matching" ``view`` would decide,
    which the moderator confirms first; :class:`TooMany` above ``limit``."""
    count = queue_queries.matching_count(session, view)
    if count > limit:
        raise TooMany(count, limit)
    return count


def bulk_decide_matching(
    session: so.Session,
    view: queue_queries.QueueFilter,
    confirmed: int | None,
    to_status: str,
    moderator: User,
    limit: int,
    reason: str | None = None,
    note: str | None = None,
) -> BulkOutcome:
    """Decide every comment matching ``view``, once the moderator has confirmed how many.

    Raises :class:`CountChanged` (nothing decided) when ``confirmed`` is not the exact
    number matching now (None: not confirmed yet), :class:`TooMany` above ``limit``.
    """
    _check_status(to_status)
    count = matching_count(session, view, limit)
    if confirmed != count:
        raise CountChanged(count, confirmed)
    targets = queue_queries.matching_targets(session, view, limit)
    return bulk_decide(session, targets, to_status, moderator, reason=reason, note=note)


@dataclass(frozen=True)
class DecisionRequest:
    """One decision asked for: this status for this comment, if still at this version."""

    comment_id: int
    expected_version: int
    to_status: str
    reason: str | None = None
    note: str | None = None


def decide_each(
    session: so.Session, requests: Sequence[DecisionRequest], moderator: User
) -> list[Decision | Conflict | DecisionError]:
    """Decide each request, each with its own status, in one transaction (committed).

    Like :func:`bulk_decide`: a comment changed meanwhile is left alone and its
    :class:`Conflict` takes its place in the result, as does the
    :class:`DecisionError` of one that cannot be decided. Several decisions share a
    ``bulk_id``, so that they undo as one.
    """
    bulk_id = uuid.uuid4().hex if len(requests) > 1 else None
    outcomes: list[Decision | Conflict | DecisionError] = []
    for request in requests:
        try:
            _check_status(request.to_status)
            decision = _decide_one(
                session,
                request.comment_id,
                request.expected_version,
                request.to_status,
                moderator,
                request.reason,
                request.note,
                bulk_id is not None,
                bulk_id,
            )
        except (Conflict, DecisionError) as problem:
            outcomes.append(problem)
            continue
        outcomes.append(decision)
    session.commit()
    return outcomes


def undo(session: so.Session, decision_id: int, moderator: User) -> Decision:
    """Put a comment back to the status it had before ``decision_id`` (committed).

    Only the comment's latest decision can be undone, once, by whoever made it
    or an admin; otherwise :class:`Conflict` or :class:`DecisionError`.
    """
    try:
        decision = _undo_one(session, decision_id, moderator)
    except (Conflict, DecisionError):
        session.rollback()
        raise
    session.commit()
    return decision


def undo_last(session: so.Session, moderator: User) -> BulkOutcome:
    """Undo the moderator's most recent action that can still be undone: one decision,
    or what is left of a bulk action.

    Decisions someone has decided over since are passed by, so that one conflict
    does not stand between the moderator and their earlier actions for good.
    """
    last = _last_in_force(session, moderator)
    if last is None:
        raise DecisionError("You have no decision left to undo.")
    if last.bulk_id is None:
        return BulkOutcome(decisions=[undo(session, last.id, moderator)])
    return undo_bulk(session, last.bulk_id, moderator)


def undo_bulk(session: so.Session, bulk_id: str, moderator: User) -> BulkOutcome:
    """Undo every decision of one bulk action that nobody has decided again since (committed).

    Each undo is a decision of its own in the audit log; the ones decided over since
    are left as they are and reported as conflicts. :class:`DecisionError` when there
    is no such bulk action, nothing of it is left to undo, or ``moderator`` may not.
    """
    rows = session.execute(
        sa.select(Decision.id, Decision.moderator_id, Decision.undone_by_id)
        .where(Decision.bulk_id == bulk_id, Decision.undoes_id.is_(None))
        .order_by(Decision.comment_id, Decision.id)
    ).all()
    if not rows:
        raise DecisionError("There is no such bulk action.")
    if rows[0].moderator_id != moderator.id and moderator.role != Role.ADMIN:
        raise DecisionError("Only the moderator who made a decision, or an admin, can undo it.")
    ids = [row.id for row in rows if row.undone_by_id is None]
    if not ids:
        raise DecisionError("That bulk action has been undone already.")
    outcome = BulkOutcome(bulk_id=bulk_id)
    for decision_id in ids:
        try:
            outcome.decisions.append(_undo_one(session, decision_id, moderator))
        except Conflict as conflict:
            outcome.conflicts.append(conflict)
    if not outcome.decisions:
        session.rollback()
        raise DecisionError(
            f"Nothing of that bulk action is left to undo: its {len(ids)} comment"
            f"{'s were' if len(ids) != 1 else ' was'} decided again since."
        )
    session.commit()
    return outcome


def last_bulk(session: so.Session, moderator: User) -> BulkSummary | None:
    """The moderator's bulk action that "Undo my last decision" would undo, if their
    last action still in force is a bulk one: offered on the queue as its own undo."""
    last = _last_in_force(session, moderator)
    if last is None or last.bulk_id is None:
        return None
    in_force = session.scalar(
        sa.select(sa.func.count())
        .select_from(Decision)
        .where(Decision.bulk_id == last.bulk_id, _unreversed(Decision))
    )
    return BulkSummary(last.bulk_id, last.to_status, in_force)


def decision_in_force(session: so.Session, comment_id: int) -> Decision | None:
    """The decision that put the comment in its current status, the one an undo reverses.

    Its latest decision that is neither undone nor an undo: a later decision that
    was undone again changed nothing in the end. None when there is none, or when
    the comment's status is no longer the one it set.
    """
    return session.scalar(_decisions_in_force().where(Decision.comment_id == comment_id))


@functools.cache  # built once: building its correlated subquery cost 3 ms a queue page
def _decisions_in_force() -> sa.Select:
    """Decisions in force (see :func:`decision_in_force`), each with its comment, as one query."""
    return (
        sa.select(Decision)
        .join(Comment, Comment.id == Decision.comment_id)
        .where(
            _unreversed(Decision),
            Comment.status == Decision.to_status,
            ~_decided_since(Decision.comment_id, Decision.id),
        )
    )


def _last_in_force(session: so.Session, moderator: User) -> Decision | None:
    # Newest first along ix_decisions_moderator_time (SQLite's index ends with the id), so
    # the search stops at the first in force: by id alone it sorted every decision the
    # moderator ever made, on every queue page (5 ms for 600 decisions, growing).
    return session.scalar(_last_in_force_query(), {"moderator_id": moderator.id})


@functools.cache  # built once, as every queue page asks it
def _last_in_force_query() -> sa.Select:
    return (
        _decisions_in_force()
        .where(Decision.moderator_id == sa.bindparam("moderator_id"))
        .order_by(Decision.created_at.desc(), Decision.id.desc())
        .limit(1)
    )


def _unreversed(decision) -> sa.ColumnElement[bool]:
    """Neither an undo nor undone."""
    return sa.and_(decision.undoes_id.is_(None), decision.undone_by_id.is_(None))


def _decided_since(comment_id, decision_id) -> sa.Exists:
    """Whether the comment has a decision after ``decision_id`` that still stands."""
    return sa.exists().where(
        _LATER.comment_id == comment_id, _LATER.id > decision_id, _unreversed(_LATER)
    )


_LATER = so.aliased(Decision, name="later")


def can_undo(decision: Decision, moderator: User) -> bool:
    return decision.moderator_id == moderator.id or moderator.role == Role.ADMIN


# Internals: one change each, no commit -------------------------------------------


def _check_status(to_status: str) -> None:
    if to_status not in set(ACTIONS.values()):
        raise DecisionError(f"{to_status!r} is not a status a moderator can choose")


def _decide_one(
    session: so.Session,
    comment_id: int,
    expected_version: int,
    to_status: str,
    moderator: User,
    reason: str | None,
    note: str | None,
    bulk: bool,
    bulk_id: str | None = None,
) -> Decision:
    current = session.execute(
        sa.select(Comment.status, Comment.version).where(Comment.id == comment_id)
    ).one_or_none()
    if current is None:
        raise DecisionError(f"There is no comment #{comment_id}.")
    if current.version != expected_version:
        raise _conflict(session, comment_id)
    if current.status == to_status:
        raise DecisionError(f"Comment #{comment_id} is already {to_status}.")
    _set_status(session, comment_id, expected_version, to_status)
    decision = Decision(
        comment_id=comment_id,
        moderator_id=moderator.id,
        from_status=current.status,
        to_status=to_status,
        reason=(reason or None) and reason[:200],
        note=note or None,
        bulk=bulk,
        bulk_id=bulk_id,
        created_at=utcnow(),
    )
    session.add(decision)
    session.flush()
    webhook_events.emit_decision(session, decision, moderator, version=expected_version + 1)
    return decision


def _undo_one(session: so.Session, decision_id: int, moderator: User) -> Decision:
    original = session.get(Decision, decision_id)
    if original is None:
        raise DecisionError(f"There is no decision #{decision_id}.")
    if original.undoes_id is not None:
        raise DecisionError("An undo cannot itself be undone; decide the comment again instead.")
    if not can_undo(original, moderator):
        raise DecisionError("Only the moderator who made a decision, or an admin, can undo it.")
    comment_id = original.comment_id
    # One conditional update, checking that the decision is still in force in the same
    # statement that reverses it: a decision committed meanwhile changed the status (a
    # decision always does), so it wins, and the undo below records only a status the
    # comment really had. Reading first and writing after would let it slip in between.
    still_standing = sa.exists().where(Decision.id == original.id, Decision.undone_by_id.is_(None))
    result = session.execute(
        sa.update(Comment)
        .where(
            Comment.id == comment_id,
            Comment.status == original.to_status,
            still_standing,
            ~_decided_since(Comment.id, original.id),
        )
        .values(status=original.from_status, version=Comment.version + 1, updated_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        raise _conflict(session, comment_id)
    reversal = Decision(
        comment_id=comment_id,
        moderator_id=moderator.id,
        from_status=original.to_status,
        to_status=original.from_status,
        reason="undo",
        bulk=original.bulk,
        undoes_id=original.id,
        created_at=utcnow(),
    )
    session.add(reversal)
    session.flush()
    original.undone_by_id = reversal.id
    session.flush()
    webhook_events.emit_decision(session, reversal, moderator, undoes=original)
    return reversal


def _set_status(session: so.Session, comment_id: int, expected_version: int, status: str) -> None:
    """The conditional update; raises Conflict when another writer got there first."""
    result = session.execute(
        sa.update(Comment)
        .where(Comment.id == comment_id, Comment.version == expected_version)
        .values(status=status, version=Comment.version + 1, updated_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        raise _conflict(session, comment_id)


def _conflict(session: so.Session, comment_id: int) -> Conflict:
    row = session.execute(
        sa.select(Comment.status, Comment.version, User.username, Decision.created_at)
        .select_from(Comment)
        .outerjoin(Decision, Decision.comment_id == Comment.id)
        .outerjoin(User, User.id == Decision.moderator_id)
        .where(Comment.id == comment_id)
        .order_by(Decision.id.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        return Conflict(comment_id, "deleted")
    edited_at = session.scalar(
        sa.select(sa.func.max(CommentRevision.recorded_at)).where(
            CommentRevision.comment_id == comment_id
        )
    )
    if edited_at is not None and (row.created_at is None or edited_at > row.created_at):
        return Conflict(comment_id, row.status, edited_at=edited_at, version=row.version)
    return Conflict(comment_id, row.status, row.username, row.created_at, version=row.version)
