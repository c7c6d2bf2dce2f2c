"""Ingest: parsed records into the database, one transaction per source.

Importing is idempotent: an article is known by (site, key) and a comment by
(article, external id): the source's id, or one derived from its content by
:mod:`moderation.prepare`, so that re-importing a re-scraped page finds it again.
Known comments whose text or source status changed are updated and their
previous text kept as a :class:`~moderation.models.CommentRevision`.

The batch row is committed on its own first, so that a failed file still leaves
a record saying what failed and why while none of its data remains; a batch
whose process was killed is marked failed by the next import
(:mod:`moderation.interrupted_imports`).

Large files import at tens of thousands of comments a second, so the work per
comment is kept small: a large file is parsed in a second process
(:mod:`moderation.parse_worker`) while this one writes; articles are found and
inserted by statements built once; new comments are inserted a chunk at a time
straight through the database driver, each finding its parent as it goes in
(:func:`comment_insert`); on SQLite the search index, status counts and report
notes take the file's new comments in a few statements along the way
(:mod:`moderation.imported_rows`), and a file larger than the table builds the
per-author index at its end (:mod:`moderation.deferred_indexes`). The file's
``comment.created`` webhook events go into the outbox in its transaction, at its end
(only when an endpoint wants them: :mod:`moderation.webhooks.events`).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from typing import BinaryIO

import sqlalchemy as sa
import sqlalchemy.orm as so

from .deferred_indexes import create_indexes, drop_deferred_indexes, worth_deferring
from .driver_insert import ROWS_PER_STATEMENT, DriverInsert
from .imported_rows import account_for_imported
from .importers import Format
from .importers.records import ArticleRecord, CommentRecord, ImportFormatError, Problem, Record
from .interrupted_imports import mark_interrupted_imports, this_process
from .models import Article, Comment, CommentKind, CommentRevision, ImportBatch, utcnow
from .prepare import PreparedComment, StreamParse, article_hash, prepare_comments
from .reply_loops import cut_reply_loops
from .webhooks.events import emit_comments_created

MAX_PROBLEMS_KEPT = 200
ACCOUNT_EVERY = 40_000
"""New comments indexed and counted at a time during an import (see _account_for_new_comments)."""


@dataclass
class _Counts:
    articles_new: int = 0
    articles_updated: int = 0
    comments_new: int = 0
    comments_updated: int = 0
    comments_unchanged: int = 0
    pingbacks: int = 0
    skipped: int = 0
    problems: list[dict] = field(default_factory=list)
    problems_total: int = 0

    def add_problem(self, problem: Problem) -> None:
        if problem.kind == "skipped":
            self.skipped += 1
        self.problems_total += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(
                {"line": problem.line, "kind": problem.kind, "message": problem.message}
            )


COMMENT_COLUMNS = (
    "article_id",
    "external_id",
    "parent_external_id",
    "parent_article_id",
    "parent_lookup_id",
    "position",
    "author_name",
    "author_email",
    "author_url",
    "author_ip",
    "posted_at",
    "body",
    "kind",
    "source_status",
    "status",
    "version",
    "content_hash",
    "import_batch_id",
    "created_at",
    "updated_at",
)
"""What a new comment's row holds: where parent_id would be, the article and external
id that find the parent."""


@functools.lru_cache(maxsize=8)
def comment_insert(dialect: sa.Dialect) -> DriverInsert:
    """The INSERT of new comments, each looking up its parent's id as it goes in.

    A subquery on the unique index, so that replies whose parent came earlier,
    nearly all of them, are never written twice; :meth:`_Ingester._link_parents`
    links the rest at the end. Built once per database: building it costs as much as
    importing a dozen comments, which the API's small batches would pay every time.
    """
    parent = so.aliased(Comment, name="parent")
    parent_id = (
        sa.select(parent.id)
        .where(
            parent.article_id == sa.bindparam("parent_article_id"),
            parent.external_id == sa.bindparam("parent_lookup_id"),
        )
        .scalar_subquery()
    )
    statement = sa.insert(Comment.__table__).values(parent_id=parent_id)
    return DriverInsert(statement, COMMENT_COLUMNS, dialect)


def _apart_from_parents(rows: list[tuple]) -> Iterator[list[tuple]]:
    """New comment rows grouped into statements, a reply never with its parent.

    A statement's subqueries do not see its own rows, so a reply must come in a
    later statement than its parent to find it as it goes in.
    """
    group: list[tuple] = []
    ids_in_group: set[tuple[int, str]] = set()
    for row in rows:
        article_id, external_id, parent_external_id = row[0], row[1], row[2]
        if len(group) == ROWS_PER_STATEMENT or (article_id, parent_external_id) in ids_in_group:
            yield group
            group, ids_in_group = [], set()
        group.append(row)
        ids_in_group.add((article_id, external_id))
    if group:
        yield group


class _Ingester:
    """Writes one source's records; owns the per-file caches."""

    def __init__(
        self,
        session: so.Session,
        batch_id: int,
        default_site: str,
        chunk_size: int,
        file_bytes: int | None = None,
    ):
        self.session = session
        self.batch_id = batch_id
        self.default_site = default_site
        self.chunk_size = chunk_size
        self.counts = _Counts()
        self.article_ids: dict[str, int] = {}
        self.pending: dict[tuple[int, str], PreparedComment] = {}
        self.comment_insert = comment_insert(session.get_bind().dialect)
        # Comments this file inserts get ids above this one; those below are accounted for.
        self.accounted_up_to = session.scalar(sa.select(sa.func.max(Comment.id))) or 0
        self.first_new_after = self.accounted_up_to
        # What those not yet accounted for are: how many of each status, on which articles.
        self.unaccounted_statuses: Counter[str] = Counter()
        self.unaccounted_articles: set[int] = set()
        self.dropped_indexes: list[str] = []
        if worth_deferring(session, file_bytes, self.accounted_up_to):
            self.dropped_indexes = drop_deferred_indexes(session)

    def feed(self, records: Iterable[Record | PreparedComment]) -> None:
        for record in records:
            if isinstance(record, PreparedComment):
                self._add_comment(record)
            elif isinstance(record, ArticleRecord):
                self._add_article(record)
            elif isinstance(record, CommentRecord):
                # prepare_comments leaves only these unprepared.
                self.counts.add_problem(
                    Problem(
                        f"comment refers to unknown article {record.article_key!r}", record.line
                    )
                )
            else:
                self.counts.add_problem(record)
        self._flush_comments()
        self._account_for_new_comments()
        create_indexes(self.session, self.dropped_indexes)
        self._link_parents()
        emit_comments_created(self.session, self.batch_id, self.first_new_after)

    # Articles -----------------------------------------------------------------

    def _add_article(self, record: ArticleRecord) -> None:
        if record.key in self.article_ids:
            return  # the first definition in a file wins
        site = record.site or self.default_site
        content_hash = article_hash(record)
        fields = {
            "url": record.url,
            "title": record.title,
            "author": record.author,
            "published_at": record.published_at,
            "body": record.body,
            "content_hash": content_hash,
        }
        # Statements built once (below the class) and run on the connection: building
        # and running them through the session cost more than the queries themselves.
        connection = self.session.connection()
        existing = connection.execute(_FIND_ARTICLE, {"site": site, "key": record.key}).first()
        if existing is None:
            now = utcnow()
            new_article = {"site": site, "key": record.key, "created_at": now, "updated_at": now}
            article_id = connection.execute(_INSERT_ARTICLE, new_article | fields).scalar_one()
            self.counts.articles_new += 1
        else:
            article_id = existing.id
            if existing.content_hash != content_hash:
                connection.execute(
                    sa.update(Article)
                    .where(Article.id == article_id)
                    .values(updated_at=utcnow(), **fields)
                )
                self.counts.articles_updated += 1
        self.article_ids[record.key] = article_id

    # Comments -----------------------------------------------------------------

    def _add_comment(self, comment: PreparedComment) -> None:
        key = (self.article_ids[comment.article_key], comment.external_id)
        if key in self.pending:
            self._flush_comments()  # a repeat within one chunk is compared like any known one
        self.pending[key] = comment
        if len(self.pending) >= self.chunk_size:
            self._flush_comments()

    def _flush_comments(self) -> None:
        if not self.pending:
            return
        pending, self.pending = self.pending, {}
        known = self._known_comments(pending)
        new_comments, changed = [], []
        for (article_id, external_id), comment in pending.items():
            existing = known.get((article_id, external_id))
            if existing is None:
                new_comments.append((article_id, comment))
            elif existing.content_hash == comment.content_hash:
                self.counts.comments_unchanged += 1
            else:
                changed.append((existing, comment))
                if existing.import_batch_id == self.batch_id:
                    self.counts.add_problem(
                        Problem(
                            f"comment {external_id} appears again in this file with other "
                            "content: the later one is kept, the earlier as an earlier version",
                            comment.line,
                            kind="notice",
                        )
                    )
        if new_comments:
            now = self.comment_insert.now()
            rows = [self._new_row(article_id, comment, now) for article_id, comment in new_comments]
            self.comment_insert.execute_statements(self.session, _apart_from_parents(rows))
            self.unaccounted_statuses.update(comment.status for _, comment in new_comments)
            self.unaccounted_articles.update(article_id for article_id, _ in new_comments)
            self.counts.comments_new += len(rows)
            self.counts.pingbacks += sum(
                comment.kind != CommentKind.COMMENT for _, comment in new_comments
            )
            if self.unaccounted_statuses.total() >= ACCOUNT_EVERY:
                self._account_for_new_comments()
        if changed:
            # Changing a comment's text changes its search index entry, which must exist.
            self._account_for_new_comments()
            revisions = [self._update(existing, comment) for existing, comment in changed]
            self.session.execute(sa.insert(CommentRevision.__table__), revisions)
            self.counts.comments_updated += len(revisions)

    def _account_for_new_comments(self) -> None:
        """Index and count the comments inserted since the last call.

        Every ACCOUNT_EVERY new comments, at the end of the file, and earlier when an
        edit needs them: indexing many comments in one statement is several times
        faster than chunk by chunk, and doing it along the way, while the parser
        process reads on, rather than all at the end, shortens a large import.
        """
        if not self.unaccounted_statuses:
            return
        account_for_imported(
            self.session,
            self.batch_id,
            self.accounted_up_to,
            self.unaccounted_statuses,
            self.unaccounted_articles,
        )
        self.accounted_up_to = self.session.scalar(sa.select(sa.func.max(Comment.id)))
        self.unaccounted_statuses = Counter()
        self.unaccounted_articles = set()

    def _known_comments(self, pending) -> dict[tuple[int, str], sa.Row]:
        # Each article with its own ids: "article IN (...) AND id IN (...)" would look up
        # every id under every article of the chunk, several times the work.
        ids_by_article: dict[int, list[str]] = {}
        for article_id, external_id in pending:
            ids_by_article.setdefault(article_id, []).append(external_id)
        rows = self.session.execute(
            sa.select(
                Comment.id,
                Comment.article_id,
                Comment.external_id,
                Comment.content_hash,
                Comment.body,
                Comment.source_status,
                Comment.import_batch_id,
            ).where(
                sa.or_(
                    *[
                        sa.and_(Comment.article_id == article_id, Comment.external_id.in_(ids))
                        for article_id, ids in ids_by_article.items()
                    ]
                )
            )
        )
        return {(row.article_id, row.external_id): row for row in rows}

    def _new_row(self, article_id: int, comment: PreparedComment, now: object) -> tuple:
        """The row for comment_insert, in COMMENT_COLUMNS order; ``now`` as the driver takes it."""
        return (
            article_id,
            comment.external_id,
            comment.parent_external_id,
            article_id,  # parent_article_id
            comment.parent_external_id,  # parent_lookup_id
            comment.position,
            comment.author_name,
            comment.author_email,
            comment.author_url,
            comment.author_ip,
            self.comment_insert.to_driver(comment.posted_at),
            comment.body,
            comment.kind,
            comment.source_status,
            comment.status,
            1,  # version
            comment.content_hash,
            self.batch_id,
            now,  # created_at
            now,  # updated_at
        )

    def _update(self, existing: sa.Row, comment: PreparedComment) -> dict:
        posted_at = comment.posted_at.replace(tzinfo=UTC) if comment.posted_at else None
        self.session.execute(
            sa.update(Comment)
            .where(Comment.id == existing.id)
            .values(
                body=comment.body,
                author_name=comment.author_name,
                author_email=comment.author_email,
                author_url=comment.author_url,
                posted_at=posted_at,
                source_status=comment.source_status,
                parent_external_id=comment.parent_external_id,
                content_hash=comment.content_hash,
                # A moderator's decision names the version they read: an edit makes it stale.
                version=Comment.version + 1,
                updated_at=utcnow(),
            )
        )
        return {
            "comment_id": existing.id,
            "import_batch_id": self.batch_id,
            "previous_body": existing.body,
            "previous_source_status": existing.source_status,
        }

    def _link_parents(self) -> None:
        """Point the replies still without a parent at it, once every comment of the file is in.

        Those inserted before their parent, here or in an earlier file; ix_comments_parent_id
        finds them without reading the others. A link that closes a loop of replies is cut
        again (see :mod:`.reply_loops`).
        """
        linked = self.session.execute(
            _LINK_PARENTS, execution_options={"synchronize_session": False}
        )
        loops = cut_reply_loops(self.session, (row for row in linked if row.parent_id))
        for problem in loops:
            self.counts.add_problem(problem)
        orphans = self.session.execute(_ORPHANS, {"batch_id": self.batch_id})
        for external_id, parent_external_id in orphans:
            self.counts.add_problem(
                Problem(
                    f"comment {external_id}: parent {parent_external_id} not found; "
                    "kept as a top-level comment",
                    kind="notice",
                )
            )


_parent = so.aliased(Comment)
_UNLINKED = sa.and_(Comment.parent_id.is_(None), Comment.parent_external_id.is_not(None))
_LINK_PARENTS = (
    sa.update(Comment)
    .where(_UNLINKED)
    .values(
        parent_id=sa.select(_parent.id)
        .where(
            _parent.article_id == Comment.article_id,
            _parent.external_id == Comment.parent_external_id,
        )
        .scalar_subquery()
    )
    .returning(Comment.id, Comment.parent_id)
)
_ORPHANS = sa.select(Comment.external_id, Comment.parent_external_id).where(
    _UNLINKED, Comment.import_batch_id == sa.bindparam("batch_id")
)
_FIND_ARTICLE = sa.select(Article.id, Article.content_hash).where(
    Article.site == sa.bindparam("site"), Article.key == sa.bindparam("key")
)
_INSERT_ARTICLE = sa.insert(Article).returning(Article.id)


@dataclass
class ImportOutcome:
    batch: ImportBatch
    problems_total: int = 0

    @property
    def succeeded(self) -> bool:
        return self.batch.status == "succeeded"


def import_stream(
    session: so.Session,
    stream: BinaryIO,
    source_name: str,
    *,
    format: Format | None = None,
    default_site: str = "",
    chunk_size: int = 2000,
    on_read: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Import one source whole or not at all; the returned batch says which and why."""
    return import_parsed(
        session,
        source_name,
        lambda: StreamParse(stream, source_name, format, on_read),
        default_site=default_site,
        chunk_size=chunk_size,
        format_name=format.name if format else None,
    )


def import_parsed(
    session: so.Session,
    source_name: str,
    start_parse: Callable[[], StreamParse],
    *,
    default_site: str = "",
    chunk_size: int = 2000,
    format_name: str | None = None,
    file_bytes: int | None = None,
) -> ImportOutcome:
    """Import what ``start_parse()`` yields: a :class:`StreamParse` or anything shaped like one
    (``format_name``, ``records()``, then ``checksum`` and ``size``). ``file_bytes``, the
    source's size when known, helps decide how to write (see :mod:`.deferred_indexes`)."""
    mark_interrupted_imports(session)
    runner_host, runner_pid = this_process()
    batch = ImportBatch(
        source_name=source_name, status="running", runner_host=runner_host, runner_pid=runner_pid
    )
    session.add(batch)
    session.commit()
    batch_id = batch.id

    try:
        ingester = _Ingester(session, batch_id, default_site, chunk_size, file_bytes)
        parsed = start_parse()
        format_name = parsed.format_name
        ingester.feed(prepare_comments(parsed.records()))
    except ImportFormatError as error:
        return _fail(session, batch_id, format_name, str(error))
    except BaseException as error:
        _fail(session, batch_id, format_name, f"{source_name}: {error!r}")
        raise

    counts = ingester.counts
    batch = session.get(ImportBatch, batch_id)
    for name in (
        "articles_new",
        "articles_updated",
        "comments_new",
        "comments_updated",
        "comments_unchanged",
        "pingbacks",
        "skipped",
        "problems",
    ):
        setattr(batch, name, getattr(counts, name))
    batch.format = format_name
    batch.checksum = parsed.checksum
    batch.size_bytes = parsed.size
    batch.status = "succeeded"
    batch.finished_at = utcnow()
    session.commit()
    return ImportOutcome(batch, counts.problems_total)


def _fail(
    session: so.Session, batch_id: int, format_name: str | None, message: str
) -> ImportOutcome:
    session.rollback()
    batch = session.get(ImportBatch, batch_id)
    batch.status = "failed"
    batch.format = format_name
    batch.error = message
    batch.finished_at = utcnow()
    session.commit()
    return ImportOutcome(batch)
