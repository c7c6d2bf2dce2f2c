"""The outbox: webhook events written in the same transaction as the change they tell of.

If the change is rolled back, so is its event; once it is committed, its event is in the
database and is delivered whatever restarts meanwhile (:mod:`.delivery`). An event is
written only when some active endpoint wants its type, with one delivery row for each such
endpoint, so that a tool without webhooks writes nothing more.

Events (docs/webhooks.md has their fields):

- ``comment.created``: one per new comment, imported or posted to the API;
- ``comment.scored``: one per comment a scoring run scored;
- ``decision.made``: one per decision, the tool's own included; a bulk action makes one
  per comment, all with the action's ``bulk_id``;
- ``decision.undone``: one per undo (one per comment for a bulk action's undo).
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so

from ..driver_insert import DriverInsert
from ..models import (
    Article,
    Comment,
    CommentScore,
    Decision,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    utcnow,
)

COMMENT_CREATED = "comment.created"
COMMENT_SCORED = "comment.scored"
DECISION_MADE = "decision.made"
DECISION_UNDONE = "decision.undone"
EVENT_TYPES = (COMMENT_CREATED, COMMENT_SCORED, DECISION_MADE, DECISION_UNDONE)
ROWS_PER_QUERY = 2000
_SUBSCRIBERS = "webhook_subscribers"


def subscribers(session: so.Session, event_type: str) -> list[int]:
    """The active endpoints that want ``event_type``, read once per transaction: a bulk
    action of a thousand decisions asks the database once."""
    # The database transaction, begun if none has (a savepoint's is its outer one).
    transaction = session.connection().get_transaction()
    cached = session.info.get(_SUBSCRIBERS)
    if cached is None or cached[0] is not transaction:
        wanted: dict[str, list[int]] = {}
        for endpoint_id, event_types in session.execute(
            sa.select(WebhookEndpoint.id, WebhookEndpoint.event_types)
            .where(WebhookEndpoint.active)
            .order_by(WebhookEndpoint.id)
        ):
            for name in event_types.split(","):
                wanted.setdefault(name, []).append(endpoint_id)
        cached = (transaction, wanted)
        session.info[_SUBSCRIBERS] = cached
    return cached[1].get(event_type, [])


def emit(session: so.Session, event_type: str, data: Sequence[dict]) -> int:
    """Write one event of ``event_type`` per item of ``data`` (not committed: it belongs to
    the caller's transaction). Returns how many; none when no endpoint wants them."""
    endpoint_ids = subscribers(session, event_type)
    if not endpoint_ids or not data:
        return 0
    now = utcnow()
    timestamp = _iso(now)
    events = []
    for item in data:
        message_id = "msg_" + uuid.uuid4().hex
        body = {"id": message_id, "type": event_type, "timestamp": timestamp, "data": item}
        events.append(
            {
                "message_id": message_id,
                "event_type": event_type,
                "body": _json(body),
                "created_at": now,
            }
        )
    if len(events) == 1:
        event_ids = [session.execute(_INSERT_EVENT, events[0]).scalar_one()]
    else:
        event_ids = session.scalars(_INSERT_EVENTS, events).all()
    deliveries = _delivery_insert(session.get_bind().dialect)
    due = deliveries.to_driver(now.replace(tzinfo=None))
    deliveries.execute(
        session,
        [
            (event_id, endpoint_id, "pending", 0, due)
            for event_id in event_ids
            for endpoint_id in endpoint_ids
        ],
    )
    return len(events)


@functools.lru_cache(maxsize=8)
def _delivery_insert(dialect: sa.Dialect) -> DriverInsert:
    """Delivery rows straight to the driver: an import writes one per new comment."""
    return DriverInsert(
        sa.insert(WebhookDelivery.__table__),
        ("event_id", "endpoint_id", "status", "attempts", "next_attempt_at"),
        dialect,
    )


# Built once: a bulk action writes a thousand events, one statement each.
_INSERT_EVENT = sa.insert(WebhookEvent.__table__).returning(WebhookEvent.__table__.c.id)
_INSERT_EVENTS = sa.insert(WebhookEvent.__table__).returning(
    WebhookEvent.__table__.c.id, sort_by_parameter_order=True
)


def _json(body: dict) -> str:
    try:
        return orjson.dumps(body).decode("utf-8")
    except TypeError:  # a lone surrogate (from a broken export): escaped, as ASCII
        return json.dumps(body, separators=(",", ":"))


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# comment.created ----------------------------------------------------------------------------------


def emit_comments_created(session: so.Session, import_batch_id: int, after_id: int) -> int:
    """Events for the comments import batch ``import_batch_id`` inserted, all with ids above
    ``after_id`` (found through the primary key), a few thousand at a time."""
    if not subscribers(session, COMMENT_CREATED):
        return 0
    emitted = 0
    while True:
        rows = session.execute(
            sa.select(
                Comment.id,
                Comment.external_id,
                Comment.parent_id,
                Comment.author_name,
                Comment.posted_at,
                Comment.kind,
                Comment.status,
                Comment.source_status,
                Comment.version,
                Comment.created_at,
                Article.id.label("article_id"),
                Article.site,
                Article.key,
            )
            .join(Article, Article.id == Comment.article_id)
            .where(Comment.id > after_id, Comment.import_batch_id == import_batch_id)
            .order_by(Comment.id)
            .limit(ROWS_PER_QUERY)
        ).all()
        if not rows:
            return emitted
        emitted += emit(session, COMMENT_CREATED, [_comment_created(row) for row in rows])
        after_id = rows[-1].id


def _comment_created(row) -> dict:
    return {
        "comment": {
            "id": row.id,
            "article": {"id": row.article_id, "site": row.site, "key": row.key},
            "source_id": row.external_id,
            "parent_id": row.parent_id,
            "author_name": row.author_name,
            "posted_at": _iso(row.posted_at),
            "kind": row.kind,
            "status": row.status,
            "source_status": row.source_status,
            "version": row.version,
            "created_at": _iso(row.created_at),
        }
    }


# comment.scored -----------------------------------------------------------------------------------


def emit_comments_scored(session: so.Session, comment_ids: Iterable[int]) -> int:
    """Events for comments just scored, with their scores as stored now."""
    ids = list(comment_ids)
    if not ids or not subscribers(session, COMMENT_SCORED):
        return 0
    emitted = 0
    for start in range(0, len(ids), ROWS_PER_QUERY):
        rows = session.execute(
            sa.select(
                Comment.id,
                Comment.status,
                Comment.version,
                CommentScore.compound,
                CommentScore.sentiment_label,
                CommentScore.drift,
                CommentScore.priority,
                CommentScore.flags,
                CommentScore.scorer_version,
                CommentScore.scored_at,
            )
            .join(CommentScore, CommentScore.comment_id == Comment.id)
            .where(Comment.id.in_(ids[start : start + ROWS_PER_QUERY]))
            .order_by(Comment.id)
        ).all()
        emitted += emit(session, COMMENT_SCORED, [_comment_scored(row) for row in rows])
    return emitted


def _comment_scored(row) -> dict:
    return {
        "comment": {"id": row.id, "status": row.status, "version": row.version},
        "scores": {
            "compound": row.compound,
            "sentiment_label": row.sentiment_label,
            "drift": row.drift,
            "priority": row.priority,
            "flags": [flag.get("code") for flag in row.flags or []],
            "scorer_version": row.scorer_version,
            "scored_at": _iso(row.scored_at),
        },
    }


# decision.made and decision.undone ----------------------------------------------------------------


def emit_decision(
    session: so.Session,
    decision: Decision,
    moderator: User,
    version: int | None = None,
    undoes: Decision | None = None,
) -> int:
    """The event of a decision just flushed, or of an undo (``undoes``: the decision it
    reverses). ``version``: the comment's version now, read when not given."""
    event_type = DECISION_MADE if undoes is None else DECISION_UNDONE
    if not subscribers(session, event_type):
        return 0
    if version is None:
        version = session.scalar(
            sa.select(Comment.version).where(Comment.id == decision.comment_id)
        )
    data = {
        "decision": {
            "id": decision.id,
            "comment_id": decision.comment_id,
            "moderator": moderator.username,
            "from_status": decision.from_status,
            "to_status": decision.to_status,
            "reason": decision.reason,
            "note": decision.note,
            "bulk": decision.bulk,
            "bulk_id": decision.bulk_id,
            "undoes_id": decision.undoes_id,
            "undoes_bulk_id": undoes.bulk_id if undoes is not None else None,
            "created_at": _iso(decision.created_at),
        },
        "comment": {
            "id": decision.comment_id,
            "status": decision.to_status,
            "version": version,
        },
    }
    return emit(session, event_type, [data])
