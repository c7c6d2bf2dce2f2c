"""What every parser yields: plain records, no database.

A parser reads one source (a binary stream) and yields, in order:

* an :class:`ArticleRecord` before any comment that refers to it,
* :class:`CommentRecord` objects pointing at their article by ``article_key``,
* :class:`Problem` objects for parts it had to skip or could not understand.

A source that cannot be read at all (binary, truncated XML, a CSV without the
required columns) makes the parser raise :class:`ImportFormatError`; ingest then
rolls the whole file back. Parsers raise nothing else, whatever the input.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

COMMENT_KINDS = ("comment", "pingback", "trackback")

EARLIEST_DATE = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_DATE = datetime(3000, 1, 1, tzinfo=UTC)
DATE_RANGE = "1970 to 2999"


def comment_content_key(article_key: str, author_name: str, body: str) -> bytes:
    """What identifies a comment without a source id: its article, author and text."""
    joined = "\x1f".join((article_key, author_name, body))
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).digest()


def derived_comment_id(content_key: bytes, copy: int) -> str:
    """The id of the ``copy``-th (from 0) comment of that content on its thread: the one
    ingest gives a comment without a source id, and a page's reply names as its parent."""
    return "h:" + hashlib.sha256(content_key + copy.to_bytes(4, "big")).hexdigest()[:32]


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC, a time without a zone being taken as UTC already (as exports mean
    it). Raises OverflowError where the conversion falls off the calendar."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def in_date_range(moment: datetime | None) -> datetime | None:
    """``moment`` (aware) if a comment or article can have been posted then, else None.

    A date like 0001-01-01 (an empty date field exported as the smallest date) or
    a Unix time in milliseconds read as seconds (the year 5138) is a broken value,
    not a date; kept, it would also fall off the calendar when reports move it into
    a time zone.
    """
    if moment is None or not EARLIEST_DATE <= moment < LATEST_DATE:
        return None
    return moment


def shorten(value: str, limit: int = 60) -> str:
    """``value`` cut to ``limit`` characters for a message, "…" marking the cut."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def date_notice(value: str, field: str, line: int | None, out_of_range: bool) -> Problem:
    """The notice for a date that is kept out, its record kept without a date (all formats)."""
    if out_of_range:
        message = f"date {shorten(value)!r} in {field} is outside the years {DATE_RANGE}"
    else:
        message = f"unrecognised date {shorten(value)!r} in {field}"
    return Problem(message + ", kept without a date", line=line, kind="notice")


class ImportFormatError(Exception):
    """The source cannot be imported; names the file and, when known, the line."""

    def __init__(self, source: str, message: str, line: int | None = None):
        self.source = source
        self.message = message
        self.line = line
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {message}")


@dataclass(slots=True)
class ArticleRecord:
    key: str
    """Stable identity within the site: the source's id, the URL, or a content hash."""
    site: str = ""
    url: str | None = None
    title: str = ""
    author: str | None = None
    published_at: datetime | None = None
    """Timezone-aware, in UTC, when the source gives a date."""
    body: str = ""
    line: int | None = None


@dataclass(slots=True)
class CommentRecord:
    article_key: str
    body: str
    author_name: str = ""
    position: int = 0
    """1-based order in the thread as the source lists it."""
    external_id: str | None = None
    """The source's id; None makes ingest derive one from article, position and content."""
    parent_external_id: str | None = None
    kind: str = "comment"
    author_email: str | None = None
    author_url: str | None = None
    author_ip: str | None = None
    posted_at: datetime | None = None
    source_status: str | None = None
    """The status as the source said it, e.g. WordPress "1", "0", "spam", "trash"."""
    line: int | None = None


@dataclass(slots=True)
class Problem:
    message: str
    line: int | None = None
    kind: Literal["skipped", "notice"] = "skipped"
    """skipped: a record left out; notice: something the operator should know."""


Record = ArticleRecord | CommentRecord | Problem


@dataclass
class ParsedSource:
    """Everything one source yielded, collected; handy in tests."""

    articles: list[ArticleRecord] = field(default_factory=list)
    comments: list[CommentRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def collect(cls, records) -> ParsedSource:
        parsed = cls()
        for record in records:
            if isinstance(record, ArticleRecord):
                parsed.articles.append(record)
            elif isinstance(record, CommentRecord):
                parsed.comments.append(record)
            else:
                parsed.problems.append(record)
        return parsed
