"""Between a parser and the database: the source's bytes read and hashed, comments prepared.

Pure work on records, no database, so that it can run in whichever process parses
the file (see :mod:`moderation.parse_worker`) and that process need not load the
database layer. A comment is prepared once: its identity (the source's id, or one
derived from its author and text and which copy it is, when the same person posts
the same text twice on one thread), its content hash and its initial status.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import BinaryIO, NamedTuple

from .importers import Format, detect_format
from .importers.decoding import SNIFF_BYTES
from .importers.records import COMMENT_KINDS, ArticleRecord, CommentRecord, Record
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
    return SOURCE_STATUS_TO_MODERATION.get(source_status.strip().lower(), ModerationStatus.PENDING)


def _digest(*parts: object) -> str:
    # A list, not a generator: join builds one from a generator anyway, more slowly.
    joined = "\x1f".join(["" if part is None else str(part) for part in parts])
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


def _content_key(record: CommentRecord) -> bytes:
    """What identifies a comment without a source id: its article, author and text."""
    joined = "\x1f".join((record.article_key, record.author_name, record.body))
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).digest()


def _derived_id(content_key: bytes, copy: int) -> str:
    """The id of the ``copy``-th (from 0) comment of that content on its thread."""
    return "h:" + hashlib.sha256(content_key + copy.to_bytes(4, "big")).hexdigest()[:32]


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

    Built by :func:`prepare_comments` wherever the file is parsed, so that when a
    parser process does the parsing (see :mod:`moderation.parse_worker`) it does the
    hashing too and the writing process only writes. A tuple, because it crosses
    between processes by the hundred thousand and tuples pickle fastest.
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
                content_key = _content_key(record)
                copy = copies_seen.get(content_key, 0)
                copies_seen[content_key] = copy + 1
                external_id = _derived_id(content_key, copy)
            yield _prepared(record, external_id)
        else:
            if isinstance(record, ArticleRecord):
                article_keys.add(record.key)
            yield record


def _prepared(record: CommentRecord, external_id: str) -> PreparedComment:
    return PreparedComment(
        article_key=record.article_key,
        external_id=external_id,
        content_hash=comment_hash(record),
        parent_external_id=record.parent_external_id,
        position=record.position,
        author_name=record.author_name,
        author_email=record.author_email,
        author_url=record.author_url,
        author_ip=record.author_ip,
        posted_at=_naive_utc(record.posted_at),
        body=record.body,
        kind=record.kind if record.kind in COMMENT_KINDS else CommentKind.COMMENT,
        source_status=record.source_status,
        status=initial_status(record.source_status),
        line=record.line,
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
