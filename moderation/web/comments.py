"""One comment: its context in the thread, and its history (the audit log)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from .. import decisions
from ..extensions import db
from ..models import (
    Article,
    Comment,
    CommentRevision,
    CommentScore,
    Decision,
    ThreadSummary,
    User,
)
from ..scoring.sentiment import driving_sentence
from . import text
from .access import DECIDERS, EVERYONE, requires
from .forms import NextForm, safe_next
from .queue import reject_reasons
from .responses import respond, undo_message

bp = Blueprint("comments", __name__)

NEIGHBOURS = 3
"""Comments shown before and after the one in context."""


@dataclass(frozen=True)
class ImportChange:
    """What one import changed in a comment: its text, the source's status, or both."""

    recorded_at: datetime
    text_before: str | None
    """The text it replaced; None when the text stayed the same."""
    source_status: tuple[str | None, str | None] | None
    """(before, after) when the source's status changed (say "0" -> "1" in WordPress)."""


def import_changes(comment: Comment, revisions: list[CommentRevision]) -> list[ImportChange]:
    """Each revision (newest first) as what changed, comparing it with what followed it."""
    changes = []
    after_body, after_status = comment.body, comment.source_status
    for revision in revisions:
        before_body, before_status = revision.previous_body, revision.previous_source_status
        changes.append(
            ImportChange(
                revision.recorded_at,
                before_body if before_body != after_body else None,
                (before_status, after_status) if before_status != after_status else None,
            )
        )
        after_body, after_status = before_body, before_status
    return changes


@bp.route("/comments/<id:comment_id>")
@requires(EVERYONE)
def context(comment_id: int):
    comment = db.get_or_404(Comment, comment_id)
    article = db.session.get(Article, comment.article_id)
    score = db.session.get(CommentScore, comment_id)
    shared_terms = list(score.shared_terms or []) if score else []
    neighbours = db.session.execute(
        sa.select(Comment, CommentScore)
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
        .where(
            Comment.article_id == comment.article_id,
            Comment.position.between(comment.position - NEIGHBOURS, comment.position + NEIGHBOURS),
        )
        .order_by(Comment.position, Comment.id)
    ).all()
    summary = db.session.get(ThreadSummary, comment.article_id)
    derail = (
        db.session.get(Comment, summary.derail_comment_id)
        if summary and summary.derail_comment_id
        else None
    )
    thread_size = db.session.scalar(
        sa.select(sa.func.count()).where(Comment.article_id == comment.article_id)
    )
    return render_template(
        "comments/context.html",
        comment=comment,
        article=article,
        score=score,
        driver=driving_sentence(comment.body, score.sentiment_label) if score else None,
        excerpt=text.excerpt(article.body, shared_terms),
        parent=comment.parent,
        neighbours=neighbours,
        derail=derail,
        summary=summary,
        thread_size=thread_size,
        reasons=reject_reasons(),
        here=request.full_path,
    )


@bp.route("/comments/<id:comment_id>/history")
@requires(EVERYONE)
def history(comment_id: int):
    comment = db.get_or_404(Comment, comment_id)
    rows = db.session.execute(
        sa.select(Decision, User.username)
        .join(User, User.id == Decision.moderator_id)
        .where(Decision.comment_id == comment_id)
        .order_by(Decision.id.desc())
    ).all()
    revisions = db.session.scalars(
        sa.select(CommentRevision)
        .where(CommentRevision.comment_id == comment_id)
        .order_by(CommentRevision.id.desc())
    ).all()
    in_force = decisions.decision_in_force(db.session, comment_id)
    undoable = (
        {in_force.id}
        if in_force is not None
        and current_user.role in DECIDERS
        and decisions.can_undo(in_force, current_user.user)
        else set()
    )
    return render_template(
        "comments/history.html",
        comment=comment,
        article=db.session.get(Article, comment.article_id),
        rows=rows,
        undoable=undoable,
        changes=import_changes(comment, revisions),
        here=request.full_path,
    )


@bp.route("/decisions/<id:decision_id>/undo", methods=["POST"])
@requires(DECIDERS)
def undo(decision_id: int):
    form = NextForm()
    decision = db.get_or_404(Decision, decision_id)
    back = safe_next(form.next.data, url_for("comments.history", comment_id=decision.comment_id))
    if not form.validate_on_submit():
        return redirect(back)
    try:
        outcome = decisions.BulkOutcome(
            decisions=[decisions.undo(db.session, decision_id, current_user.user)]
        )
    except decisions.Conflict as conflict:
        return respond(back, "conflict", conflict.message, 409)
    except decisions.DecisionError as error:
        return respond(back, "error", str(error), 400)
    return respond(back, *undo_message(outcome))
