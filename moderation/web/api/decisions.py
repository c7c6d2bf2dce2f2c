"""Decisions posted by a client, and the audit log read from a cursor."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from ... import decisions
from ...extensions import db
from ...models import Comment, Decision, User
from . import bp, schemas
from .comments import ERRORS
from .core import ApiError, api_route


@api_route(
    bp,
    "/decisions",
    "POST",
    scope="decide",
    summary="Decide comments: one decision or a list, each at the version read",
    body=schemas.DecisionsIn,
    responses={
        200: ("Decided; for a list, each one's outcome", schemas.DecisionsResult),
        404: ("One decision: no such comment", schemas.Error),
        409: ("One decision: the comment changed since that version", schemas.ConflictError),
        **ERRORS,
    },
)
def post_decisions(token, body: schemas.DecisionsIn):
    """As a moderator's decisions on the queue page: each applies only if the comment is
    still at the `version` given, else it is a conflict that names who changed it and its
    state now. A list is decided in one transaction, conflicts left out. Recorded in the
    audit log under the token's own account, "<name> (API token)"."""
    single = not isinstance(body.root, list)
    items = [body.root] if single else body.root
    limit = current_app.config["API_BATCH_LIMIT"]
    if len(items) > limit:
        raise ApiError(400, "bad_request", f"At most {limit} decisions per request.")
    requests = [
        decisions.DecisionRequest(
            item.comment_id,
            item.version,
            decisions.ACTIONS[item.action],
            reason=item.reason if item.action == "reject" else None,
            note=item.note,
        )
        for item in items
    ]
    outcomes = decisions.decide_each(db.session, requests, token.user)
    results = [
        _outcome(request, outcome) for request, outcome in zip(requests, outcomes, strict=True)
    ]
    if single:
        result, outcome = results[0], outcomes[0]
        if isinstance(outcome, decisions.Conflict):
            raise ApiError(
                409, "conflict", result.message, current=result.current.model_dump(mode="json")
            )
        if isinstance(outcome, decisions.DecisionError):
            missing = db.session.get(Comment, result.comment_id) is None
            raise ApiError(
                404 if missing else 400, "not_found" if missing else "bad_request", result.message
            )
    return schemas.DecisionsResult(
        decided=sum(r.outcome == "decided" for r in results),
        conflicts=sum(r.outcome == "conflict" for r in results),
        invalid=sum(r.outcome == "invalid" for r in results),
        results=results,
    )


def _outcome(request: decisions.DecisionRequest, outcome) -> schemas.DecisionOutcome:
    if isinstance(outcome, decisions.Conflict):
        current = schemas.CurrentState(
            status=outcome.status,
            version=outcome.version,
            decided_by=outcome.decided_by,
            decided_at=outcome.decided_at,
            edited_at=outcome.edited_at,
        )
        return schemas.DecisionOutcome(
            comment_id=request.comment_id,
            outcome="conflict",
            message=outcome.message,
            status=outcome.status,
            version=outcome.version,
            current=current,
        )
    if isinstance(outcome, decisions.DecisionError):
        return schemas.DecisionOutcome(
            comment_id=request.comment_id, outcome="invalid", message=str(outcome)
        )
    comment = db.session.get(Comment, outcome.comment_id)
    return schemas.DecisionOutcome(
        comment_id=outcome.comment_id,
        outcome="decided",
        message=f"Comment #{outcome.comment_id} is {outcome.to_status}.",
        decision_id=outcome.id,
        status=comment.status,
        version=comment.version,
    )


@api_route(
    bp,
    "/audit",
    "GET",
    scope="read",
    summary="The audit log in order, from a cursor",
    query=schemas.AuditQuery,
    responses={200: ("Decisions after `since`, oldest first", schemas.AuditPage), **ERRORS},
)
def audit(token, query: schemas.AuditQuery):
    """Every decision (moderators', watch-words', API clients', undos) in the order made.
    Keep the `next` of each page and pass it as `since` to read only what came after."""
    since = 0
    if query.since:
        if not (query.since.isascii() and query.since.isdigit()) or int(query.since) > 2**63:
            raise ApiError(400, "bad_request", "Invalid `since`: pass the `next` of a page.")
        since = int(query.since)
    rows = db.session.execute(
        sa.select(Decision, User.username)
        .join(User, User.id == Decision.moderator_id)
        .where(Decision.id > since)
        .order_by(Decision.id)
        .limit(query.limit + 1)
    ).all()
    entries = [
        schemas.AuditEntry(
            id=d.id,
            comment_id=d.comment_id,
            moderator=username,
            from_status=d.from_status,
            to_status=d.to_status,
            reason=d.reason,
            note=d.note,
            bulk=d.bulk,
            bulk_id=d.bulk_id,
            undoes_id=d.undoes_id,
            undone_by_id=d.undone_by_id,
            created_at=d.created_at,
        )
        for d, username in rows[: query.limit]
    ]
    return schemas.AuditPage(
        decisions=entries,
        next=str(entries[-1].id if entries else since),
        more=len(rows) > query.limit,
    )
