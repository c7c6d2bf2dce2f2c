"""Cutting the bytes of an XML export at its record elements, so that each is parsed alone.

One malformed record (an unquoted attribute, a mistyped closing tag) must not
cost the whole export, and must never be silently merged into its neighbours,
as a recovering parser may do. So the bytes are cut before they are parsed:
each record element (a WXR ``<item>``, a Disqus ``<thread>`` or ``<post>``)
becomes a :class:`Piece` of its own, from the ``<`` of its start tag to the
``>`` of its end tag, and everything between records is a skeleton piece for
the parser that checks the document's structure.

The cut is made on bytes, which is sound in the encodings exports use (UTF-8,
Windows-1252 and the like; UTF-16 is re-encoded as UTF-8 before): ``<`` cannot
occur inside attribute values or text, only in CDATA sections and comments,
which are stepped over. A record whose end tag never comes before the next
record's start tag ends there (and fails to parse, so it is reported); one
still open at the end of the file is handed to the structure parser as it is,
which reports where the file was cut short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEEP_BYTES = 256
"""How much of the end of the bytes read so far is kept back: a tag may be cut there."""

# From a start tag's name to its ">": attributes hold neither "<" nor (in practice) ">".
_START_TAG_REST = re.compile(rb"[^<>]*>")
_END_TAG_REST = re.compile(rb"[ \t\r\n]*>")


@dataclass(frozen=True, slots=True)
class Piece:
    data: bytes
    line: int
    """The line of the file ``data`` starts on."""
    record: bool
    """A record element; otherwise skeleton, the bytes between records."""


class RecordSplitter:
    """Feed it the document's bytes in chunks; it hands back pieces in document order.

        splitter = RecordSplitter(("item",), first_line=1)
        for chunk in chunks:
            pieces = splitter.feed(chunk)
        pieces = splitter.close()

    ``names`` are the records' local names; any namespace prefix is accepted. A
    record ends at the end tag with the very name (prefix included) it started with.
    """

    def __init__(self, names: tuple[str, ...], first_line: int) -> None:
        alternatives = b"|".join(re.escape(name.encode()) for name in names)
        self._token = re.compile(
            rb"<!\[CDATA\[|<!--|<(/?)((?:[A-Za-z_][\w.\-]*:)?(?:" + alternatives + rb"))(?=[\s/>])"
        )
        self._buffer = b""
        self._scan = 0  # where scanning resumes in the buffer
        self._line = first_line  # the line the buffer starts on
        self._record_start: int | None = None
        self._record_name = b""
        self._skip_to: bytes | None = None  # the end of a CDATA section or comment

    def feed(self, chunk: bytes) -> list[Piece]:
        self._buffer += chunk
        return self._split(final=False)

    def close(self) -> list[Piece]:
        """The last pieces; a record never closed comes back as skeleton."""
        pieces = self._split(final=True)
        if self._buffer:
            pieces.append(Piece(self._buffer, self._line, record=False))
        self._buffer = b""
        return pieces

    def _split(self, final: bool) -> list[Piece]:
        buffer = self._buffer
        pieces: list[Piece] = []
        emitted = 0  # the bytes before this are in pieces
        counted, line = 0, self._line  # line numbers are counted forward, never from 0 again

        def emit(end: int, record: bool) -> None:
            nonlocal emitted, counted, line
            line += buffer.count(b"\n", counted, emitted)
            counted = emitted
            pieces.append(Piece(buffer[emitted:end], line, record))
            emitted = end

        position = self._scan
        while True:
            if self._skip_to is not None:
                end = buffer.find(self._skip_to, position)
                if end < 0:
                    position = len(buffer) if final else max(position, len(buffer) - 2)
                    break
                position, self._skip_to = end + len(self._skip_to), None
                continue
            found = self._token.search(buffer, position)
            if found is None:
                position = len(buffer) if final else max(position, len(buffer) - KEEP_BYTES)
                break
            closing, name = found.group(1), found.group(2)
            if name is None:  # a CDATA section or a comment
                self._skip_to = b"]]>" if found.group().startswith(b"<![") else b"-->"
                position = found.end()
            elif self._record_start is None:
                if closing:  # an end tag with no record open: the structure parser says so
                    position = found.end()
                    continue
                rest = _START_TAG_REST.match(buffer, found.end())
                if rest is None and not final and b"<" not in buffer[found.end() :]:
                    position = found.start()  # the start tag is not all here yet
                    break
                if found.start() > emitted:
                    emit(found.start(), record=False)
                if rest is not None and rest.group().endswith(b"/>"):
                    emit(rest.end(), record=True)  # an empty record
                    position = rest.end()
                else:
                    self._record_start, self._record_name = found.start(), name
                    position = rest.end() if rest else found.end()
            elif name != self._record_name:
                position = found.end()  # another element of that name inside the record
            elif closing:
                rest = _END_TAG_REST.match(buffer, found.end())
                if rest is None and not final and len(buffer) - found.end() < KEEP_BYTES:
                    position = found.start()
                    break
                if rest is None:
                    position = found.end()
                    continue
                emit(rest.end(), record=True)
                self._record_start, position = None, rest.end()
            else:  # the same record starts again: the open one was never closed
                emit(found.start(), record=True)
                self._record_start, position = None, found.start()
        if self._record_start is None and position > emitted:
            emit(position, record=False)
        # Keep only what is not handed over yet: an open record, or a tag cut short.
        keep_from = emitted if self._record_start is None else self._record_start
        self._line = line + buffer.count(b"\n", counted, keep_from)
        self._buffer = buffer[keep_from:]
        self._scan = position - keep_from
        if self._record_start is not None:
            self._record_start -= keep_from
        return pieces
