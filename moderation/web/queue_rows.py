"""The queue page's rows, written in Python: the markup the ``queue_row`` macro had.

A queue page is 50 rows, and through Jinja each row cost about 110 µs (macro calls,
a context lookup and an escape per expression): two thirds of the page's CPU time.
Written out here the row costs a fraction of that, which is what lets 16 moderators'
pages be served at once on two cores.

Every value that comes from a comment, an author, a score or a URL goes through
:func:`markupsafe.escape`, as autoescaping would; nothing here marks text safe
without escaping it. The decision forms stay a macro in ``_macros.html``, rendered
once per request and status (:func:`.fast.per_comment`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from markupsafe import Markup, escape

from . import fast
from .text import first_line, format_time, paragraphs, reason_text

AUTHOR_RULE_TITLES = {
    "ban": "Banned author: their new comments are rejected automatically",
    "premoderate": "Always premoderated author",
    "trust": "Trusted author",
}
AUTHOR_RULE_LABELS = {"ban": "banned", "premoderate": "premoderated", "trust": "trusted"}
FLAG_TEXT_LENGTH = 12
"""A flag badge's text is cut to this (with an ellipsis), as Jinja's truncate(12, true)
does: unless it is at most 5 characters longer (Jinja's default leeway)."""
FLAG_TEXT_LEEWAY = 5


def author_rule_badge(rule: str) -> str:
    return (
        f'<span class="badge author-rule author-rule-{escape(rule)}" '
        f'title="{escape(AUTHOR_RULE_TITLES[rule])}">{escape(AUTHOR_RULE_LABELS[rule])}</span>'
    )


def _flag_text(flag: object) -> str:
    if isinstance(flag, Mapping) and flag.get("code"):
        return str(flag["code"])
    text = reason_text(flag)
    if len(text) <= FLAG_TEXT_LENGTH + FLAG_TEXT_LEEWAY:
        return text
    return text[: FLAG_TEXT_LENGTH - 1] + "…"


def signals(score) -> str:
    """A row's badges: priority, sentiment, off-topic, and up to three flags."""
    if not score:
        return '<span class="badge" title="Not scored yet">unscored</span>'
    priority = f"{score.priority:.2f}"
    label = escape(score.sentiment_label)
    high = " drift-high" if score.drift >= 0.5 else ""
    flags = score.flags or []
    parts = [
        f'\n<span class="badge priority" title="Priority {priority}">P {priority}</span>\n'
        f'<span class="badge sentiment sentiment-{label}" title="Sentiment: {label}">'
        f"{score.compound:+.2f}</span>\n"
        f'<span class="badge drift{high}" title="Off-topic score">off {score.drift:.2f}</span>\n'
    ]
    for flag in flags[:3]:
        parts.append(
            f'<span class="badge flag" title="{escape(reason_text(flag))}">'
            f"{escape(_flag_text(flag))}</span>"
        )
    if len(flags) > 3:
        parts.append(f'\n<span class="badge flag">+{len(flags) - 3}</span>')
    return "".join(parts)


def comment_text(body: str | None) -> str:
    """The full text, a ``<p>`` a paragraph and ``<br>`` between lines (comment_text macro)."""
    blocks = paragraphs(body)
    if not blocks:
        return '<div class="comment-text">\n  <p class="muted">(no text)</p>\n</div>'
    inner = "\n  ".join(
        "<p>" + "<br>".join(str(escape(line)) for line in lines) + "</p>" for lines in blocks
    )
    return f'<div class="comment-text">\n  {inner}\n</div>'


def queue_rows(
    items,
    decision_forms: Callable,
    reasons: list[str],
    next_url: str,
    author_rules: Mapping[str, str],
    selectable: bool = False,
    decide: bool = False,
) -> Markup:
    """The page's rows (:class:`moderation.queue.QueueItem`), each in its ``<li>``; the
    URLs and decision forms they share looked up once for the page."""
    row = RowWriter(decision_forms, reasons, next_url, selectable, decide)
    return Markup(
        "\n  ".join(
            f"<li>{row(item.comment, item.score, author_rules.get(item.comment.author_name))}</li>"
            for item in items
        )
    )


class RowWriter:
    """One comment as one line of the queue (its signals, author and the text's first
    line), opening in place to the full text and the decisions. The rest (the comment it
    replies to, the scores and why, author and article) is fetched when the row is first
    opened (``queue.row_details``); without a script, the link to the comment's page
    shows it all."""

    def __init__(self, decision_forms, reasons, next_url, selectable: bool, decide: bool):
        self.context_url = fast.id_url_maker("comments.context", "comment_id")
        self.details_url = fast.id_url_maker("queue.row_details", "comment_id")
        self.forms = fast.per_comment_maker(decision_forms, reasons, next_url) if decide else None
        self.selectable = selectable

    def __call__(self, comment, score, author_rule: str | None = None) -> str:
        comment_id = int(comment.id)
        status = escape(comment.status)
        select = (
            f'\n  <label class="select"><input type="checkbox" name="selected" '
            f'value="{comment_id}:{int(comment.version)}" form="bulk-form">'
            f'<span class="visually-hidden">Select comment #{comment_id}</span></label>'
            if self.selectable
            else ""
        )
        badge = f" {author_rule_badge(author_rule)}" if author_rule else ""
        posted = comment.posted_at
        forms = self.forms(comment) if self.forms is not None else ""
        body = comment.body
        return (
            f'<article class="comment" id="comment-{comment_id}" data-comment-id="{comment_id}" '
            f'data-status="{status}" tabindex="-1">{select}\n'
            f'  <details class="row">\n'
            f'    <summary class="row-line">\n'
            f'      <span class="signals">{signals(score)}</span>\n'
            f'      <span class="row-author">{escape(comment.author_name or "(anonymous)")}'
            f"{badge}</span>\n"
            f'      <span class="row-text">{escape(first_line(body) or "(no text)")}</span>\n'
            f'      <span class="badge status status-{status}">{status}</span>\n'
            f"    </summary>\n"
            f'    <div class="row-body">\n'
            f'      <p class="meta">\n'
            f'        <a href="{escape(self.context_url(comment_id))}" '
            f'class="context-link">#{comment_id} in its thread</a>\n'
            f'        · <time datetime="{escape(posted.isoformat() if posted else "")}">'
            f"{escape(format_time(posted))}</time>\n"
            f"      </p>\n"
            f"      {comment_text(body)}\n"
            f'      <div class="row-details" data-details-url="'
            f'{escape(self.details_url(comment_id))}">'
            f'<p class="muted">Its scores, author and article: on its page (the link above).</p>'
            f"</div>\n"
            f"      {forms}\n"
            f"    </div>\n"
            f"  </details>\n"
            f'  <div class="row-message" role="status" aria-live="polite"></div>\n'
            f"</article>"
        )
