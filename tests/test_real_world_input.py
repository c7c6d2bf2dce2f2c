"""Input as real exports and pages come, across formats: UTF-16, control characters,
reply cycles, standard input that is not a page."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from moderation.importers.records import ParsedSource
from moderation.prepare import StreamParse

DATA = Path(__file__).parent / "data"
PAGE = DATA / "scraped" / "school_closures_thoughts_on.txt"


def parsed_stream(raw: bytes, name: str) -> ParsedSource:
    parse = StreamParse(io.BufferedReader(io.BytesIO(raw)), name)
    return ParsedSource.collect(parse.records())


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_page_text_with_or_without_byte_order_mark(encoding: str) -> None:
    text = PAGE.read_text(encoding="utf-8")
    expected = parsed_stream(text.encode("utf-8"), PAGE.name)
    assert expected.comments
    assert parsed_stream(text.encode(encoding), PAGE.name) == expected
