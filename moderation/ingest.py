"""Ingest: parsed records into the database, a chunk of comments per transaction.

Importing is idempotent: an article is known by (site, key) and a comment by
(article, external id): the source's id, or one derived from its content by
:mod:`moderation.prepare`, so that re-importing a re-scraped page finds it again.
Known comments whose text or source status changed are updated and their
previous text kept as a :class:`~moderation.models.CommentRevision`.

The batch row is committed on its own first, then the file a chunk at a time
(:class:`_Ingester`), so that moderators' decisions wait for one chunk at most;
until the batch succeeds its comments are hidden (:mod:`moderation.running_imports`),
and a failed or killed import has its rows removed
(:mod:`moderation.interrupted_imports`). Changes to what earlier imports stored
wait for the last transaction, which marks the batch succeeded.

Large files import at tens of thousands of comments a second, so the work per
comment is kept small: a large file is parsed in a second process
(:mod:`moderation.parse_worker`) while this one writes; articles are found and
inserted by statements built once; new comments go in through one bulk writer
per database (:func:`comment_writer`): multi-row INSERTs on SQLite, each reply
finding its parent as it goes in (:func:`comment_insert`), binary COPY on PostgreSQL
(:mod:`moderation.copy_comments`), where a thread of its own writes each chunk while
the next is gathered and a chunk's articles and known comments are found in one
statement each; on SQLite the search index, status counts and
report notes take each chunk's new comments in a few statements
(:mod:`moderation.imported_rows`). The
file's ``comment.created`` webhook events go into the outbox at its end (only when an
endpoint wants them: :mod:`moderation.webhooks.events`).
"""

from __future__ import annotations

import contextvars
import functools
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC
from typing import BinaryIO

import sqlalchemy as sa
import sqlalchemy.orm as so

from .copy_comments import CopyComments
from .driver_insert import ROWS_PER_STATEMENT, DriverInsert
from .imported_rows import account_for_imported, note_author_changes, note_report_changes
from .importers import Format
from .importers.records import ArticleRecord, CommentRecord, ImportFormatError, Problem, Record
from .interrupted_imports import mark_interrupted_imports, remove_batch_rows, this_process
from .models import Article, Comment, CommentKind, CommentRevision, ImportBatch, utcnow
from .prepare import PreparedComment, StreamParse, article_hash, prepare_comments
from .reply_loops import cut_reply_loops
from .webhooks.events import emit_comments_created
from .write_turns import WriteTurns

MAX_PROBLEMS_KEPT = 200
LOOKUP_IDS = 2000
"""Comments looked up in one query: well below the databases' limits on parameters."""


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
    lock: threading.Lock = field(default_factory=threading.Lock)
    """Problems come from the records being gathered and from the chunk being written."""

    def add_problem(self, problem: Problem) -> None:
        with self.lock:
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


class _InsertComments:
    """SQLite's bulk writer for new comments: multi-row INSERTs (see :mod:`.driver_insert`),
    each reply finding its parent by subquery; PostgreSQL's is :class:`CopyComments`."""

    def __init__(self, dialect: sa.Dialect):
        self.insert = comment_insert(dialect)
        self.to_driver = self.insert.to_driver
        self.now = self.insert.now

    def write(self, session: so.Session, rows: list[tuple]) -> None:
        self.insert.execute_statements(session, _apart_from_parents(rows))


@functools.lru_cache(maxsize=8)
def comment_writer(dialect: sa.Dialect) -> _InsertComments | CopyComments:
    """How new comments are written on this database: one path, a writer for each."""
    if dialect.name == "postgresql":
        return CopyComments(dialect, COMMENT_COLUMNS)
    return _InsertComments(dialect)


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
    """Writes one source's records a chunk at a time; owns the per-file caches.

    Each chunk is gathered without writing (records prepared, known articles looked
    up), then written and committed in one short transaction with the batch's
    progress, so that other writers wait for one chunk at most: on SQLite, which
    has one writer at a time, the gathering leaves them the database in between.
    """

    def __init__(
        self,
        session: so.Session,
        batch_id: int,
        default_site: str,
        chunk_size: int,
        on_chunk: Callable[[ImportBatch], None] | None = None,
    ):
        self.session = session
        self.on_chunk = on_chunk
        self.batch_id = batch_id
        self.default_site = default_site
        self.counts = _Counts()
        self.article_ids: dict[str, int] = {}
        self.article_keys_seen: set[str] = set()
        self.unresolved_articles: dict[str, dict] = {}
        """Articles of the chunk not yet looked up, by key: looked up when it is written."""
        self.new_articles: dict[str, dict] = {}
        """Articles of the chunk not in the database, by key: written with the chunk."""
        self.article_changes: dict[int, dict] = {}
        self.pending: dict[tuple[str, str], PreparedComment] = {}
        self.comment_changes: dict[int, tuple[sa.Row, PreparedComment]] = {}
        """Known comments of earlier imports whose content changed, by id: changed at the
        end, in the transaction that marks the batch succeeded, since a failed import
        must leave them as they were."""
        self.writer = comment_writer(session.get_bind().dialect)
        # SQLite: chunks written in turns of about 0.2 s, leaving others the database.
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.turns = WriteTurns(self.sqlite, chunk_size)
        self.status_counts: Counter[str] = Counter()
        self.articles_with_new_comments: set[int] = set()
        self.authors_with_new_comments: set[str] = set()
        self.chunks_committed = 0
        # PostgreSQL: chunks are written by this thread, one at a time, while the records
        # of the next are gathered (no database work): the server's work on a chunk then
        # overlaps this process's on the next, instead of each waiting for the other.
        self.writer_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import")
        self.writing: Future | None = None
        # Comments this file inserts get ids above this one; those below are accounted for.
        self.accounted_up_to = self._highest_comment_id()
        self.first_new_after = self.accounted_up_to

    def feed(self, records: Iterable[Record | PreparedComment]) -> None:
        try:
            for record in records:
                if isinstance(record, PreparedComment):
                    self._add_comment(record)
                elif isinstance(record, ArticleRecord):
                    self._add_article(record)
                elif isinstance(record, CommentRecord):
                    # prepare_comments leaves only these unprepared.
                    self.counts.add_problem(
                        Problem(
                            f"comment refers to unknown article {record.article_key!r}",
                            record.line,
                        )
                    )
                else:
                    self.counts.add_problem(record)
            self._commit_chunk()
        finally:
            # Nothing else may use the session while a chunk is being written; a failure
            # already on its way out wins over the write's own.
            self._wait_for_write(raising=sys.exc_info()[0] is None)
            self.writer_thread.shutdown()

    def finish(self) -> None:
        """The file's last writes, in the transaction that marks its batch succeeded:
        the changes to what earlier imports stored, and the parents found only now."""
        connection = self.session.connection()
        for article_id, fields in self.article_changes.items():
            connection.execute(sa.update(Article).where(Article.id == article_id).values(**fields))
        if self.comment_changes:
            changes = self.comment_changes.values()
            revisions = [self._update(row, comment) for row, comment in changes]
            self.session.execute(sa.insert(CommentRevision.__table__), revisions)
            self.counts.comments_updated += len(revisions)
        self._link_parents()
        # A report refresh while the import ran left its hidden comments out.
        note_report_changes(self.session, self.articles_with_new_comments)
        note_author_changes(self.session, self.authors_with_new_comments)
        emit_comments_created(self.session, self.batch_id, self.first_new_after)

    # Articles -----------------------------------------------------------------

    def _add_article(self, record: ArticleRecord) -> None:
        if record.key in self.article_keys_seen:
            return  # the first definition in a file wins
        self.article_keys_seen.add(record.key)
        site = record.site or self.default_site
        fields = {
            "url": record.url,
            "title": record.title,
            "author": record.author,
            "published_at": record.published_at,
            "body": record.body,
            "content_hash": article_hash(record),
        }
        # Looked up with the rest of the chunk's articles when it is written: one query,
        # not a round trip per article.
        self.unresolved_articles[record.key] = {"site": site, "key": record.key} | fields

    def _resolve_articles(self, unresolved: dict[str, dict]) -> None:
        """Find the chunk's articles already stored; the rest are new (inserted next)."""
        pairs = [(values["site"], key) for key, values in unresolved.items()]
        connection = self.session.connection()
        for start in range(0, len(pairs), LOOKUP_IDS):
            rows = connection.execute(_FIND_ARTICLES, {"pairs": pairs[start : start + LOOKUP_IDS]})
            for row in rows:
                values = unresolved.pop(row.key)
                self.article_ids[row.key] = row.id
                if row.content_hash != values["content_hash"]:
                    fields = {name: values[name] for name in ARTICLE_FIELDS}
                    self.article_changes[row.id] = fields | {"updated_at": utcnow()}
                    self.counts.articles_updated += 1
        self.new_articles.update(unresolved)

    def _insert_new_articles(self) -> set[int]:
        """Insert the chunk's new articles; their ids."""
        if not self.new_articles:
            return set()
        now = utcnow()
        created = {"created_at": now, "updated_at": now, "import_batch_id": self.batch_id}
        rows = self.session.connection().execute(
            _INSERT_ARTICLES, [values | created for values in self.new_articles.values()]
        )
        inserted = set()
        for key, article_id in rows:
            self.article_ids[key] = article_id
            inserted.add(article_id)
        self.counts.articles_new += len(self.new_articles)
        self.new_articles = {}
        return inserted

    # Comments -----------------------------------------------------------------

    def _add_comment(self, comment: PreparedComment) -> None:
        key = (comment.article_key, comment.external_id)
        if key in self.pending:
            self._commit_chunk()  # a repeat within one chunk is compared like any known one
        self.pending[key] = comment
        if len(self.pending) >= self.turns.size:
            self._commit_chunk()

    def _commit_chunk(self) -> None:
        """Hand the chunk gathered so far to be written: on SQLite now, on PostgreSQL in the
        writer thread once the previous chunk is in, while this one gathers the next."""
        if not self.pending and not self.unresolved_articles:
            return
        pending, self.pending = self.pending, {}
        articles, self.unresolved_articles = self.unresolved_articles, {}
        if self.sqlite:
            self._write_chunk(pending, articles)
            return
        self._wait_for_write()
        # In a copy of this thread's context: Flask's application context finds the session.
        in_context = contextvars.copy_context().run
        self.writing = self.writer_thread.submit(in_context, self._write_chunk, pending, articles)

    def _wait_for_write(self, raising: bool = True) -> None:
        """Wait for the chunk being written, if any; raise what stopped it unless told not."""
        writing, self.writing = self.writing, None
        if writing is None:
            return
        error = writing.exception()
        # Dropped before raising: the error's traceback holds this frame, which would hold
        # the error, a cycle that keeps the file's parser open until the garbage collector.
        writing = None
        if error is not None and raising:
            try:
                raise error
            finally:
                error = None

    def _write_chunk(self, pending: dict, articles: dict[str, dict]) -> None:
        """Write one chunk, account for it, record progress, commit."""
        self.turns.start()
        if not self.sqlite:
            self.session.execute(_ASYNCHRONOUS_COMMIT)
        self._resolve_articles(articles)
        articles_inserted = self._insert_new_articles()
        known = self._known_comments(pending, articles_inserted)
        new_comments, changed = [], []
        for (article_key, external_id), comment in pending.items():
            article_id = self.article_ids[article_key]
            existing = known.get((article_id, external_id))
            if existing is None:
                new_comments.append((article_id, comment))
            elif existing.content_hash == comment.content_hash:
                self.counts.comments_unchanged += 1
            elif existing.import_batch_id == self.batch_id:
                # This file's own row, removed with the rest should the import fail.
                changed.append((existing, comment))
                self.counts.add_problem(
                    Problem(
                        f"comment {external_id} appears again in this file with other "
                        "content: the later one is kept, the earlier as an earlier version",
                        comment.line,
                        kind="notice",
                    )
                )
            else:
                previous = self.comment_changes.get(existing.id)
                self.comment_changes[existing.id] = (existing, comment)
                if previous is not None:
                    self.counts.add_problem(
                        Problem(
                            f"comment {external_id} appears again in this file with other "
                            "content: the later one is kept",
                            comment.line,
                            kind="notice",
                        )
                    )
        if new_comments:
            now = self.writer.now()
            rows = [self._new_row(article_id, comment, now) for article_id, comment in new_comments]
            self.writer.write(self.session, rows)
            chunk_statuses = Counter(comment.status for _, comment in new_comments)
            account_for_imported(
                self.session,
                self.batch_id,
                self.accounted_up_to,
                chunk_statuses,
                {article_id for article_id, _ in new_comments},
            )
            self.accounted_up_to = self._highest_comment_id()
            self.status_counts.update(chunk_statuses)
            self.articles_with_new_comments.update(article_id for article_id, _ in new_comments)
            self.authors_with_new_comments.update(
                comment.author_name for _, comment in new_comments
            )
            self.counts.comments_new += len(rows)
            self.counts.pingbacks += sum(
                comment.kind != CommentKind.COMMENT for _, comment in new_comments
            )
        if changed:
            revisions = [self._update(existing, comment) for existing, comment in changed]
            self.session.execute(sa.insert(CommentRevision.__table__), revisions)
            self.counts.comments_updated += len(revisions)
        self.chunks_committed += 1
        self.session.execute(
            sa.update(ImportBatch)
            .where(ImportBatch.id == self.batch_id)
            .values(
                comments_new=self.counts.comments_new,
                articles_new=self.counts.articles_new,
                chunks_committed=self.chunks_committed,
                status_counts=dict(self.status_counts),
            ),
            execution_options={"synchronize_session": False},
        )
        self.session.commit()
        self.turns.committed()
        if self.on_chunk is not None:
            self.on_chunk(self.session.get(ImportBatch, self.batch_id, populate_existing=True))

    def _highest_comment_id(self) -> int:
        return self.session.scalar(sa.select(sa.func.max(Comment.id))) or 0

    def _known_comments(
        self, pending, articles_inserted: set[int]
    ) -> dict[tuple[int, str], sa.Row]:
        """The stored comments among the chunk's, by (article id, external id).

        Not looked for under the articles this chunk inserted: until it commits no one
        else sees them, and a comment repeated within a chunk ends the chunk first (see
        :meth:`_add_comment`), so none of theirs is stored yet. In a fresh import that
        is most comments, whose look-up cost the server an index probe each and this
        process their ids packed into the statement's arrays.
        """
        keys = [
            (article_id, external_id)
            for article_id, external_id in (
                (self.article_ids[key], external_id) for key, external_id in pending
            )
            if article_id not in articles_inserted
        ]
        if not keys:
            return {}
        known: dict[tuple[int, str], sa.Row] = {}
        connection = self.session.connection()
        if not self.sqlite:
            # Two arrays, one statement text: the driver prepares it once, and nothing is
            # rendered per id (an IN list of a chunk's ids cost more to build than to run).
            article_ids, external_ids = zip(*keys, strict=True) if keys else ((), ())
            rows = connection.execute(
                _KNOWN_BY_ARRAYS, {"article_ids": list(article_ids), "ids": list(external_ids)}
            )
            return {(row.article_id, row.external_id): row for row in rows}
        for start in range(0, len(keys), LOOKUP_IDS):
            # Each article with its own ids: "article IN (...) AND id IN (...)" would look
            # up every id under every article of the chunk, several times the work.
            ids_by_article: dict[int, list[str]] = {}
            for article_id, external_id in keys[start : start + LOOKUP_IDS]:
                ids_by_article.setdefault(article_id, []).append(external_id)
            parameters = {}
            for number, (article_id, ids) in enumerate(ids_by_article.items()):
                parameters[f"article_{number}"] = article_id
                parameters[f"ids_{number}"] = ids
            rows = connection.execute(_known_comments_query(len(ids_by_article)), parameters)
            known.update({(row.article_id, row.external_id): row for row in rows})
        return known

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
            self.writer.to_driver(comment.posted_at),
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


@functools.lru_cache(maxsize=64)
def _known_comments_query(articles: int) -> sa.Select:
    """The stored comments among some ids on each of ``articles`` articles, built once
    per number of articles (the API's batches have a few): building it for each chunk
    cost more than running it."""
    return sa.select(
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
                sa.and_(
                    Comment.article_id == sa.bindparam(f"article_{number}"),
                    Comment.external_id.in_(sa.bindparam(f"ids_{number}", expanding=True)),
                )
                for number in range(articles)
            ]
        )
    )


_KNOWN_BY_ARRAYS = sa.text(
    "SELECT c.id, c.article_id, c.external_id, c.content_hash, c.body, c.source_status,"
    " c.import_batch_id FROM comments AS c JOIN unnest(CAST(:article_ids AS integer[]),"
    " CAST(:ids AS varchar[])) AS k (article_id, external_id)"
    " ON c.article_id = k.article_id AND c.external_id = k.external_id"
)
"""PostgreSQL: the stored comments among a chunk's (article, id) pairs, by the unique index."""

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
ARTICLE_FIELDS = ("url", "title", "author", "published_at", "body", "content_hash")
_FIND_ARTICLES = sa.select(Article.id, Article.site, Article.key, Article.content_hash).where(
    sa.tuple_(Article.site, Article.key).in_(sa.bindparam("pairs", expanding=True))
)
_INSERT_ARTICLES = sa.insert(Article).returning(
    Article.key, Article.id, sort_by_parameter_order=True
)
_ASYNCHRONOUS_COMMIT = sa.text("SET LOCAL synchronous_commit = off")
"""PostgreSQL, for an import's chunk transactions only: the commit returns before its WAL
is flushed to disk, so a crash of the server can lose the last chunks committed, never
part of one (the WAL still orders them). That is safe here because nothing counts on a
chunk until the batch succeeds: its rows are hidden while the batch is "running", and
a batch left running by a crash is marked failed and its rows removed on the next
import's start (:mod:`moderation.interrupted_imports`). The final transaction, which
marks the batch succeeded, commits synchronously: after it the import is durable."""


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
    chunk_size: int = 5000,
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
    chunk_size: int = 5000,
    format_name: str | None = None,
    on_chunk: Callable[[ImportBatch], None] | None = None,
) -> ImportOutcome:
    """Import what ``start_parse()`` yields: a :class:`StreamParse` or anything shaped like one
    (``format_name``, ``records()``, then ``checksum`` and ``size``), committing ``chunk_size``
    comments at a time; ``on_chunk`` is told the batch's progress after each commit."""
    mark_interrupted_imports(session)
    runner_host, runner_pid = this_process()
    batch = ImportBatch(
        source_name=source_name, status="running", runner_host=runner_host, runner_pid=runner_pid
    )
    session.add(batch)
    session.commit()
    batch_id = batch.id

    try:
        ingester = _Ingester(session, batch_id, default_site, chunk_size, on_chunk)
        parsed = start_parse()
        format_name = parsed.format_name
        ingester.feed(prepare_comments(parsed.records()))
        ingester.finish()
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
    """Remove what the batch committed, then mark it failed: its rows stay hidden while it
    is still "running", and a process killed meanwhile leaves the rest to the next start."""
    session.rollback()
    remove_batch_rows(session, batch_id)
    batch = session.get(ImportBatch, batch_id)
    batch.status = "failed"
    batch.format = format_name
    batch.error = message
    batch.finished_at = utcnow()
    session.commit()
    return ImportOutcome(batch)
