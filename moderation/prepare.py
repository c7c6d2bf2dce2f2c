"""Between a parser and the database: the source's bytes read and hashed, comments prepared.

Pure work on records, no database; the parser process (see
:mod:`moderation.parse_worker`) uses the reader and need not load the database
layer. A comment is prepared once: its identity (the source's id, or one
derived from its author and text and which copy it is, when the same person posts
the same text twice on one thread), its content hash and its initial status.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import BinaryIO, NamedTuple

from .importers import Format, detect_format, read_records
from .importers.decoding import SNIFF_BYTES
from .importers.records import (
    COMMENT_KINDS,
    ArticleRecord,
    CommentRecord,
    Record,
    comment_content_key,
    derived_comment_id,
)
from .importers.standard_input import refuse_shapeless_text
from .statuses import CommentKind, ModerationStatus

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


def initial_status(source_status: str | None) -> str:
    if source_status is None:
        return ModerationStatus.PENDING
    status = SOURCE_STATUS_TO_MODERATION.get(source_status)  # as nearly every export writes it
    if status is None:
        normalised = source_status.strip().lower()
        status = SOURCE_STATUS_TO_MODERATION.get(normalised, ModerationStatus.PENDING)
    return status


def _digest(*parts: str | None) -> str:
    # A list, not a generator: join builds one from a generator anyway, more slowly.
    joined = "\x1f".join([part or "" for part in parts])
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()


def article_hash(record: ArticleRecord) -> str:
    published = record.published_at.isoformat() if record.published_at else None
    return _digest(record.title, record.body, record.author, record.url, published)


def comment_hash(record: CommentRecord) -> str:
    return _comment_hash(record, _naive_utc(record.posted_at))


def _comment_hash(record: CommentRecord, posted_at: datetime | None) -> str:
    """The hash of what an import can change; ``posted_at`` is the record's, as naive UTC."""
    if posted_at is None:
        posted = None
    elif record.posted_at.tzinfo is UTC:  # what parsers give
        # What isoformat gives the aware time, without the cost of formatting its offset.
        posted = posted_at.isoformat() + "+00:00"
    else:
        posted = record.posted_at.isoformat()
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


def _naive_utc(value: datetime | None) -> datetime | None:
    """Aware datetime -> naive UTC, the way :class:`~moderation.models.UTCDateTime` stores it."""
    if value is None:
        return None
    if value.tzinfo is UTC:  # what parsers give: no conversion needed
        return value.replace(tzinfo=None)
    if value.tzinfo is None:
        raise ValueError("naive datetime given; use timezone-aware UTC")
    return value.astimezone(UTC).replace(tzinfo=None)


class PreparedComment(NamedTuple):
    """A comment with everything ingest works out from the record alone.

    Built by :func:`prepare_comments`, a tuple because a large import makes them by
    the million and a tuple is the cheapest object of its fields to make.
    """

    article_key: str
    external_id: str
    """The source's id, or one derived from the content and which copy of it this is."""
    content_hash: str
    parent_external_id: str | None
    position: int
    author_name: str
    author_email: str | None
    author_url: str | None
    author_ip: str | None
    posted_at: datetime | None
    """Naive UTC, as the database stores it."""
    body: str
    kind: str
    source_status: str | None
    status: str
    """The initial moderation status."""
    line: int | None


def prepare_comments(records: Iterable[Record]) -> Iterator[Record | PreparedComment]:
    """The records of one file, each comment of a known article made a :class:`PreparedComment`.

    Other records, comments of unknown articles (ingest reports those) and comments
    already prepared pass through unchanged, so preparing twice is harmless.
    """
    article_keys: set[str] = set()
    copies_seen: dict[bytes, int] = {}
    for record in records:
        if isinstance(record, CommentRecord) and record.article_key in article_keys:
            external_id = record.external_id
            if not external_id:
                content_key = comment_content_key(
                    record.article_key, record.author_name, record.body
                )
                copy = copies_seen.get(content_key, 0)
                copies_seen[content_key] = copy + 1
                external_id = derived_comment_id(content_key, copy)
            yield _prepared(record, external_id)
        else:
            if isinstance(record, ArticleRecord):
                article_keys.add(record.key)
            yield record


def _prepared(record: CommentRecord, external_id: str) -> PreparedComment:
    posted_at = _naive_utc(record.posted_at)
    # Positional, in the order of the fields: it runs for every comment imported.
    return PreparedComment(
        record.article_key,
        external_id,
        _comment_hash(record, posted_at),
        record.parent_external_id,
        record.position,
        record.author_name,
        record.author_email,
        record.author_url,
        record.author_ip,
        posted_at,
        record.body,
        record.kind if record.kind in COMMENT_KINDS else CommentKind.COMMENT,
        record.source_status,
        initial_status(record.source_status),
        record.line,
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


class StreamParse:
    """A source parsed in this process, its bytes hashed and counted for the batch record."""

    def __init__(
        self,
        stream: BinaryIO,
        source_name: str,
        format: Format | None = None,
        on_read: Callable[[int], None] | None = None,
        standard_input: bool = False,
    ):
        """``standard_input``: the source is what was piped in; detected as page text, it must
        have a page's shape (see :mod:`.importers.standard_input`)."""
        self.reader = HashingReader(stream, on_read)
        self._buffered = io.BufferedReader(self.reader, buffer_size=SNIFF_BYTES)
        self._format = format or detect_format(
            self._buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES], source_name
        )
        self.format_name = self._format.name
        self.source_name = source_name
        self._check_shape = standard_input and format is None and self.format_name == "text"

    def records(self) -> Iterator[Record]:
        records = read_records(self._format, self._buffered, self.source_name)
        if self._check_shape:
            records = refuse_shapeless_text(records, self.source_name)
        yield from records
        while self._buffered.read(1 << 20):
            pass  # hash the whole file, even what the parser did not need

    @property
    def checksum(self) -> str:
        return self.reader.sha256.hexdigest()

    @property
    def size(self) -> int:
        return self.reader.size
