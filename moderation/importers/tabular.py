"""CSV and JSON lines: one row, or one JSON object, per comment, carrying its article's fields.

Both formats share one field vocabulary (documented in docs/formats.md) and one
row-to-records conversion; only the reading differs. Both are streamed: a file
of any size is read a line at a time, never whole.

Rows of the same article repeat the article's fields; the first row that names
an article defines it, later rows only add comments. A row with article fields
and no comment fields defines an article that has no comments.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from itertools import chain
from pathlib import PurePath
from typing import BinaryIO

from . import Format, register
from .decoding import detect_encoding, looks_binary, open_text
from .html_text import html_to_text
from .records import (
    COMMENT_KINDS,
    ArticleRecord,
    CommentRecord,
    ImportFormatError,
    Problem,
    Record,
    as_utc,
    date_notice,
    in_date_range,
    shorten,
)

# --- The field vocabulary ------------------------------------------------------------------

ARTICLE_FIELDS = (
    "article_id",
    "article_url",
    "article_title",
    "article_body",
    "article_author",
    "article_published",
    "site",
)
COMMENT_FIELDS = (
    "comment_id",
    "parent_id",
    "author",
    "author_email",
    "author_url",
    "author_ip",
    "posted",
    "text",
    "kind",
    "status",
)
ALIASES: dict[str, tuple[str, ...]] = {
    "author": ("author_name",),
    "posted": ("posted_at", "date"),
    "text": ("body", "comment"),
}
"""Other names accepted for a field; when a row has several, the field's own name wins."""

KNOWN_NAMES = frozenset(
    ARTICLE_FIELDS + COMMENT_FIELDS + tuple(alias for names in ALIASES.values() for alias in names)
)
ARTICLE_KEY_FIELDS = ("article_id", "article_url")
TEXT_NAMES = ("text", *ALIASES["text"])

# Which JSON value types each field accepts besides a string (null always means "absent").
_ID_NAMES = frozenset({"article_id", "comment_id", "parent_id"})
_DATE_NAMES = frozenset({"article_published", "posted", *ALIASES["posted"]})

CSV_DELIMITERS = (",", ";", "\t")
MAX_LINE_CHARS = 16 * 1024 * 1024
"""A longer physical line is refused rather than read into memory (a CSV cell has csv's limit)."""
MAX_UNKNOWN_FIELD_NOTICES = 20

# Text "looks like HTML" when it has a common tag or an HTML entity; "<3" and "a < b" do not.
_LOOKS_LIKE_HTML = re.compile(
    r"<(?:/?(?:p|br|a|div|span|blockquote|em|strong|b|i|u|s|ul|ol|li|pre|code|img|h[1-6])\b"
    r"[^<>]*>)|&(?:amp|lt|gt|quot|apos|nbsp|#\d{1,7}|#x[0-9a-f]{1,6});",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=1024)
def normalise_name(name: str) -> str:
    """A column or key name as the vocabulary spells it: "Article URL" -> "article_url"."""
    return name.strip().strip("\ufeff").lower().replace(" ", "_").replace("-", "_")


def missing_required(names: Iterable[str]) -> list[str]:
    """The required fields that none of ``names`` (normalised) provides."""
    present = set(names)
    missing = []
    if not present.intersection(ARTICLE_KEY_FIELDS):
        missing.append("article_url or article_id")
    if not present.intersection(TEXT_NAMES):
        missing.append("text (or body, comment)")
    return missing


# --- From one row to records (shared by both formats) -----------------------------------------


def _field(row: Mapping[str, str], name: str) -> str:
    """The first non-empty value among ``name`` and its aliases, stripped; "" when none."""
    for key in (name, *ALIASES.get(name, ())):
        # Control characters (NUL is legal in CSV and JSON) go in read_records.
        value = row.get(key, "").strip()
        if value:
            return value
    return ""


def _plain_text(value: str) -> str:
    if _LOOKS_LIKE_HTML.search(value):
        value = html_to_text(value)
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


_UNIX_TIME = re.compile(r"\d{9,11}(?:\.\d+)?")
_RFC_2822 = re.compile(r"(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}")
# Tried after ISO 8601; day/month order is never guessed (03/05/2024 is refused).
_DATE_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d %B %Y %H:%M",
    "%d %B %Y",
    "%d %b %Y %H:%M",
    "%d %b %Y",
    "%B %d, %Y %I:%M %p",
    "%B %d, %Y %H:%M",
    "%B %d, %Y",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y %H:%M",
    "%b %d, %Y",
)


def parse_datetime(value: str) -> datetime | None:
    """``value`` as an aware UTC datetime, or None when it is not a date we recognise.

    Accepts ISO 8601, RFC 2822 (as in e-mail and RSS), Unix time in seconds and the
    formats in ``_DATE_FORMATS``. A date without a zone is taken as UTC.
    """
    value = value.strip()
    try:
        if _UNIX_TIME.fullmatch(value):
            return datetime.fromtimestamp(float(value), tz=UTC)
        parsed = _parse_date_text(value)
        if parsed is None:
            return None
        return as_utc(parsed)
    except (OverflowError, OSError, ValueError):  # e.g. year 1 at +01:00 falls off the calendar
        return None


def _parse_date_text(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    for date_format in _DATE_FORMATS:
        try:
            return datetime.strptime(value, date_format)
        except ValueError:
            continue
    # email.utils reads almost anything as a date, so only hand it what looks like RFC 2822.
    if _RFC_2822.match(value):
        try:
            return parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            pass
    return None


class _RecordBuilder:
    """Turns rows (normalised name -> text) into records, one source file at a time.

    Remembers which articles are already defined and how many comments each has,
    so positions count per article in order of appearance.
    """

    def __init__(self) -> None:
        self._comment_counts: dict[str, int] = {}

    def records(self, row: Mapping[str, str], line: int) -> Iterator[Record]:
        if not any(value.strip() for value in row.values()):
            return  # an empty row says nothing
        key = _field(row, "article_id") or _field(row, "article_url")
        if not key:
            yield Problem("no article_url or article_id", line=line)
            return
        if key not in self._comment_counts:
            self._comment_counts[key] = 0
            yield from self._article(key, row, line)
        text = _plain_text(_field(row, "text"))
        if text:
            yield from self._comment(key, text, row, line)
        elif any(_field(row, name) for name in COMMENT_FIELDS):
            yield Problem("no comment text", line=line)
        # else: a row that only describes its article

    def _article(self, key: str, row: Mapping[str, str], line: int) -> Iterator[Record]:
        published, notice = _date_field(row, "article_published", line)
        yield ArticleRecord(
            key=key,
            site=_field(row, "site"),
            url=_field(row, "article_url") or None,
            title=_field(row, "article_title"),
            author=_field(row, "article_author") or None,
            published_at=published,
            body=_plain_text(_field(row, "article_body")),
            line=line,
        )
        if notice:
            yield notice

    def _comment(self, key: str, text: str, row: Mapping[str, str], line: int) -> Iterator[Record]:
        posted, date_notice = _date_field(row, "posted", line)
        kind = _field(row, "kind").lower() or "comment"
        kind_notice = None
        if kind not in COMMENT_KINDS:
            kind_notice = Problem(
                f"unknown kind {shorten(kind)!r}, read as comment", line=line, kind="notice"
            )
            kind = "comment"
        self._comment_counts[key] += 1
        yield CommentRecord(
            article_key=key,
            body=text,
            author_name=_field(row, "author"),
            position=self._comment_counts[key],
            external_id=_field(row, "comment_id") or None,
            parent_external_id=_field(row, "parent_id") or None,
            kind=kind,
            author_email=_field(row, "author_email") or None,
            author_url=_field(row, "author_url") or None,
            author_ip=_field(row, "author_ip") or None,
            posted_at=posted,
            source_status=_field(row, "status") or None,
            line=line,
        )
        yield from (notice for notice in (date_notice, kind_notice) if notice)


def _date_field(
    row: Mapping[str, str], name: str, line: int
) -> tuple[datetime | None, Problem | None]:
    value = _field(row, name)
    if not value:
        return None, None
    parsed = parse_datetime(value)
    if parsed is None or in_date_range(parsed) is None:
        return None, date_notice(value, name, line, out_of_range=parsed is not None)
    return parsed, None


def _decoding_error(source: str, error: UnicodeDecodeError, lines_read: int) -> ImportFormatError:
    # The text reader decodes chunks read ahead of the line being parsed, and asks for a
    # chunk only once its buffer holds no complete line: the bad byte sits on the next
    # unread line plus however many line breaks precede it in the chunk.
    line = lines_read + 1 + error.object[: error.start].count(b"\n")
    byte = error.object[error.start]
    expected = "Windows-1252" if error.encoding == "charmap" else "UTF-8"
    return ImportFormatError(
        source,
        f"byte 0x{byte:02x} is not valid {expected}: mixed text encodings, or a file cut short?",
        line=line,
    )


# --- CSV -------------------------------------------------------------------------------------


def parse_csv(stream: BinaryIO, source: str) -> Iterator[Record]:
    """Records from a CSV file with a header row (delimiter , ; or tab, sniffed)."""
    with open_text(stream, source) as text:
        yield from _csv_records(text, source)


def _csv_records(text: io.TextIOWrapper, source: str) -> Iterator[Record]:
    lines = (raw for _, raw in _numbered_lines(text, source))
    first_line = next(lines, "")
    if not first_line:
        raise ImportFormatError(source, "empty file: a header naming the columns is required")
    if not first_line.strip():
        raise ImportFormatError(
            source, "empty first line: a header naming the columns is required", line=1
        )
    reader = csv.reader(
        chain([first_line], lines), delimiter=best_delimiter(first_line), strict=True
    )
    rows = _csv_rows(reader, source)
    _, header_cells = next(rows, (1, []))
    if isinstance(header_cells, csv.Error):
        raise ImportFormatError(source, f"malformed header: {header_cells}", line=1)
    header = [normalise_name(cell) for cell in header_cells]
    missing = missing_required(header)
    if missing:
        raise ImportFormatError(source, "missing required columns: " + ", ".join(missing), line=1)
    unknown = [
        cell
        for cell, name in zip(header_cells, header, strict=True)
        if name and name not in KNOWN_NAMES
    ]
    if unknown:
        yield Problem("unknown columns ignored: " + ", ".join(unknown), line=1, kind="notice")

    builder = _RecordBuilder()
    for line, cells in rows:
        if isinstance(cells, csv.Error):
            yield Problem(f"malformed CSV row: {cells}", line=line)
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
            yield Problem(
                f"{_cells(len(cells))} where the header has {len(header)} columns"
                " (an unquoted delimiter inside a cell?)",
                line=line,
            )
            continue
        if len(cells) < len(header):
            yield Problem(
                f"{_cells(len(cells))} where the header has {len(header)} columns;"
                " the missing cells read as empty",
                line=line,
                kind="notice",
            )
        row: dict[str, str] = {}
        # Shorter rows were reported above and longer ones only have empty extra cells.
        for name, cell in zip(header, cells, strict=False):
            row.setdefault(name, cell)  # a repeated column: the first one counts
        yield from builder.records(row, line)


def _cells(count: int) -> str:
    return "1 cell" if count == 1 else f"{count} cells"


def _csv_rows(reader, source: str) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """(line where the row starts, its cells) per row; a malformed row gives its error.

    Only a row that cannot be told apart from the rest of the file (a quote never
    closed, a cell past csv's size limit) refuses the whole file.
    """
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                raise ImportFormatError(
                    source, "a quoted cell is never closed (the file ends inside it)", line=start
                ) from None
            if "field limit" in str(error):
                raise ImportFormatError(
                    source, f"{error}; is a quote left open?", line=start
                ) from None
            yield start, error
            continue
        yield start, cells


def best_delimiter(header_line: str) -> str:
    """The candidate delimiter that splits ``header_line`` into the most known field names."""

    def score(delimiter: str) -> tuple[int, int]:
        try:
            cells = next(csv.reader([header_line], delimiter=delimiter), [])
        except csv.Error:
            return (0, 0)
        return (sum(normalise_name(cell) in KNOWN_NAMES for cell in cells), len(cells))

    return max(CSV_DELIMITERS, key=score)  # on a tie, the comma (listed first)


def sniff_csv(head: bytes, filename: str) -> int:
    """80 when the first line is a header with the required field names; more for a .csv name."""
    if looks_binary(head):
        return 0
    bonus = 10 if _extension(filename) in (".csv", ".tsv") else 0
    lines = _decode_head(head).splitlines()
    if not lines:
        return bonus
    header_line = lines[0]
    cells = next(csv.reader([header_line], delimiter=best_delimiter(header_line)), [])
    names = [normalise_name(cell) for cell in cells]
    if not missing_required(names):
        return 80 + bonus
    if sum(name in KNOWN_NAMES for name in names) >= 2:
        return 40 + bonus
    return bonus


# --- JSON lines ------------------------------------------------------------------------------


def parse_jsonl(stream: BinaryIO, source: str) -> Iterator[Record]:
    """Records from JSON lines: one JSON object per line; blank lines are ignored."""
    with open_text(stream, source) as text:
        yield from _jsonl_records(text, source)


def _jsonl_records(text: io.TextIOWrapper, source: str) -> Iterator[Record]:
    objects = (
        (line, _json_object(raw, source, line))
        for line, raw in _numbered_lines(text, source)
        if raw.strip()
    )
    yield from records_from_objects(objects, source)


def records_from_objects(objects: Iterable[tuple[int, dict]], source: str) -> Iterator[Record]:
    """Records from JSON objects in the JSON lines vocabulary, each with its line number
    (or place in a list): what a JSON lines file holds, already decoded."""
    builder = _RecordBuilder()
    unknown_seen: set[str] = set()
    for line, obj in objects:
        row, unknown = _json_row(obj, source, line)
        for key in unknown:
            if key not in unknown_seen and len(unknown_seen) < MAX_UNKNOWN_FIELD_NOTICES:
                unknown_seen.add(key)
                yield Problem(f"unknown field {shorten(key)!r} ignored", line, "notice")
        yield from builder.records(row, line)


_ARRAY_MESSAGE = "expected one JSON object per line (JSON lines), found an array"


def _json_object(raw: str, source: str, line: int) -> dict:
    try:
        value = json.loads(raw)
    except RecursionError:
        raise ImportFormatError(source, "invalid JSON: nested too deeply", line=line) from None
    except ValueError as error:
        if raw.lstrip().startswith("["):  # most likely a pretty-printed JSON array
            raise ImportFormatError(source, _ARRAY_MESSAGE, line=line) from None
        detail = (
            f"{error.msg} (column {error.colno})"
            if isinstance(error, json.JSONDecodeError)
            else str(error)
        )
        raise ImportFormatError(source, f"invalid JSON: {detail}", line=line) from None
    if isinstance(value, list):
        raise ImportFormatError(source, _ARRAY_MESSAGE, line=line)
    if not isinstance(value, dict):
        raise ImportFormatError(
            source, f"expected a JSON object, found {_json_type(value)}", line=line
        )
    return value


def _json_row(obj: dict, source: str, line: int) -> tuple[dict[str, str], list[str]]:
    """The object's known fields as text, and the keys that are not in the vocabulary."""
    row: dict[str, str] = {}
    unknown: list[str] = []
    for key, value in obj.items():
        name = normalise_name(key)
        if name not in KNOWN_NAMES:
            unknown.append(key)
        elif value is not None:
            row.setdefault(name, _json_value_as_text(key, name, value, source, line))
    return row, unknown


def _json_value_as_text(key: str, name: str, value: object, source: str, line: int) -> str:
    if isinstance(value, str):
        return value  # lone surrogates, which JSON escapes can spell, go in read_records
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if is_number and (name in _DATE_NAMES or (name in _ID_NAMES and isinstance(value, int))):
        return str(value)  # an integer id, or Unix time
    if name in _ID_NAMES:
        expected = "a string or an integer"
    elif name in _DATE_NAMES:
        expected = "a string or a number (Unix time)"
    else:
        expected = "a string"
    raise ImportFormatError(
        source, f"field {shorten(key)!r} must be {expected}, found {_json_type(value)}", line=line
    )


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null"


def sniff_jsonl(head: bytes, filename: str) -> int:
    """80 when the first non-blank line is a JSON object; more for a .jsonl/.ndjson name."""
    if looks_binary(head):
        return 0
    bonus = 10 if _extension(filename) in (".jsonl", ".ndjson") else 0
    lines = [line for line in _decode_head(head).splitlines() if line.strip()]
    if not lines:
        return bonus
    try:
        value = json.loads(lines[0])
    except (ValueError, RecursionError):
        # A first line longer than the head is cut off: "{" is all we can go on.
        cut_off = len(lines) == 1 and lines[0].lstrip().startswith("{")
        return bonus + (40 if cut_off else 0)
    if isinstance(value, dict):
        return 80 + bonus
    if isinstance(value, list):
        return 20 + bonus  # low, but enough to reach parse_jsonl's clear "found an array"
    return bonus


# --- Shared helpers and registration ---------------------------------------------------------


def _numbered_lines(text: io.TextIOWrapper, source: str) -> Iterator[tuple[int, str]]:
    """(line number, line) for each physical line; refuses undecodable bytes and huge lines."""
    lines_read = 0
    while True:
        try:
            raw = text.readline(MAX_LINE_CHARS + 1)
        except UnicodeDecodeError as error:
            raise _decoding_error(source, error, lines_read) from None
        if not raw:
            return
        lines_read += 1
        if len(raw) > MAX_LINE_CHARS:
            raise ImportFormatError(
                source, f"line longer than {MAX_LINE_CHARS:,} characters", line=lines_read
            )
        yield lines_read, raw


def _extension(filename: str) -> str:
    return PurePath(filename).suffix.lower()


def _decode_head(head: bytes) -> str:
    text = head.decode(detect_encoding(head), errors="replace")
    return text.lstrip("\ufeff")


CSV_FORMAT = register(
    Format(
        name="csv",
        description="CSV with a header row; one comment per row with its article's fields",
        parse=parse_csv,
        sniff=sniff_csv,
    )
)
JSONL_FORMAT = register(
    Format(
        name="jsonl",
        description="JSON lines; one JSON object per comment with its article's fields",
        parse=parse_jsonl,
        sniff=sniff_jsonl,
    )
)
