"""Control characters out of every record's text, whichever format it came from.

Exports carry them by accident: a NUL or a form feed pasted with a comment,
C1 codes from text decoded as Latin-1 that was Windows-1252, U+FFFE from a
byte-order mark read the wrong way round, lone surrogates from broken UTF-16 or
JSON escapes. None has a meaning in a comment, a database may refuse them
(PostgreSQL takes no NUL), and they can hide text from a moderator. So every
text field of every record loses them here, once, on the way from the parser
(:func:`moderation.importers.read_records`) to ingest; tab, newline and
carriage return stay.

Nearly every record has none, and large imports go through millions, so the
check is made on the record's text fields joined, as UTF-8 bytes, with bytes
methods that run in C; the regular expression only runs on text that may need it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .records import ArticleRecord, CommentRecord, Problem, Record

CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
"""C0 but tab, newline and carriage return; DEL; C1; the non-characters U+FFFE and U+FFFF;
lone surrogates."""

_C0_BYTES = bytes(code for code in range(0x20) if code not in (0x09, 0x0A, 0x0D)) + b"\x7f"

_COMMENT_FIELDS = (
    "article_key",
    "body",
    "author_name",
    "external_id",
    "parent_external_id",
    "author_email",
    "author_url",
    "author_ip",
    "source_status",
)
_ARTICLE_FIELDS = ("key", "site", "url", "title", "author", "body")


def may_hold_control_characters(text: str) -> bool:
    """False when ``text`` surely has none; True when it may (then the expression decides)."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return True
    # C1 characters are \xc2\x80-\xc2\x9f in UTF-8, U+FFFE and U+FFFF \xef\xbf\xbe-\xbf.
    return (
        len(data.translate(None, _C0_BYTES)) != len(data) or b"\xc2" in data or b"\xef\xbf" in data
    )


def strip_control_characters(text: str) -> str:
    if may_hold_control_characters(text):
        return CONTROL_CHARACTERS.sub("", text)
    return text


def clean_records(records: Iterable[Record]) -> Iterator[Record]:
    """``records`` with control characters removed from every text field."""
    for record in records:
        if type(record) is CommentRecord:
            _clean(record, _COMMENT_FIELDS)
        elif type(record) is ArticleRecord:
            _clean(record, _ARTICLE_FIELDS)
        elif type(record) is Problem:
            record.message = strip_control_characters(record.message)
        yield record


def _clean(record: ArticleRecord | CommentRecord, names: tuple[str, ...]) -> None:
    values = [getattr(record, name) for name in names]
    if not may_hold_control_characters("".join([value for value in values if value])):
        return
    for name, value in zip(names, values, strict=True):
        if value:
            setattr(record, name, CONTROL_CHARACTERS.sub("", value))
