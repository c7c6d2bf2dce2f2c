"""Lines of a page saved as text: dates, furniture, section headers and names.

What both halves of the page reader share: :mod:`.scraped_text` (the article) and
:mod:`.comment_section` (the comments) ask the same questions of a line: is it
a date, page chrome, a comment-section header, a commenter's name?
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from .records import in_date_range

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
    # Mail archives: "Mon May 11 17:25:35 UTC 2020"
    re.compile(rf"\b(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}})\s+(?P<hour>\d{{1,2}}):(?P<minute>\d{{2}})"
               rf"(?::(?P<second>\d{{2}}))?{_TZ}\s+(?P<year>\d{{4}})\b", re.I),
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
    # "05-09-2009 11:20", "3/16/22": forum dates, day or month first depending on the site
    re.compile(
        r"\b\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})\b(?:,?\s+\d{1,2}:\d{2}(?:\s*[ap]m\b)?)?", re.I
    ),
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
    ampm = (parts.get("ampm") or "").lower()
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
    # WordPress.com's form: "You are commenting using your Twitter account. Log Out / Change )"
    r"fill in your details below or click an icon to log in:?|wordpress\.com logo",
    r"you are commenting using your .{1,40} account\..{0,40}|connecting to %s",
    r"(?:google|twitter|facebook) (?:photo|picture)|%d bloggers like this:?",
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
    r"(?:reply|like|share)(?:\s*[|•·]\s*(?:reply|like|share|report))+\s*[›»]?",
    r"respect|share ›|see more",  # Coral's reaction button, Disqus's share menu
)
_SECTION_HEADER = _full_line(
    r"(?:\d{1,6}|one|no)\s+(?:comments?|responses?|replies|thoughts|reactions|feedbacks?)"
    r"(?:\s+(?:on|to|for)\s.{0,200})?:?",
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
