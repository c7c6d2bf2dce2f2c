"""The Disqus XML parser: fields, orphans, broken starts, hostile files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from parser_checks import damaged, load_generator, parse_in_child, utc

from moderation.importers import disqus
from moderation.importers.records import (
    ArticleRecord,
    CommentRecord,
    ImportFormatError,
    ParsedSource,
    Problem,
)

DATA = Path(__file__).parent / "data" / "xml"
EXPORT = DATA / "disqus_export.xml"
HEADER = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n'
)


def parse_bytes(raw: bytes, source: str = "disqus.xml") -> ParsedSource:
    return ParsedSource.collect(disqus.parse(io.BytesIO(raw), source))


@pytest.fixture(scope="module")
def export() -> ParsedSource:
    with EXPORT.open("rb") as stream:
        return ParsedSource.collect(disqus.parse(stream, EXPORT.name))


def test_threads_become_articles(export: ParsedSource) -> None:
    assert export.articles == [
        ArticleRecord(
            key="disqus:7700101",
            site="riverside-courier",
            url="https://www.riverside-courier.example/2024/01/council-bridge/",
            title="Council approves new bridge — café owners react",
            author="Julia Morales",
            published_at=utc(2024, 1, 10, 8, 0),
            body="The council voted on Tuesday.",
            line=8,
        ),
        # Deleted threads are still articles: their posts refer to them.
        ArticleRecord(
            key="disqus:7700102",
            site="riverside-courier",
            url="http://localhost:8080/staging/old-story",
            title="Withdrawn story",
            author="Desk",
            published_at=utc(2023, 12, 1, 10, 0),
            body="",
            line=24,
        ),
    ]


def test_post_fields(export: ParsedSource) -> None:
    assert export.comments[0] == CommentRecord(
        article_key="disqus:7700101",
        body=(
            "Finally! The old crossing is dangerous.\n\n"
            "See the accident figures (https://stats.example.net/road) & weep."
        ),
        author_name="Zoë Brontë",
        position=1,
        external_id="990001",
        parent_external_id=None,
        kind="comment",
        author_email="zoe@example.org",
        author_url=None,
        author_ip="198.51.100.7",
        posted_at=utc(2024, 1, 10, 9, 15),
        source_status="approved",
        line=40,
    )


def test_replies_statuses_and_positions(export: ParsedSource) -> None:
    assert [
        (c.external_id, c.article_key, c.position, c.parent_external_id, c.source_status)
        for c in export.comments
    ] == [
        ("990001", "disqus:7700101", 1, None, "approved"),
        ("990002", "disqus:7700101", 2, "990001", "approved"),
        ("990003", "disqus:7700101", 3, None, "spam"),
        ("990004", "disqus:7700101", 4, "990002", "deleted"),
        ("990005", "disqus:7700102", 1, None, "approved"),
        ("990007", "disqus:7700101", 5, None, "approved"),
    ]


def test_author_falls_back_to_username_and_bodies_lose_html(export: ParsedSource) -> None:
    by_id = {c.external_id: c for c in export.comments}
    assert by_id["990002"].author_name == "tom_guest"  # empty <name>
    assert by_id["990002"].body == "@Zoë Brontë: not so fast.\nWho pays?"
    assert by_id["990003"].body == "Buy cheap watches http://watches.example/"
    assert by_id["990007"].body == "Plain text\nwith a line break."


def test_dates(export: ParsedSource) -> None:
    by_id = {c.external_id: c for c in export.comments}
    assert by_id["990005"].posted_at == utc(2023, 12, 2, 7, 30)  # +01:00 converted
    assert by_id["990007"].posted_at is None  # "sometime in 2024"
    assert [p for p in export.problems if p.kind == "notice"] == [
        Problem(
            "unrecognised date 'sometime in 2024' in createdAt, kept without a date",
            line=by_id["990007"].line,
            kind="notice",
        )
    ]


def test_out_of_range_dates_give_notices() -> None:
    raw = HEADER + (
        b'<thread dsq:id="9"><title>A</title><createdAt>0001-01-01T00:00:00Z</createdAt>'
        b'</thread>\n<post dsq:id="1"><message>hi</message><thread dsq:id="9"/>'
        b"<createdAt>9999-12-31T23:59:59+00:00</createdAt></post>\n</disqus>\n"
    )
    parsed = parse_bytes(raw)
    assert parsed.articles[0].published_at is None and parsed.comments[0].posted_at is None
    assert [(p.line, p.message) for p in parsed.problems] == [
        (
            3,
            "date '0001-01-01T00:00:00Z' in createdAt is outside the years 1970 to 2999, "
            "kept without a date",
        ),
        (
            4,
            "date '9999-12-31T23:59:59+00:00' in createdAt is outside the years 1970 to 2999, "
            "kept without a date",
        ),
    ]


def test_post_of_a_missing_thread_is_skipped(export: ParsedSource) -> None:
    assert [p for p in export.problems if p.kind == "skipped"] == [
        Problem(
            "post 990006 refers to thread 7700999, which is not in the export",
            line=117,
            kind="skipped",
        )
    ]


def test_comments_follow_their_article() -> None:
    seen: set[str] = set()
    with EXPORT.open("rb") as stream:
        for record in disqus.parse(stream, "d.xml"):
            if isinstance(record, ArticleRecord):
                seen.add(record.key)
            elif isinstance(record, CommentRecord):
                assert record.article_key in seen


def test_post_before_its_thread_is_skipped() -> None:
    raw = HEADER + (
        b'<post dsq:id="1"><message>early</message><thread dsq:id="9"/></post>\n'
        b'<thread dsq:id="9"><link>https://ex.org/a</link><title>A</title></thread>\n'
        b'<post dsq:id="2"><message>late</message><thread dsq:id="9"/></post>\n'
        b'<post dsq:id="3"><message>threadless</message></post>\n'
        b"</disqus>\n"
    )
    parsed = parse_bytes(raw)
    assert [c.body for c in parsed.comments] == ["late"]
    assert parsed.comments[0].position == 1
    assert parsed.problems == [
        Problem("post 1 refers to thread 9, which is not in the export", line=3),
        Problem("post 3 names no thread", line=6),
    ]


@pytest.mark.parametrize(
    "garbage",
    [
        b"\xef\xbb\xbf",
        b"\n\n   \n",
        b"\xef\xbb\xbf  \r\n\r\n",
        b"<br />\n<b>Warning</b>:  Undefined index: forum in export.php on line 12<br />\n",
        b"junk\x7f\x01 bytes \xe2\x80\x94 then\n",
    ],
)
def test_garbage_before_the_declaration_is_skipped(garbage: bytes, export: ParsedSource) -> None:
    parsed = parse_bytes(garbage + EXPORT.read_bytes())
    skipped_lines = garbage.replace(b"\r\n", b"\n").count(b"\n")
    assert [(c.external_id, c.body) for c in parsed.comments] == [
        (c.external_id, c.body) for c in export.comments
    ]
    assert [c.line for c in parsed.comments] == [c.line + skipped_lines for c in export.comments]
    assert parsed.problems[0].line == export.problems[0].line + skipped_lines


def test_garbage_before_a_root_without_declaration() -> None:
    raw = b"Content-Type: text/xml\n\n" + HEADER.split(b"\n", 1)[1] + b"</disqus>"
    assert parse_bytes(raw) == ParsedSource()


@pytest.mark.parametrize("name", ["disqus_xxe.xml", "xxe_parameter_entity.xml"])
def test_external_entities_are_refused_and_never_read(name: str) -> None:
    passwd_first_line = Path("/etc/passwd").read_text(errors="replace").splitlines()[0]
    records: list = []
    with (DATA / name).open("rb") as stream, pytest.raises(ImportFormatError) as caught:
        records.extend(disqus.parse(stream, name))
    assert caught.value.source == name
    assert "entity declarations are not allowed" in caught.value.message
    assert records == []
    assert passwd_first_line not in str(caught.value)


def test_billion_laughs_is_refused() -> None:
    raw = (DATA / "billion_laughs.xml").read_bytes().replace(b"DOCTYPE rss", b"DOCTYPE disqus")
    with pytest.raises(ImportFormatError, match="entity declarations are not allowed") as caught:
        parse_bytes(raw, "laughs.xml")
    assert caught.value.line == 3


def test_truncated_export_names_the_line() -> None:
    raw = EXPORT.read_bytes()
    cut = raw[: raw.index(b'<post dsq:id="990004">') + 30]
    records: list = []
    with pytest.raises(ImportFormatError, match="malformed XML") as caught:
        records.extend(disqus.parse(io.BytesIO(cut), "cut.xml"))
    assert caught.value.line == cut.count(b"\n") + 1
    # Everything complete before the cut was already handed over.
    assert [r.external_id for r in records if isinstance(r, CommentRecord)] == [
        "990001",
        "990002",
        "990003",
    ]


def test_a_post_with_an_unquoted_attribute_is_left_out_and_the_rest_imports(
    export: ParsedSource,
) -> None:
    raw = EXPORT.read_bytes().replace(b'<post dsq:id="990004">', b"<post dsq:id=990004>")
    parsed = parse_bytes(raw)
    assert [c.external_id for c in parsed.comments] == [
        c.external_id for c in export.comments if c.external_id != "990004"
    ]
    line = raw[: raw.index(b"<post dsq:id=990004>")].count(b"\n") + 1
    [problem] = [p for p in parsed.problems if p not in export.problems]
    assert problem.line == line and problem.kind == "skipped"
    assert problem.message.startswith(f"<post> starting on line {line} left out: malformed XML")


def test_a_bad_tag_in_the_last_post_costs_only_that_post(export: ParsedSource) -> None:
    raw = EXPORT.read_bytes()
    last = raw.rindex(b"<message>")
    raw = raw[:last] + b"<message><b>bold</i>" + raw[last + len(b"<message>") :]
    parsed = parse_bytes(raw)
    assert len(parsed.comments) == len(export.comments) - 1
    assert [p.line for p in parsed.problems if "malformed" in p.message] == [
        raw[:last].count(b"\n") + 1
    ]


def test_utf16_export_without_byte_order_mark(export: ParsedSource) -> None:
    raw = EXPORT.read_text(encoding="utf-8").encode("utf-16-le")
    assert parse_bytes(raw, EXPORT.name) == export


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\x00\x00\x00\x18ftypmp42", "binary"),
        (b"", "no element found"),
        (b'<?xml version="1.0"?><rss version="2.0"></rss>', "expected <disqus>"),
        (HEADER + b"<thread dsq:id='1'><title>x</thread>", "was it cut short"),
    ],
)
def test_unreadable_sources(raw: bytes, message: str) -> None:
    with pytest.raises(ImportFormatError, match=message):
        parse_bytes(raw)


@settings(max_examples=200)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_raise_only_import_format_error(raw: bytes) -> None:
    try:
        parsed = parse_bytes(raw)
    except ImportFormatError as error:
        assert error.source == "disqus.xml"
        return
    keys = {a.key for a in parsed.articles}
    assert all(c.article_key in keys for c in parsed.comments)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_damaged_exports_raise_only_import_format_error(data: st.DataObject) -> None:
    try:
        parsed = parse_bytes(damaged(data, EXPORT.read_bytes()))
    except ImportFormatError:
        return
    keys = {a.key for a in parsed.articles}
    assert all(c.article_key in keys for c in parsed.comments)


def test_sniff() -> None:
    assert disqus.sniff(EXPORT.read_bytes()[:65536], "export.xml") == 90
    assert disqus.sniff(b"\xef\xbb\xbfjunk\n" + HEADER, "export.xml") == 90
    assert disqus.sniff((DATA / "wordpress_export.xml").read_bytes(), "wp.xml") < 50
    assert disqus.sniff(b"name,comment\n", "x.csv") == 0


def test_generated_export_round_trips(tmp_path: Path) -> None:
    path = load_generator().write_disqus(tmp_path / "small.xml", 3, 4, seed=7)
    with path.open("rb") as stream:
        parsed = ParsedSource.collect(disqus.parse(stream, "small.xml"))
    assert [a.key for a in parsed.articles] == ["disqus:1", "disqus:2", "disqus:3"]
    assert [c.external_id for c in parsed.comments] == [str(i) for i in range(1, 13)]
    # Posts are interleaved: post n belongs to thread (n - 1) % 3 + 1.
    assert [c.article_key for c in parsed.comments[:4]] == [
        "disqus:1",
        "disqus:2",
        "disqus:3",
        "disqus:1",
    ]
    assert [c.position for c in parsed.comments if c.article_key == "disqus:2"] == [1, 2, 3, 4]
    assert all(c.body and "<" not in c.body and c.posted_at for c in parsed.comments)
    by_id = {c.external_id: c for c in parsed.comments}
    for comment in parsed.comments:
        if comment.parent_external_id:
            assert by_id[comment.parent_external_id].article_key == comment.article_key
    assert parsed.problems == []


@pytest.mark.slow
def test_large_export_parses_in_bounded_memory(tmp_path: Path) -> None:
    path = load_generator().write_disqus(tmp_path / "big.xml", 40, 250, seed=1, post_words=200)
    size = path.stat().st_size
    assert size > 15_000_000
    comments, growth_kib = parse_in_child("disqus", path)
    assert comments == 40 * 250
    # Keeping the whole tree would take several times the file's size.
    assert growth_kib < 25_000, f"peak RSS grew {growth_kib / 1024:.0f} MB for {size / 1e6:.0f} MB"
