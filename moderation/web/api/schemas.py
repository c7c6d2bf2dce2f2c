"""The API's request and response shapes, as pydantic models: they validate requests,
serialise answers, and are the schemas of the OpenAPI description."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

from ...decisions import ACTIONS
from ...importers.records import COMMENT_KINDS

MAX_ID = 2**31 - 1
MAX_BATCH = 500
"""The most records or decisions in one request (also API_BATCH_LIMIT, which may be lower)."""

DatabaseId = Annotated[int, Field(ge=1, le=MAX_ID)]
SourceId = Annotated[str, Field(min_length=1, max_length=200)] | Annotated[int, Field(ge=0)]
Moment = Annotated[
    str | float,
    Field(description="ISO 8601 (a time without a zone is UTC), RFC 2822 or Unix seconds"),
]
Action = Literal[tuple(ACTIONS)]  # type: ignore[valid-type]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Errors -------------------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    code: str = Field(description="Machine-readable: unauthorized, forbidden, not_found, ...")
    message: str = Field(description="What went wrong, for a person to read")


class Error(BaseModel):
    error: ErrorDetail


# Comments out -------------------------------------------------------------------------------------


class ArticleRef(BaseModel):
    id: int
    site: str
    key: str = Field(description="The source's identity for the article (its id or URL)")
    title: str
    url: str | None


class Flag(BaseModel):
    code: str
    reason: str


class Scores(BaseModel):
    compound: float = Field(description="VADER compound sentiment, -1 to 1")
    positive: float
    neutral: float
    negative: float
    sentiment_label: Literal["negative", "neutral", "positive"]
    drift: float = Field(description="Off-topic score, 0 (on topic) to 1")
    article_similarity: float
    thread_similarity: float | None
    drift_reasons: list[str]
    priority: float = Field(description="Queue priority, 0 to 1: higher is looked at first")
    priority_reasons: list[str]
    scorer_version: str
    scored_at: datetime


class CommentOut(BaseModel):
    id: int
    article: ArticleRef
    source_id: str = Field(description="The source's comment id (comment_id when posted)")
    parent_id: int | None
    parent_source_id: str | None
    position: int
    author_name: str
    posted_at: datetime | None
    body: str
    kind: str
    source_status: str | None
    status: str = Field(description="pending, escalated, approved, rejected or spam")
    version: int = Field(description="Name it in a decision; raised by every change")
    priority: float | None = Field(description="None until scored")
    created_at: datetime
    updated_at: datetime
    scores: Scores | None = Field(description="None until scored")
    flags: list[Flag]


class CommentPage(BaseModel):
    comments: list[CommentOut]
    next: str | None = Field(description="Pass as `after` for the next page; None on the last page")


class PageQuery(Strict):
    after: str | None = Field(None, max_length=60, description="The `next` of the page before")
    limit: int = Field(50, ge=1, le=500, description="Comments per page")


# Comments in --------------------------------------------------------------------------------------


class CommentRecord(Strict):
    """One comment with its article's fields: a line of the JSON lines import format
    (docs/formats.md), with the source's comment id required, so that posting it again
    changes nothing (or updates the text, keeping the old as a revision). Article fields
    left out keep their stored values: comments on a known article need only name it."""

    comment_id: SourceId
    text: Annotated[str, Field(min_length=1)]
    article_id: SourceId | None = Field(None, description="article_id or article_url is needed")
    article_url: str | None = None
    article_title: str | None = None
    article_body: str | None = None
    article_author: str | None = None
    article_published: Moment | None = None
    site: str | None = None
    parent_id: SourceId | None = Field(None, description="The parent comment's comment_id")
    author: str | None = None
    author_email: str | None = None
    author_url: str | None = None
    author_ip: str | None = None
    posted: Moment | None = None
    kind: Literal[COMMENT_KINDS] | None = None  # type: ignore[valid-type]
    status: str | None = Field(
        None, description="The source's status (WordPress 1, 0, spam, trash...): sets the first"
    )

    @model_validator(mode="after")
    def _needs_article(self):
        if self.article_id is None and not self.article_url:
            raise ValueError("article_id or article_url is needed")
        return self


class CommentsIn(
    RootModel[
        CommentRecord | Annotated[list[CommentRecord], Field(min_length=1, max_length=MAX_BATCH)]
    ]
):
    """One record, or a list of up to 500."""


class Problem(BaseModel):
    record: int | None = Field(description="Which record (from 1), when it is about one")
    kind: Literal["skipped", "notice"]
    message: str


class StoredComment(BaseModel):
    record: int
    id: int
    source_id: str
    article_key: str


class IngestResult(BaseModel):
    batch_id: int
    articles_new: int
    articles_updated: int
    comments_new: int
    comments_updated: int
    comments_unchanged: int
    skipped: int
    problems: list[Problem]
    comments: list[StoredComment]
    scoring: Literal["queued"] = Field(
        description="Scored by the background worker in a moment: read `scores` then"
    )


# Decisions ----------------------------------------------------------------------------------------


class DecisionIn(Strict):
    comment_id: DatabaseId
    version: Annotated[int, Field(ge=0, le=MAX_ID, description="The version you read")]
    action: Action
    reason: Annotated[str, Field(max_length=200)] | None = None
    note: Annotated[str, Field(max_length=2000)] | None = None


class DecisionsIn(
    RootModel[DecisionIn | Annotated[list[DecisionIn], Field(min_length=1, max_length=MAX_BATCH)]]
):
    """One decision, or a list of up to 500 (decided in one transaction)."""


class CurrentState(BaseModel):
    status: str
    version: int | None
    decided_by: str | None
    decided_at: datetime | None
    edited_at: datetime | None = Field(description="Set when an import changed the text since")


class DecisionOutcome(BaseModel):
    comment_id: int
    outcome: Literal["decided", "conflict", "invalid"]
    message: str
    decision_id: int | None = None
    status: str | None = Field(None, description="The comment's status now")
    version: int | None = Field(None, description="The comment's version now")
    current: CurrentState | None = Field(None, description="On a conflict: who changed it")


class DecisionsResult(BaseModel):
    decided: int
    conflicts: int
    invalid: int
    results: list[DecisionOutcome]


class ConflictError(BaseModel):
    error: ErrorDetail
    current: CurrentState


# The audit log ------------------------------------------------------------------------------------


class AuditQuery(Strict):
    since: str | None = Field(
        None, max_length=20, description="The `next` of the page before; none: from the start"
    )
    limit: int = Field(100, ge=1, le=500)


class AuditEntry(BaseModel):
    id: int
    comment_id: int
    moderator: str
    from_status: str
    to_status: str
    reason: str | None
    note: str | None
    bulk: bool
    bulk_id: str | None
    undoes_id: int | None = Field(description="On an undo: the decision it reverses")
    undone_by_id: int | None
    created_at: datetime


class AuditPage(BaseModel):
    decisions: list[AuditEntry]
    next: str = Field(description="Pass as `since` to get what follows (now or later)")
    more: bool = Field(description="Whether more decisions follow already")
