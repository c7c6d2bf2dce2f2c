"""The data model: articles, their comments, and the import batches that brought them."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from .extensions import db
from .statuses import CommentKind, ModerationStatus


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Stores naive UTC (SQLite has no time zones), always hands back aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


class Article(db.Model):
    __tablename__ = "articles"
    __table_args__ = (sa.UniqueConstraint("site", "key", name="uq_articles_site_key"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    site: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    key: so.Mapped[str] = so.mapped_column(sa.String(500))
    """The source's identity for the article: its id, URL, or a content hash."""
    url: so.Mapped[str | None] = so.mapped_column(sa.String(2000))
    title: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    author: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    published_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    body: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    import_batch_id: so.Mapped[int | None]
    """The import that created it, so that a failed import can remove it again (no foreign
    key: adding one to SQLite rebuilds the table; see migration 0016)."""
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    comments: so.WriteOnlyMapped[Comment] = so.relationship(back_populates="article")

    def __repr__(self) -> str:
        return f"<Article {self.id} {self.title[:40]!r}>"


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (
        sa.UniqueConstraint("article_id", "external_id", name="uq_comments_article_external"),
        sa.Index("ix_comments_article_position", "article_id", "position"),
        # The queue's order: one index serves "pending, highest priority first".
        sa.Index("ix_comments_queue", "status", "priority", "id"),
        # The queue filtered to one article, in the same order.
        sa.Index("ix_comments_article_queue", "article_id", "status", "priority", "id"),
        # ... and to one author.
        sa.Index("ix_comments_author_queue", "author_name", "status", "priority", "id"),
        # A comment's replies; and, by the second column, the replies whose parent
        # has not arrived yet (parent_id null, parent_external_id not), which ingest links.
        sa.Index("ix_comments_parent_id", "parent_id", "parent_external_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    article_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("articles.id", ondelete="CASCADE"), index=False
    )
    external_id: so.Mapped[str] = so.mapped_column(sa.String(200))
    """The source's id, or "h:" and a hash of article, position and content."""
    parent_external_id: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    parent_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("comments.id", ondelete="SET NULL")
    )
    position: so.Mapped[int] = so.mapped_column(default=0)
    # Looked up through ix_comments_author_queue, whose first column it is.
    author_name: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    author_email: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    author_url: so.Mapped[str | None] = so.mapped_column(sa.String(2000))
    author_ip: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    posted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    body: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), default=CommentKind.COMMENT)
    source_status: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default=ModerationStatus.PENDING)
    priority: so.Mapped[float | None]
    """Copied from the comment's score so the queue is one indexed table; None until scored."""
    version: so.Mapped[int] = so.mapped_column(default=1)
    """Raised by every change of status, so two moderators cannot overwrite each other."""
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    import_batch_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("import_batches.id"))
    """Not indexed: a batch's rows are one run of ids, which its queries read by id from
    where they start (an index led SQLite to read a million rows for a batch's orphans)."""
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    article: so.Mapped[Article] = so.relationship(back_populates="comments")
    parent: so.Mapped[Comment | None] = so.relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Comment {self.id} by {self.author_name!r}>"


class CommentRevision(db.Model):
    """A comment's text as it was before a later import changed it."""

    __tablename__ = "comment_revisions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    comment_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    import_batch_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("import_batches.id"))
    previous_body: so.Mapped[str] = so.mapped_column(sa.Text)
    previous_source_status: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    recorded_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class ImportBatch(db.Model):
    """One file imported (or refused): what it was, what it brought, and why it failed."""

    __tablename__ = "import_batches"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    source_name: so.Mapped[str] = so.mapped_column(sa.String(2000))
    format: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    checksum: so.Mapped[str | None] = so.mapped_column(sa.String(64), index=True)
    size_bytes: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="running", index=True)
    """running, succeeded or failed. While running, its comments are hidden from the queue,
    search and reports (see moderation.running_imports)."""
    chunks_committed: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    """Chunks of the file committed so far: the import's progress while it runs."""
    status_counts: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    """How many of its committed new comments have each status, {"pending": 120, ...}:
    what the queue's tab counts leave out while it runs."""
    articles_new: so.Mapped[int] = so.mapped_column(default=0)
    articles_updated: so.Mapped[int] = so.mapped_column(default=0)
    comments_new: so.Mapped[int] = so.mapped_column(default=0)
    comments_updated: so.Mapped[int] = so.mapped_column(default=0)
    comments_unchanged: so.Mapped[int] = so.mapped_column(default=0)
    pingbacks: so.Mapped[int] = so.mapped_column(default=0)
    skipped: so.Mapped[int] = so.mapped_column(default=0)
    problems: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    """Skipped records and notices: [{"line": 12, "kind": "skipped", "message": "..."}]."""
    error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    started_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    runner_host: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    runner_pid: so.Mapped[int | None]
    """The machine and process importing it, so that a later start can tell an import
    still running from one whose process was killed (see moderation.interrupted_imports)."""


class CommentScore(db.Model):
    """Every score of one comment, with what it was computed from.

    A score is stale when the scorer version, the configuration hash or the
    comment's content hash differs from the ones stored here; when only the
    configuration's priority weights differ, only its priority is.
    """

    __tablename__ = "comment_scores"

    comment_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    scorer_version: so.Mapped[str] = so.mapped_column(sa.String(20))
    config_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    analysis_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    """The configuration but its priority weights (ScoringConfig.analysis_hash): when
    only config_hash differs, only the priority is recomputed."""
    content_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    compound: so.Mapped[float]
    positive: so.Mapped[float]
    neutral: so.Mapped[float]
    negative: so.Mapped[float]
    sentiment_label: so.Mapped[str] = so.mapped_column(sa.String(10), index=True)
    sentiment_words: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    """[[word, valence], ...], strongest first: the words behind the score."""
    sentiment_truncated: so.Mapped[bool] = so.mapped_column(default=False)
    drift: so.Mapped[float] = so.mapped_column(index=True)
    article_similarity: so.Mapped[float]
    thread_similarity: so.Mapped[float | None]
    drift_reasons: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    shared_terms: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    missing_terms: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    self_label: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    flags: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    """[{"code": "links", "reason": "3 links (limit 2)"}, ...]"""
    fingerprint: so.Mapped[str | None] = so.mapped_column(sa.String(64), index=True)
    priority: so.Mapped[float]
    priority_reasons: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    scored_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class CommentFlag(db.Model):
    """One row per flag a comment carries, so the queue can filter by flag on an index."""

    __tablename__ = "comment_flags"

    comment_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    code: so.Mapped[str] = so.mapped_column(sa.String(30), primary_key=True, index=True)


class CommentSignature(db.Model):
    """A comment's MinHash signature (:mod:`moderation.scoring.near_duplicates`) and the
    campaign of near copies it belongs to, if any. Comments too short to compare have none."""

    __tablename__ = "comment_signatures"

    comment_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    signature: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(128))
    campaign_id: so.Mapped[int | None] = so.mapped_column(index=True)
    """The smallest comment id among the campaign's comments (its number on the pages);
    None while the comment has no near copy."""


class CommentBandKey(db.Model):
    """One LSH band key of a comment's signature: comments sharing a key are candidate
    near copies, found through the primary key's index from anywhere in the database.

    The primary key is the only index (on SQLite the table itself, WITHOUT ROWID): the
    runner deletes a comment's keys by computing them again from its stored signature.
    Deleting a comment (which the application never does) scans the table."""

    __tablename__ = "comment_band_keys"
    __table_args__ = {"sqlite_with_rowid": False}

    band_key: so.Mapped[int] = so.mapped_column(sa.BigInteger, primary_key=True)
    comment_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )


class ThreadSummary(db.Model):
    """Per article: where its thread derails, as found by the last scoring run."""

    __tablename__ = "thread_summaries"

    article_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    derail_comment_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("comments.id", ondelete="SET NULL")
    )
    mean_drift: so.Mapped[float | None]
    scored_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class WatchWordEntry(db.Model):
    """A word, phrase or pattern that admins want flagged, held or rejected."""

    __tablename__ = "watch_words"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    phrase: so.Mapped[str] = so.mapped_column(sa.String(300))
    match: so.Mapped[str] = so.mapped_column(sa.String(10), default="word")
    """word: whole word or phrase, any case; pattern: a regular expression."""
    action: so.Mapped[str] = so.mapped_column(sa.String(10), default="flag")
    """flag, hold or reject."""
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class Setting(db.Model):
    """Settings admins change at run time (weights, thresholds), overriding the config file."""

    __tablename__ = "settings"

    key: so.Mapped[str] = so.mapped_column(sa.String(100), primary_key=True)
    value: so.Mapped[dict | list | str | float | int | bool | None] = so.mapped_column(sa.JSON)


class Role(enum.StrEnum):
    ADMIN = "admin"
    """Everything: accounts, watch-words, thresholds, web import, and deciding comments."""
    MODERATOR = "moderator"
    """Decides comments and reads reports."""
    ANALYST = "analyst"
    """Reads reports only."""


class User(db.Model):
    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(300))
    role: so.Mapped[str] = so.mapped_column(sa.String(20), default=Role.MODERATOR)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    session_generation: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    """Part of every session's user id: raising it signs the account out everywhere."""

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role})>"


class SignedInSession(db.Model):
    """One browser's signed-in session: the cookie holds a secret whose SHA-256 is here.

    Signing out deletes this browser's row, so a copy of its cookie stops working while
    the account's other browsers stay signed in; ``User.session_generation`` ends them
    all at once. Rows older than ``accounts.SESSION_MAX_AGE`` are not honoured, and a
    sign-in deletes its account's old ones.
    """

    __tablename__ = "signed_in_sessions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    secret_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class Decision(db.Model):
    """One moderation decision: the audit log. Rows are only ever added, never changed,
    except ``undone_by_id``, set when a later decision undoes this one."""

    __tablename__ = "decisions"
    __table_args__ = (sa.Index("ix_decisions_moderator_time", "moderator_id", "created_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    comment_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    moderator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    from_status: so.Mapped[str] = so.mapped_column(sa.String(20))
    to_status: so.Mapped[str] = so.mapped_column(sa.String(20))
    reason: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    note: so.Mapped[str | None] = so.mapped_column(sa.Text)
    bulk: so.Mapped[bool] = so.mapped_column(default=False)
    undoes_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("decisions.id"))
    """Set on an undo: the decision it reverses."""
    undone_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("decisions.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)

    comment: so.Mapped[Comment] = so.relationship()
    moderator: so.Mapped[User] = so.relationship()
    bulk_id: so.Mapped[str | None] = so.mapped_column(sa.String(32), index=True)
    """Shared by the decisions of one bulk action, so that it is undone as one."""


class RejectReason(db.Model):
    """The reasons a moderator picks from when rejecting; admins edit the list."""

    __tablename__ = "reject_reasons"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    label: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    position: so.Mapped[int] = so.mapped_column(default=0)
    active: so.Mapped[bool] = so.mapped_column(default=True)


class SignInFailure(db.Model):
    """A failed sign-in, kept for a while so that guessing passwords is rate-limited
    per account and per address, across processes and restarts."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        sa.Index("ix_sign_in_failures_username_time", "username", "created_at"),
        sa.Index("ix_sign_in_failures_address_time", "address", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(80))
    address: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class CommentStatusCount(db.Model):
    """How many comments have each status: the queue's tab counts without counting rows.

    Kept by database triggers (migration 0004), so every writer keeps it right.
    A status's count is the SUM of ``delta`` over its rows: SQLite keeps one row
    per status; PostgreSQL appends a row per statement (so concurrent writers
    never wait on each other's counter row) which :func:`moderation.queue.status_counts`
    folds together now and then.
    """

    __tablename__ = "comment_status_counts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(20), index=True)
    delta: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)


class AuthorRule(db.Model):
    """The rule in force for one author (as the app knows authors: by name), if any.

    One rule at a time: ``ban``, ``premoderate`` or ``trust`` (see
    :mod:`moderation.author_rules`); setting another replaces it, clearing deletes
    the row. Every change is also kept in :class:`AuthorRuleChange`.
    """

    __tablename__ = "author_rules"

    author_name: so.Mapped[str] = so.mapped_column(sa.String(300), primary_key=True)
    rule: so.Mapped[str] = so.mapped_column(sa.String(20))
    set_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    set_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    """Rules act on comments imported from then on."""


class AuthorRuleChange(db.Model):
    """The audit log of author rules: who set or cleared which rule, when. Only added to."""

    __tablename__ = "author_rule_changes"
    __table_args__ = (sa.Index("ix_author_rule_changes_author", "author_name", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    author_name: so.Mapped[str] = so.mapped_column(sa.String(300))
    from_rule: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    to_rule: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    """None: the rule was cleared."""
    changed_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class AuthorNote(db.Model):
    """A moderator's free-text note on an author, kept with who wrote it and when."""

    __tablename__ = "author_notes"
    __table_args__ = (sa.Index("ix_author_notes_author", "author_name", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    author_name: so.Mapped[str] = so.mapped_column(sa.String(300))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    written_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class ApiToken(db.Model):
    """A client's key to the JSON API (:mod:`moderation.web.api`): only its SHA-256 is kept.

    Decisions made through it are recorded under its own account (``user_id``), which
    cannot sign in, so the audit log names the client.
    """

    __tablename__ = "api_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    prefix: so.Mapped[str] = so.mapped_column(sa.String(16))
    """The token's first characters, shown to tell tokens apart; too few to guess from."""
    scopes: so.Mapped[str] = so.mapped_column(sa.String(100))
    """Comma-separated: read, ingest, decide."""
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    """The admin who created it; None from the command line."""
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id])

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split(",")) if self.scopes else frozenset()


class WordPressSite(db.Model):
    """A WordPress site synced with ``moderation sync wordpress``: where its pull got to."""

    __tablename__ = "wordpress_sites"

    site: so.Mapped[str] = so.mapped_column(sa.String(200), primary_key=True)
    """As articles name it: the host of the site's home URL (as WXR imports name it too)."""
    url: so.Mapped[str] = so.mapped_column(sa.String(2000))
    last_comment_id: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    """The highest WordPress comment id a completed pull has taken: the next takes newer."""
    pulled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class WordPressPush(db.Model):
    """One decision sent to (or held back from) a WordPress site; only ever added.

    One row per decision: a decision with a row is never pushed again. ``outcome`` is
    ``pushed`` (the site's status set), ``already`` (the site had that status already),
    or ``conflict`` (the comment had changed on the site since it was pulled; not written).
    """

    __tablename__ = "wordpress_pushes"
    __table_args__ = (sa.Index("ix_wordpress_pushes_comment", "comment_id", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    decision_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("decisions.id", ondelete="CASCADE"), unique=True
    )
    comment_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"))
    site: so.Mapped[str] = so.mapped_column(sa.String(200))
    expected_status: so.Mapped[str] = so.mapped_column(sa.String(20))
    """The site's status as last known here (pulled or pushed)."""
    remote_status: so.Mapped[str] = so.mapped_column(sa.String(20))
    """The site's status read just before pushing."""
    pushed_status: so.Mapped[str] = so.mapped_column(sa.String(20))
    """The status the decision asks of the site: approved, hold, spam or trash."""
    outcome: so.Mapped[str] = so.mapped_column(sa.String(20))
    detail: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class WebhookEndpoint(db.Model):
    """A receiver of signed webhooks (:mod:`moderation.webhooks`): its URL, the event types it
    wants, and the secret its deliveries are signed with (kept as is: signing needs it)."""

    __tablename__ = "webhook_endpoints"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    url: so.Mapped[str] = so.mapped_column(sa.String(2000))
    event_types: so.Mapped[str] = so.mapped_column(sa.String(200))
    """Comma-separated, from moderation.webhooks.events.EVENT_TYPES."""
    active: so.Mapped[bool] = so.mapped_column(default=True)
    secret: so.Mapped[str] = so.mapped_column(sa.String(100))
    previous_secret: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    """The secret before the last rotation: deliveries carry a signature with it too until
    previous_secret_until, so that the receiver can switch over without losing any."""
    previous_secret_until: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    @property
    def event_type_list(self) -> list[str]:
        return self.event_types.split(",") if self.event_types else []


class WebhookEvent(db.Model):
    """The outbox: one event, written in the transaction of the change it tells of. Its body
    is the exact JSON every delivery sends (and signs), retries included."""

    __tablename__ = "webhook_events"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    message_id: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    """The Webhook-Id header: the same on every attempt, for receivers to drop repeats."""
    event_type: so.Mapped[str] = so.mapped_column(sa.String(40))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(db.Model):
    """One event owed to one endpoint: pending until delivered, or failed after the last
    attempt. An endpoint's deliveries go out in id order, each after the one before."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # An endpoint's next delivery: its first pending one.
        sa.Index("ix_webhook_deliveries_endpoint_status", "endpoint_id", "status", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    event_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True
    )
    endpoint_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="pending")
    """pending, delivered or failed."""
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    last_status_code: so.Mapped[int | None]
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    delivered_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    event: so.Mapped[WebhookEvent] = so.relationship()


class WebhookAttempt(db.Model):
    """The delivery log: one row per attempt, what the receiver answered or what went wrong."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (sa.Index("ix_webhook_attempts_endpoint", "endpoint_id", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    delivery_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    endpoint_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    attempt: so.Mapped[int]
    attempted_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    status_code: so.Mapped[int | None]
    error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    duration_ms: so.Mapped[int]
