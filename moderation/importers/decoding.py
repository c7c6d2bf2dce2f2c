"""Turning the bytes of a source into text, the way real exports arrive.

Exports come as UTF-8 (with or without a byte-order mark), as Windows cp1252,
as UTF-16 (Excel's "Unicode Text", Windows tools; with a byte-order mark or
without, little- or big-endian), with CRLF, LF or a mix of both. UTF-16 is
re-encoded as UTF-8 as it is read, so that the parsers only meet byte streams
where ``<``, ``,`` and newlines are the bytes they look for. Binary files are
refused here, once, so that no parser has to guess.
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
UTF16_SAMPLE_BYTES = 4096
"""How much of the start of a file without a byte-order mark is looked at for UTF-16."""
UTF16_NUL_SHARE = 0.3
"""BOM-less UTF-16: at least this share of the high bytes are NUL (the ASCII characters)..."""
UTF16_STRAY_NULS = 8
"""...and the low bytes have several times fewer (binary formats have NULs in both)."""


def looks_binary(head: bytes) -> bool:
    return b"\x00" in head


def utf16_encoding(head: bytes) -> str | None:
    """The UTF-16 codec that reads ``head``, or None when it is not UTF-16 text.

    With a byte-order mark, "utf-16" (which reads the mark). Without one, text in
    UTF-16 shows itself by its NUL bytes: every ASCII character has one, always
    in the same half of its two bytes (the second in little-endian).
    """
    if head.startswith(codecs.BOM_UTF32_LE):
        return None  # UTF-32, which starts with the same two bytes: not read
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[: UTF16_SAMPLE_BYTES & ~1]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    first_nuls, second_nuls = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if second_nuls >= UTF16_NUL_SHARE * half and first_nuls * UTF16_STRAY_NULS <= second_nuls:
        return "utf-16-le"
    if first_nuls >= UTF16_NUL_SHARE * half and second_nuls * UTF16_STRAY_NULS <= first_nuls:
        return "utf-16-be"
    return None


def refuse_binary(head: bytes, source: str) -> None:
    """Refuse a source whose first bytes are not text in an encoding we read."""
    if looks_binary(head) and utf16_encoding(head) is None:
        raise ImportFormatError(source, "binary file (NUL bytes), not a text export")


def utf8_head(head: bytes) -> bytes:
    """``head`` re-encoded as UTF-8 when it is UTF-16 (for sniffing formats), else as it is."""
    encoding = utf16_encoding(head)
    if encoding is None:
        return head
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(head, final=False).encode("utf-8")


class _Utf16AsUtf8(io.RawIOBase):
    """A UTF-16 byte stream read as UTF-8 bytes; unpaired surrogates read as U+FFFD."""

    def __init__(self, raw: BinaryIO, encoding: str):
        self.raw = raw
        self.decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self.pending = b""
        self.done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.pending and not self.done:
            data = self.raw.read(SNIFF_BYTES)
            self.done = not data
            self.pending = self.decoder.decode(data, final=self.done).encode("utf-8")
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


def as_utf8(stream: BinaryIO) -> tuple[BinaryIO, bool]:
    """``stream`` read as UTF-8 when it holds UTF-16 text, and whether it did.

    ``stream`` must be buffered (``peek``) or seekable, like for :func:`open_text`;
    so is what comes back.
    """
    encoding = utf16_encoding(_peek(stream))
    if encoding is None:
        return stream, False
    return io.BufferedReader(_Utf16AsUtf8(stream, encoding), buffer_size=SNIFF_BYTES), True


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
    stream, _ = as_utf8(stream)
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
    utf16 = utf16_encoding(raw[:SNIFF_BYTES])
    if utf16 is not None:
        text = raw.decode(utf16, errors="replace")
        return text.replace("\r\n", "\n").replace("\r", "\n")
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
