"""CSV and JSON lines importers: the data files, every error case, and hostile input."""

from __future__ import annotations

import csv
import io
import json
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from parser_checks import utc

from moderation.importers import FORMATS, detect_format, read_records, tabular
from moderation.importers.records import (
    ArticleRecord,
    CommentRecord,
    ImportFormatError,
    ParsedSource,
    Problem,
)
from moderation.importers.tabular import parse_csv, parse_datetime, parse_jsonl

DATA = Path(__file__).resolve().parent / "data" / "tabular"


def stream(data: bytes) -> io.BufferedReader:
    return io.BufferedReader(io.BytesIO(data))


def csv_of(data: bytes | str, source: str = "test.csv") -> ParsedSource:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return ParsedSource.collect(parse_csv(stream(raw), source))


def jsonl_of(data: bytes | str, source: str = "test.jsonl") -> ParsedSource:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return ParsedSource.collect(parse_jsonl(stream(raw), source))


def jsonl_lines(*objects: object) -> str:
    return "".join(json.dumps(obj) + "\n" for obj in objects)


def file_of(name: str) -> ParsedSource:
    parse = parse_jsonl if name.endswith(".jsonl") else parse_csv
    with (DATA / name).open("rb") as source:
        return ParsedSource.collect(parse(source, name))


HEADER = "article_url,comment_id,parent_id,author,posted,text\n"
MIXED_UTF8 = "byte 0x{byte} is not valid UTF-8: mixed text encodings, or a file cut short?"


# --- The data files ----------------------------------------------------------------------------


def test_registered_under_their_names():
    assert FORMATS["csv"].parse is parse_csv
    assert FORMATS["jsonl"].parse is parse_jsonl
    assert FORMATS["csv"].sniff is tabular.sniff_csv
    assert FORMATS["jsonl"].sniff is tabular.sniff_jsonl


def test_csv_file_with_threads_html_and_multiline_cells():
    parsed = file_of("comments.csv")

    assert parsed.problems == []
    assert parsed.articles == [
        ArticleRecord(
            key="a-101",
            site="news.example.org",
            url="https://news.example.org/2024/03/council-budget",
            title="Council approves budget",  # not the "(updated)" title of a later row
            author="Maria Lopez",
            published_at=utc(2024, 3, 4, 7, 0),
            line=2,
        ),
        ArticleRecord(
            key="a-102",
            site="news.example.org",
            url="https://news.example.org/2024/03/river-cleanup",
            title="Volunteers clear the river",
            published_at=utc(2024, 3, 5),
            line=7,
        ),
        ArticleRecord(  # a row with no comment fields: an article without comments
            key="a-103",
            site="news.example.org",
            url="https://news.example.org/2024/03/no-comments-yet",
            title="Opinion: quiet streets",
            author="Ann Li",
            published_at=utc(2024, 3, 6, 7, 0),
            line=9,
        ),
    ]
    first, reply, second_reply, pingback, spam = parsed.comments
    assert first == CommentRecord(
        article_key="a-101",
        body="Finally some sense on the budget.\n\n"
        "See the full report (https://council.example.gov/budget).",
        author_name="Jean Dupont",
        position=1,
        external_id="5001",
        author_email="jean@example.net",
        author_ip="203.0.113.7",
        posted_at=utc(2024, 3, 4, 8, 15),
        source_status="approved",
        line=2,
    )
    assert reply == CommentRecord(
        article_key="a-101",
        body="Sense? They cut the library hours again.\n\nRead page 12 before cheering.",
        author_name="Priya",
        position=2,
        external_id="5002",
        parent_external_id="5001",
        author_url="https://priya.example.com",
        author_ip="198.51.100.4",
        posted_at=utc(2024, 3, 4, 10, 2, 11),  # no zone given: taken as UTC
        source_status="approved",
        line=3,
    )
    # The reply's text spans lines 3-5, so the next row starts on line 6.
    assert (second_reply.external_id, second_reply.parent_external_id) == ("5003", "5002")
    assert (second_reply.position, second_reply.line) == (3, 6)
    assert second_reply.source_status == "pending"
    assert second_reply.posted_at == utc(2024, 3, 4, 11, 30)
    assert (pingback.kind, pingback.article_key, pingback.position) == ("pingback", "a-102", 1)
    assert pingback.posted_at == utc(2024, 3, 5, 16, 40)  # RFC 2822
    assert pingback.body == "Linked from Old Blog: a weekend on the river"
    assert (spam.kind, spam.source_status, spam.position, spam.line) == ("comment", "spam", 2, 8)
    assert spam.body == "Great work everyone & thanks!"  # an entity makes it HTML
    assert spam.posted_at == utc(2024, 3, 5, 17, 33, 20)  # Unix time


def test_semicolon_csv_with_spelled_out_header_and_aliases():
    parsed = file_of("comments_semicolon.csv")

    assert parsed.problems == []
    assert [(a.key, a.title, a.line) for a in parsed.articles] == [
        ("https://zeitung.example.de/artikel/1", "Neue Straßenbahn", 2),
        ("https://zeitung.example.de/artikel/2", "Wetter", 5),
    ]
    assert [
        (c.external_id, c.parent_external_id, c.author_name, c.posted_at, c.body, c.line)
        for c in parsed.comments
    ] == [
        ("c1", None, "Jörg", utc(2024, 3, 5, 14, 30), "Endlich; nach zehn Jahren!", 2),
        ("c2", "c1", "Anke", utc(2024, 3, 5, 15, 5), "Zehn Jahre zu spät.\nAber gut.", 3),
        ("c3", None, "Udo", utc(2024, 3, 6, 8, 0), "Regen, wie immer.", 5),
    ]


def test_cp1252_csv():
    parsed = file_of("comments_cp1252.csv")

    assert parsed.problems == []
    assert [a.title for a in parsed.articles] == ["Café du coin"]
    assert [(c.author_name, c.body) for c in parsed.comments] == [
        ("Hélène", "C’est très bien — 5 € le café."),
        ("René", "Trop cher à mon avis"),
    ]


def test_tab_separated_csv_with_bom_and_crlf():
    parsed = file_of("comments_bom_tab_crlf.csv")

    assert parsed.problems == []
    assert [a.key for a in parsed.articles] == ["https://example.org/x"]
    assert [(c.author_name, c.body, c.posted_at, c.line) for c in parsed.comments] == [
        ("Zoë", "line one\nline two", utc(2024, 2, 1, 10, 0), 2),
        ("Mo", "second ✓", utc(2024, 2, 1, 11, 0), 4),
    ]


def test_jsonl_file():
    parsed = file_of("comments.jsonl")

    assert parsed.articles == [
        ArticleRecord(
            key="7",
            site="example.com",
            url="https://example.com/a/7",
            title="Storm warning",
            published_at=utc(2024, 1, 10, 6, 0),
            body="High winds expected.\n\nStay indoors.",
            line=1,
        ),
        ArticleRecord(key="8", url="https://example.com/a/8", title="Bridge reopens", line=4),
        ArticleRecord(
            key="https://example.com/a/9",
            url="https://example.com/a/9",
            title="Only an article",
            author="Desk",
            published_at=utc(2024, 1, 11),
            line=5,
        ),
    ]
    assert parsed.comments == [
        CommentRecord(
            article_key="7",
            body="Thanks for the heads-up.",
            author_name="kim",
            position=1,
            external_id="17",
            posted_at=utc(2024, 1, 10, 7, 0),
            line=1,
        ),
        CommentRecord(
            article_key="7",
            body="Stay safe\neveryone",
            author_name="lee",
            position=2,
            external_id="18",
            parent_external_id="17",
            posted_at=utc(2024, 1, 10, 7, 0),
            source_status="1",
            line=2,
        ),
        CommentRecord(
            article_key="8",
            body="Plain text\nover two lines",
            author_name="Ana",
            position=1,
            kind="trackback",
            author_email="ana@example.net",
            posted_at=utc(2024, 1, 10, 9, 30),
            line=4,
        ),
        CommentRecord(
            article_key="8", body="No id here either", author_name="Ana", position=2, line=6
        ),
    ]
    assert parsed.problems == [
        Problem("unknown field 'likes' ignored", line=4, kind="notice"),
        Problem("unrecognised date 'yesterday' in posted, kept without a date", 6, "notice"),
    ]


def test_article_is_yielded_before_its_comments():
    records = list(parse_jsonl(stream((DATA / "comments.jsonl").read_bytes()), "c.jsonl"))
    defined = set()
    for record in records:
        if isinstance(record, ArticleRecord):
            defined.add(record.key)
        elif isinstance(record, CommentRecord):
            assert record.article_key in defined


def doc_example(fence: str) -> str:
    """The example in docs/formats.md fenced as ```fence."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "formats.md").read_text("utf-8")
    start = text.index(f"```{fence}\n") + len(f"```{fence}\n")
    return text[start : text.index("```", start)]


def test_documented_csv_example_reads_as_described():
    parsed = csv_of(doc_example("csv"))
    assert parsed.problems == []
    assert [a.key for a in parsed.articles] == ["a-101", "a-102"]
    assert [(c.external_id, c.parent_external_id, c.body) for c in parsed.comments] == [
        (
            "5001",
            None,
            "Finally some sense.\n\nSee the report (https://council.example.gov/budget).",
        ),
        ("5002", "5001", "They cut the library hours again.\n\nRead page 12 before cheering."),
    ]


def test_documented_jsonl_example_reads_as_described():
    parsed = jsonl_of(doc_example("jsonl"))
    assert parsed.problems == []
    assert [a.key for a in parsed.articles] == ["7", "https://example.com/a/9"]
    assert [(c.external_id, c.parent_external_id, c.posted_at) for c in parsed.comments] == [
        ("17", None, utc(2024, 1, 10, 7, 0)),
        ("18", "17", utc(2024, 1, 10, 7, 0)),
    ]


# --- CSV: refused files --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("author,posted\n", "article_url or article_id, text (or body, comment)"),
        ("article_url,author\n", "text (or body, comment)"),
        ("author;comment\n", "article_url or article_id"),
    ],
)
def test_csv_missing_required_columns(header, missing):
    with pytest.raises(ImportFormatError) as refused:
        csv_of(header + "x,y\n")
    assert (refused.value.message, refused.value.line) == (
        f"missing required columns: {missing}",
        1,
    )
    assert str(refused.value) == f"test.csv:1: missing required columns: {missing}"


def test_csv_in_two_encodings_is_refused_naming_the_byte_and_line():
    raw = "article_url,text\nhttps://e.com/1,café ok\n".encode() + b"https://e.com/1,caf\xe9\n"
    with pytest.raises(ImportFormatError) as refused:
        csv_of(raw)
    assert str(refused.value) == (
        "test.csv:3: byte 0xe9 is not valid UTF-8, yet the file holds UTF-8 text: "
        "mixed text encodings"
    )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_with_or_without_byte_order_mark_is_read(encoding):
    # Excel's "Unicode Text" is UTF-16 with a byte-order mark; some tools write none.
    text = "article_url\ttext\r\nhttps://e.com/1\tcafé ✓ 😀\r\n"
    assert detect_format(text.encode(encoding), "export.txt").name == "csv"
    assert [c.body for c in csv_of(text.encode(encoding)).comments] == ["café ✓ 😀"]
    line = json.dumps({"article_url": "https://e.com/1", "text": "naïve"}, ensure_ascii=False)
    assert [c.body for c in jsonl_of((line + "\n").encode(encoding)).comments] == ["naïve"]


def test_utf16_with_an_unpaired_surrogate_is_read_with_a_replacement_character():
    raw = (
        "article_url,text\nhttps://e.com/1,a".encode("utf-16-le")
        + b"\x00\xd8"
        + "b\n".encode("utf-16-le")
    )
    assert [c.body for c in csv_of(raw).comments] == ["a\ufffdb"]


def test_csv_empty_file_and_blank_header_are_refused():
    with pytest.raises(ImportFormatError, match="empty file"):
        csv_of(b"")
    with pytest.raises(ImportFormatError, match="header naming the columns") as refused:
        csv_of("\narticle_url,text\n")
    assert refused.value.line == 1


def test_csv_binary_file_is_refused():
    with pytest.raises(ImportFormatError, match="binary file"):
        csv_of(b"article_url,text\n\x00\x01\x02")


def test_csv_undecodable_byte_mid_file_names_its_line():
    rows = [f"https://e.com/{n},comment number {n} with some padding text\n" for n in range(6000)]
    rows[4998] = "https://e.com/x,caf\udce9\n"  # line 5000 (the header is line 1)
    data = ("article_url,text\n" + "".join(rows)).encode("utf-8", "surrogateescape")
    with pytest.raises(ImportFormatError) as refused:
        csv_of(data)
    assert refused.value.line == 5000
    assert refused.value.message == MIXED_UTF8.format(byte="e9")


def test_csv_byte_undefined_in_cp1252_names_its_line():
    data = "article_url,text\nhttps://e.com/1,café\n".encode("cp1252") + b"https://e.com/2,\x81\n"
    with pytest.raises(ImportFormatError) as refused:
        csv_of(data)
    assert refused.value.line == 3
    assert "byte 0x81 is not valid Windows-1252" in refused.value.message


@pytest.mark.parametrize(
    ("parse", "data", "line"),
    [
        (parse_csv, b"article_url,text\nu,ok\nu,caf\xc3", 3),
        (parse_jsonl, b'{"article_url": "u", "text": "ok"}\n{"text": "caf\xc3', 2),
    ],
)
def test_file_cut_inside_a_character_names_the_last_line(parse, data, line):
    with pytest.raises(ImportFormatError) as refused:
        ParsedSource.collect(parse(stream(data), "cut"))
    assert (refused.value.line, refused.value.message) == (line, MIXED_UTF8.format(byte="c3"))


def test_csv_quote_never_closed_names_the_row_start():
    data = HEADER + 'https://e.com/1,1,,ann,,"fine"\nhttps://e.com/1,2,,bob,,"open\nand on\n'
    with pytest.raises(ImportFormatError) as refused:
        csv_of(data)
    assert refused.value.line == 3
    assert refused.value.message == "a quoted cell is never closed (the file ends inside it)"


def test_csv_cell_past_the_size_limit_is_refused():
    data = HEADER + 'https://e.com/1,1,,ann,,"' + "x" * 200_000 + "\n"
    with pytest.raises(ImportFormatError, match="is a quote left open") as refused:
        csv_of(data)
    assert refused.value.line == 2


# --- CSV: rows kept, skipped or noticed -------------------------------------------------------


def test_csv_row_without_text_is_skipped_and_keeps_positions():
    parsed = csv_of(
        HEADER
        + "https://e.com/1,1,,ann,,first\n"
        + "https://e.com/1,2,,bob,,   \n"
        + "https://e.com/1,3,,cy,,third\n"
    )
    assert parsed.problems == [Problem("no comment text", line=3, kind="skipped")]
    assert [(c.external_id, c.position) for c in parsed.comments] == [("1", 1), ("3", 2)]


def test_csv_row_without_article_is_skipped():
    parsed = csv_of(HEADER + ",1,,ann,,orphan\n")
    assert parsed.problems == [Problem("no article_url or article_id", line=2)]
    assert parsed.articles == parsed.comments == []


def test_csv_article_only_rows_define_articles_without_comments():
    parsed = csv_of(
        "article_id,article_url,article_title,text\n"
        "1,https://e.com/1,One,\n"
        "1,https://e.com/1,Renamed,\n"
        ",https://e.com/2,Two,\n"
    )
    assert parsed.problems == parsed.comments == []
    assert [(a.key, a.url, a.title, a.line) for a in parsed.articles] == [
        ("1", "https://e.com/1", "One", 2),
        ("https://e.com/2", "https://e.com/2", "Two", 4),
    ]


def test_dates_no_comment_can_have_kept_without_a_date_with_a_notice():
    # An empty date exported as the smallest date; Unix time in milliseconds read as seconds.
    parsed = csv_of(
        "article_url,posted,text\nhttps://e.com/1,0001-01-01,a\nhttps://e.com/1,99999999999,b\n"
    )
    assert [c.posted_at for c in parsed.comments] == [None, None]
    outside = "in posted is outside the years 1970 to 2999, kept without a date"
    assert parsed.problems == [
        Problem(f"date '0001-01-01' {outside}", 2, "notice"),
        Problem(f"date '99999999999' {outside}", 3, "notice"),
    ]


def test_csv_unparseable_date_keeps_the_comment_with_a_notice():
    parsed = csv_of(
        "article_url,article_published,posted,text\nhttps://e.com/1,03/05/2024,soon,hello\n"
    )
    assert [c.posted_at for c in parsed.comments] == [None]
    assert parsed.articles[0].published_at is None
    assert parsed.problems == [
        Problem(
            "unrecognised date '03/05/2024' in article_published, kept without a date", 2, "notice"
        ),
        Problem("unrecognised date 'soon' in posted, kept without a date", 2, "notice"),
    ]


def test_csv_rows_with_too_many_or_too_few_cells():
    parsed = csv_of(
        "article_url,author,text\n"
        "https://e.com/1,ann,Hello, world\n"  # unquoted comma: cells shift
        "https://e.com/1,bob,trailing empty cells are fine,,\n"
        "https://e.com/1,cy\n"
        "https://e.com/1\n"
    )
    assert parsed.problems == [
        Problem("4 cells where the header has 3 columns (an unquoted delimiter inside a cell?)", 2),
        Problem(
            "2 cells where the header has 3 columns; the missing cells read as empty", 4, "notice"
        ),
        Problem("no comment text", 4),
        Problem(
            "1 cell where the header has 3 columns; the missing cells read as empty", 5, "notice"
        ),
    ]
    assert [(c.author_name, c.body, c.position) for c in parsed.comments] == [
        ("bob", "trailing empty cells are fine", 1)
    ]


def test_csv_malformed_row_is_skipped_and_reading_goes_on():
    parsed = csv_of(HEADER + 'https://e.com/1,1,,ann,,"quoted"tail\nhttps://e.com/1,2,,bob,,ok\n')
    assert parsed.problems == [
        Problem("malformed CSV row: ',' expected after '\"'", line=2, kind="skipped")
    ]
    assert [(c.external_id, c.line) for c in parsed.comments] == [("2", 3)]


def test_csv_unknown_columns_and_kinds_are_noticed():
    parsed = csv_of("article_url,text,kind,auther,likes\nhttps://e.com/1,hi,Reply,x,3\n")
    assert parsed.problems == [
        Problem("unknown columns ignored: auther, likes", line=1, kind="notice"),
        Problem("unknown kind 'reply', read as comment", line=2, kind="notice"),
    ]
    assert [c.kind for c in parsed.comments] == ["comment"]


def test_csv_line_numbers_count_blank_lines_and_multiline_cells():
    parsed = csv_of(
        HEADER
        + "\n"
        + 'https://e.com/1,1,,ann,,"one\n\ntwo\nthree"\n'
        + "\n\n"
        + "https://e.com/1,2,1,bob,,after\n"
    )
    assert parsed.problems == []
    assert [(c.external_id, c.line, c.body) for c in parsed.comments] == [
        ("1", 3, "one\n\ntwo\nthree"),
        ("2", 9, "after"),
    ]


def test_field_names_win_over_aliases_and_article_id_over_url():
    parsed = csv_of(
        "Article-ID,article_url,Body,TEXT,author_name,author\n"
        "k1,https://e.com/1,the alias,the field,alias name,field name\n"
        "k1,https://e.com/1,only the alias,,alias name,\n"
    )
    assert [a.key for a in parsed.articles] == ["k1"]
    assert [(c.article_key, c.body, c.author_name) for c in parsed.comments] == [
        ("k1", "the field", "field name"),
        ("k1", "only the alias", "alias name"),
    ]


def test_nul_characters_are_dropped():
    raw = ("article_url,text\n" + "x" * 70_000 + ",a\x00b\n").encode()
    parsed = ParsedSource.collect(read_records(FORMATS["csv"], stream(raw), "x.csv"))
    assert [c.body for c in parsed.comments] == ["ab"]


# --- JSON lines: refused files ----------------------------------------------------------------


def test_jsonl_invalid_json_refuses_the_file_at_its_line():
    data = jsonl_lines({"article_url": "u", "text": "fine"}) + "\n" + '{"text": "oops",}\n'
    with pytest.raises(ImportFormatError) as refused:
        jsonl_of(data)
    assert refused.value.line == 3
    assert refused.value.message == (
        "invalid JSON: Expecting property name enclosed in double quotes (column 17)"
    )


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ('[{"article_url": "u", "text": "a"}]\n', 1),
        ('[\n  {"article_url": "u", "text": "a"}\n]\n', 1),  # pretty-printed
        ("\n\n[]\n", 3),
    ],
)
def test_jsonl_top_level_array_gets_a_clear_error(data, line):
    with pytest.raises(ImportFormatError) as refused:
        jsonl_of(data)
    assert (refused.value.line, refused.value.message) == (
        line,
        "expected one JSON object per line (JSON lines), found an array",
    )


@pytest.mark.parametrize(
    ("line", "found"),
    [('"just text"', "a string"), ("42", "a number"), ("null", "null"), ("true", "true/false")],
)
def test_jsonl_line_that_is_not_an_object(line, found):
    with pytest.raises(ImportFormatError) as refused:
        jsonl_of(jsonl_lines({"article_url": "u", "text": "a"}) + line + "\n")
    assert (refused.value.line, refused.value.message) == (
        2,
        f"expected a JSON object, found {found}",
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("text", 5, "field 'text' must be a string, found a number"),
        ("body", ["a"], "field 'body' must be a string, found an array"),
        ("author", {"name": "x"}, "field 'author' must be a string, found an object"),
        ("comment_id", [1], "field 'comment_id' must be a string or an integer, found an array"),
        ("comment_id", True, "field 'comment_id' must be a string or an integer, found true/false"),
        ("parent_id", 1.5, "field 'parent_id' must be a string or an integer, found a number"),
        ("posted", {}, "field 'posted' must be a string or a number (Unix time), found an object"),
    ],
)
def test_jsonl_field_of_the_wrong_type(field, value, message):
    obj = {"article_url": "u", "text": "hello", field: value}
    with pytest.raises(ImportFormatError) as refused:
        jsonl_of("\n" + jsonl_lines(obj))
    assert (refused.value.line, refused.value.message) == (2, message)


def test_jsonl_nesting_too_deep_is_invalid_json():
    with pytest.raises(ImportFormatError, match="invalid JSON: nested too deeply"):
        jsonl_of('{"a": ' * 100_000 + "1" + "}" * 100_000 + "\n")


def test_jsonl_undecodable_byte_mid_file_names_its_line():
    lines = [jsonl_lines({"article_url": f"u{n}", "text": "padding " * 8}) for n in range(3000)]
    data = "".join(lines).encode() + b'{"article_url": "x", "text": "caf\xe9"}\n'
    with pytest.raises(ImportFormatError) as refused:
        jsonl_of(data)
    assert (refused.value.line, refused.value.message) == (
        3001,
        MIXED_UTF8.format(byte="e9"),
    )


@pytest.mark.parametrize(
    ("parse", "data"),
    [
        (parse_jsonl, jsonl_lines({"article_url": "u", "text": "short"}, {"text": "x" * 200})),
        (parse_csv, "article_url,text\n" + "u," * 200 + "\n"),
    ],
)
def test_overlong_line_is_refused_before_it_is_read_whole(monkeypatch, parse, data):
    monkeypatch.setattr(tabular, "MAX_LINE_CHARS", 100)
    with pytest.raises(ImportFormatError, match="line longer than 100 characters") as refused:
        ParsedSource.collect(parse(stream(data.encode()), "long"))
    assert refused.value.line == 2


# --- JSON lines: values -----------------------------------------------------------------------


def test_jsonl_empty_and_blank_files_give_nothing():
    assert jsonl_of(b"") == ParsedSource()
    assert jsonl_of("\n  \n\r\n") == ParsedSource()


def test_jsonl_ids_as_numbers_nulls_as_absent_and_hostile_strings():
    parsed = jsonl_of(
        jsonl_lines(
            {
                "article_id": 12,
                "article_url": None,
                "comment_id": 0,
                "parent_id": None,
                "text": "a\u0000b \ud800 c",
                "author": None,
                "kind": None,
            },
        )
    )
    assert parsed.problems == []
    assert [(a.key, a.url) for a in parsed.articles] == [("12", None)]
    (comment,) = parsed.comments
    assert (comment.external_id, comment.parent_external_id, comment.kind) == ("0", None, "comment")
    assert (comment.body, comment.author_name) == ("a\u0000b \ud800 c", "")
    raw = jsonl_lines({"article_id": 1, "text": "a\u0000b \ud800 c"}).encode()
    cleaned = read_records(FORMATS["jsonl"], stream(raw), "x.jsonl")
    assert [r.body for r in cleaned if isinstance(r, CommentRecord)] == ["ab  c"]


def test_jsonl_comment_without_text_is_skipped():
    parsed = jsonl_of(jsonl_lines({"article_url": "u", "comment_id": "9", "text": ""}))
    assert parsed.problems == [Problem("no comment text", line=1)]
    assert [a.key for a in parsed.articles] == ["u"]
    assert parsed.comments == []


def test_jsonl_unknown_field_notices_are_capped():
    obj = {"article_url": "u", "text": "a"} | {f"extra{n}": n for n in range(30)}
    parsed = jsonl_of(jsonl_lines(obj))
    assert len(parsed.problems) == tabular.MAX_UNKNOWN_FIELD_NOTICES
    assert len(parsed.comments) == 1


def test_jsonl_unknown_field_is_noticed_once():
    parsed = jsonl_of(
        jsonl_lines(
            {"article_url": "u", "text": "a", "x": 1}, {"article_url": "u", "text": "b", "x": 2}
        )
    )
    assert parsed.problems == [Problem("unknown field 'x' ignored", line=1, kind="notice")]
    assert [c.position for c in parsed.comments] == [1, 2]


# --- Dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05T10:00:00Z", utc(2024, 3, 5, 10)),
        ("2024-03-05T12:00:00+02:00", utc(2024, 3, 5, 10)),
        ("2024-03-05 10:00", utc(2024, 3, 5, 10)),
        ("2024-03-05", utc(2024, 3, 5)),
        ("20240305T100000Z", utc(2024, 3, 5, 10)),
        ("Tue, 05 Mar 2024 10:00:00 +0100", utc(2024, 3, 5, 9)),
        ("05 Mar 2024 10:00 GMT", utc(2024, 3, 5, 10)),
        ("2024/03/05 10:00:00", utc(2024, 3, 5, 10)),
        ("5 March 2024 10:00", utc(2024, 3, 5, 10)),
        ("March 5, 2024 3:05 PM", utc(2024, 3, 5, 15, 5)),
        ("Mar 5, 2024", utc(2024, 3, 5)),
        ("1709632800", utc(2024, 3, 5, 10)),
        ("1709632800.5", datetime(2024, 3, 5, 10, 0, 0, 500_000, tzinfo=UTC)),
        ("03/05/2024", None),  # day and month order unknowable
        ("next tuesday", None),
        ("0001-01-01T00:00:00+01:00", None),  # before year 1 in UTC
        ("999999999999", None),  # too many digits for Unix time
        ("", None),
    ],
)
def test_parse_datetime(text, expected):
    assert parse_datetime(text) == expected


# --- Sniffing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "filename", "csv_score", "jsonl_score"),
    [
        ("comments.csv", "comments.csv", 90, 0),
        ("comments.csv", "export.txt", 80, 0),
        ("comments_semicolon.csv", "x", 80, 0),
        ("comments_bom_tab_crlf.csv", "x.tsv", 90, 0),
        ("comments_cp1252.csv", "x", 80, 0),
        ("comments.jsonl", "comments.jsonl", 0, 90),
        ("comments.jsonl", "comments.ndjson", 0, 90),
        ("comments.jsonl", "dump", 0, 80),
    ],
)
def test_sniff_data_files(name, filename, csv_score, jsonl_score):
    head = (DATA / name).read_bytes()[:65536]
    assert tabular.sniff_csv(head, filename) == csv_score
    assert tabular.sniff_jsonl(head, filename) == jsonl_score


@pytest.mark.parametrize(
    ("head", "filename", "csv_score", "jsonl_score"),
    [
        (b"author,posted,likes\n", "x", 40, 0),  # known names but not the required ones
        (b"foo,bar\n1,2\n", "x.csv", 10, 0),  # a .csv name alone: parse it, refuse clearly
        (b"Comment\nNice one\n", "notes.txt", 0, 0),  # one word that happens to be a field
        (b"", "x.jsonl", 0, 10),
        (b'[{"text": "a"}]\n', "x.json", 0, 20),
        (b'\n\n{"text": "' + b"x" * 70_000, "x", 0, 40),  # first line cut off by the head
        (b"<?xml version='1.0'?><rss/>", "x.xml", 0, 0),
        (b'{"article_url": "u",\x00 "text": "t"}\n', "x.jsonl", 0, 0),
    ],
)
def test_sniff_heads(head, filename, csv_score, jsonl_score):
    head = head[:65536]
    assert tabular.sniff_csv(head, filename) == csv_score
    assert tabular.sniff_jsonl(head, filename) == jsonl_score


# --- Hostile input ----------------------------------------------------------------------------


def consume(parse, data: bytes) -> list | None:
    """All records of ``data``, or None when the parser refused it the one allowed way."""
    try:
        return list(parse(stream(data), "fuzz"))
    except ImportFormatError:
        return None


def assert_well_formed(records: list | None) -> None:
    """The contract's promises: articles once and before their comments, clean bodies, UTC."""
    if records is None:
        return
    defined: set[str] = set()
    for record in records:
        if isinstance(record, ArticleRecord):
            assert record.key not in defined
            defined.add(record.key)
        elif isinstance(record, CommentRecord):
            assert record.article_key in defined
            assert record.body and record.body == record.body.strip()
            assert record.posted_at is None or record.posted_at.utcoffset().total_seconds() == 0
        else:
            assert isinstance(record, Problem)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_raise_only_import_format_error(data):
    assert_well_formed(consume(parse_csv, data))
    assert_well_formed(consume(parse_jsonl, data))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=1000))
def test_arbitrary_text_raises_only_import_format_error(text):
    for encoding in ("utf-8", "utf-16"):
        data = text.encode(encoding, "surrogatepass")
        assert_well_formed(consume(parse_csv, data))
        assert_well_formed(consume(parse_jsonl, data))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=1000))
def test_arbitrary_rows_under_a_valid_header(body):
    assert_well_formed(consume(parse_csv, (HEADER + body).encode("utf-8")))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)
known_objects = st.dictionaries(
    st.sampled_from(sorted(tabular.KNOWN_NAMES) + ["other"]), json_values, max_size=8
)


@settings(max_examples=300, deadline=None)
@given(st.lists(known_objects, max_size=5))
def test_arbitrary_json_objects_raise_only_import_format_error(objects):
    assert_well_formed(consume(parse_jsonl, jsonl_lines(*objects).encode()))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["https://e.com/1", "https://e.com/2", "k3"]),
            # Text without markup, so the expected body is the text itself, stripped.
            st.text(
                alphabet=st.characters(codec="utf-8", exclude_characters="<&\r\x00"),
                min_size=1,
                max_size=60,
            ).filter(str.strip),
        ),
        max_size=20,
    ),
    st.sampled_from([",", ";", "\t"]),
)
def test_csv_written_by_csv_module_reads_back(rows, delimiter):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["article_url", "text"])
    starts = []
    for url, text in rows:
        starts.append(out.getvalue().count("\n") + 1)
        writer.writerow([url, text])
    parsed = csv_of(out.getvalue())

    assert parsed.problems == []
    assert [(c.article_key, c.body, c.line) for c in parsed.comments] == [
        (url, text.strip(), line) for (url, text), line in zip(rows, starts, strict=True)
    ]
    for url in {url for url, _ in rows}:
        positions = [c.position for c in parsed.comments if c.article_key == url]
        assert positions == list(range(1, len(positions) + 1))


# --- Size ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_100_mb_csv_is_streamed_not_read_whole(tmp_path):
    path = tmp_path / "big.csv"
    text = "Long comment text that goes on about the council budget. " * 70  # ~4 KB, a long comment
    block = "".join(
        f'https://news.example.org/{n % 1000},{n},,reader{n},2024-03-05T10:00:00Z,"{text}"\n'
        for n in range(1000)
    ).encode()
    with path.open("wb") as out:
        out.write(HEADER.encode())
        for _ in range(100 * 1024 * 1024 // len(block) + 1):
            out.write(block)
    size = path.stat().st_size
    assert size >= 100 * 1024 * 1024

    started = time.perf_counter()
    comments = 0
    tracemalloc.start()
    try:
        with path.open("rb") as source:
            for record in parse_csv(source, "big.csv"):
                comments += isinstance(record, CommentRecord)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started

    assert comments == (size - len(HEADER)) // len(block) * 1000
    assert peak < 10 * 1024 * 1024, (
        f"peak {peak / 2**20:.1f} MiB while reading {size / 2**20:.0f} MiB"
    )
    print(f"\n100 MB CSV: {comments} comments in {elapsed:.1f}s, peak {peak / 2**20:.2f} MiB")
