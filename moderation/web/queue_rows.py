"""The queue page's rows: each row's markup up to its decision forms, kept once rendered.

A queue page is 50 rows, and writing them out was most of the page's CPU time. What a
row shows is worked out in Python (numbers formatted, the flag texts cut, the URLs
filled in from one pattern) and written by the ``row_head`` macro of ``queue/_row.html``,
autoescaping every value as any template does. That markup depends only on the row's own
values (every column the page reads, the flags as their JSON text), on whether the
moderator may decide and on the app's URL prefix, so each process keeps it under exactly
those values: moderators mostly look at the same top of the queue, and a row that changed
in any way is a new key, never a stale line. The decision forms hold the request's CSRF
token: they are rendered by their macro once a page and status
(:func:`.fast.per_comment_maker`) and filled in with each comment's id and version, and
``queue/index.html`` writes them and the row's end around the kept markup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import orjson
from flask import current_app, request
from markupsafe import Markup

from . import fast
from .text import first_line, format_time, paragraphs, reason_text

FLAG_TEXT_LENGTH = 12
"""A flag badge's text is cut to this (with an ellipsis), as Jinja's truncate(12, true)
does: unless it is at most 5 characters longer (Jinja's default leeway)."""
FLAG_TEXT_LEEWAY = 5
SHOWN_FLAGS = 3
ROW_HEADS_KEPT = 1_000
"""Rendered rows a process keeps (then it starts again): 20 pages, a few MB (each row's
text twice, key and markup; at most 40 MB were every comment 20,000 characters long)."""


class Signals(NamedTuple):
    """A row's badges: its score's numbers as shown, and its first flags."""

    priority: str
    sentiment: str
    compound: str
    drift: str
    drift_high: bool
    flags: tuple[tuple[str, str], ...]
    """(title, text) of the first :data:`SHOWN_FLAGS` flags."""
    more_flags: int


class QueueRow(NamedTuple):
    """What one row of the queue shows, as text to be escaped."""

    id: int
    version: int
    status: str
    author: str
    author_rule: str | None
    line: str
    posted_iso: str
    posted: str
    paragraphs: list[list[str]]
    context_url: str
    details_url: str
    signals: Signals | None
    """None: not scored yet."""


def signals(row) -> Signals | None:
    """The badges of a row of :data:`moderation.queue.ROW_COLUMNS`; None: not scored."""
    if row.scored is None:
        return None
    flags = orjson.loads(row.flags) if row.flags else []
    return Signals(
        f"{row.score_priority:.2f}",
        row.sentiment_label,
        f"{row.compound:+.2f}",
        f"{row.drift:.2f}",
        row.drift >= 0.5,
        tuple((reason_text(flag), flag_text(flag)) for flag in flags[:SHOWN_FLAGS]),
        max(len(flags) - SHOWN_FLAGS, 0),
    )


def flag_text(flag: object) -> str:
    """A flag's badge: its code, or its reason cut as Jinja's truncate(12, true) cuts."""
    if isinstance(flag, Mapping) and flag.get("code"):
        return str(flag["code"])
    text = reason_text(flag)
    if len(text) <= FLAG_TEXT_LENGTH + FLAG_TEXT_LEEWAY:
        return text
    return text[: FLAG_TEXT_LENGTH - 1] + "…"


def queue_rows(
    rows,
    decision_forms: Callable,
    reasons: list[str],
    next_url: str,
    decide: bool = False,
) -> list[tuple[Markup, Markup | str]]:
    """Each of a page's rows (of :data:`moderation.queue.ROW_COLUMNS`) as its markup up to
    the decision forms, and those forms (looked up once for the page)."""
    app = current_app._get_current_object()
    kept = app.extensions.setdefault("queue_row_heads", {})
    if app.jinja_env.auto_reload:
        kept.clear()  # templates that may change while the app runs: keep nothing
    prefix = request.script_root
    forms = fast.per_comment_maker(decision_forms, reasons, next_url) if decide else None
    render = None
    shown = []
    for row in rows:
        key = (row, decide, prefix)
        head = kept.get(key)
        if head is None:
            render = render or _head_renderer(app)
            head = render(row, decide)
            if len(kept) >= ROW_HEADS_KEPT:
                kept.clear()
            kept[key] = head
        shown.append((head, Markup(forms(row)) if forms is not None else ""))
    return shown


def _head_renderer(app) -> Callable[[object, bool], Markup]:
    """Renders a row's head from its values (``row_head`` of ``queue/_row.html``)."""
    macro = app.jinja_env.get_template("queue/_row.html").module.row_head
    context_url = fast.id_url_maker("comments.context", "comment_id")
    details_url = fast.id_url_maker("queue.row_details", "comment_id")

    def render(row, decide: bool) -> Markup:
        comment_id = int(row.id)
        posted = row.posted_at
        body = row.body
        shown = QueueRow(
            comment_id,
            int(row.version),
            row.status,
            row.author_name or "(anonymous)",
            row.author_rule,
            first_line(body) or "(no text)",
            posted.isoformat() if posted else "",
            format_time(posted),
            paragraphs(body),
            context_url(comment_id),
            details_url(comment_id),
            signals(row),
        )
        return macro(shown, decide)

    return render
