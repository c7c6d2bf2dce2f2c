"""Disqus XML exports (Admin > Moderation > Export).

An export lists categories, then every thread (one per article), then every
post (comment), each post pointing at its thread and parent by Disqus id::

    <disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
      <category dsq:id="1">...</category>
      <thread dsq:id="7"> <link/> <title/> <createdAt/> <author/> <isDeleted/> </thread>
      <post dsq:id="42">
        <message><![CDATA[<p>HTML</p>]]></message> <createdAt/> <isDeleted/> <isSpam/>
        <author> <name/> <email/> <username/> </author> <ipAddress/>
        <thread dsq:id="7"/> <parent dsq:id="41"/>
      </post>
    </disqus>

Each thread becomes an article as soon as it has been read, and each post a
comment; only the ids of the threads seen so far are kept in memory. A post
whose thread is not in the export is skipped with a Problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from . import Format, register
from .html_text import html_to_text
from .records import ArticleRecord, CommentRecord, ImportFormatError, Problem, Record
from .xml_stream import (
    Element,
    RecordReader,
    attribute,
    children_by_name,
    local_name,
    read_utc_datetime,
    text_of,
)


def parse(stream: BinaryIO, source: str) -> Iterator[Record]:
    """Threads as articles and posts as comments, streamed from a Disqus export."""
    # Thread dsq:id -> how many of its posts have been read (for positions).
    posts_per_thread: dict[str, int] = {}
    reader = RecordReader(stream, source, "disqus", records=("thread", "post"))
    try:
        for element in reader:
            if isinstance(element, Problem):
                yield element
                continue
            name = local_name(element.tag)
            line = reader.line(element)
            if name == "thread":
                yield from _thread_records(element, line, posts_per_thread)
            elif name == "post":
                yield from _post_records(element, line, posts_per_thread)
    except ImportFormatError:
        raise
    except Exception as error:  # the contract: nothing but ImportFormatError escapes
        raise ImportFormatError(source, f"could not read the export: {error!r}") from error


def sniff(head: bytes, filename: str) -> int:
    """90 when the document's root is <disqus>."""
    disqus_at = head.find(b"<disqus")
    rss_at = head.find(b"<rss")
    if disqus_at >= 0 and not 0 <= rss_at < disqus_at:
        return 90
    return 5 if b"<?xml" in head[:1024] else 0


def _thread_records(
    thread: Element, line: int | None, posts_per_thread: dict[str, int]
) -> Iterator[Record]:
    fields = children_by_name(thread)
    thread_id = attribute(thread, "id")
    if not thread_id:
        yield Problem(f"thread {text_of(fields.get('title'))!r} has no dsq:id", line=line)
        return
    if thread_id in posts_per_thread:
        yield Problem(f"thread {thread_id} appears twice; the second is ignored", line=line)
        return
    posts_per_thread[thread_id] = 0  # deleted threads count too: their posts still refer to them
    published_at, date_problem = read_utc_datetime(
        text_of(fields.get("createdAt")), "createdAt", line
    )
    yield ArticleRecord(
        key="disqus:" + thread_id,
        # The forum's short name, not the link's host: links often point at
        # staging or localhost copies of the site, and this is one per export.
        site=text_of(fields.get("forum")),
        url=text_of(fields.get("link")) or None,
        title=text_of(fields.get("title")),
        author=_author_name(fields) or None,
        published_at=published_at,
        body=html_to_text(_message(fields)),
        line=line,
    )
    if date_problem:
        yield date_problem


def _post_records(
    post: Element, line: int | None, posts_per_thread: dict[str, int]
) -> Iterator[Record]:
    fields = children_by_name(post)
    post_id = attribute(post, "id")
    thread_id = _reference(fields.get("thread"))
    if thread_id is None:
        yield Problem(f"post {post_id} names no thread", line=line)
        return
    if thread_id not in posts_per_thread:
        yield Problem(
            f"post {post_id} refers to thread {thread_id}, which is not in the export", line=line
        )
        return
    posts_per_thread[thread_id] += 1
    author = _author(fields)
    posted_at, date_problem = read_utc_datetime(text_of(fields.get("createdAt")), "createdAt", line)
    yield CommentRecord(
        article_key="disqus:" + thread_id,
        body=html_to_text(_message(fields)),
        author_name=text_of(author.get("name")) or text_of(author.get("username")),
        position=posts_per_thread[thread_id],
        external_id=post_id or None,
        parent_external_id=_reference(fields.get("parent")),
        kind="comment",
        author_email=text_of(author.get("email")) or None,
        author_ip=text_of(fields.get("ipAddress")) or None,
        posted_at=posted_at,
        source_status=_status(fields),
        line=line,
    )
    if date_problem:
        yield date_problem


def _status(fields: dict[str, Element]) -> str:
    if _is_true(text_of(fields.get("isSpam"))):
        return "spam"
    if _is_true(text_of(fields.get("isDeleted"))):
        return "deleted"
    return "approved"


def _message(fields: dict[str, Element]) -> str:
    # Not text_of: leading and trailing whitespace there is the HTML's business.
    message = fields.get("message")
    return (message.text or "") if message is not None else ""


def _reference(found: Element | None) -> str | None:
    """The dsq:id of a ``<thread dsq:id=".."/>`` or ``<parent .../>`` element, if any."""
    if found is None:
        return None
    return (attribute(found, "id") or "").strip() or None


def _author(fields: dict[str, Element]) -> dict[str, Element]:
    author = fields.get("author")
    return children_by_name(author) if author is not None else {}


def _author_name(fields: dict[str, Element]) -> str:
    author = _author(fields)
    return text_of(author.get("name")) or text_of(author.get("username"))


def _is_true(value: str) -> bool:
    return value.lower() in ("true", "1", "yes")


FORMAT = register(
    Format(
        name="disqus",
        description="Disqus XML export",
        parse=parse,
        sniff=sniff,
    )
)
