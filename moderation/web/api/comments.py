"""Comments: the queue's listing with its filters and keyset pages, one comment, and posting."""

from __future__ import annotations

from dataclasses import fields

import sqlalchemy as sa
from flask import current_app, request

from ... import jobs, queue
from ...extensions import db
from ...models import Article, Comment, CommentScore
from ...posted_records import import_posted
from . import bp, schemas
from .core import ApiError, api_route

QUEUE_FILTERS = tuple(f.name for f in fields(queue.QueueFilter))
ERRORS = {
    400: ("Invalid parameters or body", schemas.Error),
    401: ("No token, or an unknown or revoked one", schemas.Error),
    403: ("The token lacks the scope", schemas.Error),
    429: ("Rate limited: see Retry-After", schemas.Error),
}


@api_route(
    bp,
    "/comments",
    "GET",
    scope="read",
    summary="List comments in queue order, with the queue's filters",
    query=schemas.PageQuery,
    query_extra=QUEUE_FILTERS,
    responses={200: ("A page of comments", schemas.CommentPage), **ERRORS},
)
def list_comments(token, query: schemas.PageQuery):
    """The queue's filters (tab, article, sentiment, min_drift, flag, author, posted_from,
    posted_to, q) as on the queue page; the pending tab unless `tab` says otherwise.
    Highest priority first (the `all` tab: newest first); pages continue from `next`."""
    view, problems = queue.QueueFilter.read(request.args, flags=queue.flag_codes(db.session))
    if problems:
        raise ApiError(400, "bad_request", "Invalid filter: " + " ".join(map(str, problems)))
    cursor = queue.Cursor.decode(query.after)
    if query.after and cursor is None:
        raise ApiError(400, "bad_request", "Invalid `after`: pass the `next` of a page as it is.")
    limit = min(query.limit, current_app.config["API_PAGE_LIMIT"])
    page = queue.queue_page(db.session, view, cursor, limit=limit)
    articles = _articles({item.comment.article_id for item in page.items})
    return schemas.CommentPage(
        comments=[_comment_out(item.comment, articles, item.score) for item in page.items],
        next=page.next_cursor.encode() if page.next_cursor else None,
    )


@api_route(
    bp,
    "/comments/<id:comment_id>",
    "GET",
    scope="read",
    summary="One comment, with its scores, flags, status and version",
    responses={
        200: ("The comment", schemas.CommentOut),
        404: ("No such comment", schemas.Error),
        **ERRORS,
    },
)
def get_comment(token, comment_id: int):
    """One comment by its id in this tool (the `id` of a listing or of a post's answer)."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise ApiError(404, "not_found", f"There is no comment #{comment_id}.")
    articles = _articles({comment.article_id})
    return _comment_out(comment, articles, db.session.get(CommentScore, comment_id))


@api_route(
    bp,
    "/comments",
    "POST",
    scope="ingest",
    summary="Post comments: one record or a list, stored in one transaction",
    body=schemas.CommentsIn,
    responses={
        200: ("Stored; scored in the background", schemas.IngestResult),
        413: ("The body is too large", schemas.Error),
        415: ("The body is not JSON", schemas.Error),
        **ERRORS,
    },
)
def post_comments(token, body: schemas.CommentsIn):
    """Records of the JSON lines import format, each with its `comment_id`: posting one
    again changes nothing, or updates its text if that changed. Stored whole or not at
    all, then scored by the background worker: read `scores` a moment later."""
    records = body.root if isinstance(body.root, list) else [body.root]
    limit = current_app.config["API_BATCH_LIMIT"]
    if len(records) > limit:
        raise ApiError(400, "bad_request", f"At most {limit} records per request.")
    objects = [record.model_dump(exclude_none=True) for record in records]
    posted = import_posted(
        db.session,
        objects,
        f"api:{token.name}",
        request.get_data(),
        default_site=current_app.config["DEFAULT_SITE"],
    )
    batch = posted.outcome.batch
    if not posted.outcome.succeeded:
        # The records passed the schema; what the importer refuses is still the client's.
        raise ApiError(400, "bad_request", f"Nothing was stored: {batch.error}")
    if batch.comments_new or batch.comments_updated:
        jobs.request(current_app._get_current_object(), "score")
    return schemas.IngestResult(
        batch_id=batch.id,
        articles_new=batch.articles_new,
        articles_updated=batch.articles_updated,
        comments_new=batch.comments_new,
        comments_updated=batch.comments_updated,
        comments_unchanged=batch.comments_unchanged,
        skipped=batch.skipped,
        problems=[
            schemas.Problem(record=p.get("line"), kind=p["kind"], message=p["message"])
            for p in batch.problems
        ],
        comments=[schemas.StoredComment(**vars(stored)) for stored in posted.stored],
        scoring="queued",
    )


def _articles(ids: set[int]) -> dict[int, schemas.ArticleRef]:
    rows = db.session.execute(
        sa.select(Article.id, Article.site, Article.key, Article.title, Article.url).where(
            Article.id.in_(ids)
        )
    )
    return {row.id: schemas.ArticleRef(**row._mapping) for row in rows}


def _comment_out(
    comment: Comment, articles: dict[int, schemas.ArticleRef], score: CommentScore | None
) -> schemas.CommentOut:
    return schemas.CommentOut(
        id=comment.id,
        article=articles[comment.article_id],
        source_id=comment.external_id,
        parent_id=comment.parent_id,
        parent_source_id=comment.parent_external_id,
        position=comment.position,
        author_name=comment.author_name,
        posted_at=comment.posted_at,
        body=comment.body,
        kind=comment.kind,
        source_status=comment.source_status,
        status=comment.status,
        version=comment.version,
        priority=comment.priority,
        created_at=comment.created_at,
        updated_at=comment.updated_at,
        scores=_scores_out(score),
        flags=[schemas.Flag(code=f["code"], reason=f.get("reason", "")) for f in score.flags]
        if score
        else [],
    )


def _scores_out(score: CommentScore | None) -> schemas.Scores | None:
    if score is None:
        return None
    return schemas.Scores(
        **{name: getattr(score, name) for name in schemas.Scores.model_fields},
    )
