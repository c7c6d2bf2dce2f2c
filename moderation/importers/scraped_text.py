"""Scraped article pages saved as plain text: the article, then its reader comments.

A page saved from a browser ("Save as text", a copy-paste, a scraper's text
dump) has no markup left, only lines. This parser reads it in three steps:

1. **Where the comments start.** A section header ("12 Comments", "3 thoughts
   on “…”", "Leave a Reply", "Comments (4)") or, without a header, the first
   comment of a layout prose never has (see :mod:`.comment_section`: "Name
   says", "Name said...", a forum post's member block, "Name's avatar"...).
   Everything before is the article. A page that opens with its comments (a
   saved comments page, a mail-archive message) has an empty article.
2. **The article.** The title is the first meaningful line (or the line right
   after a "Published on …" line that follows section labels); bylines and
   date lines under it give the author and date; site furniture (share and
   subscribe lines, "Source: …", disclaimers, author bios, comment-form text)
   is dropped from the body.
3. **The comments.** :mod:`.comment_section` learns how this page lays out each
   comment, keeps the most consistent reading and says how sure it is; text it
   cannot explain is reported as a notice, never turned into comments: guessing
   would put article paragraphs or page chrome into the moderation queue.

There is no URL in these files, so the article key is a hash of the title and
the start of the body, and the site is left for the ingest layer to set.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from . import Format, register
from .comment_section import comment_records, is_thread_chrome, opens_page, read_section
from .decoding import SNIFF_BYTES, decode_bytes, looks_binary
from .page_lines import (
    _ABOUT_AUTHOR,
    _BIO_SENTENCE,
    _BYLINE,
    _NAME_SEPARATOR,
    _PERSON,
    _PUBLICATION_LABEL,
    _PUBLICATION_PREFIX,
    _RELATED_HEADING,
    _TITLE_BLURB,
    MAX_HEADER_CHARS,
    _date_line,
    _DateSpan,
    _find_date,
    _is_furniture,
    _is_section_header,
    _name_and_date,
    parse_comment_date,
)
from .records import ArticleRecord, ImportFormatError, Record

__all__ = ["parse", "parse_comment_date", "sniff"]


def _next_nonblank(lines: list[str], index: int, *, blank_allowed: int = 1) -> int | None:
    """The index of the next non-blank line, if no more than ``blank_allowed`` blanks intervene."""
    for candidate in range(index, min(index + blank_allowed + 1, len(lines))):
        if lines[candidate].strip():
            return candidate
    return None


def _end_of_block(lines: list[str], index: int) -> int:
    while index < len(lines) and lines[index].strip():
        index += 1
    return index


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
            _is_furniture(text)
            or _is_publication_line(text)
            or _is_section_header(text)
            or is_thread_chrome(text)
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
    header_at = _comment_header(lines, first_line)
    if header_at == first_line or (header_at is None and opens_page(lines, first_line)):
        # A page of comments only: no article above them, a title perhaps in the header.
        title = _title_in_header(lines[first_line]) if header_at is not None else ""
        article = ArticleRecord(key=_article_key(title, ""), title=title, body="")
        yield article
        section = read_section(
            lines,
            first_line + (header_at is not None),
            len(lines),
            title=title,
            header_text=lines[header_at].strip() if header_at is not None else None,
        )
        yield from comment_records(section, article.key)
        return

    head = _find_article_head(lines, len(lines) if header_at is None else header_at, source)
    after_head = max(head.consumed | {head.title_index}) + 1
    # Comments may start above the header ("1. Ann says …", then "Leave a Reply").
    early = read_section(
        lines, after_head, header_at or len(lines), title=head.title, header_text=None
    )
    comments_at = early.first_line if early.entries else header_at
    # A post header among the lines taken for the title block ("Name / Staff member / date"):
    # the title is above it.
    opening = next((i for i in range(first_line + 1, after_head) if opens_page(lines, i)), None)
    if opening is not None:
        comments_at = opening
    if comments_at is None:
        section = None
        article_end = len(lines)
    else:
        header_text = lines[header_at].strip() if header_at is not None else None
        section = read_section(lines, comments_at, len(lines), title=head.title,
                               header_text=header_text)  # fmt: skip
        article_end = comments_at
        if section.first_line is not None and header_at is None:
            article_end = section.first_line
    if article_end != (header_at or len(lines)):
        head = _find_article_head(lines, article_end, source)
    article = _article(lines, head, article_end)
    yield article
    if section is not None:
        yield from comment_records(section, article.key)


def _article(lines: list[str], head: _ArticleHead, end: int) -> ArticleRecord:
    body_lines, bio_author = _cut_author_bio(_article_body_lines(lines, head, end), head.author)
    author = head.author or bio_author
    if author:  # pages repeat the author's name as a line of its own (bio boxes, sign-offs)
        body_lines = [line for line in body_lines if line != author]
    body = _tidy_paragraphs("\n".join(body_lines))
    return ArticleRecord(
        key=_article_key(head.title, body),
        title=head.title,
        author=author,
        published_at=head.published_at,
        body=body,
        line=head.title_index + 1,
    )


_QUOTED_TITLE = re.compile(r"\s(?:on|to|for)\s+[“\"‘']?(?P<title>.+?)[”\"’']?:?$")


def _title_in_header(header: str) -> str:
    """The article's title a comment header quotes ("3 thoughts on “Title”"), if any."""
    match = _QUOTED_TITLE.search(header.strip())
    return match["title"].strip() if match else ""


def _comment_header(lines: list[str], begin: int) -> int | None:
    """The line of the comment section's header, if the page has one.

    A header among the first few lines, above the article's first paragraph,
    is the page's meta line ("By Jane Doe | 12 Comments"), not the comment
    section, unless comments follow it. "No comments" says there are none.
    """
    in_page_header = True
    lines_seen = 0
    for index in range(begin, len(lines)):
        text = lines[index].strip()
        if not text:
            continue
        lines_seen += 1
        in_page_header = in_page_header and lines_seen <= 6 and not _is_prose(text)
        if not _is_section_header(text) or text.lower().startswith("no "):
            continue
        if not in_page_header or _comment_follows(lines, index):
            return index
    return None


def _comment_follows(lines: list[str], index: int) -> bool:
    """Whether comments follow the header at ``index``, before any other header."""
    end = next(
        (i for i in range(index + 1, len(lines)) if _is_section_header(lines[i].strip())),
        len(lines),
    )
    section = read_section(lines, index + 1, end, title="", header_text=lines[index].strip())
    return bool(section.entries)


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
