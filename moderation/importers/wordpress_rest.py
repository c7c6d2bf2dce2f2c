"""WordPress REST API objects (``/wp-json/wp/v2/``, context=edit) as import records: pure.

Mapped field by field as a WordPress export (:mod:`.wxr`) maps the same comment and post, so
that a site imported from its WXR file and then synced (or the other way round) has each
comment once: the article key is ``wp:<post id>``, the comment's source id its WordPress id,
its parent the parent's id, and its source status in the export's words ("1", "0", "spam",
"trash"), so that the content hash, and with it "unchanged", agree too.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator

from .control_characters import clean_records
from .html_text import html_to_text
from .records import COMMENT_KINDS, ArticleRecord, CommentRecord, Problem, Record
from .wxr import EMPTY_URLS
from .xml_stream import read_utc_datetime

REST_TO_EXPORT_STATUS = {"approved": "1", "hold": "0", "spam": "spam", "trash": "trash"}
EXPORT_TO_REST_STATUS = {value: key for key, value in REST_TO_EXPORT_STATUS.items()}


def raw(field: object) -> str:
    """A REST text field: ``{"raw": ..., "rendered": ...}`` in context=edit, else a string."""
    if isinstance(field, dict):
        value = field.get("raw")
        if value is None:
            value = field.get("rendered", "")
        return value if isinstance(value, str) else ""
    return field if isinstance(field, str) else ""


def article_record(post: dict, site: str, author: str | None) -> ArticleRecord:
    """A post (or page) as its WXR item becomes one; ``author`` is its author's login."""
    published_at, _ = read_utc_datetime(post.get("date_gmt"), "date_gmt", None)
    return ArticleRecord(
        key=article_key(post["id"]),
        site=site,
        url=post.get("link") or None,
        title=raw(post.get("title")),
        author=author,
        published_at=published_at,
        body=html_to_text(raw(post.get("content"))),
    )


def article_key(post_id: object) -> str:
    return f"wp:{post_id}"


def comment_record(comment: dict) -> CommentRecord:
    """A comment as its ``<wp:comment>`` in an export becomes one.

    The position is the WordPress id: an export lists a post's comments in id order, so the
    thread's order is the same, and a comment pulled later sorts after those before it.
    """
    posted_at, _ = read_utc_datetime(comment.get("date_gmt"), "date_gmt", None)
    if posted_at is None:
        posted_at, _ = read_utc_datetime(comment.get("date"), "date", None)
    parent = str(comment.get("parent") or "")
    kind = comment.get("type") or "comment"
    author_url = comment.get("author_url") or ""
    status = comment.get("status")
    return CommentRecord(
        article_key=article_key(comment["post"]),
        body=html_to_text(raw(comment.get("content"))),
        author_name=html.unescape(comment.get("author_name") or ""),
        position=int(comment["id"]),
        external_id=str(comment["id"]),
        parent_external_id=parent if parent not in ("", "0") else None,
        kind=kind if kind in COMMENT_KINDS else "comment",
        author_email=comment.get("author_email") or None,
        author_url=author_url if author_url not in EMPTY_URLS else None,
        author_ip=comment.get("author_ip") or None,
        posted_at=posted_at,
        source_status=REST_TO_EXPORT_STATUS.get(status, status),
    )


def page_records(
    comments: Iterable[dict], articles: dict[int, ArticleRecord | None]
) -> Iterator[Record]:
    """One page of comments, each article before its first comment (as ingest needs).

    ``articles`` has every comment's post, None for one that could not be read: its
    comments are skipped with a Problem, as an export's comments on other item types are.
    """
    given: set[int] = set()
    records: list[Record] = []
    for comment in comments:
        post_id = comment["post"]
        article = articles.get(post_id)
        if article is None:
            records.append(
                Problem(f"comment {comment['id']} left out: its post {post_id} cannot be read")
            )
            continue
        if post_id not in given:
            given.add(post_id)
            records.append(article)
        records.append(comment_record(comment))
    return clean_records(records)
