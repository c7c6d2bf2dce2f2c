"""Ingest: parsed records into the database, one transaction per source.

Importing is idempotent: an article is known by (site, key) and a comment by
(article, external id). A comment without a source id gets one derived from
its author and text (and which copy it is, when the same person posts the same
text twice on one thread), so that re-importing a re-scraped page finds it again.
Known comments whose text or source status changed are updated and their
previous text kept as a :class:`~moderation.models.CommentRevision`.

The batch row is committed on its own first, so that a failed file still leaves
a record saying what failed and why while none of its data remains.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import sqlalchemy as sa
import sqlalchemy.orm as so

from .importers import Format, detect_format
from .importers.decoding import SNIFF_BYTES
from .importers.records import (
    COMMENT_KINDS,
    ArticleRecord,
    CommentRecord,
    ImportFormatError,
    Problem,
    Record,
)
from .models import (
    Article,
    Comment,
    CommentKind,
    CommentRevision,
    ImportBatch,
    ModerationStatus,
    utcnow,
)
from .search_index import index_imported

# How the statuses of moderation systems we import from map to ours. A page
# scraped from the web says nothing about moderation, so its comments wait.
SOURCE_STATUS_TO_MODERATION = {
    "1": ModerationStatus.APPROVED,
    "approved": ModerationStatus.APPROVED,
    "0": ModerationStatus.PENDING,
    "hold": ModerationStatus.PENDING,
    "pending": ModerationStatus.PENDING,
    "spam": ModerationStatus.SPAM,
    "trash": ModerationStatus.REJECTED,
    "deleted": ModerationStatus.REJECTED,
    "rejected": ModerationStatus.REJECTED,
}
MAX_PROBLEMS_KEPT = 200


def initial_status(source_status: str | None) -> str:
    if source_status is None:
        return ModerationStatus.PENDING
    return SOURCE_STATUS_TO_MODERATION.get(source_status.strip().lower(), ModerationStatus.PENDING)


def _digest(*parts: object) -> str:
    joined = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()


def article_hash(record: ArticleRecord) -> str:
    published = record.published_at.isoformat() if record.published_at else None
    return _digest(record.title, record.body, record.author, record.url, published)


def comment_hash(record: CommentRecord) -> str:
    posted = record.posted_at.isoformat() if record.posted_at else None
    return _digest(
        record.body,
        record.author_name,
        record.author_email,
        record.author_url,
        record.kind,
        record.source_status,
        record.parent_external_id,
        posted,
    )


class HashingReader(io.RawIOBase):
    """Reads through to ``raw`` while hashing and counting the bytes, for the batch record."""

    def __init__(self, raw: BinaryIO, on_read: Callable[[int], None] | None = None):
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.sha256.update(data)
        self.size += n
        if self.on_read and n:
            self.on_read(n)
        return n


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


class _Ingester:
    """Writes one source's records; owns the per-file caches."""

    def __init__(self, session: so.Session, batch_id: int, default_site: str, chunk_size: int):
        self.session = session
        self.batch_id = batch_id
        self.default_site = default_site
        self.chunk_size = chunk_size
        self.counts = _Counts()
        self.article_ids: dict[str, int] = {}
        self.copies_seen: dict[bytes, int] = {}
        self.pending: dict[tuple[int, str], tuple[CommentRecord, str]] = {}
        # Comments this file inserts get ids above this one; the search index has all below.
        self.indexed_up_to = session.scalar(sa.select(sa.func.max(Comment.id))) or 0

    def feed(self, records: Iterable[Record]) -> None:
        for record in records:
            if isinstance(record, CommentRecord):
                self._add_comment(record)
            elif isinstance(record, ArticleRecord):
                self._add_article(record)
            else:
                self.counts.add_problem(record)
        self._flush_comments()
        self._link_parents()

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
        existing = self.session.execute(
            sa.select(Article.id, Article.content_hash).where(
                Article.site == site, Article.key == record.key
            )
        ).first()
        if existing is None:
            article_id = self.session.execute(
                sa.insert(Article).values(site=site, key=record.key, **fields).returning(Article.id)
            ).scalar_one()
            self.counts.articles_new += 1
        else:
            article_id = existing.id
            if existing.content_hash != content_hash:
                self.session.execute(
                    sa.update(Article)
                    .where(Article.id == article_id)
                    .values(updated_at=utcnow(), **fields)
                )
                self.counts.articles_updated += 1
        self.article_ids[record.key] = article_id

    # Comments -----------------------------------------------------------------

    def _add_comment(self, record: CommentRecord) -> None:
        article_id = self.article_ids.get(record.article_key)
        if article_id is None:
            self.counts.add_problem(
                Problem(f"comment refers to unknown article {record.article_key!r}", record.line)
            )
            return
        external_id = record.external_id or self._derived_id(record)
        key = (article_id, external_id)
        if key in self.pending:
            self._flush_comments()  # a repeat within one chunk is compared like any known one
        self.pending[key] = (record, comment_hash(record))
        if len(self.pending) >= self.chunk_size:
            self._flush_comments()

    def _derived_id(self, record: CommentRecord) -> str:
        content = hashlib.sha256(
            "\x1f".join((record.article_key, record.author_name, record.body)).encode(
                "utf-8", "surrogatepass"
            )
        ).digest()
        copy = self.copies_seen.get(content, 0)
        self.copies_seen[content] = copy + 1
        return "h:" + hashlib.sha256(content + copy.to_bytes(4, "big")).hexdigest()[:32]

    def _flush_comments(self) -> None:
        if not self.pending:
            return
        pending, self.pending = self.pending, {}
        known = self._known_comments(pending)
        new_rows, revisions = [], []
        for (article_id, external_id), (record, content_hash) in pending.items():
            existing = known.get((article_id, external_id))
            if existing is None:
                new_rows.append(self._new_row(article_id, external_id, record, content_hash))
            elif existing.content_hash == content_hash:
                self.counts.comments_unchanged += 1
            else:
                revisions.append(self._update(existing, record, content_hash))
        if new_rows:
            self.session.execute(sa.insert(Comment.__table__), new_rows)
            # Indexed now, not at the end of the file: an edit later in the same file
            # must find its comment in the search index.
            index_imported(self.session, self.batch_id, self.indexed_up_to)
            self.indexed_up_to = self.session.scalar(sa.select(sa.func.max(Comment.id)))
            self.counts.comments_new += len(new_rows)
            self.counts.pingbacks += sum(row["kind"] != CommentKind.COMMENT for row in new_rows)
        if revisions:
            self.session.execute(sa.insert(CommentRevision.__table__), revisions)
            self.counts.comments_updated += len(revisions)

    def _known_comments(self, pending) -> dict[tuple[int, str], sa.Row]:
        article_ids = {article_id for article_id, _ in pending}
        external_ids = [external_id for _, external_id in pending]
        rows = self.session.execute(
            sa.select(
                Comment.id,
                Comment.article_id,
                Comment.external_id,
                Comment.content_hash,
                Comment.body,
                Comment.source_status,
            ).where(Comment.article_id.in_(article_ids), Comment.external_id.in_(external_ids))
        )
        return {(row.article_id, row.external_id): row for row in rows}

    def _new_row(self, article_id: int, external_id: str, record: CommentRecord, content_hash):
        kind = record.kind if record.kind in COMMENT_KINDS else CommentKind.COMMENT
        return {
            "article_id": article_id,
            "external_id": external_id,
            "parent_external_id": record.parent_external_id,
            "position": record.position,
            "author_name": record.author_name,
            "author_email": record.author_email,
            "author_url": record.author_url,
            "author_ip": record.author_ip,
            "posted_at": record.posted_at,
            "body": record.body,
            "kind": kind,
            "source_status": record.source_status,
            "status": initial_status(record.source_status),
            "content_hash": content_hash,
            "import_batch_id": self.batch_id,
        }

    def _update(self, existing: sa.Row, record: CommentRecord, content_hash: str) -> dict:
        self.session.execute(
            sa.update(Comment)
            .where(Comment.id == existing.id)
            .values(
                body=record.body,
                author_name=record.author_name,
                author_email=record.author_email,
                author_url=record.author_url,
                posted_at=record.posted_at,
                source_status=record.source_status,
                parent_external_id=record.parent_external_id,
                content_hash=content_hash,
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
        """Point replies at their parents once every comment of the file is in."""
        parent = so.aliased(Comment)
        parent_id = (
            sa.select(parent.id)
            .where(
                parent.article_id == Comment.article_id,
                parent.external_id == Comment.parent_external_id,
            )
            .scalar_subquery()
        )
        unlinked = sa.and_(Comment.parent_id.is_(None), Comment.parent_external_id.is_not(None))
        self.session.execute(
            sa.update(Comment).where(unlinked).values(parent_id=parent_id),
            execution_options={"synchronize_session": False},
        )
        orphans = self.session.execute(
            sa.select(Comment.external_id, Comment.parent_external_id).where(
                unlinked, Comment.import_batch_id == self.batch_id
            )
        )
        for external_id, parent_external_id in orphans:
            self.counts.add_problem(
                Problem(
                    f"comment {external_id}: parent {parent_external_id} not found; "
                    "kept as a top-level comment",
                    kind="notice",
                )
            )


@dataclass
class ImportOutcome:
    batch: ImportBatch
    problems_total: int = 0

    @property
    def succeeded(self) -> bool:
        return self.batch.status == "succeeded"


class StreamParse:
    """A source parsed in this process, its bytes hashed and counted for the batch record."""

    def __init__(
        self,
        stream: BinaryIO,
        source_name: str,
        format: Format | None = None,
        on_read: Callable[[int], None] | None = None,
    ):
        self.reader = HashingReader(stream, on_read)
        self._buffered = io.BufferedReader(self.reader, buffer_size=SNIFF_BYTES)
        self._format = format or detect_format(
            self._buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES], source_name
        )
        self.format_name = self._format.name
        self.source_name = source_name

    def records(self) -> Iterator[Record]:
        yield from self._format.parse(self._buffered, self.source_name)
        while self._buffered.read(1 << 20):
            pass  # hash the whole file, even what the parser did not need

    @property
    def checksum(self) -> str:
        return self.reader.sha256.hexdigest()

    @property
    def size(self) -> int:
        return self.reader.size


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
) -> ImportOutcome:
    """Import what ``start_parse()`` yields: a :class:`StreamParse` or anything shaped like one
    (``format_name``, ``records()``, then ``checksum`` and ``size``)."""
    batch = ImportBatch(source_name=source_name, status="running")
    session.add(batch)
    session.commit()
    batch_id = batch.id

    ingester = _Ingester(session, batch_id, default_site, chunk_size)
    try:
        parsed = start_parse()
        format_name = parsed.format_name
        ingester.feed(parsed.records())
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
