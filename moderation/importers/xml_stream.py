"""Reading large XML exports safely, one record element at a time.

WordPress and Disqus exports can run to gigabytes and arrive from anywhere, so:

* the XML is fed in chunks to defusedxml's parser, whose tree builder hands
  over each record element (a WXR ``<item>``, a Disqus ``<thread>``) as soon
  as it is complete; it is cleared and detached once the caller has used it,
  so memory stays bounded by the largest single record, not the file;
* entity declarations (billion laughs, quadratic blow-up) and external entities
  (XXE, ``SYSTEM "file:///etc/passwd"``) are refused, never expanded;
* whatever goes wrong, the caller sees only :class:`ImportFormatError`, naming
  the source and, when known, the line.

Real exports are often slightly broken at the start (a byte-order mark, blank
lines, a PHP warning printed before ``<?xml``), so reading starts at the XML
declaration, doctype or root element, whichever comes first.
"""

from __future__ import annotations

import contextlib
import re
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO, TextIO
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import defusedxml.ElementTree as safe_etree
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from .decoding import open_text
from .records import ImportFormatError

HEAD_CHARS = 64 * 1024
FEED_CHARS = 64 * 1024


def iter_record_elements(
    stream: BinaryIO, source: str, root_name: str, depth: int
) -> Iterator[tuple[Element, dict[Element, int]]]:
    """Yield ``(element, lines)`` for every element ending ``depth`` levels below the root.

    ``lines`` maps the element and each of its descendants to the source line
    where it starts. The root element must have the local name ``root_name``.
    Children of the root are at depth 1 (Disqus ``<thread>``), their children
    at depth 2 (WXR ``<item>``, inside ``<channel>``). Each yielded element is
    complete; once the caller asks for the next one it is cleared and removed
    from its parent, so do not keep references to it.

    Raises only :class:`ImportFormatError`.
    """
    text = open_text(stream, source)  # refuses binary files
    try:
        yield from _iter_elements(text, source, root_name, depth)
    finally:
        # Give the caller's stream back open: a TextIOWrapper closes it when collected.
        with contextlib.suppress(ValueError, OSError):
            text.detach()


def _iter_elements(
    text: TextIO, source: str, root_name: str, depth: int
) -> Iterator[tuple[Element, dict[Element, int]]]:
    reader = _DocumentReader(text, root_name)
    collector = _RecordCollector(depth)
    parser = safe_etree.XMLParser(
        target=collector, forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    expat = collector.expat = parser.parser

    def failure(message: str, line: int | None) -> ImportFormatError:
        return ImportFormatError(source, message, line + reader.skipped_lines if line else None)

    while True:
        try:
            chunk = reader.read(FEED_CHARS)
            collector.line_offset = reader.skipped_lines
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
        except (EntitiesForbidden, DTDForbidden):
            message = "entity declarations are not allowed (they can be used to exhaust memory)"
            raise failure(message, expat.CurrentLineNumber) from None
        except ExternalReferenceForbidden:
            message = "external entity references are not allowed (they can read local files)"
            raise failure(message, expat.CurrentLineNumber) from None
        except ParseError as error:
            line = error.position[0] if error.position else None
            raise failure(f"malformed XML: {_expat_message(error)}", line) from None
        except UnicodeDecodeError as error:
            # The decoder works a block ahead, so the line is where that block starts.
            message = (
                f"not valid text in the detected encoding ({error.reason}), here or soon after"
            )
            raise ImportFormatError(source, message, reader.lines_read + 1) from None
        except (ValueError, LookupError, OSError, RecursionError, MemoryError) as error:
            raise failure(f"cannot read the XML: {error}", expat.CurrentLineNumber) from None

        if collector.root_tag is not None and local_name(collector.root_tag) != root_name:
            found = local_name(collector.root_tag)
            raise failure(f"expected <{root_name}> as the root element, found <{found}>", None)
        while collector.finished:
            element, lines, parent = collector.finished.popleft()
            yield element, lines
            element.clear()
            parent.remove(element)
        if not chunk:
            return


class _RecordCollector(TreeBuilder):
    """A TreeBuilder that hands over each record element as soon as it is complete.

    It also notes the line where each element inside a record starts: expat
    knows it only while it is inside the start callback.
    """

    def __init__(self, record_depth: int) -> None:
        super().__init__()
        self.expat = None  # the expat parser feeding us, for line numbers
        self.line_offset = 0  # lines skipped before the document started
        self.record_depth = record_depth
        self.root_tag: str | None = None
        self.open_above_records: list[Element] = []  # the root ... records' parent
        self.open_count = 0
        self.lines: dict[Element, int] = {}
        self.finished: deque[tuple[Element, dict[Element, int], Element]] = deque()

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        if self.root_tag is None:
            self.root_tag = tag
        if self.open_count < self.record_depth:
            self.open_above_records.append(element)
        else:
            self.lines[element] = self.expat.CurrentLineNumber + self.line_offset
        self.open_count += 1
        return element

    def end(self, tag):
        element = super().end(tag)
        self.open_count -= 1
        if self.open_count < self.record_depth:
            self.open_above_records.pop()
        elif self.open_count == self.record_depth:
            self.finished.append((element, self.lines, self.open_above_records[-1]))
            self.lines = {}
        return element


class _DocumentReader:
    """A ``read(size)`` over decoded text that starts where the XML document starts.

    Anything before the XML declaration, a doctype or the expected root element
    (whichever comes first) is skipped; ``skipped_lines`` says how many lines
    that was, so that expat's line numbers can be turned into the file's.
    """

    def __init__(self, text: TextIO, root_name: str):
        self.text = text
        self.started = False
        self.skipped_lines = 0
        self.lines_read = 0  # for errors found while decoding
        self.document_start = re.compile(
            r"<\?xml|<!DOCTYPE|<" + re.escape(root_name) + r"[\s>/]", re.IGNORECASE
        )

    def read(self, size: int = -1) -> str:
        if self.started:
            chunk = self.text.read(size)
        else:
            self.started = True
            chunk = self._read_from_document_start()
        self.lines_read += chunk.count("\n")
        return chunk

    def _read_from_document_start(self) -> str:
        while True:
            head = self.text.read(HEAD_CHARS)
            if not head:
                return ""
            found = self.document_start.search(head)
            start = found.start() if found else head.find("<")
            if start >= 0:
                self.skipped_lines += head.count("\n", 0, start)
                self.lines_read = self.skipped_lines
                return head[start:]
            self.skipped_lines += head.count("\n")


def _expat_message(error: ParseError) -> str:
    # "mismatched tag: line 12, column 4" -> "mismatched tag"; the line goes in the error.
    return re.sub(r":\s*line \d+, column \d+$", "", str(error))


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rpartition("}")[2]


def namespace_of(tag: str) -> str:
    """``{namespace}name`` -> ``namespace`` ("" when there is none)."""
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def attribute(element: Element, name: str) -> str | None:
    """The value of the attribute with local name ``name``, whatever its namespace."""
    for key, value in element.attrib.items():
        if local_name(key) == name:
            return value
    return None


def child(element: Element, name: str) -> Element | None:
    """The first direct child with local name ``name``."""
    for candidate in element:
        if local_name(candidate.tag) == name:
            return candidate
    return None


def child_text(element: Element, name: str) -> str:
    """The stripped text of the first direct child named ``name``, or ""."""
    found = child(element, name)
    return (found.text or "").strip() if found is not None else ""


def parse_utc_datetime(value: str | None) -> datetime | None:
    """ISO 8601 or "YYYY-MM-DD HH:MM:SS" as an aware UTC datetime; None when unusable.

    Times without an offset are taken as UTC (both formats' exports say GMT/UTC).
    WordPress writes "0000-00-00 00:00:00" for "no date", which gives None.
    """
    value = (value or "").strip()
    if not value or value.startswith("0000"):
        return None
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
