"""Comment and article bodies as plain text, whatever HTML they arrive in.

Bodies are stored and scored as plain text, never as HTML. The conversion keeps
what a reader would see: paragraphs (as blank-line-separated text), line breaks,
the text of links plus their address when it differs from the text. Scripts,
styles and markup go.

WordPress stores most comments as plain text with newlines (its ``wpautop``
adds the ``<p>`` tags only when displaying), so text with no block-level tags
keeps its newlines; in real HTML, newlines are just whitespace.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser


def _tags(names: str) -> frozenset[str]:
    return frozenset(names.split())


# Tags that end the current paragraph: a blank line before and after.
PARAGRAPH_TAGS = _tags(
    "p blockquote pre h1 h2 h3 h4 h5 h6 ul ol dl table figure hr "
    "section article header footer aside address"
)
# Tags that start a new line but not a new paragraph.
LINE_TAGS = _tags("br div li dt dd tr caption figcaption")
# Tags whose content a reader never sees.
HIDDEN_TAGS = _tags("script style template noscript head title iframe object")
# Link addresses worth showing; javascript: and data: URLs are not.
SHOWN_URL = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)

_BLOCK_TAG = re.compile(
    r"<\s*/?\s*(" + "|".join(sorted(PARAGRAPH_TAGS | LINE_TAGS)) + r")\b", re.IGNORECASE
)
_ANY_TAG = re.compile(r"<[^>]*>")
# Whitespace other than newlines that is not already a single space. (Matching
# every single space too would be correct but slow on long comments.)
_SPACES = re.compile(r"[^\S\n]{2,}|[^\S\n ]")
_BLANK_LINES = re.compile(r"\n{3,}")

# Breaks are kept as counts of newlines until the text is assembled, so that
# "</li><li>" or "</p><p>" give one break, not two.
LINE_BREAK = 1
PARAGRAPH_BREAK = 2


def html_to_text(markup: str) -> str:
    """Plain text of an HTML (or plain-text) body; never raises.

    Paragraphs come out separated by one blank line, line breaks as single
    newlines, whitespace within a line collapsed to single spaces, and the
    result stripped.
    """
    if not isinstance(markup, str) or not markup:
        return ""
    markup = markup.replace("\r\n", "\n").replace("\r", "\n")
    if "<" not in markup:
        # Plain text, the usual WordPress comment: skip the parser (it is the slow part).
        return _normalise_whitespace(html.unescape(markup))
    keep_newlines = _BLOCK_TAG.search(markup) is None
    converter = _TextCollector(keep_newlines)
    try:
        converter.feed(markup)
        converter.close()
        text = converter.text()
    except Exception:
        # html.parser still has rare paths that raise (AssertionError on odd
        # "<![" sections); a crude strip is better than losing the comment.
        text = html.unescape(_ANY_TAG.sub(" ", markup))
    return _normalise_whitespace(text)


def _normalise_whitespace(text: str) -> str:
    text = "\n".join([_tidy_line(line) for line in text.split("\n")])
    if "\n\n\n" in text:  # the regex alone costs microseconds even when nothing matches
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def _tidy_line(line: str) -> str:
    # Every whitespace character but " " is unprintable, so a printable line
    # without a double space has nothing for _SPACES to replace: skip the regex.
    if line.isprintable() and "  " not in line:
        return line.strip()
    return _SPACES.sub(" ", line).strip()


def _same_address(text: str, url: str) -> bool:
    """True when a link's text already says its address (scheme and trailing / aside)."""

    def bare(value: str) -> str:
        value = re.sub(r"^(https?://|mailto:)", "", value.strip(), flags=re.IGNORECASE)
        return value.rstrip("/").lower()

    return bare(text) == bare(url)


class _TextCollector(HTMLParser):
    """Collects the visible text of a document, with breaks where blocks are."""

    def __init__(self, keep_newlines: bool):
        super().__init__(convert_charrefs=True)
        self.keep_newlines = keep_newlines
        self.pieces: list[str | int] = []  # text, or a break of that many newlines
        self.hidden_depth = 0
        self.pre_depth = 0
        # One entry per open <a>: (href or None, index in pieces where its text starts).
        self.open_links: list[tuple[str | None, int]] = []

    def text(self, start: int = 0) -> str:
        """The text collected from ``pieces[start]`` on, adjacent breaks merged."""
        out: list[str] = []
        pending_newlines = 0
        for piece in self.pieces[start:]:
            if isinstance(piece, int):
                pending_newlines = max(pending_newlines, piece)
            elif pending_newlines and not piece.strip():
                continue  # whitespace between blocks is not content
            else:
                if pending_newlines:
                    out.append("\n" * pending_newlines)
                    pending_newlines = 0
                out.append(piece)
        return "".join(out)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.pieces.append("\n")  # literal, so that <br><br> makes a blank line
        elif tag in HIDDEN_TAGS:
            self.hidden_depth += 1
        elif tag in PARAGRAPH_TAGS:
            self.pieces.append(PARAGRAPH_BREAK)
            if tag == "pre":
                self.pre_depth += 1
        elif tag in LINE_TAGS:
            self.pieces.append(LINE_BREAK)
        elif tag == "a":
            href = dict(attrs).get("href")
            self.open_links.append((href, len(self.pieces)))
        elif tag in ("td", "th"):
            self.pieces.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <hr/>: a start with no content; never open a hidden section or link.
        if tag == "br":
            self.pieces.append("\n")
        elif tag in PARAGRAPH_TAGS:
            self.pieces.append(PARAGRAPH_BREAK)
        elif tag in LINE_TAGS:
            self.pieces.append(LINE_BREAK)

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_TAGS:
            self.hidden_depth = max(0, self.hidden_depth - 1)
        elif tag in PARAGRAPH_TAGS:
            self.pieces.append(PARAGRAPH_BREAK)
            if tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)
        elif tag in LINE_TAGS and tag != "br":
            self.pieces.append(LINE_BREAK)
        elif tag == "a" and self.open_links:
            self._close_link()

    def handle_data(self, data: str) -> None:
        if self.hidden_depth:
            return
        if not (self.keep_newlines or self.pre_depth):
            data = data.replace("\n", " ")
        self.pieces.append(data)

    def _close_link(self) -> None:
        href, start = self.open_links.pop()
        if not href or not SHOWN_URL.match(href.strip()):
            return
        href = href.strip()
        link_text = " ".join(self.text(start).split())
        if not link_text:
            self.pieces.append(href)
        elif not _same_address(link_text, href):
            self.pieces.append(f" ({href})")
