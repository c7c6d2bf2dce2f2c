"""The WordPress (WXR) parser: fields, skipped items, hostile and broken files, memory."""

from __future__ import annotations

import io
from datetime import UTC
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from parser_checks import damaged, load_generator, parse_in_child, utc

from moderation.importers import detect_format, wxr
from moderation.importers.records import (
    ArticleRecord,
    CommentRecord,
    ImportFormatError,
    ParsedSource,
    Problem,
)
from moderation.importers.xml_stream import parse_utc_datetime

DATA = Path(__file__).parent / "data" / "xml"
EXPORT = DATA / "wordpress_export.xml"


def parse_bytes(raw: bytes, source: str = "export.xml") -> ParsedSource:
    return ParsedSource.collect(wxr.parse(io.BytesIO(raw), source))


def parse_file(path: Path) -> ParsedSource:
    with path.open("rb") as stream:
        return ParsedSource.collect(wxr.parse(stream, path.name))


@pytest.fixture(scope="module")
def export() -> ParsedSource:
    return parse_file(EXPORT)


def test_articles_are_posts_and_commented_pages(export: ParsedSource) -> None:
    assert [a.key for a in export.articles] == [
        "wp:101",
        "wp:105",
        "wp:106",
        "https://www.riverside-courier.example/2019/05/old-story/",
    ]


def test_post_fields(export: ParsedSource) -> None:
    assert export.articles[0] == ArticleRecord(
        key="wp:101",
        site="www.riverside-courier.example",
        url="https://www.riverside-courier.example/2024/01/council-bridge/",
        title="Council approves new bridge — café owners react",
        author="jmorales",
        published_at=utc(2024, 1, 10, 8, 0),
        body=(
            "The council voted 7–2 on Tuesday to fund the new footbridge.\n\n"
            "Read the full plan (https://www.riverside-courier.example/docs/plan.pdf) "
            "or visit https://council.example.gov.\n\n"
            "Cost: £4.2m\nOpens: 2026"
        ),
        line=30,
    )


def test_post_dates_fall_back_and_never_fail(export: ParsedSource) -> None:
    by_key = {a.key: a for a in export.articles}
    # post_date_gmt "not a date": the pubDate is used instead.
    assert by_key["wp:105"].published_at == utc(2024, 1, 3, 10, 0)
    # A draft: post_date_gmt 0000-00-00 and pubDate in the year -0001.
    assert by_key["wp:106"].published_at is None
    # No wp:post_id: keyed by link, pubDate with an offset converted to UTC.
    old = by_key["https://www.riverside-courier.example/2019/05/old-story/"]
    assert old.published_at == utc(2019, 5, 3, 12, 20)


def test_comment_fields(export: ParsedSource) -> None:
    first, reply = export.comments[0], export.comments[1]
    assert first == CommentRecord(
        article_key="wp:101",
        body="About time!\nMy kids cross that road every day.\n\nThank you, council.",
        author_name="Zoë Brontë",
        position=1,
        external_id="501",
        parent_external_id=None,
        kind="comment",
        author_email="zoe@example.org",
        author_url="https://zoe.example.org",
        author_ip="198.51.100.7",
        posted_at=utc(2024, 1, 10, 9, 15),
        source_status="1",
        line=59,
    )
    assert reply.parent_external_id == "501"
    assert reply.body == (
        "@Zoë I disagree & here is why: see the figures "
        "(https://stats.example.net/road-safety).\n\n"
        'Second point: it\'s "too expensive".'
    )
    assert reply.author_email is None
    assert reply.author_url is None  # WordPress writes a bare "http://"
    assert reply.author_ip == "2001:db8::42"


def test_comment_kinds_statuses_and_order(export: ParsedSource) -> None:
    on_post = [c for c in export.comments if c.article_key == "wp:101"]
    summary = [
        (c.external_id, c.position, c.kind, c.source_status, c.parent_external_id) for c in on_post
    ]
    assert summary == [
        ("501", 1, "comment", "1", None),
        ("502", 2, "comment", "1", "501"),
        ("503", 3, "pingback", "1", None),
        ("504", 4, "trackback", "1", None),
        ("505", 5, "comment", "spam", None),
        ("506", 6, "comment", "trash", "502"),
        ("507", 7, "comment", "0", None),
    ]
    pingback = on_post[2]
    assert pingback.author_name == "Valley Blog » Bridge news"
    assert pingback.body == "[…] the Courier reports the council approved the bridge […]"
    assert on_post[4].body == "Great post!!! buy now (http://pills.example/buy)"


def test_comment_dates(export: ParsedSource) -> None:
    by_id = {c.external_id: c for c in export.comments}
    # comment_date_gmt 0000-00-00: comment_date is used.
    assert by_id["507"].posted_at == utc(2024, 1, 11, 7, 45)
    # Both dates unusable: no date, and the comment is still imported, with a notice.
    assert by_id["801"].posted_at is None
    assert by_id["801"].body == "I remember this."
    assert [p for p in export.problems if p.kind == "notice"] == [
        Problem(
            "unrecognised date '2019-13-45 99:00:00' in wp:comment_date_gmt, kept without a date",
            line=by_id["801"].line,
            kind="notice",
        )
    ]
    for comment in export.comments:
        assert comment.posted_at is None or comment.posted_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("gmt", "pub_date", "notice"),
    [
        ("0001-01-01 00:00:00", "", "date '0001-01-01 00:00:00' in wp:post_date_gmt is outside"),
        ("5138-11-16 09:46:40", "", "date '5138-11-16 09:46:40' in wp:post_date_gmt is outside"),
        ("", "Tue, 45 Smarch 2021", "unrecognised date 'Tue, 45 Smarch 2021' in pubDate"),
        ("0000-00-00 00:00:00", "Mon, 30 Nov -0001 00:00:00 +0000", None),  # a draft
        ("garbage", "Tue, 02 Mar 2021 10:00:00 +0000", None),  # the pubDate is used
    ],
)
def test_unusable_post_and_comment_dates_give_notices(gmt, pub_date, notice) -> None:
    raw = (
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>\n'
        f"<item><title>t</title><wp:post_id>1</wp:post_id><pubDate>{pub_date}</pubDate>\n"
        f"<wp:post_date_gmt>{gmt}</wp:post_date_gmt>\n"
        f"<wp:comment><wp:comment_id>5</wp:comment_id><wp:comment_date_gmt>{gmt}"
        "</wp:comment_date_gmt><wp:comment_content>hi</wp:comment_content></wp:comment>\n"
        "</item></channel></rss>"
    ).encode()
    parsed = parse_bytes(raw)
    assert parsed.comments[0].body == "hi" and parsed.comments[0].posted_at is None
    notices = [(p.line, p.message) for p in parsed.problems]
    if notice is None:
        assert notices == [] if gmt.startswith("0000") else len(notices) == 1
        return
    assert notices[0][0] == 2 and notices[0][1].startswith(notice)
    assert notices[0][1].endswith(", kept without a date")
    if gmt:  # the comment's own notice names its line
        assert notices[1][0] == 4 and "wp:comment_date_gmt" in notices[1][1]


def test_dates_no_comment_can_have_are_no_date():
    assert parse_utc_datetime("0001-01-01 00:00:00") is None
    assert parse_utc_datetime("9999-12-31T23:59:59+00:00") is None
    assert parse_utc_datetime("1970-01-01 00:00:00") == utc(1970, 1, 1)
    assert parse_utc_datetime("2999-12-31 23:59:59") == utc(2999, 12, 31, 23, 59, 59)


def test_comments_follow_their_article(export: ParsedSource) -> None:
    with EXPORT.open("rb") as stream:
        records = list(wxr.parse(stream, "export.xml"))
    seen: set[str] = set()
    for record in records:
        if isinstance(record, ArticleRecord):
            seen.add(record.key)
        elif isinstance(record, CommentRecord):
            assert record.article_key in seen
    assert {c.article_key for c in export.comments} == {
        "wp:101",
        "wp:105",
        "https://www.riverside-courier.example/2019/05/old-story/",
    }


def test_attachments_menus_and_empty_pages_are_left_out(export: ParsedSource) -> None:
    keys = {a.key for a in export.articles}
    assert not keys & {"wp:102", "wp:103", "wp:104", "wp:107"}
    # Only the attachment that had comments is reported, since they are lost.
    assert [p for p in export.problems if p.kind == "skipped"] == [
        Problem(
            "'attachment' item 'Gallery: the old bridge' left out with its 1 comments: "
            "only posts and pages are imported",
            line=245,
            kind="skipped",
        )
    ]
    assert "701" not in {c.external_id for c in export.comments}


def test_item_without_any_identity_is_a_problem() -> None:
    raw = b"""<?xml version="1.0"?>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>
<item><title>Nameless</title><wp:comment><wp:comment_content>hi</wp:comment_content></wp:comment></item>
</channel></rss>"""
    parsed = parse_bytes(raw)
    assert parsed.articles == [] and parsed.comments == []
    assert parsed.problems == [
        Problem("item 'Nameless' has no wp:post_id, link or guid; left out with its 1 comments", 3)
    ]


def test_older_namespaces_and_other_prefixes() -> None:
    raw = EXPORT.read_bytes()
    raw = raw.replace(b"wordpress.org/export/1.2/", b"wordpress.org/export/1.0/")
    raw = raw.replace(b"xmlns:wp=", b"xmlns:wordpress=")
    raw = raw.replace(b"<wp:", b"<wordpress:").replace(b"</wp:", b"</wordpress:")
    assert parse_bytes(raw) == parse_file(EXPORT)


def test_excerpt_is_not_taken_for_the_body(export: ParsedSource) -> None:
    assert all("excerpt" not in a.body for a in export.articles)


def test_byte_order_mark_and_leading_garbage_are_skipped() -> None:
    garbage = b"\xef\xbb\xbf\n<br />\n<b>Warning</b>: Cannot modify header information in x.php\n"
    parsed = parse_bytes(garbage + EXPORT.read_bytes())
    reference = parse_file(EXPORT)
    assert [a.key for a in parsed.articles] == [a.key for a in reference.articles]
    # Lines still point into the file as given: three lines of garbage came first.
    assert parsed.articles[0].line == reference.articles[0].line + 3
    assert parsed.comments[0].line == reference.comments[0].line + 3


def test_windows_1252_export() -> None:
    raw = (
        '<?xml version="1.0" encoding="windows-1252"?>\n'
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>\n'
        "<item><title>Caf\u00e9 \u201cquotes\u201d</title><wp:post_id>9</wp:post_id>\n"
        "<wp:comment><wp:comment_id>1</wp:comment_id>"
        "<wp:comment_content>na\u00efve \u2013 yes</wp:comment_content></wp:comment>\n"
        "</item></channel></rss>\n"
    ).encode("cp1252")
    parsed = parse_bytes(raw)
    assert parsed.articles[0].title == "Café “quotes”"
    assert parsed.comments[0].body == "naïve – yes"


def test_stream_is_left_open() -> None:
    stream = io.BytesIO(EXPORT.read_bytes())
    list(wxr.parse(stream, "export.xml"))
    assert not stream.closed


@pytest.mark.parametrize("name", ["billion_laughs.xml", "xxe_file.xml"])
def test_entity_declarations_are_refused(name: str) -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse_file(DATA / name)
    assert caught.value.source == name
    assert caught.value.line == 3
    assert "entity declarations are not allowed" in caught.value.message


def test_xxe_never_reads_the_file() -> None:
    passwd = Path("/etc/passwd").read_text(errors="replace").splitlines()[0]
    records = []
    with (DATA / "xxe_file.xml").open("rb") as stream, pytest.raises(ImportFormatError) as caught:
        records.extend(wxr.parse(stream, "xxe_file.xml"))
    assert passwd not in str(caught.value)
    assert all(passwd not in repr(record) for record in records)
    assert "root:" not in str(caught.value)


PASSWD_DOCTYPES = [
    # An empty internal subset, or one hidden after a comment that looks like the root.
    b"<!DOCTYPE rss [\n]>",
    b'<!-- <rss> -->\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    b'<!doctype rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    # Brackets and ">" inside quoted ids do not hide the subset.
    b'<!DOCTYPE rss PUBLIC "-//x//EN" "a[b]>c" [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    # A subset starting beyond the first bytes read.
    b'<!DOCTYPE rss SYSTEM "' + b"x" * 70_000 + b'" [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
]


@pytest.mark.parametrize("doctype", PASSWD_DOCTYPES, ids=range(len(PASSWD_DOCTYPES)))
def test_any_internal_subset_is_refused(doctype: bytes) -> None:
    raw = (
        b'<?xml version="1.0"?>\n' + doctype + b"\n"
        b'<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>'
        b"<wp:post_id>1</wp:post_id><title>&xxe;</title></item></channel></rss>"
    )
    with pytest.raises(ImportFormatError, match="entity declarations are not allowed"):
        parse_bytes(raw)


def test_external_dtd_is_never_loaded() -> None:
    passwd = Path("/etc/passwd").read_text(errors="replace").splitlines()[0]
    raw = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "file:///etc/passwd">\n'
        b'<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>'
        b"<wp:post_id>1</wp:post_id><title>a &xxe; b</title><wp:comment>"
        b"<wp:comment_content>&xxe;</wp:comment_content></wp:comment></item></channel></rss>"
    )
    try:
        records = list(wxr.parse(io.BytesIO(raw), "dtd.xml"))
    except ImportFormatError as error:
        records = [error]
    assert records
    assert all(passwd not in repr(record) and "root:" not in repr(record) for record in records)


def test_harmless_doctype_is_accepted() -> None:
    raw = EXPORT.read_bytes().replace(b"<rss ", b'<!DOCTYPE rss SYSTEM "x[y]>.dtd">\n<rss ', 1)
    parsed = parse_bytes(raw)
    assert [a.key for a in parsed.articles] == [a.key for a in parse_file(EXPORT).articles]


def test_root_must_start_within_the_first_megabyte() -> None:
    raw = b'<?xml version="1.0"?>\n<!--' + b"x" * 2_000_000 + b"-->\n<rss><channel/></rss>"
    with pytest.raises(ImportFormatError, match="no <rss> element in the first"):
        parse_bytes(raw)


@pytest.mark.parametrize("blank_lines", [65_530, 65_533, 65_534, 65_535, 65_536, 70_000])
def test_leading_garbage_longer_than_one_read(blank_lines: int) -> None:
    # The document start falls at or near the end of the first 64 KB read.
    garbage = b"<br />" + b"\n" * blank_lines
    parsed = parse_bytes(garbage + EXPORT.read_bytes())
    reference = parse_file(EXPORT)
    assert [a.key for a in parsed.articles] == [a.key for a in reference.articles]
    assert [c.line for c in parsed.comments] == [c.line + blank_lines for c in reference.comments]


def test_quadratic_blowup_is_refused() -> None:
    big = "x" * 100_000
    raw = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "{big}">]>\n'
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>'
        f"<title>{'&a;' * 10_000}</title></item></channel></rss>"
    ).encode()
    with pytest.raises(ImportFormatError, match="entity declarations are not allowed"):
        parse_bytes(raw)


def test_truncated_file_names_the_line() -> None:
    raw = EXPORT.read_bytes()
    cut = raw[: len(raw) // 2]
    with pytest.raises(ImportFormatError) as caught:
        parse_bytes(cut, "cut.xml")
    assert caught.value.line == cut.count(b"\n") + 1
    assert str(caught.value).startswith(f"cut.xml:{caught.value.line}: malformed XML")


def test_records_before_the_damage_are_yielded_first() -> None:
    raw = EXPORT.read_bytes()
    records: list = []
    with pytest.raises(ImportFormatError):
        records.extend(wxr.parse(io.BytesIO(raw[: raw.index(b"<title><![CDATA[About us")]), "x"))
    assert [r.key for r in records if isinstance(r, ArticleRecord)] == ["wp:101"]


def test_a_malformed_item_is_left_out_with_its_line_and_the_rest_imports() -> None:
    raw = (
        b'<?xml version="1.0"?>\n<rss xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
        b"<item><title>one</title><wp:post_id>1</wp:post_id></item>\n"
        b"<item><title>x</tilte>\n<wp:post_id>2</wp:post_id></item>\n"
        b"<item><title>three</title><wp:post_id>3</wp:post_id></item>\n</channel></rss>"
    )
    parsed = parse_bytes(raw)
    assert [a.title for a in parsed.articles] == ["one", "three"]
    [problem] = parsed.problems
    assert problem.line == 5 and problem.kind == "skipped"
    assert problem.message.startswith("<item> starting on line 5 left out: malformed XML: ")
    assert "tag mismatch: title line 5 and tilte" in problem.message


def test_an_unquoted_attribute_near_the_end_costs_only_its_item() -> None:
    raw = EXPORT.read_bytes()
    last_item = raw.rindex(b"<item>")
    broken = raw[:last_item] + b"<item broken=1>" + raw[last_item + len(b"<item>") :]
    parsed = parse_bytes(broken)
    reference = parse_file(EXPORT)
    assert [a.key for a in parsed.articles] == [a.key for a in reference.articles][:-1]
    assert [p.line for p in parsed.problems if "left out: malformed" in p.message] == [
        raw[:last_item].count(b"\n") + 1
    ]
    kept = {a.key for a in parsed.articles}
    assert parsed.comments == [c for c in reference.comments if c.article_key in kept]


def test_an_item_never_closed_ends_at_the_next_one() -> None:
    raw = (
        b'<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>\n'
        b"<item><title>open</title><wp:post_id>1</wp:post_id>\n"
        b"<item><title>fine</title><wp:post_id>2</wp:post_id></item>\n</channel></rss>"
    )
    parsed = parse_bytes(raw)
    assert [a.title for a in parsed.articles] == ["fine"]
    [problem] = parsed.problems
    assert problem.message.startswith("<item> starting on line 2 left out: malformed XML")


def test_item_tags_inside_cdata_and_comments_do_not_cut_records() -> None:
    raw = (
        b'<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>\n<!-- <item> -->\n'
        b"<item><title><![CDATA[a </item> b <item>]]></title><wp:post_id>1</wp:post_id>"
        b"<!-- </item> --></item>\n</channel></rss>"
    )
    parsed = parse_bytes(raw)
    assert [a.title for a in parsed.articles] == ["a </item> b <item>"]
    assert parsed.problems == []


def test_entities_inside_a_record_are_never_expanded() -> None:
    secret = Path(__file__)
    raw = (
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>\n'
        f'<item><!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]><title>&e;</title>'
        "<wp:post_id>1</wp:post_id></item>\n"
        "<item><title>&undeclared;</title><wp:post_id>2</wp:post_id></item>\n"
        "<item><title>ok</title><wp:post_id>3</wp:post_id></item>\n</channel></rss>"
    ).encode()
    parsed = parse_bytes(raw)
    assert [a.title for a in parsed.articles] == ["ok"]
    assert [p.line for p in parsed.problems] == [2, 3]
    assert all("left out: malformed XML" in p.message for p in parsed.problems)


def test_damage_outside_the_items_refuses_the_file() -> None:
    raw = b'<?xml version="1.0"?>\n<rss>\n<channel><title>x</tilte>\n</channel></rss>'
    with pytest.raises(ImportFormatError, match="tag mismatch") as caught:
        parse_bytes(raw)
    assert caught.value.line == 3


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\x00\x01\x02PK binary", "binary"),
        (b"", "no element found"),
        (b"just some text", "no element found"),
        (b"<html><body>Error 500</body></html>", "expected <rss>"),
        (b'<?xml version="1.0"?><disqus></disqus>', "expected <rss>"),
    ],
)
def test_unreadable_sources(raw: bytes, message: str) -> None:
    with pytest.raises(ImportFormatError, match=message):
        parse_bytes(raw)


def test_invalid_utf8_after_the_head_names_a_line() -> None:
    # The encoding is judged on the first 64 KB; a bad byte later cannot be decoded.
    filler = b"<item><title>ok</title><wp:post_id>1</wp:post_id></item>\n" * 2000
    raw = (
        b'<?xml version="1.0"?>\n<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>\n'
        + filler
        + b"<item><title>bad \xff byte</title></item>\n</channel></rss>\n"
    )
    bad_line = raw[: raw.index(b"\xff")].count(b"\n") + 1
    with pytest.raises(ImportFormatError, match="not valid text") as caught:
        parse_bytes(raw)
    assert caught.value.line == bad_line
    assert "Windows-1252" in caught.value.message


def test_export_cut_short_in_a_cdata_section_says_so() -> None:
    raw = EXPORT.read_bytes()
    cut = raw.index(b"<![CDATA[", 3000) + len(b"<![CDATA[")
    with pytest.raises(ImportFormatError) as caught:
        parse_bytes(raw[:cut])
    assert caught.value.message == (
        "malformed XML: cdata not finished (at the end of the file: was it cut short?)"
    )
    assert caught.value.line == raw[:cut].count(b"\n") + 1


def test_undeclared_windows_1252_export() -> None:
    raw = (
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>\n'
        "<item><title>Caf\u00e9 \u201cquotes\u201d</title><wp:post_id>9</wp:post_id>\n"
        "<wp:comment><wp:comment_content>na\u00efve</wp:comment_content></wp:comment>\n"
        "</item></channel></rss>\n"
    ).encode("cp1252")
    parsed = parse_bytes(raw)
    assert parsed.articles[0].title == "Café “quotes”"
    assert parsed.comments[0].body == "naïve"


def test_undeclared_export_in_two_encodings_is_refused() -> None:
    raw = (
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>\n'
        "<item><title>Caf\u00e9</title><wp:post_id>9</wp:post_id></item>\n".encode()
        + b"<item><title>Caf\xe9</title><wp:post_id>10</wp:post_id></item>\n</channel></rss>\n"
    )
    with pytest.raises(ImportFormatError, match="mixed text encodings") as refused:
        parse_bytes(raw)
    assert refused.value.line == 3


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_export_with_or_without_byte_order_mark(encoding: str) -> None:
    text = EXPORT.read_text(encoding="utf-8")
    declared = text.replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)
    assert declared != text
    parsed = parse_bytes(declared.encode(encoding))
    assert parsed == parse_file(EXPORT)
    assert detect_format(declared.encode(encoding)[:65536], "export.xml").name == "wxr"


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_raise_only_import_format_error(raw: bytes) -> None:
    try:
        parsed = parse_bytes(raw)
    except ImportFormatError as error:
        assert error.source == "export.xml"
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
    assert all(a.key for a in parsed.articles)


def test_sniff() -> None:
    head = EXPORT.read_bytes()[:65536]
    assert wxr.sniff(head, "export.xml") == 90
    assert wxr.sniff((DATA / "disqus_export.xml").read_bytes(), "d.xml") < 50
    assert wxr.sniff(b'<?xml version="1.0"?><rss version="2.0"><channel>', "feed.xml") < 50
    assert wxr.sniff(b"id,body\n1,hello\n", "comments.csv") == 0


@pytest.mark.slow
def test_large_export_parses_in_bounded_memory(tmp_path: Path) -> None:
    generator = load_generator()
    path = generator.write_wxr(tmp_path / "big.xml", 40, 200, seed=1, comment_words=700)
    size = path.stat().st_size
    assert size > 45_000_000
    comments, growth_kib = parse_in_child("wxr", path)
    assert comments == 40 * 200
    # Keeping the whole tree would take several times the file's size.
    assert growth_kib < 25_000, f"peak RSS grew {growth_kib / 1024:.0f} MB for {size / 1e6:.0f} MB"


@pytest.mark.slow
def test_line_numbers_beyond_65535(tmp_path: Path) -> None:
    # libxml2 stores element line numbers in 16 bits; larger ones must still be right.
    path = load_generator().write_wxr(tmp_path / "long.xml", 50, 200, seed=3, comment_words=5)
    raw = path.read_bytes()
    assert raw.count(b"\n") > 2 * 65536
    lines = raw.split(b"\n")
    expected = [number for number, text in enumerate(lines, 1) if b"<wp:comment>" in text]
    parsed = parse_file(path)
    assert [c.line for c in parsed.comments] == expected
    items = [number for number, text in enumerate(lines, 1) if text.strip() == b"<item>"]
    assert [a.line for a in parsed.articles] == items


def test_generated_export_round_trips(tmp_path: Path) -> None:
    generator = load_generator()
    path = generator.write_wxr(tmp_path / "small.xml", 3, 5, seed=7)
    parsed = parse_file(path)
    assert [a.key for a in parsed.articles] == ["wp:1", "wp:2", "wp:3"]
    assert [c.external_id for c in parsed.comments] == [str(i) for i in range(1, 16)]
    assert all(c.body and c.posted_at for c in parsed.comments)
    ids = {c.external_id for c in parsed.comments}
    assert all(c.parent_external_id in ids for c in parsed.comments if c.parent_external_id)
    assert parse_file(generator.write_wxr(tmp_path / "again.xml", 3, 5, seed=7)) == parsed


def test_an_export_of_over_ten_million_lines_parses_with_its_line_numbers() -> None:
    """The line breaks of records already parsed reach the outer parser, which counts lines;
    as text they would make one node over libxml2's 10 MB limit."""
    blank = b"\n" * 12_000
    items = b"".join(
        b"<item><title>t</title><wp:post_id>%d</wp:post_id>%s<wp:comment><wp:comment_id>%d"
        b"</wp:comment_id><wp:comment_content>hi</wp:comment_content></wp:comment></item>\n"
        % (n, blank, n)
        for n in range(1, 900)
    )
    raw = b'<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>\n' + items
    raw += b"<item><title>last</title><wp:post_id>900</wp:post_id></item></channel></rss>"
    parsed = parse_bytes(raw)
    assert len(parsed.comments) == 899 and parsed.problems == []
    assert parsed.comments[-1].line == 1 + 898 * 12_001 + 1 + 12_000
