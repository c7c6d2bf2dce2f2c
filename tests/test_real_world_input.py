"""Input as real exports and pages come, across formats: UTF-16, control characters,
reply cycles, standard input that is not a page."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from moderation.extensions import db
from moderation.importers.control_characters import strip_control_characters
from moderation.importers.records import ParsedSource
from moderation.ingest import import_stream
from moderation.models import Comment
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


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("tab\tnew\nline\r\n", "tab\tnew\nline\r\n"),
        ("nul\x00 bell\x07 esc\x1b[31m del\x7f", "nul bell esc[31m del"),
        ("c1\x85 \x9bcsi", "c1 csi"),
        ("bom\ufffe \uffff", "bom "),
        ("lone \ud800 \udfff surrogates", "lone   surrogates"),
        ("café 😀 “quotes” \u00a0nbsp £5", "café 😀 “quotes” \u00a0nbsp £5"),
    ],
)
def test_control_characters_are_stripped(text: str, kept: str) -> None:
    assert strip_control_characters(text) == kept


def test_every_format_loses_control_characters_on_the_way_to_ingest() -> None:
    csv_text = (
        "article_url,article_title,author,text\nhttps://e.com/1,Ti\x0ctle,An\x02n,hel\x1blo\n"
    )
    csv = parsed_stream(csv_text.encode(), "c.csv")
    assert (csv.articles[0].title, csv.comments[0].author_name) == ("Title", "Ann")
    assert csv.comments[0].body == "hello"
    wxr_raw = (DATA / "xml" / "wordpress_export.xml").read_text(encoding="utf-8")
    wxr_raw = wxr_raw.replace("<![CDATA[Zoë Brontë]]>", "<![CDATA[Zo\u0085ë Brontë\u009b]]>")
    wxr = parsed_stream(wxr_raw.encode(), "w.xml")
    assert "Zoë Brontë" in {c.author_name for c in wxr.comments}
    page = PAGE.read_text(encoding="utf-8").replace("school", "sch\x07o\x1bol")
    dirty, clean = parsed_stream(page.encode(), PAGE.name), parsed_stream(PAGE.read_bytes(), "p")
    assert dirty.articles[0].body == clean.articles[0].body
    assert [c.body for c in dirty.comments] == [c.body for c in clean.comments]


def test_stored_text_has_no_control_characters_and_reimport_changes_nothing(app) -> None:
    raw = "article_url,comment_id,author,text\nhttps://e.com/1,7,A\x02nn\x9f,bad\x01 text\ufffe\n"
    first = import_stream(db.session, io.BytesIO(raw.encode()), "c.csv")
    assert first.succeeded and first.batch.comments_new == 1
    stored = db.session.scalars(sa.select(Comment)).one()
    assert (stored.author_name, stored.body) == ("Ann", "bad text")
    again = import_stream(db.session, io.BytesIO(raw.encode()), "c.csv")
    assert again.batch.comments_unchanged == 1 and again.batch.comments_updated == 0


def test_an_export_with_a_broken_record_imports_the_rest_and_again_adds_nothing(app) -> None:
    raw = (DATA / "xml" / "disqus_export.xml").read_bytes()
    broken = raw.replace(b'<post dsq:id="990004">', b"<post dsq:id=990004>")
    first = import_stream(db.session, io.BytesIO(broken), "d.xml")
    assert first.succeeded and first.batch.skipped == 2  # the broken post and an orphan
    assert any("left out: malformed XML" in p["message"] for p in first.batch.problems)
    ids = set(db.session.scalars(sa.select(Comment.external_id)))
    assert "990004" not in ids and {"990001", "990005"} <= ids
    again = import_stream(db.session, io.BytesIO(broken), "d.xml")
    assert again.batch.comments_new == again.batch.comments_updated == 0
    assert again.batch.comments_unchanged == len(ids)


def test_an_export_cut_short_writes_nothing(app) -> None:
    raw = (DATA / "xml" / "wordpress_export.xml").read_bytes()
    outcome = import_stream(db.session, io.BytesIO(raw[: len(raw) * 2 // 3]), "cut.xml")
    assert not outcome.succeeded and "malformed XML" in outcome.batch.error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def test_reply_loops_are_cut_whatever_the_format(app) -> None:
    csv_text = (
        "article_url,comment_id,parent_id,text\n"
        "https://e.com/1,1,1,I reply to myself\nhttps://e.com/1,2,3,Two\nhttps://e.com/1,3,2,Three\n"
    )
    outcome = import_stream(db.session, io.BytesIO(csv_text.encode()), "loops.csv")
    messages = [p["message"] for p in outcome.batch.problems]
    assert messages == [
        "comment 1 names itself as its parent; kept as a top-level comment",
        "comment 2: its parent 3 is one of its own replies (a loop of replies); "
        "kept as a top-level comment",
    ]
    raw = (DATA / "xml" / "disqus_export.xml").read_bytes()
    raw = raw.replace(b'<parent dsq:id="990002" />', b'<parent dsq:id="990004" />')
    outcome = import_stream(db.session, io.BytesIO(raw), "d.xml")
    assert [p["message"] for p in outcome.batch.problems if "itself" in p["message"]] == [
        "comment 990004 names itself as its parent; kept as a top-level comment"
    ]
