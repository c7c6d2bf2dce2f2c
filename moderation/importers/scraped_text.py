"""Scraped article pages saved as plain text: the article, then its reader comments.

A page saved from a browser ("Save as text", a copy-paste, a scraper's text
dump) has no markup left, only lines. This parser reads it in three steps:

1. **Where the comments start.** A section header ("12 Comments", "3 thoughts
   on “…”", "Leave a Reply", "Comments (4)") or, without a header, the first
   line that can only be a comment ("2. BillA says", "Pingback: …",
   "Jane says:" followed by a date line). Everything before is the article.
2. **The article.** The title is the first meaningful line (or the line right
   after a "Published on …" line that follows section labels); bylines and
   date lines under it give the author and date; site furniture (share and
   subscribe lines, "Source: …", disclaimers, author bios, comment-form text)
   is dropped from the body.
3. **The comments.** Each comment starts at a recognisable header: "N. Name
   says", "Name says:" plus a date line, a name line followed by a date line
   (optionally under a bare "N." line), "Name | date" on one line, or a
   pingback ("[…] text […]", "Pingback: …", "Trackback: …"). The text up to the
   next header, or up to a "Reply" / "Expand full comment" line, is its body.

Text in the comment section that fits none of these is reported as a notice,
never turned into comments: guessing would put article paragraphs or page
chrome into the moderation queue.

There is no URL in these files, so the article key is a hash of the title and
the start of the body, and the site is left for the ingest layer to set.
"""

from __future__ import annotations

import functools
import hashlib
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import BinaryIO

from . import Format, register
from .decoding import SNIFF_BYTES, decode_bytes, looks_binary
from .records import (
    ArticleRecord,
    CommentRecord,
    ImportFormatError,
    Problem,
    Record,
    in_date_range,
)

# Lines longer than this are prose, never a header, a name or a date; capping
# the length also keeps every per-line regex cheap on huge lines.
MAX_HEADER_CHARS = 200
MAX_NAME_CHARS = 60
MAX_DATE_LINE_CHARS = 80
SNIPPET_CHARS = 60

# ---------------------------------------------------------------------------
# Dates: "March 3, 2020 at 4:12 pm", "3 Mar 2020", "2020-03-03 16:12", "2 hours ago"
# ---------------------------------------------------------------------------

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_MONTH_NUMBERS = {
    name: number
    for number, name in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        start=1,
    )
}
_TIME = (
    r"(?:\s*(?:,|at|@|-|–|T)?\s*(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\.\d{1,6})?\s*(?P<ampm>[ap]\.?\s?m\b\.?)?)?"
)
_TZ = r"(?:\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2}|[ECMP][SD]T|BST|CES?T)\b)?"
_ABSOLUTE_DATES = [
    re.compile(rf"\b(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+"
               rf"(?P<year>\d{{4}})\b{_TIME}{_TZ}", re.I),
    re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH})\.?,?\s+"
               rf"(?P<year>\d{{4}})\b{_TIME}{_TZ}", re.I),
    re.compile(rf"\b(?P<year>\d{{4}})-(?P<month_number>\d{{1,2}})-(?P<day>\d{{1,2}})"
               rf"{_TIME}{_TZ}", re.I),
]  # fmt: skip
# Dates that say when, but not precisely enough for a timestamp.
_VAGUE_DATES = [
    re.compile(
        r"\b(?:about\s+)?(?:\d{1,3}|an?|one)\s*(?:seconds?|secs?|minutes?|mins?|m|hours?|hrs?|h"
        r"|days?|d|weeks?|wks?|w|months?|mos?|years?|yrs?|y)\s+ago\b",
        re.I,
    ),
    re.compile(rf"\b{_MONTH}\.?\s+\d{{1,2}}\b(?!\s*[:,]?\s*\d)", re.I),  # Substack "Mar 3"
    re.compile(r"\b(?:yesterday|today)\b(?:\s+at\s+\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?)?", re.I),
]
_DIGIT = re.compile(r"\d")
_DATE_WITHOUT_DIGITS = re.compile(r"\b(?:ago|yesterday|today)\b", re.I)
# Words that may surround a date on a "date line" without making it prose.
_DATE_FILLER = re.compile(
    r"\b(?:posted|published|updated|last|edited|on|at|said|says|wrote|reply|permalink|date"
    r"|mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:rs(?:day)?)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)\b|[|•·,:;\-–—()\[\]/]",
    re.I,
)
_PUBLICATION_LABEL = re.compile(r"(?:published|posted|updated|last updated)\b", re.I)
_PUBLICATION_PREFIX = re.compile(
    r"^\W*(?:(?:published|posted|updated)(?:\s+on)?\b)?[\s|•·,:-]*", re.I
)
_TZ_HOURS = {"Z": 0, "UTC": 0, "GMT": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
             "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "BST": 1, "CET": 1, "CEST": 2}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _DateSpan:
    start: int
    end: int
    when: datetime | None
    """None when the text names a date too vaguely ("2 hours ago") or impossibly."""


@functools.lru_cache(maxsize=4096)
def _find_date(text: str) -> _DateSpan | None:
    if not _DIGIT.search(text) and not _DATE_WITHOUT_DIGITS.search(text):
        return None  # the cheap answer for most lines
    for pattern in _ABSOLUTE_DATES:
        match = pattern.search(text)
        if match:
            return _DateSpan(match.start(), match.end(), _to_utc(match))
    for pattern in _VAGUE_DATES:
        match = pattern.search(text)
        if match:
            return _DateSpan(match.start(), match.end(), None)
    return None


def _to_utc(match: re.Match[str]) -> datetime | None:
    parts = match.groupdict()
    if parts.get("month_number"):
        month = int(parts["month_number"])
    else:
        month = _MONTH_NUMBERS[parts["month"][:3].lower()]
    hour = int(parts["hour"] or 0)
    ampm = (parts["ampm"] or "").lower()
    if ampm.startswith("p") and hour < 12:
        hour += 12
    elif ampm.startswith("a") and hour == 12:
        hour = 0
    try:
        naive = datetime(
            int(parts["year"]),
            month,
            int(parts["day"]),
            hour,
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
        )
        return in_date_range((naive - _utc_offset(parts["tz"])).replace(tzinfo=UTC))
    except (ValueError, OverflowError):
        return None


def _utc_offset(tz: str | None) -> timedelta:
    """The offset a zone label names; no label means the time is already UTC."""
    if not tz:
        return timedelta(0)
    if tz.upper() in _TZ_HOURS:
        return timedelta(hours=_TZ_HOURS[tz.upper()])
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    # Let datetime reject absurd offsets (+99:99) the same way it rejects Feb 31.
    timezone(offset)
    return sign * offset


def _date_line(line: str) -> _DateSpan | None:
    """The date when ``line`` is nothing but a date (with words like "Posted on")."""
    text = line.strip()
    if not text or len(text) > MAX_DATE_LINE_CHARS:
        return None
    span = _find_date(text)
    if span is None:
        return None
    rest = text[: span.start] + " " + text[span.end :]
    return span if not _DATE_FILLER.sub(" ", rest).strip() else None


def parse_comment_date(text: str) -> datetime | None:
    """The UTC time a comment header line gives, e.g. "March 3, 2020 at 4:12 pm".

    Naive times are taken as UTC; vague dates ("2 hours ago") give None.
    """
    span = _find_date(text[:MAX_DATE_LINE_CHARS])
    return span.when if span else None


# ---------------------------------------------------------------------------
# Line classes: furniture, section headers, comment headers
# ---------------------------------------------------------------------------


def _full_line(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.I)


# Site chrome that can sit anywhere on a page; never article or comment text.
_PAGE_FURNITURE = _full_line(
    r"share(?: this| the)?(?: article| story| post| page)?(?: on \w+)?:?",
    r"click to (?:share|email|print)\b.{0,60}",
    r"(?:tweet|email|e-mail|print|facebook|twitter|linkedin|whatsapp|reddit|telegram|pinterest"
    r"|copy link|x)",
    r"like this:?|like loading\W*|loading\W*|advertisement|scroll to continue.{0,40}",
    r"(?:subscribe|sign up|get the newsletter)\b.{0,90}|newsletter",
    r"source:\s.{0,100}",
    r"the views expressed\b.*",
    r"read more\W*|continue reading\W*|read the full (?:article|story)\W*",
    r"(?:tags|filed under|categories|category|topics):.{0,200}|(?:posted|filed) in\s[^.!?]{0,80}",
    r"sign in|log in|type your email\W*",
    r"(?:©|\(c\)|copyright\b).{0,200}",
    r"all rights reserved\W*",
)
# The comment form and the controls around a comment list.
_FORM_FURNITURE = _full_line(
    r"your email address will not be published\..{0,80}",
    r"required fields are marked\W*",
    r"(?:comment|name|email|e-mail|website|url)\s*\*?:?",
    r"(?:post|submit|add|publish)(?: a)? comment|submit|cancel reply|δ",
    r"save my name,? email,? and website\b.*",
    r"notify me of\b.{0,80}",
    r"this site uses akismet\b.*",
    r"comments are closed\.?|you must be logged in to post a comment\.?",
    r"(?:log|sign) in to (?:comment|reply)\.?",
)
# Sorting tabs and paging around a comment list; ordinary words elsewhere on a page.
_COMMENT_LIST_CONTROLS = _full_line(
    r"sort by\b.{0,40}|top|new|newest|oldest|best|community|discussion about this post",
    r"load more comments|view more comments|show more comments|no comments yet\.?",
)
# Controls under a single comment; they end that comment's text.
_COMMENT_ACTIONS = _full_line(
    r"(?:reply|log in to reply|reply to this comment|report|flag|permalink|edit|collapse)\W*",
    r"expand full comment|hide replies|show replies|show more replies",
    r"like|like \(\d+\)|\d+ likes?|share|\d+ repl(?:y|ies)\b.{0,40}",
    r"(?:reply|like|share)(?:\s*[|•·]\s*(?:reply|like|share|report))+",
)
_SECTION_HEADER = _full_line(
    r"(?:\d{1,6}|one|no)\s+(?:comments?|responses?|replies|thoughts|reactions)"
    r"(?:\s+(?:on|to)\s.{0,200})?:?",
    r"(?:reader\s+|user\s+)?comments?(?:\s*\(\d{1,6}\))?:?",
    r"(?:join|start) the (?:discussion|conversation)",
    r"(?:leave|post|add|write) a (?:reply|comment|response)(?: to .{0,200})?(?: cancel reply)?",
    r"what (?:readers|you) (?:are saying|think)",
)
# A list of links to other articles: drop the heading and the block under it.
_RELATED_HEADING = _full_line(
    r"related(?: posts| articles| stories| content| reading| coverage)?:?",
    r"you (?:may|might) also like:?|more (?:from|stories|in)\b.{0,40}|recommended(?: for you)?",
    r"most (?:read|popular)|trending(?: now)?|popular (?:posts|stories)|read next:?",
)
# A series blurb glued to the title by the scrape ("… This is the 113th article in the series").
_TITLE_BLURB = re.compile(r"\s+(?:This (?:is|article is) |Part \d+ of |Read the ).*\bseries\b")
_BYLINE = re.compile(r"(?:by|written by|words by|author:|posted by)\s+(?P<rest>.+)", re.I)
_NAME_SEPARATOR = re.compile(r"\s*(?:[|•·,]|\s[-–—]\s|\s+on\s+)\s*")
_NUMBERED = re.compile(r"(?P<number>\d{1,4})[.)](?:\s+|$)(?P<rest>.*)")
# Only "says": "X wrote:" and "X said:" open quotations inside a reply's text.
_SAYS = re.compile(r"(?P<name>.{1,80}?)\s+says:?")
_LABELLED_PINGBACK = re.compile(r"(?P<kind>pingback|trackback)\s*:\s*(?P<text>.+)", re.I)
_ELLIPSIS_PINGBACK = re.compile(r"\[\s*(?:…|\.\.\.)\s*\].*\[\s*(?:…|\.\.\.)\s*\]\W*")
_BIO_SENTENCE = r"\s+(?:is|was|has|writes|works|teaches|covers|leads|heads)\b"
_PERSON = re.compile(
    r"[A-ZÀ-ÖØ-Þ][\w'’.-]*(?:\s+(?:[A-ZÀ-ÖØ-Þ][\w'’.-]*|de|van|von|der|da|bin|al)){1,3}"
)
_ABOUT_AUTHOR = _full_line(r"about the authors?:?")
# A short line ending in one of these is a sentence fragment, not a name.
_TRAILING_FUNCTION_WORDS = {"a", "an", "and", "at", "for", "in", "of", "on", "or", "the", "to"}
_QUOTE_OPENERS = tuple(">\"“‘'")
# "4. What the research says" is a subheading; commenters are not called "What …".
_NOT_NAME_OPENERS = {"what", "why", "how", "who", "where", "when", "which", "here", "here's",
                     "this", "that", "the", "everyone", "everybody", "nobody"}  # fmt: skip


_ANY_FURNITURE = re.compile(
    "|".join(f"(?:{p.pattern})" for p in (_PAGE_FURNITURE, _FORM_FURNITURE, _COMMENT_ACTIONS)),
    re.I,
)


# Cached: comment sections repeat the same few lines ("Reply", "Share") thousands of times.
@functools.lru_cache(maxsize=4096)
def _is_furniture(text: str) -> bool:
    """Chrome that never belongs in an article or comment body."""
    return len(text) <= MAX_HEADER_CHARS * 2 and _ANY_FURNITURE.fullmatch(text) is not None


def _is_list_control(text: str) -> bool:
    return len(text) <= MAX_HEADER_CHARS and _COMMENT_LIST_CONTROLS.fullmatch(text) is not None


def _is_section_header(text: str) -> bool:
    return len(text) <= MAX_HEADER_CHARS + 50 and _SECTION_HEADER.fullmatch(text) is not None


@functools.lru_cache(maxsize=4096)
def _looks_like_name(text: str) -> bool:
    """A commenter's display name: short, not a sentence, not chrome, not a date."""
    words = text.split()
    if not words or len(text) > MAX_NAME_CHARS or len(words) > 5:
        return False
    if text[-1] in ".!?,;:" or text.startswith(_QUOTE_OPENERS):
        return False
    if not any(char.isalpha() for char in text) or words[-1].lower() in _TRAILING_FUNCTION_WORDS:
        return False
    return not (_is_furniture(text) or _is_section_header(text) or _find_date(text))


def _name_and_date(text: str) -> tuple[str, _DateSpan] | None:
    """ "Jane Doe | March 3, 2020 at 4:12 pm" or "Jane Doe • 3 years ago" on one line."""
    if len(text) > MAX_NAME_CHARS + MAX_DATE_LINE_CHARS:
        return None
    span = _find_date(text)
    if span is None or span.start == 0:
        return None
    if _DATE_FILLER.sub(" ", text[span.end :]).strip():
        return None
    head = text[: span.start]
    separator = _NAME_SEPARATOR.search(head)
    if separator is None or head[separator.end() :].strip():
        return None
    name = head[: separator.start()].strip()
    return (name, span) if _looks_like_name(name) else None


# ---------------------------------------------------------------------------
# Comments
# ---------------------------------------------------------------------------


@dataclass
class _Entry:
    """One comment as found: its header, then the raw lines of its text."""

    line: int
    author: str = ""
    kind: str = "comment"
    posted_at: datetime | None = None
    first_text: str = ""
    """Text on the header line itself (pingbacks)."""
    lines: list[str] = field(default_factory=list)

    def has_text(self) -> bool:
        return bool(self.first_text) or any(line.strip() for line in self.lines)

    def body(self) -> str:
        text = textwrap.dedent("\n".join(line.rstrip() for line in self.lines))
        if self.first_text:
            text = self.first_text + "\n" + text
        return _tidy_paragraphs(text)


def _next_nonblank(lines: list[str], index: int, *, blank_allowed: int = 1) -> int | None:
    """The index of the next non-blank line, if no more than ``blank_allowed`` blanks intervene."""
    for candidate in range(index, min(index + blank_allowed + 1, len(lines))):
        if lines[candidate].strip():
            return candidate
    return None


def _date_after(lines: list[str], index: int) -> tuple[_DateSpan | None, int]:
    """A date line right after a header (one blank line allowed), and where the text resumes."""
    following = _next_nonblank(lines, index)
    if following is not None:
        span = _date_line(lines[following])
        if span is not None:
            return span, following + 1
    return None, index


def _entry_header(
    lines: list[str], index: int, *, strict: bool, bare_pingback: bool
) -> tuple[_Entry, int] | None:
    """The comment whose header starts at ``lines[index]``, and the index its text starts at.

    ``strict`` accepts only headers that cannot be article prose, for finding a
    comment list that has no section header. ``bare_pingback`` accepts an
    unnumbered "[…] text […]" line, which inside a comment would be a quotation.
    """
    text = lines[index].strip()
    if not text or len(text) > MAX_HEADER_CHARS or text.startswith(_QUOTE_OPENERS):
        return None
    numbered = _NUMBERED.fullmatch(text)
    after = index + 1
    if numbered:
        text = numbered["rest"].strip()
        if not text:  # "1." alone, the name on the next line
            name_index = _next_nonblank(lines, after)
            if name_index is None or strict:
                return None
            text, after = lines[name_index].strip(), name_index + 1
            if len(text) > MAX_HEADER_CHARS:
                return None
    line = index + 1

    labelled = _LABELLED_PINGBACK.fullmatch(text)
    if labelled:
        kind = labelled["kind"].lower()
        return _Entry(line, kind=kind, first_text=labelled["text"].strip()), after
    if (numbered or bare_pingback) and "[" in text and _ELLIPSIS_PINGBACK.fullmatch(text):
        return _Entry(line, kind="pingback", first_text=text), after

    says = _SAYS.fullmatch(text) if text.endswith(("says", "says:")) else None
    if says and _looks_like_name(says["name"].strip()):
        name = says["name"].strip()
        if strict and name.split()[0].lower() in _NOT_NAME_OPENERS:
            return None
        span, resume = _date_after(lines, after)
        if strict and not numbered and span is None:
            return None
        return _Entry(line, author=name, posted_at=span.when if span else None), resume
    if strict:
        return None

    inline = _name_and_date(text)
    if inline:
        return _Entry(line, author=inline[0], posted_at=inline[1].when), after
    if _looks_like_name(text):
        span, resume = _date_after(lines, after)
        if span is not None:
            return _Entry(line, author=text, posted_at=span.when), resume
    return None


@dataclass
class _CommentSection:
    entries: list[_Entry] = field(default_factory=list)
    unattributed: list[tuple[int, str]] = field(default_factory=list)
    """(line number, text) of comment-section lines that belong to no comment."""


def _read_comment_section(lines: list[str], start: int) -> _CommentSection:
    section = _CommentSection()
    current: _Entry | None = None  # the comment whose text is being read, if any
    index = start
    while index < len(lines):
        text = lines[index].strip()
        if not text:
            if current is not None and current.lines:  # blank lines before the text mean nothing
                current.lines.append("")
            index += 1
            continue
        if _RELATED_HEADING.fullmatch(text):
            current = None
            index = _end_of_block(lines, index)
            continue
        header = _entry_header(lines, index, strict=False, bare_pingback=current is None)
        if header is not None:
            current, index = header
            section.entries.append(current)
            continue
        if _is_section_header(text) or _is_furniture(text) or _is_list_control(text):
            # A "Reply" line under a header, before any text, is not the end of that comment.
            if current is not None and (current.has_text() or not _COMMENT_ACTIONS.fullmatch(text)):
                current = None
        elif current is not None:
            current.lines.append(lines[index])
        else:
            section.unattributed.append((index + 1, text))
        index += 1
    return section


def _end_of_block(lines: list[str], index: int) -> int:
    while index < len(lines) and lines[index].strip():
        index += 1
    return index


def _comment_section_start(lines: list[str], begin: int) -> int | None:
    """Where the comment section begins: a section header, or the first unmistakable comment.

    A header among the first few lines, above the article's first paragraph,
    is the page's meta line ("By Jane Doe | 12 Comments"), not the comment
    section, unless a comment follows it.
    """
    in_page_header = True
    lines_seen = 0
    for index in range(begin, len(lines)):
        text = lines[index].strip()
        if not text:
            continue
        lines_seen += 1
        in_page_header = in_page_header and lines_seen <= 6 and not _is_prose(text)
        if _is_section_header(text):
            if not in_page_header or _comment_follows(lines, index + 1):
                return index
            continue
        if _entry_header(lines, index, strict=True, bare_pingback=False):
            return index
    return None


def _comment_follows(lines: list[str], index: int) -> bool:
    """Whether the first line of content from ``index`` on is a comment header."""
    for following in range(index, len(lines)):
        text = lines[following].strip()
        if text and not (_is_furniture(text) or _is_list_control(text)):
            return _entry_header(lines, following, strict=False, bare_pingback=True) is not None
    return False


def _is_prose(text: str) -> bool:
    return len(text) >= 60 and len(text.split()) >= 8 and not _is_furniture(text)


# ---------------------------------------------------------------------------
# The article
# ---------------------------------------------------------------------------


@dataclass
class _ArticleHead:
    title: str
    title_index: int
    author: str | None = None
    published_at: datetime | None = None
    consumed: set[int] = field(default_factory=set)
    """Indices of header lines (byline, date) that are not body text."""


def _byline_author(text: str) -> tuple[str, _DateSpan | None] | None:
    """The author (and date) from "By Jane Doe | March 3, 2020", "Posted on … by Jane Doe"."""
    if len(text) > 120:
        return None
    span = _find_date(text)
    if span is not None:  # keep a separator where the date was, so the name ends there
        text = text[: span.start] + " | " + text[span.end :]
    match = _BYLINE.match(_PUBLICATION_PREFIX.sub("", text))
    if not match:
        return None
    name = _NAME_SEPARATOR.split(match["rest"].strip(), maxsplit=1)[0].strip().rstrip(".")
    words = name.split()
    if not words or len(words) > 6 or not words[0][0].isupper():
        return None
    return name, span


def _is_short_label(text: str) -> bool:
    return len(text) <= 50 and len(text.split()) <= 6 and text[-1] not in ".?!"


def _is_section_label(text: str) -> bool:
    """ "Opinion", "WORLD", "The Ledger": a section or publication name above a headline."""
    return len(text) <= 30 and len(text.split()) <= 2 and text[-1] not in ".?!:"


def _looks_like_headline(text: str) -> bool:
    return len(text) <= 150 and len(text.split()) >= 3 and not text.endswith(".")


def _find_article_head(lines: list[str], end: int, source: str) -> _ArticleHead:
    meaningful = [i for i in range(end) if lines[i].strip() and not _is_furniture(lines[i].strip())]
    if not meaningful:
        raise ImportFormatError(source, "no article text found")
    title_index = _choose_title(lines, meaningful, end)
    head = _ArticleHead(title=_clean_title(lines[title_index]), title_index=title_index)
    # Section labels, dates and bylines above the title are header, not body.
    for i in meaningful:
        if i >= title_index:
            break
        _take_header_line(head, lines, i)
    # Below the title: bylines and dates, perhaps under a subtitle, until the prose starts.
    for i in [i for i in meaningful if i > title_index][:5]:
        if _take_header_line(head, lines, i):
            head.consumed.add(i)
        elif not _looks_like_headline(lines[i].strip()):
            break
    return head


def _choose_title(lines: list[str], meaningful: list[int], end: int) -> int:
    after_date = _title_after_date_line(lines, meaningful[:4], end)
    if after_date is not None:
        return after_date
    candidates = [
        i
        for i in meaningful[:8]
        if not _date_line(lines[i]) and not _byline_author(lines[i].strip())
    ]
    if not candidates:
        return meaningful[0]
    if len(candidates) > 1:
        label, headline = lines[candidates[0]].strip(), lines[candidates[1]].strip()
        if _is_section_label(label) and _looks_like_headline(headline):
            return candidates[1]
    return candidates[0]


def _title_after_date_line(lines: list[str], first: list[int], end: int) -> int | None:
    """The title in the "section labels / Published on … / title" layout, if that is the layout."""
    for position, index in enumerate(first):
        if not _date_line(lines[index]):
            continue
        following = index + 1
        if position == 0 or following >= end or not lines[following].strip():
            return None
        candidate = lines[following].strip()
        if _date_line(candidate) or _byline_author(candidate):
            return None
        labels_above = all(_is_short_label(lines[i].strip()) for i in first[:position])
        title = _clean_title(candidate)
        if labels_above and len(title) <= 150 and not title.endswith("."):
            return following
        return None
    return None


def _take_header_line(head: _ArticleHead, lines: list[str], index: int) -> bool:
    """Record a byline or date line near the title; False when the line is neither."""
    text = lines[index].strip()
    span = _date_line(text)
    if span is not None:
        if head.published_at is None or text.lower().startswith("published"):
            head.published_at = span.when or head.published_at
        return True
    byline = _byline_author(text)
    if byline is not None:
        head.author = head.author or byline[0]
        if byline[1] is not None and head.published_at is None:
            head.published_at = byline[1].when
        return True
    inline = _name_and_date(text)
    if inline is not None and index > head.title_index:
        head.author = head.author or inline[0]
        head.published_at = head.published_at or inline[1].when
        return True
    # An author's name alone on its line, right above the date line.
    if index > head.title_index and _PERSON.fullmatch(text):
        following = _next_nonblank(lines, index + 1, blank_allowed=0)
        if following is not None and _date_line(lines[following]):
            head.author = head.author or text
            return True
    return False


def _clean_title(line: str) -> str:
    title = line.strip()
    blurb = _TITLE_BLURB.search(title)
    if blurb:
        title = title[: blurb.start()]
    if len(title) <= MAX_HEADER_CHARS:
        return title
    # No headline on the page: name the article after the start of its first sentence.
    sentence = re.split(r"(?<=[.!?])\s", title[:MAX_HEADER_CHARS], maxsplit=1)[0]
    if len(sentence) < MAX_HEADER_CHARS:
        return sentence
    return title[:150].rsplit(" ", 1)[0] + "…"


def _article_body_lines(lines: list[str], head: _ArticleHead, end: int) -> list[str]:
    """The body's lines, stripped, blank lines kept as "", furniture and related links dropped."""
    body: list[str] = []
    title_line = lines[head.title_index].strip()
    if len(title_line) > MAX_HEADER_CHARS:  # a paragraph that stood in for the title
        body.append(title_line)
    index = head.title_index + 1
    while index < end:
        text = lines[index].strip()
        if _RELATED_HEADING.fullmatch(text):
            index = _end_of_block(lines, index)
            continue
        dropped = text and (
            _is_furniture(text) or _is_publication_line(text) or _is_section_header(text)
        )
        if index not in head.consumed and not dropped:
            body.append(text)
        index += 1
    return body


def _is_publication_line(text: str) -> bool:
    """ "Published on May 12, 2021", "Updated: 3 Mar 2020": page chrome wherever it appears."""
    return bool(_PUBLICATION_LABEL.match(text)) and _date_line(text) is not None


def _cut_author_bio(body: list[str], author: str | None) -> tuple[list[str], str | None]:
    """Drop the author box at the end of an article, returning the body and the author's name.

    Recognised: a name line (often repeated) followed by "Name is/was/has …",
    an "About the author" heading followed by such a sentence, or, when the
    byline named the author, a last paragraph "Author is/was/has …".
    """
    tail = [i for i, text in enumerate(body) if text][-8:]
    if author and tail and re.match(re.escape(author) + _BIO_SENTENCE, body[tail[-1]]):
        return body[: tail[-1]], author
    for position, index in enumerate(tail):
        text = body[index]
        if _ABOUT_AUTHOR.fullmatch(text):
            following = " ".join(body[i] for i in tail[position + 1 : position + 3])
            person = re.match(rf"({_PERSON.pattern}){_BIO_SENTENCE}", following)
            return body[:index], person[1] if person else None
        if not _PERSON.fullmatch(text):
            continue
        bio_sentence = re.compile(re.escape(text) + _BIO_SENTENCE)
        # Only at the very end: a name line and "Name is …" further up are article text.
        closing_lines = set(tail[-2:])
        later = tail[position + 1 : position + 4]
        if any(bio_sentence.match(body[i]) for i in later if i in closing_lines):
            start = index
            while start > 0 and body[start - 1] in ("", text):
                start -= 1
            return body[:start], text
    return body, None


def _tidy_paragraphs(text: str) -> str:
    """Trim line ends and edge blank lines; keep one blank line between paragraphs."""
    paragraphs = re.split(r"\n(?:[ \t]*\n)+", text.strip("\n"))
    return "\n\n".join(p.rstrip() for p in paragraphs if p.strip()).strip("\n")


def _article_key(title: str, body: str) -> str:
    normalised = " ".join(title.split()).casefold() + "\n" + " ".join(body.split())[:500]
    return "text:" + hashlib.sha1(normalised.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------------------
# The parser and sniffer
# ---------------------------------------------------------------------------


def parse(stream: BinaryIO, source: str) -> Iterator[Record]:
    """Yield the page's article, then its comments, then notices about what was skipped."""
    text = decode_bytes(stream.read(), source)
    if not text.strip():
        raise ImportFormatError(source, "empty file")
    lines = text.split("\n")

    first_line = next(i for i, line in enumerate(lines) if line.strip())
    comments_at = _comment_section_start(lines, first_line + 1)
    article_end = len(lines) if comments_at is None else comments_at
    head = _find_article_head(lines, article_end, source)
    body_lines, bio_author = _cut_author_bio(
        _article_body_lines(lines, head, article_end), head.author
    )
    author = head.author or bio_author
    if author:  # pages repeat the author's name as a line of its own (bio boxes, sign-offs)
        body_lines = [line for line in body_lines if line != author]
    body = _tidy_paragraphs("\n".join(body_lines))
    article = ArticleRecord(
        key=_article_key(head.title, body),
        title=head.title,
        author=author,
        published_at=head.published_at,
        body=body,
        line=head.title_index + 1,
    )
    yield article
    if comments_at is not None:
        yield from _comments(_read_comment_section(lines, comments_at), article.key)


def _comments(section: _CommentSection, article_key: str) -> Iterator[Record]:
    position = 0
    for entry in section.entries:
        body = entry.body()
        if not body:
            who = f"by {entry.author}" if entry.author else "without an author"
            yield Problem(f"{entry.kind} {who} has no text", line=entry.line)
            continue
        position += 1
        yield CommentRecord(
            article_key=article_key,
            body=body,
            author_name=entry.author,
            position=position,
            kind=entry.kind,
            posted_at=entry.posted_at,
            line=entry.line,
        )
    if section.unattributed:
        line, text = section.unattributed[0]
        snippet = text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rstrip() + "…"
        if section.entries:
            message = f"comment section text skipped, not part of any comment: {snippet}"
        else:
            message = f"comments not recognised: {snippet}"
        yield Problem(message, line=line, kind="notice")


_COMMENT_MARKERS = re.compile(
    r"\ssays:?\s*$|leave a (?:reply|comment)|\bthoughts on\b|^\s*\d+ comments?\s*$|^pingback:",
    re.I | re.M,
)
_JSON_START = re.compile(r"\{|\[\s*(?:[\[{\"\]]|-?\d+\s*[,\]])")
_CSV_DELIMITERS = (",", "\t", ";", "|")
_CSV_FIELD = re.compile(r"\"?[A-Za-z_][\w .-]{0,30}\"?")


def sniff(head: bytes, filename: str) -> int:
    """Low confidence for any plain text (other formats are more specific); 0 for binary."""
    if not head or looks_binary(head[:SNIFF_BYTES]):
        return 0
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not text or text.startswith("<") or _JSON_START.match(text) or _looks_like_csv(text):
        return 0
    return 30 if _COMMENT_MARKERS.search(text) else 10


def _looks_like_csv(text: str) -> bool:
    """A first line of short identifier-like fields, repeated in shape on the next line."""
    rows = text.split("\n", 2)[:2]
    header = rows[0].rstrip("\r")
    for delimiter in _CSV_DELIMITERS:
        fields = header.split(delimiter)
        if len(fields) >= 3 and all(_CSV_FIELD.fullmatch(f.strip()) for f in fields):
            return len(rows) < 2 or rows[1].count(delimiter) >= len(fields) - 1
    return False


register(
    Format(
        name="text",
        description="scraped article page saved as plain text, with its reader comments",
        parse=parse,
        sniff=sniff,
    )
)
