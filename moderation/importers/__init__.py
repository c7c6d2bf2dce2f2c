"""Parsers for every source format, and the registry that picks one.

Each format module exposes a :class:`Format` registered here. Parsers are pure:
bytes in, records out (see :mod:`moderation.importers.records`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .control_characters import clean_records
from .decoding import refuse_binary, utf8_head
from .records import ImportFormatError, Record

Parse = Callable[[BinaryIO, str], Iterator[Record]]
Sniff = Callable[[bytes, str], int]


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    parse: Parse
    sniff: Sniff
    """Confidence 0-100 that ``head`` (first bytes) of a file named so is this format."""


FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    FORMATS[fmt.name] = fmt
    return fmt


def detect_format(head: bytes, filename: str, source: str | None = None) -> Format:
    """The registered format most confident about ``head``; raises when none is."""
    _load_builtin_formats()
    if not head.strip():
        raise ImportFormatError(source or filename, "empty file")
    refuse_binary(head, source or filename)
    head = utf8_head(head)
    scored = sorted(
        ((fmt.sniff(head, filename), fmt.name) for fmt in FORMATS.values()), reverse=True
    )
    if not scored or scored[0][0] <= 0:
        raise ImportFormatError(
            source or filename,
            "format not recognised; choose one with --format (" + ", ".join(sorted(FORMATS)) + ")",
        )
    return FORMATS[scored[0][1]]


def read_records(fmt: Format, stream: BinaryIO, source: str) -> Iterator[Record]:
    """What every import reads from a source: its format's records, their text cleaned
    of control characters (see :mod:`.control_characters`)."""
    return clean_records(fmt.parse(stream, source))


def get_format(name: str) -> Format:
    _load_builtin_formats()
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; known: {', '.join(sorted(FORMATS))}") from None


def format_names() -> list[str]:
    _load_builtin_formats()
    return sorted(FORMATS)


def _load_builtin_formats() -> None:
    # Imported for their register() side effect, the same hook a plugin would use.
    from . import disqus, scraped_text, tabular, wxr  # noqa: F401
