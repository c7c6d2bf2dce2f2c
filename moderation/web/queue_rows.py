"""The queue page's rows as plain values, for the template to write out without a macro
call a row.

A queue page is 50 rows, and through the ``queue_row`` macro each row cost about 110 µs
(macro calls, filters, a URL and a form each): two thirds of the page's CPU time. Here
everything a row shows is worked out once in Python (numbers formatted, the flag texts
cut, the URLs and decision forms filled in from one pattern a page), and
``queue/index.html`` writes the markup in one loop, autoescaping every value as any
template does. Only the decision forms arrive as markup: rendered by their macro once a
page and status (:func:`.fast.per_comment_maker`), ids and versions filled in.

Measured on a 50-row page (1M comments): the whole page renders in about 0.4-0.65 ms
more CPU than with the rows written as Python f-strings, which was tried (commit
90de53b), and 2-3 ms less than with the macro; the markup stays in the template.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from markupsafe import Markup

from . import fast
from .text import first_line, format_time, paragraphs, reason_text

FLAG_TEXT_LENGTH = 12
"""A flag badge's text is cut to this (with an ellipsis), as Jinja's truncate(12, true)
does: unless it is at most 5 characters longer (Jinja's default leeway)."""
FLAG_TEXT_LEEWAY = 5
SHOWN_FLAGS = 3


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
    """What one row of the queue shows: text to be escaped, all but ``forms``."""

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
    forms: Markup | str
    signals: Signals | None
    """None: not scored yet."""


def signals(row) -> Signals | None:
    """The badges of a row of :data:`moderation.queue.ROW_COLUMNS`; None: not scored."""
    if row.scored is None:
        return None
    flags = row.flags or []
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
) -> list[QueueRow]:
    """What each of a page's rows (of :data:`moderation.queue.ROW_COLUMNS`) shows; the
    URLs and decision forms they share looked up once for the page."""
    context_url = fast.id_url_maker("comments.context", "comment_id")
    details_url = fast.id_url_maker("queue.row_details", "comment_id")
    forms = fast.per_comment_maker(decision_forms, reasons, next_url) if decide else None
    shown = []
    for row in rows:
        comment_id = int(row.id)
        posted = row.posted_at
        body = row.body
        shown.append(
            QueueRow(
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
                Markup(forms(row)) if forms is not None else "",
                signals(row),
            )
        )
    return shown
