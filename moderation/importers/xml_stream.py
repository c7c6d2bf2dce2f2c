"""Reading large XML exports safely and quickly, one record element at a time.

WordPress and Disqus exports can run to gigabytes and arrive from anywhere, so:

* the bytes are read in chunks and each record element (a WXR ``<item>``, a
  Disqus ``<post>``) is cut out of them (:mod:`.xml_split`) and parsed on its
  own by lxml (libxml2, in C) as soon as it is complete, so memory stays bounded
  by the largest single record, not the file, and a malformed record is left out
  with a notice instead of failing the file; the rest, the document's skeleton,
  goes through one pull parser, which checks its structure;
* a document type declaration with an internal subset (``<!DOCTYPE rss [...]>``,
  where entities are declared: billion laughs, quadratic blow-up, XXE such as
  ``SYSTEM "file:///etc/passwd"``) is refused before the parser sees a byte of
  it; as a second line of defence the parser never substitutes entities, never
  loads a DTD and never touches the network;
* whatever goes wrong, the caller sees only :class:`ImportFormatError`, naming
  the source and, when known, the line.

Real exports are often slightly broken at the start (a byte-order mark, blank
lines, a PHP warning printed before ``<?xml``), so parsing starts at the XML
declaration, doctype or root element, whichever comes first, and line numbers
are shifted back to count the lines skipped.

UTF-16 (with a byte-order mark or without) is re-encoded as UTF-8 first (see
:mod:`.decoding`). Text is decoded by libxml2 as the XML declaration says; when it names no
encoding, as UTF-8, or as Windows-1252 (the usual alternative) if the start of
the file is not valid UTF-8. Bytes invalid in that encoding stop the import
with a message naming the line.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from lxml import etree

from .decoding import as_utf8, detect_encoding, refuse_binary, refuse_mixed_encodings
from .records import ImportFormatError, Problem, as_utc, date_notice, in_date_range
from .xml_split import Piece, RecordSplitter

READ_BYTES = 64 * 1024
MAX_PROLOG_BYTES = 1024 * 1024
"""How far into the file the root element must start (leading garbage included)."""
LOOKAHEAD_BYTES = 1024
"""While checking the prolog, how much must be read beyond a point before judging it."""
BIG_LINE = 65535
"""libxml2 stores an element's line in 16 bits: from here on it is approximate."""

Element = etree._Element  # lxml's element class; it has no public name


class RecordReader:
    """The record elements of one XML export, in document order, each parsed on its own.

    Records are the elements whose local name (namespace ignored) is in
    ``records``: Disqus ``<thread>`` and ``<post>``, a WXR ``<item>``. Their bytes
    are cut out of the document (see :mod:`.xml_split`) and parsed one by one, so
    that a malformed record is left out with a :class:`~.records.Problem` naming
    its line while the rest imports. The rest of the document, its skeleton, goes
    through one pull parser, which checks its structure (a file cut short is
    refused whole) and hands over the elements named in ``names`` that are
    ``depth`` levels below the root (a WXR channel's ``<link>``, at depth 2). The
    root element must have the local name ``root_name``.

        reader = RecordReader(stream, "export.xml", "rss", records=("item",))
        for item in reader:
            if isinstance(item, Problem): ...
            print(reader.line(item), item.findtext("title"))

    Each element is complete when handed over; when the caller asks for the
    next one it may be emptied and detached, so do not keep references to it.
    Iterating raises only :class:`ImportFormatError`. The stream is left open.
    """

    def __init__(
        self,
        stream: BinaryIO,
        source: str,
        root_name: str,
        records: tuple[str, ...],
        depth: int = 1,
        names: tuple[str, ...] = (),
    ) -> None:
        self.stream = stream
        self.source = source
        self.root_name = root_name
        self.records = records
        self.depth = depth
        self.names = names
        self.lines_skipped = 0  # garbage lines before the document, known once reading starts
        self._lines_before = 0  # lines of the file before the element handed over

    def line(self, element: Element) -> int | None:
        """The line of the file where ``element`` (the one handed over, or inside it) starts."""
        line = element.sourceline
        if not line:
            return None
        if line >= BIG_LINE and element.text:
            # libxml2 keeps a line number over 65535 only on text nodes, where it is
            # the line the text ends on; an element reports its first child's.
            line -= element.text.count("\n")
        return line + self._lines_before

    def __iter__(self) -> Iterator[Element | Problem]:
        try:
            yield from self._records()
        except ImportFormatError:
            raise
        except (OSError, ValueError, LookupError, MemoryError, etree.LxmlError) as error:
            raise ImportFormatError(self.source, f"cannot read the XML: {error}") from None

    def _records(self) -> Iterator[Element | Problem]:
        stream, reencoded = as_utf8(self.stream)
        document = read_prolog(stream, self.source, self.root_name)
        if reencoded:  # the declaration still says UTF-16
            document = dataclasses.replace(document, encoding="UTF-8", encoding_override="UTF-8")
        self.lines_skipped = document.lines_skipped
        safety = {
            # Defence in depth: read_prolog has already refused entity declarations.
            "resolve_entities": False,
            "load_dtd": False,
            "no_network": True,
            "huge_tree": False,  # libxml2's limits on depth and text size stay on
            "remove_comments": True,
            "remove_pis": True,
        }
        skeleton = etree.XMLPullParser(
            events=("end",),
            tag=[f"{{*}}{name}" for name in (*self.names, *self.records)],
            encoding=document.encoding_override,
            **safety,
        )
        record_parser = etree.XMLParser(encoding=document.record_encoding, **safety)
        splitter = RecordSplitter(self.records, first_line=document.lines_skipped + 1)
        chunk = document.head
        while True:
            for group in _record_runs(splitter.feed(chunk) if chunk else splitter.close()):
                if group[0].record:
                    yield from self._parse_records(group, record_parser, document)
                    # The skeleton parser keeps counting lines as if it had read the records:
                    # their newlines, in a comment of their own (dropped), since as text
                    # they would add up to one node over libxml2's 10 MB limit on text.
                    data = _newlines(sum(piece.data.count(b"\n") for piece in group))
                else:
                    data = group[0].data
                yield from self._parse_skeleton(skeleton, data, document, at_end=False)
            if not chunk:
                yield from self._parse_skeleton(skeleton, b"", document, at_end=True)
                return
            chunk = stream.read(READ_BYTES)

    def _parse_skeleton(
        self, parser: etree.XMLPullParser, data: bytes, document: Document, at_end: bool
    ) -> Iterator[Element]:
        failure = None
        try:
            if at_end:
                parser.close()
            elif data:
                parser.feed(data)
        except etree.XMLSyntaxError as error:
            failure = error
        # Elements complete before the damage are handed over before the error.
        for _event, element in parser.read_events():
            depth = _depth(element)
            if depth == self.depth:
                self._lines_before = self.lines_skipped
                yield element
            if depth <= self.depth:
                _free(element)
        if failure is not None:
            raise self._syntax_error(failure, document.encoding, at_end=at_end)

    def _parse_records(
        self, run: list[Piece], parser: etree.XMLParser, document: Document
    ) -> Iterator[Element | Problem]:
        """The records of ``run`` parsed together (cheaper), or one by one when that fails."""
        records = [piece for piece in run if piece.record]
        if len(records) > 1:
            data = b"".join(piece.data for piece in run)
            try:
                wrapped = etree.fromstring(document.root_tag + data + document.root_end, parser)
            except etree.XMLSyntaxError:
                wrapped = None
            if wrapped is not None and len(wrapped) == len(records):
                self._lines_before = run[0].line - 1
                yield from wrapped
                return
        for piece in records:
            yield from self._parse_record(piece, parser, document)

    def _parse_record(
        self, piece: Piece, parser: etree.XMLParser, document: Document
    ) -> Iterator[Element | Problem]:
        try:
            wrapped = etree.fromstring(document.root_tag + piece.data + document.root_end, parser)
        except etree.XMLSyntaxError as error:
            problem = self._syntax_error(error, document.encoding, at_end=False, line=piece.line)
            if problem.message.startswith("not valid text"):
                raise problem from None  # the file's encoding, not this record, is wrong
            name = _RECORD_NAME.match(piece.data).group(1).decode("utf-8", "replace")
            yield Problem(
                f"<{name}> starting on line {piece.line} left out: {problem.message}",
                line=problem.line or piece.line,
            )
            return
        self._lines_before = piece.line - 1
        yield from wrapped

    def _syntax_error(
        self, error: etree.XMLSyntaxError, encoding: str, at_end: bool, line: int | None = None
    ) -> ImportFormatError:
        """``error`` as an ImportFormatError naming the file's line; ``line`` is the one
        the parsed bytes start on (None: the skeleton, which counts the file's lines)."""
        message, error_line = _libxml2_message(error), error.lineno
        if not error_line and error.error_log.last_error is not None:
            # With entity substitution off, lxml reports some errors as a bare
            # "no element found" at line 0; libxml2's log has the real one.
            last = error.error_log.last_error
            message, error_line = last.message, last.line
        shift = self.lines_skipped if line is None else line - 1
        if line is not None:  # "mismatch: title line 2 and item": lines of the file
            message = re.sub(r"\bline (\d+)", lambda m: f"line {int(m[1]) + shift}", message)
        error_line = error_line + shift if error_line else None
        if error.code == etree.ErrorTypes.ERR_INVALID_ENCODING or "proper UTF-8" in message:
            message = (
                f"not valid text in the declared encoding ({encoding}): a file saved "
                "in another encoding (often Windows-1252) but labelled as this one?"
            )
            return ImportFormatError(self.source, message, error_line)
        if message.startswith("Unregistered error message"):
            # lxml has no text for some of libxml2's errors; their names say enough.
            message = _ERROR_NAMES.get(error.code, f"error {error.code}")
        if at_end:
            message += " (at the end of the file: was it cut short?)"
        return ImportFormatError(self.source, f"malformed XML: {message}", error_line)


_RECORD_NAME = re.compile(rb"<([^\s/>]+)")


def _record_runs(pieces: list[Piece]) -> Iterator[list[Piece]]:
    """Runs of records with only whitespace between them, and each other skeleton piece alone."""
    run: list[Piece] = []
    for piece in pieces:
        if piece.record or (run and not piece.data.strip()):
            run.append(piece)
            continue
        if run:
            yield run
            run = []
        yield [piece]
    if run:
        yield run


# libxml2's error codes by name: ERR_CDATA_NOT_FINISHED -> "cdata not finished".
_ERROR_NAMES = {
    getattr(etree.ErrorTypes, name): name.removeprefix("ERR_").replace("_", " ").lower()
    for name in dir(etree.ErrorTypes)
    if name.startswith("ERR_")
}


def _depth(element: Element) -> int:
    depth = 0
    parent = element.getparent()
    while parent is not None:
        depth += 1
        parent = parent.getparent()
    return depth


def _free(element: Element) -> None:
    """Empty ``element`` and delete the siblings before it (already handed over or unused)."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _libxml2_message(error: etree.XMLSyntaxError) -> str:
    # "mismatch: title line 4 and item, line 4, column 20" -> "mismatch: title line 4 and item"
    return re.sub(r", line \d+, column \d+$", "", (error.msg or str(error)).strip())


# --- Where the document starts, and what comes before its root --------------------------------


@dataclass(frozen=True)
class Document:
    """The start of the XML document, found by :func:`read_prolog`."""

    head: bytes
    """The bytes read so far, from the document start (garbage before it dropped)."""
    lines_skipped: int
    encoding: str
    """The encoding the text is decoded with, for messages."""
    encoding_override: str | None
    """An encoding to impose on the parser, when the document declares none."""
    root_tag: bytes
    """The root element's start tag, on one line: records are parsed inside it."""
    root_end: bytes

    @property
    def record_encoding(self) -> str:
        """The encoding of the records' bytes, which come without the declaration."""
        return self.encoding_override or self.encoding


# Whichever comes first marks the start of the document; failing those, the first "<".
_PROLOG_ITEMS = (rb"<\?xml", rb"<!DOCTYPE")
_WHITESPACE = re.compile(rb"[ \t\r\n]*")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
# The doctype's name and external id, up to its "[" internal subset or closing ">".
_DOCTYPE_BODY = re.compile(rb"""(?:[ \t\r\n]+|"[^"]*"|'[^']*'|[^ \t\r\n"'\[>]+)*""")
_START_TAG = re.compile(rb"<([^ \t\r\n/>!?]+)")
_TAG_REST = re.compile(rb"[^<>]*>")
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)""")


class _NeedMoreBytes(Exception):
    pass


def read_prolog(stream: BinaryIO, source: str, root_name: str) -> Document:
    """Read up to the root element's start tag, refusing what must not be parsed.

    Refuses binary files, documents with an internal DTD subset (entity
    declarations), a root element other than ``root_name`` and a root that
    does not start within :data:`MAX_PROLOG_BYTES`.
    """
    buffer = b""
    while True:
        more = stream.read(READ_BYTES)
        if not buffer:
            refuse_binary(more, source)
        buffer += more
        final = not more or len(buffer) >= MAX_PROLOG_BYTES
        try:
            return _scan_prolog(buffer, source, root_name, final)
        except _NeedMoreBytes:
            if not more:
                raise ImportFormatError(source, "malformed XML: no element found") from None
            if final:
                message = f"no <{root_name}> element in the first {len(buffer) // 1024:,} KB"
                raise ImportFormatError(source, message) from None


def _scan_prolog(buffer: bytes, source: str, root_name: str, final: bool) -> Document:
    """The document in ``buffer``; raises _NeedMoreBytes when its root is not in it yet.

    Walks what XML allows before the root (declaration, processing instructions,
    comments, whitespace, one doctype) up to the root's start tag. Anything else
    is left for the parser to report: it stops there, before reading further.
    ``final`` says no more bytes will be added to ``buffer``.
    """
    start = _document_start(buffer, root_name, final)
    position = start
    while True:
        position = _WHITESPACE.match(buffer, position).end()
        if not final and len(buffer) - position < LOOKAHEAD_BYTES:
            raise _NeedMoreBytes  # the next item may be cut short at the end of the buffer
        if buffer.startswith(b"<?", position):
            position = _after(buffer, b"?>", position)
        elif buffer.startswith(b"<!--", position):
            position = _after(buffer, b"-->", position)
        elif _DOCTYPE.match(buffer, position):
            position = _DOCTYPE_BODY.match(buffer, position + len(b"<!DOCTYPE")).end()
            if buffer.startswith(b"[", position):
                declaration = buffer.find(b"<!ENTITY", position)
                line = buffer.count(b"\n", 0, declaration if declaration >= 0 else position) + 1
                raise ImportFormatError(
                    source,
                    "entity declarations are not allowed (a DOCTYPE with an internal "
                    "subset [...] can exhaust memory or read local files)",
                    line,
                )
            if not buffer.startswith(b">", position):
                # Cut short, or a quoted literal not closed yet: never let the
                # parser read a doctype that has not been checked to its end.
                raise _NeedMoreBytes
            position += 1
        elif tag := _START_TAG.match(buffer, position):
            found = tag.group(1).decode("utf-8", "replace").rpartition(":")[2]
            if found != root_name:
                line = buffer.count(b"\n", 0, position) + 1
                message = f"expected <{root_name}> as the root element, found <{found}>"
                raise ImportFormatError(source, message, line)
            return _document(buffer, start, source, _root_tags(buffer, tag))
        else:
            break  # not allowed before the root: the parser stops there, with its line
    root = root_name.encode()
    return _document(buffer, start, source, (b"<" + root + b">", b"</" + root + b">"))


def _document_start(buffer: bytes, root_name: str, final: bool) -> int:
    pattern = b"|".join((*_PROLOG_ITEMS, b"<" + re.escape(root_name.encode()) + rb"[\s>/]"))
    found = re.search(pattern, buffer, re.IGNORECASE)
    if found:
        return found.start()
    start = buffer.find(b"<") if final else -1  # not a known start: wait for more first
    if start < 0:
        raise _NeedMoreBytes
    return start


def _after(buffer: bytes, end_marker: bytes, position: int) -> int:
    end = buffer.find(end_marker, position)
    if end < 0:
        raise _NeedMoreBytes
    return end + len(end_marker)


def _root_tags(buffer: bytes, tag: re.Match[bytes]) -> tuple[bytes, bytes]:
    """The root's start tag (its namespace declarations) on one line, and its end tag."""
    rest = _TAG_REST.match(buffer, tag.end())
    start_tag = buffer[tag.start() : rest.end()] if rest else tag.group() + b">"
    if start_tag.endswith(b"/>"):
        start_tag = start_tag[:-2] + b">"
    return re.sub(rb"[\r\n]", b" ", start_tag), b"</" + tag.group(1) + b">"


def _document(buffer: bytes, start: int, source: str, root_tags: tuple[bytes, bytes]) -> Document:
    declared = _DECLARED_ENCODING.match(buffer, start)
    lines_skipped = buffer.count(b"\n", 0, start)
    if declared:
        encoding, override = declared.group(1).decode("ascii"), None
    elif detect_encoding(buffer[start:]) == "cp1252":
        refuse_mixed_encodings(buffer[start:], source, first_line=lines_skipped + 1)
        encoding = override = "windows-1252"
    else:
        encoding, override = "UTF-8", None
    return Document(buffer[start:], lines_skipped, encoding, override, *root_tags)


# --- Helpers for reading record elements -------------------------------------------------------


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``; "" for an entity reference left unexpanded."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def namespace_of(tag: str) -> str:
    """``{namespace}name`` -> ``namespace`` ("" when there is none)."""
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def attribute(element: Element, name: str) -> str | None:
    """The value of the attribute with local name ``name``, whatever its namespace."""
    for key, value in element.items():
        if local_name(key) == name:
            return value
    return None


def children_by_name(element: Element) -> dict[str, Element]:
    """Each direct child element by local name, namespace ignored (the first, when one repeats).

    One pass over the children, cheaper than looking each name up with ``find``;
    built from the last child back, so that the first of a repeated name is kept.
    """
    children = list(element)
    children.reverse()
    return {local_name(child.tag): child for child in children}


def text_of(element: Element | None) -> str:
    """The stripped text of ``element``; "" when there is no element or no text."""
    if element is None:
        return ""
    text = element.text
    return text.strip() if text else ""


def parse_utc_datetime(value: str | None) -> datetime | None:
    """ISO 8601 or "YYYY-MM-DD HH:MM:SS" as an aware UTC datetime; None when unusable.

    Times without an offset are taken as UTC (both formats' exports say GMT/UTC).
    WordPress writes "0000-00-00 00:00:00" for "no date", which gives None, as does
    a date outside :func:`~.records.in_date_range`.
    """
    return read_utc_datetime(value, "", None)[0]


def read_utc_datetime(
    value: str | None, field: str, line: int | None
) -> tuple[datetime | None, Problem | None]:
    """Like :func:`parse_utc_datetime`, with the notice to give when ``value`` is a
    date that cannot be used (not for an empty one or WordPress's "no date")."""
    value = (value or "").strip()
    if not value or value.startswith("0000"):
        return None, None
    try:
        parsed = in_date_range(as_utc(datetime.fromisoformat(value)))
    except ValueError:
        return None, date_notice(value, field, line, out_of_range=False)
    except OverflowError:  # year 1 at +01:00 falls off the calendar
        parsed = None
    if parsed is None:
        return None, date_notice(value, field, line, out_of_range=True)
    return parsed, None


def _newlines(count: int) -> bytes:
    """``count`` line breaks as a comment (nothing when none)."""
    return b"<!--" + b"\n" * count + b"-->" if count else b""
