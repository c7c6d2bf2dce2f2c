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
from xml.etree.ElementTree import Element

from . import Format, register
from .html_text import html_to_text
from .records import ArticleRecord, CommentRecord, ImportFormatError, Problem, Record
from .xml_stream import attribute, child, child_text, iter_record_elements, local_name
from .xml_stream import parse_utc_datetime as parse_date


def parse(stream: BinaryIO, source: str) -> Iterator[Record]:
    """Threads as articles and posts as comments, streamed from a Disqus export."""
    # Thread dsq:id -> how many of its posts have been read (for positions).
    posts_per_thread: dict[str, int] = {}
    try:
        for element, lines in iter_record_elements(stream, source, root_name="disqus", depth=1):
            name = local_name(element.tag)
            line = lines.get(element)
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
    thread_id = attribute(thread, "id")
    if not thread_id:
        yield Problem(f"thread {child_text(thread, 'title')!r} has no dsq:id", line=line)
        return
    if thread_id in posts_per_thread:
        yield Problem(f"thread {thread_id} appears twice; the second is ignored", line=line)
        return
    posts_per_thread[thread_id] = 0  # deleted threads count too: their posts still refer to them
    link = child_text(thread, "link")
    yield ArticleRecord(
        key="disqus:" + thread_id,
        # The forum's short name, not the link's host: links often point at
        # staging or localhost copies of the site, and this is one per export.
        site=child_text(thread, "forum"),
        url=link or None,
        title=child_text(thread, "title"),
        author=_author_name(thread) or None,
        published_at=parse_date(child_text(thread, "createdAt")),
        body=html_to_text(_message(thread)),
        line=line,
    )


def _post_records(
    post: Element, line: int | None, posts_per_thread: dict[str, int]
) -> Iterator[Record]:
    post_id = attribute(post, "id")
    thread_id = _reference(post, "thread")
    if thread_id is None:
        yield Problem(f"post {post_id} names no thread", line=line)
        return
    if thread_id not in posts_per_thread:
        yield Problem(
            f"post {post_id} refers to thread {thread_id}, which is not in the export", line=line
        )
        return
    posts_per_thread[thread_id] += 1
    author = child(post, "author")
    yield CommentRecord(
        article_key="disqus:" + thread_id,
        body=html_to_text(_message(post)),
        author_name=_author_name(post),
        position=posts_per_thread[thread_id],
        external_id=post_id or None,
        parent_external_id=_reference(post, "parent"),
        kind="comment",
        author_email=(child_text(author, "email") if author is not None else "") or None,
        author_ip=child_text(post, "ipAddress") or None,
        posted_at=parse_date(child_text(post, "createdAt")),
        source_status=_status(post),
        line=line,
    )


def _status(post: Element) -> str:
    if _is_true(child_text(post, "isSpam")):
        return "spam"
    if _is_true(child_text(post, "isDeleted")):
        return "deleted"
    return "approved"


def _message(element: Element) -> str:
    # Not child_text: leading and trailing whitespace there is the HTML's business.
    message = child(element, "message")
    return (message.text or "") if message is not None else ""


def _reference(element: Element, name: str) -> str | None:
    """The dsq:id of a ``<thread dsq:id=".."/>`` or ``<parent .../>`` child, if any."""
    found = child(element, name)
    if found is None:
        return None
    return (attribute(found, "id") or "").strip() or None


def _author_name(element: Element) -> str:
    author = child(element, "author")
    if author is None:
        return ""
    return child_text(author, "name") or child_text(author, "username")


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
