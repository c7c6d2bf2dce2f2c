"""An author's page: every comment they wrote, across articles, and how they were judged."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request

from ..extensions import db
from ..models import Article, Comment, CommentScore, Decision, ModerationStatus, User
from .access import EVERYONE, requires

bp = Blueprint("authors", __name__)

MAX_COMMENTS_SHOWN = 200


@bp.route("/author")
@requires(EVERYONE)
def author():
    """``/author?name=...``: in the query string, so any name (even an empty one) has a URL."""
    name = request.args.get("name")
    if name is None or "\x00" in name:
        abort(404)
    by_author = Comment.author_name == name
    total = db.session.scalar(sa.select(sa.func.count()).where(by_author))
    if not total:
        abort(404)
    averages = db.session.execute(
        sa.select(sa.func.avg(CommentScore.compound), sa.func.avg(CommentScore.drift))
        .join(Comment, Comment.id == CommentScore.comment_id)
        .where(by_author)
    ).one()
    statuses = dict(
        db.session.execute(
            sa.select(Comment.status, sa.func.count()).where(by_author).group_by(Comment.status)
        ).all()
    )
    decided = sum(
        statuses.get(s, 0)
        for s in (ModerationStatus.APPROVED, ModerationStatus.REJECTED, ModerationStatus.SPAM)
    )
    refused = statuses.get(ModerationStatus.REJECTED, 0) + statuses.get(ModerationStatus.SPAM, 0)
    comments = db.session.execute(
        sa.select(Comment, Article.title, CommentScore)
        .join(Article, Article.id == Comment.article_id)
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
        .where(by_author)
        .order_by(Comment.posted_at.desc().nulls_last(), Comment.id.desc())
        .limit(MAX_COMMENTS_SHOWN)
    ).all()
    history = db.session.execute(
        sa.select(Decision, User.username)
        .join(User, User.id == Decision.moderator_id)
        .join(Comment, Comment.id == Decision.comment_id)
        .where(by_author)
        .order_by(Decision.id.desc())
        .limit(MAX_COMMENTS_SHOWN)
    ).all()
    return render_template(
        "authors/author.html",
        name=name,
        total=total,
        articles=db.session.scalar(
            sa.select(sa.func.count(sa.distinct(Comment.article_id))).where(by_author)
        ),
        mean_compound=averages[0],
        mean_drift=averages[1],
        statuses=statuses,
        decided=decided,
        rejection_rate=(refused / decided) if decided else None,
        comments=comments,
        history=history,
        shown=MAX_COMMENTS_SHOWN,
    )
