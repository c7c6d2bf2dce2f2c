"""Pure text helpers for the templates: paragraphs, highlighting, readable reasons.

Nothing here returns markup. Highlighting splits text into segments and the
template puts ``<mark>`` around the marked ones, so autoescaping still covers
every character of comment and article text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

MAX_EXCERPT_PARAGRAPHS = 3
MAX_TERMS = 40


@dataclass(frozen=True)
class Segment:
    text: str
    marked: bool = False


def paragraphs(text: str | None) -> list[list[str]]:
    """Paragraphs (split on blank lines), each a list of its lines."""
    if not text:
        return []
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return [block.strip("\n").split("\n") for block in blocks if block.strip()]


def term_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """Whole words starting with any of ``terms`` (terms may be stems), any case."""
    words = sorted({t.strip() for t in terms if isinstance(t, str) and t.strip()}, key=len)
    words = words[::-1][:MAX_TERMS]  # longest first, so "russian" wins over "russia"
    if not words:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\w*", re.IGNORECASE)


def highlight(text: str, terms: Iterable[str]) -> list[Segment]:
    """``text`` cut into segments, the occurrences of ``terms`` marked."""
    pattern = term_pattern(terms)
    if pattern is None or not text:
        return [Segment(text or "")]
    segments, start = [], 0
    for match in pattern.finditer(text):
        if match.start() > start:
            segments.append(Segment(text[start : match.start()]))
        segments.append(Segment(match.group(0), marked=True))
        start = match.end()
    if start < len(text):
        segments.append(Segment(text[start:]))
    return segments


def excerpt(body: str, terms: Iterable[str]) -> list[list[Segment]]:
    """The article's paragraphs that mention the terms (or its opening ones), highlighted."""
    terms = list(terms or [])
    pattern = term_pattern(terms)
    blocks = [" ".join(lines) for lines in paragraphs(body)]
    chosen = [b for b in blocks if pattern and pattern.search(b)][:MAX_EXCERPT_PARAGRAPHS]
    if not chosen:
        chosen = blocks[:2]
    return [highlight(block, terms) for block in chosen]


def first_line(body: str | None, limit: int = 300) -> str:
    """The text's first non-blank line, spaces collapsed and cut to ``limit`` characters:
    the one line a compact queue row shows (the row cuts it again to its width)."""
    for line in (body or "").splitlines():
        line = " ".join(line.split())
        if line:
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""


def reason_text(value: object) -> str:
    """A reason from a score's JSON (string, {"reason": ...}, [word, number]...) as text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("reason", "message", "label", "text"):
            if key in value:
                return str(value[key])
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return " ".join(f"{item:+.2f}" if isinstance(item, float) else str(item) for item in value)
    return str(value)


def format_time(moment: datetime | None) -> str:
    if moment is None:
        return "unknown time"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def http_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) address, else None: imported URLs may be
    ``javascript:`` or worse, and must not become a link."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    scheme, _, rest = url.partition(":")
    if scheme.lower() not in ("http", "https") or not rest.startswith("//"):
        return None
    if any(ord(c) < 33 for c in url):
        return None
    return url
