"""Turning the bytes of a source into text, the way real exports arrive.

Exports come as UTF-8 (with or without a byte-order mark), as Windows cp1252,
with CRLF, LF or a mix of both. Binary files are refused here, once, so that
no parser has to guess.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from .records import ImportFormatError

SNIFF_BYTES = 64 * 1024


def looks_binary(head: bytes) -> bool:
    return b"\x00" in head


def refuse_binary(head: bytes, source: str) -> None:
    """Refuse a source whose first bytes are not text in an encoding we read."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode Text" and some Windows tools write this.
        raise ImportFormatError(
            source, "UTF-16 text, which is not read: save the file as UTF-8 and import it again"
        )
    if looks_binary(head):
        raise ImportFormatError(source, "binary file (NUL bytes), not a text export")


def detect_encoding(head: bytes) -> str:
    """utf-8-sig for UTF-8 (BOM or not), else cp1252, judged on the first bytes."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)  # a character cut at the end is fine
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


# One non-ASCII character in UTF-8: a lead byte and its continuation bytes. Windows-1252
# text almost never has these byte pairs (they read as "Ã©", "Â°"...).
_UTF8_CHARACTER = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def refuse_mixed_encodings(head: bytes, source: str, first_line: int = 1) -> None:
    """Refuse a head that holds UTF-8 characters and bytes invalid in UTF-8.

    That is one file in two encodings (a Windows-1252 line pasted into UTF-8
    text): read as either, part of it would be garbled, so it is refused, naming
    the first invalid byte and its line (``first_line`` is the line ``head`` starts on).
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError as error:
        if _UTF8_CHARACTER.search(head):
            byte = head[error.start]
            raise ImportFormatError(
                source,
                f"byte 0x{byte:02x} is not valid UTF-8, yet the file holds UTF-8 text: "
                "mixed text encodings",
                line=first_line + head.count(b"\n", 0, error.start),
            ) from None


@contextmanager
def open_text(stream: BinaryIO, source: str) -> Iterator[io.TextIOWrapper]:
    """A text reader over ``stream`` with universal newlines and a detected encoding.

        with open_text(stream, source) as text:
            for line in text: ...

    ``stream`` must be buffered (``peek``) or seekable so the head can be sniffed.
    A decoding error later in the file surfaces as UnicodeDecodeError, which
    callers turn into an ImportFormatError naming the line. On leaving the block
    the reader is detached, leaving ``stream`` open: closing it is the caller's
    job (a text wrapper left to the garbage collector would close it, and warn).
    """
    head = _peek(stream)
    refuse_binary(head, source)
    encoding = detect_encoding(head)
    if encoding == "cp1252":  # not UTF-8 throughout: but partly?
        refuse_mixed_encodings(head, source)
    text = io.TextIOWrapper(stream, encoding=encoding, newline=None)
    try:
        yield text
    finally:
        text.detach()


def decode_bytes(raw: bytes, source: str) -> str:
    """The whole of a small source as text, newlines normalised to \\n."""
    refuse_binary(raw[:SNIFF_BYTES], source)
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        refuse_mixed_encodings(raw, source)
        # cp1252 leaves five bytes undefined; keep them visible rather than fail.
        text = raw.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _peek(stream: BinaryIO) -> bytes:
    if hasattr(stream, "peek"):
        return stream.peek(SNIFF_BYTES)[:SNIFF_BYTES]
    position = stream.tell()
    head = stream.read(SNIFF_BYTES)
    stream.seek(position)
    return head
