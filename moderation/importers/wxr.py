"""WordPress export files (WXR: "WordPress eXtended RSS", Tools > Export).

An export is RSS with WordPress's own elements::

    <rss><channel>
      <link>https://site.example</link>            (the site)
      <item>                                      (a post, page, attachment, ...)
        <title/> <link/> <guid/> <dc:creator/> <pubDate/> <content:encoded/>
        <wp:post_id/> <wp:post_date_gmt/> <wp:post_type/>
        <wp:comment>                              (one per comment, in order)
          <wp:comment_id/> <wp:comment_parent/> <wp:comment_author/> ...
          <wp:comment_content/> <wp:comment_approved/> <wp:comment_type/>
        </wp:comment>
      </item>
    </channel></rss>

Posts always become articles; pages only when they have comments. Other item
types (attachments, menu items, custom types) are left out; when they carry
comments a Problem says so, since those comments are not imported.

The ``wp:`` namespace has been http://wordpress.org/export/1.0/, 1.1/ and 1.2/,
so elements are matched by what their namespace is, not its exact URI.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import BinaryIO
from urllib.parse import urlsplit

from . import Format, register
from .html_text import html_to_text
from .records import (
    ArticleRecord,
    CommentRecord,
    ImportFormatError,
    Problem,
    Record,
    as_utc,
    date_notice,
    in_date_range,
)
from .xml_stream import Element, RecordReader, local_name, namespace_of, read_utc_datetime

ARTICLE_POST_TYPES = ("post", "page")
COMMENT_TYPES = ("comment", "pingback", "trackback")
EMPTY_URLS = ("", "http://", "https://")


def parse(stream: BinaryIO, source: str) -> Iterator[Record]:
    """Articles and their comments from a WXR export, streamed item by item."""
    site = ""
    # The channel's <link> is the site; it comes before the items.
    reader = RecordReader(stream, source, "rss", records=("item",), depth=2, names=("link",))
    try:
        for element in reader:
            if isinstance(element, Problem):
                yield element
                continue
            name = short_name(element.tag)
            if name == "link" and not site:
                site = _host(element.text)
            elif name == "item":
                yield from _item_records(element, reader, site)
    except ImportFormatError:
        raise
    except Exception as error:  # the contract: nothing but ImportFormatError escapes
        raise ImportFormatError(source, f"could not read the export: {error!r}") from error


def sniff(head: bytes, filename: str) -> int:
    """90 for an RSS document that declares WordPress's export namespace."""
    rss_at = head.find(b"<rss")
    disqus_at = head.find(b"<disqus")
    if rss_at >= 0 and b"wordpress.org/export" in head and not 0 <= disqus_at < rss_at:
        return 90
    if rss_at >= 0:
        return 10
    return 5 if b"<?xml" in head[:1024] else 0


@functools.lru_cache(maxsize=256)
def short_name(tag: str) -> str:
    """``{http://wordpress.org/export/1.2/}post_id`` -> ``wp:post_id``, and so on.

    Prefixes are the conventional ones, chosen by namespace URI: WXR files may
    bind other prefixes, and content:encoded and excerpt:encoded differ only by it.
    An entity reference left unexpanded (its tag is not a string) gives "".
    """
    if not isinstance(tag, str):
        return ""
    namespace, name = namespace_of(tag), local_name(tag)
    if "wordpress.org/export" in namespace:
        prefix = "excerpt" if namespace.rstrip("/").endswith("excerpt") else "wp"
    elif "purl.org/rss/1.0/modules/content" in namespace:
        prefix = "content"
    elif "purl.org/dc/elements" in namespace:
        prefix = "dc"
    elif namespace:
        prefix = "other"
    else:
        return name
    return f"{prefix}:{name}"


def _fields(children: list[Element]) -> dict[str, str]:
    """Text of each element by short name (the first, when a name repeats).

    Runs for every comment, so it is one comprehension: built from the last
    element back, so that the first of a repeated name is the one kept.
    """
    return {short_name(child.tag): (child.text or "").strip() for child in reversed(children)}


def _item_records(item: Element, reader: RecordReader, site: str) -> Iterator[Record]:
    children = list(item)
    fields = _fields(children)
    comments = [child for child in children if short_name(child.tag) == "wp:comment"]
    line = reader.line(item)
    post_type = fields.get("wp:post_type") or "post"
    if post_type not in ARTICLE_POST_TYPES:
        if comments:
            yield Problem(
                f"{post_type!r} item {fields.get('title', '')!r} left out with its "
                f"{len(comments)} comments: only posts and pages are imported",
                line=line,
                kind="skipped",
            )
        return
    if post_type == "page" and not comments:
        return

    key = _article_key(fields)
    if key is None:
        yield Problem(
            f"item {fields.get('title', '')!r} has no wp:post_id, link or guid; "
            f"left out with its {len(comments)} comments",
            line=line,
        )
        return
    published_at, date_problem = _first_date(
        read_utc_datetime(fields.get("wp:post_date_gmt"), "wp:post_date_gmt", line),
        _rfc822_datetime(fields.get("pubDate"), line),
    )
    yield ArticleRecord(
        key=key,
        site=site,
        url=fields.get("link") or None,
        title=fields.get("title", ""),
        author=fields.get("dc:creator") or None,
        published_at=published_at,
        body=html_to_text(fields.get("content:encoded", "")),
        line=line,
    )
    if date_problem:
        yield date_problem
    for position, comment in enumerate(comments, start=1):
        yield from _comment_records(comment, key, position, reader.line(comment))


def _first_date(
    *readings: tuple[datetime | None, Problem | None],
) -> tuple[datetime | None, Problem | None]:
    """The first of several date fields that gives a date; else the first field's notice."""
    for moment, _ in readings:
        if moment is not None:
            return moment, None
    return None, next((problem for _, problem in readings if problem), None)


def _article_key(fields: dict[str, str]) -> str | None:
    if fields.get("wp:post_id"):
        return "wp:" + fields["wp:post_id"]
    return fields.get("link") or fields.get("guid") or None


def _comment_records(
    comment: Element, article_key: str, position: int, line: int | None
) -> Iterator[Record]:
    """The comment, then a notice when its date cannot be used."""
    fields = _fields(list(comment))
    parent = fields.get("wp:comment_parent", "")
    comment_type = fields.get("wp:comment_type", "")
    author_url = fields.get("wp:comment_author_url", "")
    # comment_date is the site's local time; used (as if UTC) only when GMT is missing.
    posted_at, date_problem = _first_date(
        read_utc_datetime(fields.get("wp:comment_date_gmt"), "wp:comment_date_gmt", line),
        read_utc_datetime(fields.get("wp:comment_date"), "wp:comment_date", line),
    )
    yield CommentRecord(
        article_key=article_key,
        body=html_to_text(fields.get("wp:comment_content", "")),
        # WordPress keeps pingback authors (blog titles) HTML-escaped: "Blog &raquo; Post".
        author_name=html.unescape(fields.get("wp:comment_author", "")),
        position=position,
        external_id=fields.get("wp:comment_id") or None,
        parent_external_id=parent if parent not in ("", "0") else None,
        kind=comment_type if comment_type in COMMENT_TYPES else "comment",
        author_email=fields.get("wp:comment_author_email") or None,
        author_url=author_url if author_url not in EMPTY_URLS else None,
        author_ip=fields.get("wp:comment_author_IP") or None,
        posted_at=posted_at,
        source_status=fields.get("wp:comment_approved") or None,
        line=line,
    )
    if date_problem:
        yield date_problem


def _rfc822_datetime(value: str | None, line: int | None) -> tuple[datetime | None, Problem | None]:
    """RSS pubDate ("Tue, 02 Mar 2021 10:00:00 +0000") in UTC, or the notice to give.

    Drafts carry "Mon, 30 Nov -0001 00:00:00 +0000", which is not a date (and which
    the email parser reads as the year 2000), hence the check that the year is there.
    """
    value = (value or "").strip()
    if not value or "-0001" in value:
        return None, None
    try:
        parsed = parsedate_to_datetime(value)
        if not re.search(rf"(?<![-\d]){parsed.year}\b", value):
            return None, date_notice(value, "pubDate", line, out_of_range=False)
        moment = in_date_range(as_utc(parsed))
    except (TypeError, ValueError, IndexError):
        return None, date_notice(value, "pubDate", line, out_of_range=False)
    except OverflowError:
        moment = None
    if moment is None:
        return None, date_notice(value, "pubDate", line, out_of_range=True)
    return moment, None


def _host(url: str | None) -> str:
    try:
        return urlsplit((url or "").strip()).hostname or ""
    except ValueError:
        return ""


FORMAT = register(
    Format(
        name="wxr",
        description="WordPress export (WXR XML: Tools > Export)",
        parse=parse,
        sniff=sniff,
    )
)
