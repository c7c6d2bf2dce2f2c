"""The comment section of a page saved as text: where it starts, and how this page lays
out each comment.

Sites differ in what they put before each comment, and a text save keeps only
lines, so no fixed list of layouts reads them all. This module learns the page's
own record structure instead:

1. **Record shapes.** Each line is asked which comment headers could start there:
   "Name says" / "Name said..." / "Name commented", a name line over a date line
   (under "N." or a bullet, or "Name | date" on one line), a forum member block
   (name, then "Member", "Posts: 812", "Joined: …"), "Name's avatar", "up vote 12
   down vote", "Name ," (the date lost), a bare date line (the linked name lost),
   pingbacks; and, weaker, a bare name line, a numbered paragraph, a block that
   ends in a "Reply" / "Like" / "Expand full comment" line, a blank-line paragraph.
2. **Alternative segmentations.** The strong and medium shapes together make one
   reading of the section, and each weak shape another. Each reading is scored:
   comments with text count for their shape's weight, empty ones and text left
   outside any comment count against, names confirmed elsewhere on the page
   ("Ann wrote:", "@Ann", Ann heading a second comment) and a comment count that
   matches the section header count for it. The best reading is kept.
3. **Confidence.** Weak readings need evidence before they are taken (a header
   over them, "Reply" lines after each, confirmed names) and a page read from a
   weak shape only is reported with a notice. Text no reading explains is never
   turned into comments: it is reported, like before, as not recognised.

Replies keep their parent where the text shows it: a deeper indent under the
comment above, or a reply that opens by quoting or addressing an earlier
commenter ("Ann wrote:", "From: Ann", "@Ann", "In reply to Ann.").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from .page_lines import (
    _COMMENT_ACTIONS,
    _ELLIPSIS_PINGBACK,
    _LABELLED_PINGBACK,
    _NOT_NAME_OPENERS,
    _QUOTE_OPENERS,
    _RELATED_HEADING,
    _SAYS,
    MAX_HEADER_CHARS,
    SNIPPET_CHARS,
    _date_line,
    _DateSpan,
    _find_date,
    _full_line,
    _is_furniture,
    _is_list_control,
    _is_section_header,
    _looks_like_name,
    _name_and_date,
)
from .records import CommentRecord, Problem, comment_content_key, derived_comment_id

# ---------------------------------------------------------------------------
# Lines
# ---------------------------------------------------------------------------

_NUMBER_MARKER = re.compile(r"\d{1,4}[.)](?:\s+|$)")
_BULLET_CHARS = frozenset("•·◦▪‣*-")
_BULLET = re.compile(r"[•·◦▪‣*-](?:\s+|$)")
_SAID = re.compile(r"(?:blogger\s+)?(?P<name>.{1,80}?)\s+(?:said|wrote)(?:\.\.\.|…)", re.I)
_COMMENTED = re.compile(r"(?P<name>.{1,80}?)\s+(?:commented|replied)", re.I)
_AVATAR = re.compile(r"(?P<name>.{1,60}?)['’]s avatar", re.I)
_NAME_COMMA = re.compile(r"(?P<name>.{1,60}?)\s+,")
_NAME_AT = re.compile(r"(?P<name>.{1,60}?)\s+at")  # a mail archive's "jane at" (domain cut)
_VOTES = re.compile(r"(?:up vote\s+)?-?\d{1,6}\s+(?:down vote|votes?)(?:\s+accepted)?", re.I)
_REPLY_ARROW = re.compile(r"\s{2,}|\s+[>→›➦]\s+")
_SCORE = re.compile(r"\s*[·•|]\s*[-+]?\d{1,7}\s+points?\b", re.I)
_INITIALS = re.compile(r"(?:[A-Z]\.\s?){1,4}")
_STATUS_SUFFIX = re.compile(r"\s+(?:offline|online)$", re.I)
# Lines of a forum post's header: the poster's standing, counts, contact links.
_MEMBER_META = _full_line(
    r"(?:posts|messages|joined|join date|location|likes received|reputation|reaction score"
    r"|points|karma|member since|registered|trophy points)\s*:?(?:\s.{0,60})?",
    r"(?:(?:senior|junior|new|active|well-known|premium|gold|boss|staff|forum|site)\s+)?"
    r"(?:member|moderator|administrator|admin|user)|registered user|banned|guest",
    r"offline|online|user avatar|contact:?|unread,?|send a message via .{0,160}",
    r"post by .{1,60}?\s*»?|posted:?\s.{0,60}",
)
# Chrome inside a thread that the furniture lists of a plain page do not know.
_THREAD_FURNITURE = _full_line(
    r"hidden content:?|you must reply before you can see the hidden data contained here\.?",
    r"thread status:?|not open for further replies\.?|share this page|show more",
    r"share\|improve this (?:question|answer)|liked by \d+ (?:person|people)|user['’]s avatar",
    r"discussion about this post|\d+ replies? by .{1,80}",
    r"post reply|quick reply|reply to (?:topic|thread)|(?:post )?new (?:topic|thread)|user avatar",
    r"avatar|level \d{1,2}|[-+]?\d{1,7} points?|[▲▼↑↓]\s*\d{0,7}|(?:up|down)vote|vote (?:up|down)",
)
# The member-block line a forum theme puts at the same place under every poster's name.
_MEMBER_COUNTS = re.compile(
    r"(?:posts|messages|joined|join date|member since|registered|reputation|likes received)\s*:",
    re.I,
)
_QUOTE_INTRO = re.compile(
    r"(?:(?:from|quote(?: from)?|in reply to|reply to|replying to)[:\s]+@?(?P<a>[^:]{1,60}?)"
    r"\s*(?:[.:,]|$)|@(?P<b>[^\s:,]{1,40})(?:[.:,\s]|$)|(?P<c>[^:]{1,60}?)\s+(?:wrote|said):)",
    re.I,
)
# Words that make a short line a phrase, not a name ("they're probably not winning").
_FUNCTION_WORDS = frozenset(
    "a an the and or but of to in on at for with from by is are was were be been it its i "
    "you we they he she me my your our their this that these those not no so if as do does "
    "did have has had can will would should just very too what why how when where who "
    "they're i'm it's don't".split()
)
_ACTION_EXTRA = re.compile(r"like|liked by \d+ (?:person|people)|expand full comment", re.I)


@dataclass(frozen=True, slots=True)
class _Line:
    raw: str
    text: str
    """Stripped, without a list marker ("3.", "•")."""
    indent: int
    number: bool
    bullet: bool


def _line(raw: str) -> _Line:
    stripped = raw.strip()
    indent = len(raw) - len(raw.lstrip())
    if not stripped or not (stripped[0].isdigit() or stripped[0] in _BULLET_CHARS):
        return _Line(raw, stripped, indent, False, False)
    numbered = _NUMBER_MARKER.match(stripped)
    if numbered:
        return _Line(raw, stripped[numbered.end() :].strip(), indent, True, False)
    bullet = _BULLET.match(stripped)
    if bullet and stripped[0] != "-" or bullet and len(stripped) > 2 and stripped[1] == " ":
        return _Line(raw, stripped[bullet.end() :].strip(), indent, False, True)
    return _Line(raw, stripped, indent, False, False)


def _is_action(text: str) -> bool:
    return len(text) <= MAX_HEADER_CHARS and (
        _COMMENT_ACTIONS.fullmatch(text) is not None or _ACTION_EXTRA.fullmatch(text) is not None
    )


def is_thread_chrome(text: str) -> bool:
    """Forum and comment-thread controls ("Post Reply", "Share This Page")."""
    return len(text) <= MAX_HEADER_CHARS and _THREAD_FURNITURE.fullmatch(text) is not None


def _is_chrome(text: str) -> bool:
    return _is_furniture(text) or _is_list_control(text) or is_thread_chrome(text)


def _is_meta(text: str) -> bool:
    return len(text) <= MAX_HEADER_CHARS and _MEMBER_META.fullmatch(text) is not None


def _is_phrase(text: str) -> bool:
    return any(word.casefold() in _FUNCTION_WORDS for word in text.split())


def _clean_name(text: str) -> str | None:
    """The display name a header line gives, or None when the line is not a name."""
    text = _STATUS_SUFFIX.sub("", text).strip()
    if _is_chrome(text) or _is_meta(text):
        return None
    if _looks_like_name(text) or _INITIALS.fullmatch(text):
        return text
    return None


# ---------------------------------------------------------------------------
# Record shapes
# ---------------------------------------------------------------------------

STRONG, MEDIUM, WEAK = 3.0, 2.0, 1.0
# Shapes that may open a comment list with no section header above it: prose never
# looks like them. Medium shapes need to repeat first (an article's signature is a
# name over a date too).
_OPENING = {"pingback", "says", "said", "commented", "avatar", "votes", "name_comma", "forum",
            "mail_from"}  # fmt: skip
_WEIGHTS = {"pingback": STRONG, "says": STRONG, "said": STRONG, "commented": STRONG,
            "avatar": STRONG, "votes": STRONG, "name_comma": STRONG, "forum": STRONG,
            "mail_from": STRONG,
            "name_date": MEDIUM, "date": MEDIUM, "name": WEAK, "numbered": WEAK,
            "actions": WEAK, "paragraphs": WEAK}  # fmt: skip


@dataclass(slots=True)
class _Entry:
    """One comment as found: its header, then the raw lines of its text."""

    line: int
    shape: str
    author: str = ""
    kind: str = "comment"
    posted_at: datetime | None = None
    first_text: str = ""
    """Text on the header line itself (pingbacks, numbered paragraphs)."""
    indent: int = 0
    lines: list[str] = field(default_factory=list)
    parent: int | None = None
    reply_to: str = ""
    """The name a header says this replies to."""
    ended_by_action: bool = False
    """A "Reply" / "Like" line closed it (evidence for weak shapes)."""

    def has_text(self) -> bool:
        return any(char.isalpha() for char in self.first_text) or any(
            any(char.isalpha() for char in line) for line in self.lines
        )

    def body(self) -> str:
        # Dedented by the first line's indent: a line the page indents less (a form heading
        # the save glued on) must not keep the whole comment indented.
        first = next((line for line in self.lines if line.strip()), "")
        indent = len(first) - len(first.lstrip())
        text = "\n".join(_unindent(line.rstrip(), indent) for line in self.lines)
        if self.first_text:
            text = self.first_text + "\n" + text
        return _tidy_paragraphs(text)


def _unindent(line: str, indent: int) -> str:
    stripped = line.lstrip()
    return line[indent:] if len(line) - len(stripped) >= indent else stripped


def _tidy_paragraphs(text: str) -> str:
    """Trim line ends and edge blank lines; keep one blank line between paragraphs."""
    paragraphs = re.split(r"\n(?:[ \t]*\n)+", text.strip("\n"))
    return "\n\n".join(p.rstrip() for p in paragraphs if p.strip()).strip("\n")


class _Lines:
    """The page's lines as :class:`_Line`, each worked out the first time it is asked for:
    a reading looks at its own part of the page only."""

    def __init__(self, raw_lines: list[str]):
        self.raw = raw_lines
        self.cache: list[_Line | None] = [None] * len(raw_lines)

    def __len__(self) -> int:
        return len(self.raw)

    def __getitem__(self, index: int) -> _Line:
        line = self.cache[index]
        if line is None:
            line = self.cache[index] = _line(self.raw[index])
        return line

    def __iter__(self) -> Iterator[_Line]:
        return (self[index] for index in range(len(self.raw)))


class _Page:
    """The page's lines with what the shapes ask of them, computed once."""

    def __init__(self, raw_lines: list[str], title: str):
        self.raw = raw_lines
        self.lines = _Lines(raw_lines)
        self.title = " ".join(title.split()).casefold()
        self.resume = 0
        """Where the text of the comment whose header was read last starts."""
        self._member_offset: int | None | bool = False

    def member_offset(self) -> int | None:
        """Where this page's forum theme puts the poster's counts under a name (the most
        common place), so a thread title or a post's last line over a name is no name."""
        if self._member_offset is False:
            places: dict[int, int] = {}
            for index, line in enumerate(self.lines):
                name = _clean_name(line.text) if line.text and len(line.text) <= 60 else None
                if name is None:
                    continue
                offset = _member_offset(self, index + 1)
                if offset is not None and offset[1] is not None:
                    places[offset[1]] = places.get(offset[1], 0) + 1
            self._member_offset = max(places, key=places.__getitem__) if places else None
        return self._member_offset

    def next_nonblank(self, index: int, blank_allowed: int = 1) -> int | None:
        for candidate in range(index, min(index + blank_allowed + 1, len(self.lines))):
            if self.lines[candidate].raw.strip():
                return candidate
        return None

    def is_title(self, text: str) -> bool:
        return bool(self.title) and " ".join(text.split()).casefold() == self.title


def _head(page: _Page, index: int, *, bare_pingback: bool, strict: bool) -> _Entry | None:
    """The strong or medium comment header at ``index``, if one starts there; the caller
    reads its text from ``page.resume``.

    ``strict`` (no section header above) refuses what article prose could hold: "What the
    research says", "Anna says" with neither number nor date, a bare date line.
    ``bare_pingback`` accepts an unnumbered "[…] text […]" line, which inside a comment
    would be a quotation."""
    line = page.lines[index]
    text, number = line.text, line.number
    if not (text or number) or len(text) > MAX_HEADER_CHARS or text.startswith(_QUOTE_OPENERS):
        return None
    entry = _Entry(index + 1, "", indent=line.indent)
    after = index + 1
    if number and not text:  # "1." alone, the header on the next line
        name_index = page.next_nonblank(after)
        if name_index is None or strict:
            return None
        text, after = page.lines[name_index].text, name_index + 1
        if not text or len(text) > MAX_HEADER_CHARS:
            return None

    labelled = _LABELLED_PINGBACK.fullmatch(text)
    if not labelled and _is_sentence(text):
        if (number or bare_pingback) and "[" in text and _ELLIPSIS_PINGBACK.fullmatch(text):
            entry.shape, entry.kind, entry.first_text = "pingback", "pingback", text
            return _resume(page, entry, after)
        return None  # prose: no header shape ends a sentence
    if labelled:
        entry.shape, entry.kind, entry.first_text = "pingback", labelled["kind"].lower(), ""
        entry.first_text = labelled["text"].strip()
        return _resume(page, entry, after)
    if (number or bare_pingback) and "[" in text and _ELLIPSIS_PINGBACK.fullmatch(text):
        entry.shape, entry.kind, entry.first_text = "pingback", "pingback", text
        return _resume(page, entry, after)

    for shape, pattern in (("says", _SAYS), ("said", _SAID), ("commented", _COMMENTED)):
        match = pattern.fullmatch(text)
        if match is None:
            continue
        name = _clean_name(match["name"].strip())
        if name is None or (strict and name.split()[0].lower() in _NOT_NAME_OPENERS):
            return None
        span, resume = _date_after(page, after)
        if shape == "says" and strict and not number and span is None:
            return None
        entry.shape, entry.author = shape, name
        entry.posted_at = span.when if span else None
        return _resume(page, entry, resume)

    avatar = _AVATAR.fullmatch(text)
    if avatar and avatar["name"].strip().casefold() != "user":
        name = _clean_name(avatar["name"].strip())
        if name:
            entry.shape, entry.author = "avatar", name
            return _resume(page, entry, after)
    if _VOTES.fullmatch(text):
        entry.shape = "votes"
        return _resume(page, entry, after)
    comma = _NAME_COMMA.fullmatch(text)
    if comma:
        name = _clean_name(comma["name"].strip())
        if name and not _is_phrase(name):
            entry.shape, entry.author = "name_comma", name
            return _resume(page, entry, after)

    at = _NAME_AT.fullmatch(text)
    if at and (name := _clean_name(at["name"].strip())) and not _is_phrase(name):
        span, resume = _date_after(page, after)
        if span is not None:  # a mail archive: "jane at" (the domain cut), then the date
            entry.shape, entry.author, entry.posted_at = "mail_from", name, span.when
            return _resume(page, entry, resume)
    name = _clean_name(text)
    if name is not None and not _is_phrase(name):
        if _member_block_follows(page, after):
            entry.shape, entry.author = "forum", name
            return _resume(page, entry, after)
        span, resume = _date_after(page, after)
        if span is not None:
            entry.shape, entry.author, entry.posted_at = "name_date", name, span.when
            return _resume(page, entry, resume)
    inline = _name_and_date(_SCORE.sub("", text))  # "jdoe · 5 points · 2 years ago"
    if inline:
        entry.shape, entry.author, entry.posted_at = "name_date", inline[0], inline[1].when
        # Disqus: "Bob Stone  Jane Roe • 3 years ago", the arrow to the one replied to lost.
        replying = _REPLY_ARROW.split(inline[0], maxsplit=1)
        if len(replying) == 2:
            entry.author, entry.reply_to = replying[0].strip(), replying[1].strip()
        return _resume(page, entry, after)
    if not strict and (number or line.bullet or not page.lines[index - 1].text):
        span = _date_line(text)
        if span is not None and _date_only_header(page, index):
            entry.shape, entry.posted_at = "date", span.when
            return _resume(page, entry, after)
    return None


def _is_sentence(text: str) -> bool:
    return len(text) > 140 or (text[-1] in ".!?" and len(text.split()) >= 9)


def _date_only_header(page: _Page, index: int) -> bool:
    """A date line heads a comment whose name was lost only if text follows it."""
    following = page.next_nonblank(index + 1, blank_allowed=2)
    if following is None:
        return False
    text = page.lines[following].text
    return not (_date_line(text) or _is_chrome(text) or _is_section_header(text))


def _date_after(page: _Page, index: int) -> tuple[_DateSpan | None, int]:
    """A date line right after a header (one blank line allowed), and where the text resumes."""
    following = page.next_nonblank(index)
    if following is not None:
        span = _date_line(page.lines[following].text)
        if span is not None:
            return span, following + 1
    return None, index


def _member_block_follows(page: _Page, index: int) -> bool:
    """Whether a forum post's member details ("Member", "Posts: 812") follow the name line
    above ``index``, where this page's theme puts them under every poster's name."""
    offset = _member_offset(page, index)
    if offset is None:
        return False
    first, counts = offset
    if counts is None:  # no post counts: only a standing right under the name ("Staff member")
        return first == 1
    modal = page.member_offset()
    return modal is None or counts == modal


def _member_offset(page: _Page, index: int) -> tuple[int, int | None] | None:
    """(first member-detail line, the line giving the poster's counts) after a name line,
    as positions among the next non-blank lines; None when no details follow."""
    seen, first = 0, None
    for candidate in range(index, min(index + 8, len(page.lines))):
        text = page.lines[candidate].text
        if not text:
            continue
        seen += 1
        if _is_meta(text) and not text[0].isdigit():
            first = first or seen
            if _MEMBER_COUNTS.match(text):
                return first, seen
        if seen == 3:
            break
    return (first, None) if first else None


def _resume(page: _Page, entry: _Entry, index: int) -> _Entry:
    """Skip the rest of a comment's header: member details, dates, the thread's title
    repeated over a post, the poster's name with a rank; record where the text starts."""
    last_header, seen, blank_seen = index - 1, 0, False
    for candidate in range(index, min(index + 16, len(page.lines))):
        line = page.lines[candidate]
        text = line.text
        if not text:
            blank_seen = True
            continue
        seen += 1
        if seen > 10 or line.number or line.bullet:  # the next comment's header
            break
        if _is_header_furniture(page, entry, text):
            last_header = candidate
        elif blank_seen or not _is_label(text):
            break
    entry.lines = []
    page.resume = last_header + 1
    return entry


def _is_header_furniture(page: _Page, entry: _Entry, text: str) -> bool:
    if _is_meta(text) or _is_chrome(text) or page.is_title(text):
        return True
    if text.replace(",", "").replace(".", "").isdigit():
        return True
    span = _find_date(text) if len(text) <= 60 else None
    if span is not None and (span.end - span.start) * 2 >= len(text):  # mostly a date
        return not text.endswith((" wrote:", " said:"))  # "On 3 May, Ann wrote:" quotes
    if entry.author and text.startswith(entry.author) and len(text) <= len(entry.author) + 30:
        return not _quote_intro(text)
    return entry.shape == "forum" and text.startswith("to ") and len(text) <= 60


def _is_label(text: str) -> bool:
    """A short line inside a post header ("Ancient Archaean Dragon", "East of Suez")."""
    words = text.split()
    return len(words) <= 4 and text[-1] not in ".!?:" and not _quote_intro(text)


def _quote_intro(text: str) -> str | None:
    """The earlier commenter a reply opens by quoting or addressing, if any."""
    if len(text) > 80:
        return None
    match = _QUOTE_INTRO.match(text)
    if not match:
        return None
    name = (match["a"] or match["b"] or match["c"] or "").strip().rstrip(".")
    return name or None


# ---------------------------------------------------------------------------
# Readings of the section
# ---------------------------------------------------------------------------


@dataclass
class _Reading:
    shape: str
    entries: list[_Entry] = field(default_factory=list)
    unattributed: list[tuple[int, str]] = field(default_factory=list)
    score: float = 0.0
    confidence: float = 0.0
    why: str = ""
    saw_actions: bool = False
    """"Reply" / "Like" lines in the section: its comments are not bare paragraphs."""


def _read_with_heads(page: _Page, start: int, end: int, *, header: bool) -> _Reading:
    """The strong and medium shapes together (without a header: the opening ones only)."""
    reading = _Reading("headers")
    current: _Entry | None = None
    index = start
    while index < end:
        line = page.lines[index]
        text = line.text
        if not line.raw.strip():
            if current is not None and current.lines:  # blank lines before the text mean nothing
                current.lines.append("")
            index += 1
            continue
        if _RELATED_HEADING.fullmatch(text):
            current = None
            index = _end_of_block(page, index)
            continue
        # "[…] quoted […]" alone is a pingback only where comments are known to be.
        bare_pingback = current is None and (header or bool(reading.entries))
        entry = _head(page, index, bare_pingback=bare_pingback, strict=not header)
        if entry is not None and (header or _opens(entry, reading)):
            current = entry
            reading.entries.append(entry)
            index = page.resume
            continue
        if text.isdigit() and _action_follows(page, index):
            index += 1  # the comment's vote count, above its "Reply" line
            continue
        if _is_section_header(text) or _is_chrome(text) or _is_action(text):
            # A "Reply" line under a header, before any text, is not the end of that comment.
            if current is not None and (current.has_text() or not _is_action(text)):
                current = None
        elif current is not None:
            current.lines.append(page.raw[index])
        else:
            reading.unattributed.append((index + 1, text))
        index += 1
    return reading


def _action_follows(page: _Page, index: int) -> bool:
    following = page.next_nonblank(index + 1, blank_allowed=0)
    return following is not None and _is_action(page.lines[following].text)


def _opens(entry: _Entry, reading: _Reading) -> bool:
    """Whether a header may start the comments where no section header did: the opening
    shapes, any shape once comments have started, a name over a date (the scoring refuses
    one alone: it is an article's signature)."""
    return entry.shape in _OPENING or bool(reading.entries) or entry.shape == "name_date"


def _read_by_shape(page: _Page, start: int, end: int, shape: str) -> _Reading:
    """A weak shape alone: bare name lines, numbered paragraphs, blocks ended by actions."""
    reading = _Reading(shape)
    current: _Entry | None = None
    ended = True  # for "actions": the previous block ended with an action line
    for index in range(start, end):
        line = page.lines[index]
        text = line.text
        if not text:
            if current is not None and current.lines:
                current.lines.append("")
            continue
        starts = False
        if shape == "name":
            name = _clean_name(text) if len(text) <= 40 else None
            starts = (
                name is not None
                and not _is_phrase(name)
                and not _is_meta(text)
                and len(name.split()) <= 3
                and _text_follows(page, index)
            )
            if starts:
                current = _Entry(index + 1, shape, author=name, indent=line.indent)
        elif shape == "numbered":
            starts = line.number and bool(text) and _clean_name(text) is None
            if starts:
                current = _Entry(index + 1, shape, first_text=text, indent=line.indent)
        if starts:
            reading.entries.append(current)
            continue
        if _is_action(text):
            if current is not None and current.has_text():
                current.ended_by_action = ended = True
            current = None
            continue
        if _is_chrome(text) or _is_section_header(text):
            continue
        if current is None and shape == "actions" and ended:
            current = _Entry(index + 1, shape, indent=line.indent)
            reading.entries.append(current)
            ended = False
        if current is not None:
            current.lines.append(page.raw[index] if not line.number else line.raw)
        else:
            reading.unattributed.append((index + 1, text))
    if shape == "actions" and reading.entries and not ended:
        reading.entries[-1].shape = "actions_open"  # the page ends inside it
    return reading


def _text_follows(page: _Page, index: int) -> bool:
    following = page.next_nonblank(index + 1)
    if following is None:
        return False
    text = page.lines[following].text
    return not (_is_chrome(text) or _is_section_header(text) or _is_meta(text))


def _read_paragraphs(page: _Page, start: int, end: int) -> _Reading:
    """Blank-line paragraphs under a header, one comment each, names lost."""
    reading = _Reading("paragraphs")
    current: _Entry | None = None
    for index in range(start, end):
        text = page.lines[index].text
        if not text:
            current = None
            continue
        if _is_chrome(text) or _is_action(text) or _is_section_header(text):
            if _is_action(text):
                reading.saw_actions = True
            current = None
            continue
        if current is None:
            current = _Entry(index + 1, "paragraphs")
            reading.entries.append(current)
        current.lines.append(page.raw[index])
    return reading


def _drop_trailing_menu(page: _Page, entry: _Entry) -> None:
    """The site's menu after the last comment ("• All", "• Subscribed", "• Moderated"…): a
    run of three or more one- to three-word list items ending the page."""
    lines = entry.lines
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and _is_menu_item(_line(lines[start - 1])):
        start -= 1
    if end - start >= 3:
        del lines[start:]


def _is_menu_item(line: _Line) -> bool:
    return (line.bullet or line.number) and 0 < len(line.text.split()) <= 3


def _end_of_block(page: _Page, index: int) -> int:
    while index < len(page.lines) and page.lines[index].text:
        index += 1
    return index


# ---------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------


def _score(reading: _Reading, header: bool, declared: int | None) -> None:
    """Score a reading and say how sure it is; a reading not to be taken scores 0."""
    texted = [e for e in reading.entries if e.has_text()]
    empty = len(reading.entries) - len(texted)
    # Text above the first comment is the article's when there is no header.
    first = reading.entries[0].line if reading.entries and not header else 0
    prose_left = sum(
        1 for line, text in reading.unattributed if line > first and len(text.split()) >= 4
    )
    score = sum(_WEIGHTS.get(e.shape, WEAK) for e in texted) - 0.5 * empty - 0.5 * prose_left
    authors = [e.author.casefold() for e in texted if e.author]
    confirmed = _confirmed_authors(texted)
    score += 0.5 * sum(1 for a in authors if a in confirmed)
    if declared is not None and declared == len(texted):
        score += 1.0
    reading.score, reading.confidence = score, 1.0
    if not texted:
        reading.score = 0.0
        return
    shape = reading.shape
    if shape == "headers":
        if not header and all(_WEIGHTS[e.shape] < STRONG for e in texted) and len(texted) < 2:
            reading.score = 0.0  # one name over a date, no header: an article's signature
        reading.confidence = 1.0 if any(_WEIGHTS[e.shape] == STRONG for e in texted) else 0.8
        return
    if shape == "name":
        # Bare name lines only where the names prove themselves: quoted or repeated.
        known = sum(1 for a in authors if a in confirmed)
        ok = len(texted) >= 3 and known >= 2 and known * 2 >= len(texted)
        reading.confidence, reading.why = 0.7, "bare name lines"
    elif shape == "numbered":
        ok = len(texted) >= 2 and (header or _ends_in_actions(reading))
        reading.confidence, reading.why = 0.8, "numbered paragraphs"
        if not ok and len(texted) >= 2 and _numbered_list_ends_page(reading):
            ok, reading.confidence = True, 0.4
            reading.why = "numbered paragraphs at the end of the page, no comment header"
    elif shape == "actions":
        ok = header and len(texted) >= 2 and _ends_in_actions(reading)
        reading.confidence, reading.why = 0.8, "blocks ended by comment actions"
    else:  # paragraphs
        count_ok = declared is not None and len(texted) == declared
        ok = header and len(texted) >= 2 and (count_ok or (declared or 0) >= len(texted))
        ok = ok and not reading.saw_actions
        reading.confidence = 0.8 if count_ok else 0.4
        reading.why = "paragraphs under the comment header"
    if not ok:
        reading.score = 0.0


def _confirmed_authors(entries: list[_Entry]) -> set[str]:
    """Names that head more than one comment or that another comment quotes or addresses."""
    seen: dict[str, int] = {}
    for entry in entries:
        if entry.author:
            seen[entry.author.casefold()] = seen.get(entry.author.casefold(), 0) + 1
    confirmed = {name for name, count in seen.items() if count > 1}
    for entry in entries:
        quoted = _opening_quote(entry)
        if quoted and quoted.casefold() in seen:
            confirmed.add(quoted.casefold())
    return confirmed


def _opening_quote(entry: _Entry) -> str | None:
    for line in entry.lines:
        if line.strip():
            return _quote_intro(line.strip())
    return None


def _ends_in_actions(reading: _Reading) -> bool:
    """Each comment but perhaps the last (cut off by the save) was followed by actions."""
    return all(e.ended_by_action for e in reading.entries[:-1]) and any(
        e.ended_by_action for e in reading.entries
    )


def _numbered_list_ends_page(reading: _Reading) -> bool:
    """Indented, blank-separated long numbered paragraphs, and nothing but them at the end."""
    entries = reading.entries
    return all(line < entries[0].line for line, _ in reading.unattributed) and all(
        e.indent > 0 and len(e.body()) >= 60 for e in entries
    )


# ---------------------------------------------------------------------------
# Parents
# ---------------------------------------------------------------------------


def _link_parents(entries: list[_Entry]) -> None:
    """Parents shown by indentation, or by a reply opening on an earlier commenter's name."""
    indents = {e.indent for e in entries}
    for position, entry in enumerate(entries):
        quoted = entry.reply_to or _opening_quote(entry)
        if quoted:
            name = quoted.casefold()
            for earlier in range(position - 1, -1, -1):
                if entries[earlier].author.casefold() == name:
                    entry.parent = earlier
                    break
            if entry.parent is not None:
                continue
        if len(indents) > 1:
            for earlier in range(position - 1, -1, -1):
                if entries[earlier].indent < entry.indent:
                    entry.parent = earlier
                    break


# ---------------------------------------------------------------------------
# The section
# ---------------------------------------------------------------------------


@dataclass
class CommentSection:
    """What the section holds: its comments, the text left over, how sure the reading is."""

    entries: list[_Entry] = field(default_factory=list)
    unattributed: list[tuple[int, str]] = field(default_factory=list)
    confidence: float = 0.0
    why: str = ""

    @property
    def first_line(self) -> int | None:
        """The index of the section's first comment line, if it has comments."""
        return self.entries[0].line - 1 if self.entries else None


_DECLARED = re.compile(r"\s*(\d{1,6})\s")


def read_section(
    raw_lines: list[str], start: int, end: int, *, title: str, header_text: str | None
) -> CommentSection:
    """The best reading of ``raw_lines[start:end]``; ``header_text`` is the section header
    above it, or None when the page has none (then only shapes prose never takes count)."""
    page = _Page(raw_lines, title)
    header = header_text is not None
    declared_match = _DECLARED.match(header_text or "")
    declared = int(declared_match[1]) if declared_match else None
    readings = [_read_with_heads(page, start, end, header=header)]
    if not any(e.has_text() for e in readings[0].entries):
        readings += [_read_by_shape(page, start, end, s) for s in ("name", "numbered", "actions")]
        if header:
            readings.append(_read_paragraphs(page, start, end))
    for reading in readings:
        _score(reading, header, declared)
    best = max(readings, key=lambda r: r.score)
    if best.score <= 0:
        return CommentSection(unattributed=readings[0].unattributed)
    entries = best.entries
    if best.shape == "name":  # before the first confirmed name, the names are page chrome
        confirmed = _confirmed_authors([e for e in entries if e.has_text()])
        first = next(i for i, e in enumerate(entries) if e.author.casefold() in confirmed)
        entries = entries[first:]
    if entries:
        _drop_trailing_menu(page, entries[-1])
    _link_parents(entries)
    unattributed = [u for u in best.unattributed if not entries or u[0] > entries[0].line]
    if not header:  # text above the first comment is the article's
        unattributed = [u for u in unattributed if u[0] > entries[0].line]
    return CommentSection(entries, unattributed, best.confidence, best.why)


def opens_page(raw_lines: list[str], index: int) -> bool:
    """Whether the page's first line is already a comment's header (a mail-archive message,
    a saved comments page): a shape prose never has."""
    page = _Page(raw_lines, "")
    entry = _head(page, index, bare_pingback=False, strict=True)
    return entry is not None and entry.shape in _OPENING


def comment_records(section: CommentSection, article_key: str) -> Iterator[CommentRecord | Problem]:
    """The section's comments as records (replies naming their parent), then notices."""
    position = 0
    ids: list[str | None] = []
    copies: dict[bytes, int] = {}
    with_parents = any(entry.parent is not None for entry in section.entries)
    for entry in section.entries:
        body = entry.body()
        if not entry.has_text() or not body:
            ids.append(None)
            who = f"by {entry.author}" if entry.author else "without an author"
            yield Problem(f"{entry.kind} {who} has no text", line=entry.line)
            continue
        position += 1
        ids.append(None)
        if with_parents:  # the id ingest derives for a comment without one: a reply names it
            key = comment_content_key(article_key, entry.author, body)
            copy = copies.get(key, 0)
            copies[key] = copy + 1
            ids[-1] = derived_comment_id(key, copy)
        yield CommentRecord(
            article_key=article_key,
            body=body,
            author_name=entry.author,
            position=position,
            kind=entry.kind,
            posted_at=entry.posted_at,
            parent_external_id=ids[entry.parent] if entry.parent is not None else None,
            line=entry.line,
        )
    if section.entries and section.confidence < 0.7:
        yield Problem(
            f"comments read with low confidence ({section.why}); check them",
            line=section.entries[0].line,
            kind="notice",
        )
    if section.unattributed:
        line, text = section.unattributed[0]
        snippet = text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rstrip() + "…"
        if section.entries:
            message = f"comment section text skipped, not part of any comment: {snippet}"
        else:
            message = f"comments not recognised: {snippet}"
        yield Problem(message, line=line, kind="notice")
