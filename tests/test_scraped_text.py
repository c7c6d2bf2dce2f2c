"""The plain-text parser for scraped article pages (format "text")."""

from __future__ import annotations

import codecs
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.importers import FORMATS
from moderation.importers.records import (
    ArticleRecord,
    CommentRecord,
    ImportFormatError,
    ParsedSource,
)
from moderation.importers.scraped_text import parse, parse_comment_date, sniff

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "data" / "scraped"
SEEDS = HERE.parent / "seeds"
HUAWEI_SEED = SEEDS / "000_d5ec5eac8c7d0052.txt"
ORF_SEED = SEEDS / "003_b18330b4de0cd4a8.txt"


def parse_bytes(data: bytes, name: str = "x.txt") -> ParsedSource:
    return ParsedSource.collect(parse(io.BytesIO(data), name))


def parse_text(text: str) -> ParsedSource:
    return parse_bytes(text.encode("utf-8"))


def as_iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- the two seeds -----------------------------------------------------------------


def test_huawei_seed_article():
    parsed = parse_bytes(HUAWEI_SEED.read_bytes())
    [article] = parsed.articles
    assert article.title == "Huawei and Russia Team Up as Tech Cold War Deepens"
    assert article.site == ""
    assert article.url is None
    assert re.fullmatch(r"text:[0-9a-f]{16}", article.key)
    assert "Huawei Technologies has drawn closer to Russia" in article.body
    assert article.body.endswith("by offering better conditions and contracts.”")
    for furniture in ("Source: Nikkei Review", "Leave A Reply", "BillA", "Your email address"):
        assert furniture not in article.body
    assert parsed.problems == []


def test_huawei_seed_comments():
    parsed = parse_bytes(HUAWEI_SEED.read_bytes())
    summary = [(c.position, c.kind, c.author_name, c.body) for c in parsed.comments]
    assert summary == [
        (1, "pingback", "", "[…] The partnership of the sanctioned […]"),
        (2, "comment", "BillA", "what ? – sanctions do not gain market share ?\nwho wudda thought"),
        (
            3,
            "comment",
            "Canosin",
            "more sanctions please ….. please…. . please\nMake Mama Rossiya Great Again",
        ),
        (
            4,
            "comment",
            "thomas malthaus",
            "A bit off topic, but sources from an extended grapevine tell me the Danes and "
            "Russians are planning discussions two weeks hence. Primarily focused on Greenland "
            "and mineral exploration.\n\nEnvironmental issues relating to waste dumps and water "
            "purification are included.",
        ),
        (
            5,
            "comment",
            "cap960",
            "Nothing new here! Americans commit the crimes then blame others. "
            "What is sad is people believe their lies…",
        ),
    ]
    article_key = parsed.articles[0].key
    assert all(c.article_key == article_key for c in parsed.comments)
    assert all(c.external_id is None and c.posted_at is None for c in parsed.comments)
    assert [c.line for c in parsed.comments] == [55, 57, 62, 67, 73]


def test_orf_seed_article_without_comments():
    parsed = parse_bytes(ORF_SEED.read_bytes())
    [article] = parsed.articles
    assert article.title == "Tech-tonic shift in Sino-Russian cooperation"
    assert article.published_at == datetime(2021, 5, 12, tzinfo=UTC)
    assert article.author == "Nivedita Kapoor"
    assert article.line == 3
    assert article.body.startswith("Technological cooperation has increasingly gained")
    assert article.body.endswith("it is able to accomplish this goal in the technological domain.")
    for furniture in (
        "Expert Speak",
        "Published on",
        "113th article",
        "The views expressed",
        "Nivedita Kapoor",
        "Post-doctoral Fellow",
        "Read More",
    ):
        assert furniture not in article.body
    assert parsed.comments == []
    assert parsed.problems == []


def test_page_in_two_encodings_is_refused():
    raw = "Caf\u00e9 news\n\nBody.\n".encode() + b"Caf\xe9 again\n"
    with pytest.raises(ImportFormatError, match="byte 0xe9 is not valid UTF-8") as refused:
        parse_bytes(raw)
    assert refused.value.line == 4


@pytest.mark.parametrize("seed", [HUAWEI_SEED, ORF_SEED], ids=["000", "003"])
def test_bom_and_crlf_copy_parses_the_same(seed: Path):
    raw = seed.read_bytes()
    windows_copy = codecs.BOM_UTF8 + raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert parse_bytes(windows_copy) == parse_bytes(raw)


# --- the corpus: every page against the expectation recorded beside it -------------

CORPUS_PAGES = sorted(CORPUS.glob("*.txt"))


def test_corpus_is_there():
    assert len(CORPUS_PAGES) >= 8
    assert all(page.with_suffix(".expected.json").exists() for page in CORPUS_PAGES)


@pytest.mark.parametrize("page", CORPUS_PAGES, ids=[p.stem for p in CORPUS_PAGES])
def test_corpus_page(page: Path):
    expected = json.loads(page.with_suffix(".expected.json").read_text("utf-8"))
    parsed = parse_bytes(page.read_bytes(), page.name)

    [article] = parsed.articles
    assert article.title == expected["title"]
    assert article.author == expected["author"]
    assert as_iso(article.published_at) == expected["published_at"]
    assert article.body.startswith(expected["body_starts_with"])
    assert article.body.endswith(expected["body_ends_with"])
    for furniture in expected["body_excludes"]:
        assert furniture not in article.body, furniture

    assert len(parsed.comments) == len(expected["comments"])
    for position, (comment, want) in enumerate(
        zip(parsed.comments, expected["comments"], strict=True), start=1
    ):
        assert comment.position == position
        assert comment.article_key == article.key
        assert comment.author_name == want["author"]
        assert comment.kind == want["kind"]
        assert as_iso(comment.posted_at) == want["posted_at"]
        assert comment.line == want["line"]
        if "body" in want:
            assert comment.body == want["body"]
        else:
            assert comment.body.startswith(want["body_starts_with"])

    problems = [(p.kind, p.line) for p in parsed.problems]
    assert problems == [(p["kind"], p["line"]) for p in expected["problems"]]
    for problem, want in zip(parsed.problems, expected["problems"], strict=True):
        assert problem.message.startswith(want["message_starts_with"])


# --- comment sections that cannot be understood ---------------------------------------


def test_unsplittable_text_under_leave_a_reply_is_a_notice_not_comments():
    page = (
        "Ferry timetable cut for winter\n\n"
        "The operator will run four crossings a day instead of six from November.\n\n"
        "Leave a Reply\n\n"
        "I think this is terrible for the island.\n"
        "So do I, and so does everyone at the pub.\n"
    )
    parsed = parse_text(page)
    assert parsed.comments == []
    [notice] = parsed.problems
    assert notice.kind == "notice"
    assert notice.message.startswith("comments not recognised: I think this is terrible")
    assert notice.line == 7
    assert parsed.articles[0].body == (
        "The operator will run four crossings a day instead of six from November."
    )


def test_numbered_article_paragraphs_are_not_comments_without_a_header():
    page = (
        "Three lessons from the flood\n\n"
        "1. Warnings came too late for the lower town.\n\n"
        "2. What the engineers says\n\n"  # a subheading, though it ends in "says"
        "3. Insurance will not cover most of the damage.\n"
    )
    parsed = parse_text(page)
    assert parsed.comments == []
    assert parsed.problems == []
    assert "2. What the engineers says" in parsed.articles[0].body


def test_comment_count_in_the_page_header_does_not_start_the_comments():
    page = (
        "Harbour dredging resumes\n"
        "By Sam Ortiz\n"
        "12 Comments\n\n"
        "Dredging of the inner harbour restarted on Monday after a pause for the audit.\n\n"
        "12 Comments\n\n"
        "Kim Lo\nMarch 3, 2020\nAbout time.\n"
    )
    parsed = parse_text(page)
    [article] = parsed.articles
    assert article.author == "Sam Ortiz"
    assert article.body.startswith("Dredging of the inner harbour restarted")
    assert "Comments" not in article.body
    assert [(c.author_name, c.body) for c in parsed.comments] == [("Kim Lo", "About time.")]


def test_comment_header_under_a_short_article_still_starts_the_comments():
    page = "Road closed\n\nUntil Friday.\n\nDetour via Mill Lane.\n\nComments\n\n"
    page += "Kim Lo\n3 Mar 2020\nOk.\n"
    parsed = parse_text(page)
    assert parsed.articles[0].body == "Until Friday.\n\nDetour via Mill Lane."
    assert [(c.author_name, c.body) for c in parsed.comments] == [("Kim Lo", "Ok.")]


def test_comment_header_with_empty_text_is_skipped_with_a_problem():
    page = "Title here\n\nBody text of the article.\n\n1. Anna says\n\n2. Ben says\n\n    Hello.\n"
    parsed = parse_text(page)
    assert [(c.author_name, c.body, c.position) for c in parsed.comments] == [("Ben", "Hello.", 1)]
    [problem] = parsed.problems
    assert problem.kind == "skipped" and problem.line == 5 and "Anna" in problem.message


# --- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("March 3, 2020 at 4:12 pm", datetime(2020, 3, 3, 16, 12, tzinfo=UTC)),
        ("March 3, 2020 at 12:05 am", datetime(2020, 3, 3, 0, 5, tzinfo=UTC)),
        ("May 12, 2021", datetime(2021, 5, 12, tzinfo=UTC)),
        ("2020-03-03 16:12", datetime(2020, 3, 3, 16, 12, tzinfo=UTC)),
        ("2020-03-03T16:12:30+01:00", datetime(2020, 3, 3, 15, 12, 30, tzinfo=UTC)),
        ("3 Mar 2020", datetime(2020, 3, 3, tzinfo=UTC)),
        ("Tuesday, 3rd March 2020 at 09:30", datetime(2020, 3, 3, 9, 30, tzinfo=UTC)),
        ("Sept. 9, 2021, 4:40 p.m. EDT", datetime(2021, 9, 9, 20, 40, tzinfo=UTC)),
        ("2 hours ago", None),
        ("February 30, 2020", None),
        ("2020-13-45", None),
        ("no date here", None),
    ],
)
def test_comment_dates(text: str, expected: datetime | None):
    assert parse_comment_date(text) == expected


# --- keys ---------------------------------------------------------------------------------


def test_article_key_depends_on_title_and_body_start_only():
    base = "A headline\n\nFirst paragraph of the story.\n\n" + "x " * 400 + "\n"
    key = parse_text(base).articles[0].key
    assert parse_text(base.replace("A headline", "a   HEADLINE")).articles[0].key == key
    assert parse_text(base + "\nA late correction at the very end.\n").articles[0].key == key
    assert parse_text(base.replace("A headline", "Another")).articles[0].key != key
    assert parse_text(base.replace("First", "Second")).articles[0].key != key


# --- unreadable sources -------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \r\n\n\t ", codecs.BOM_UTF8, codecs.BOM_UTF8 + b"\n\n"])
def test_empty_file_is_refused(data: bytes):
    with pytest.raises(ImportFormatError, match="empty file"):
        parse_bytes(data, "empty.txt")


def test_binary_file_is_refused():
    with pytest.raises(ImportFormatError, match="binary"):
        parse_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image.txt")


def test_page_of_nothing_but_furniture_is_refused():
    with pytest.raises(ImportFormatError, match="no article text"):
        parse_text("Share\nTwitter\nFacebook\n")


# --- property tests: garbage in, ImportFormatError or well-formed records out ----------


def check_well_formed(parsed: ParsedSource) -> None:
    [article] = parsed.articles
    assert isinstance(article, ArticleRecord) and article.key.startswith("text:")
    for position, comment in enumerate(parsed.comments, start=1):
        assert isinstance(comment, CommentRecord)
        assert comment.article_key == article.key
        assert comment.position == position
        assert comment.body and comment.body == comment.body.strip("\n")
        assert comment.kind in ("comment", "pingback", "trackback")
        assert comment.posted_at is None or comment.posted_at.tzinfo is UTC


def parse_or_refuse(data: bytes) -> None:
    try:
        parsed = parse_bytes(data)
    except ImportFormatError:
        return
    check_well_formed(parsed)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_raise_only_import_format_error(data: bytes):
    parse_or_refuse(data)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000))
def test_arbitrary_text_raises_only_import_format_error(text: str):
    parse_or_refuse(text.encode("utf-8"))


PAGE_LINES = [
    "",
    "   ",
    "Headline about the harbour",
    "By Jane Doe | March 3, 2020",
    "Published on May 12, 2021",
    "A paragraph of article text that runs on for a while, as paragraphs do.",
    "12 Comments",
    "3 thoughts on “Headline”",
    "Leave a Reply",
    "1.",
    "  2. Bob says",
    "Jane Doe says:",
    "Jane Doe",
    "March 3, 2020 at 4:12 pm",
    "2020-03-03 16:12",
    "Mar 3",
    "Reply",
    "Expand full comment",
    "[…] a pingback excerpt […]",
    "Pingback: Somewhere else",
    "> quoted text",
    "    indented comment text",
    "Nivedita Kapoor",
    "Nivedita Kapoor is a fellow.",
    "Share",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PAGE_LINES), max_size=40), st.sampled_from(["\n", "\r\n", "\r"]))
def test_pages_made_of_structural_lines_parse_to_well_formed_records(lines, newline):
    parse_or_refuse(newline.join(lines).encode("utf-8"))


# --- sniffing and registration -------------------------------------------------------


def test_sniff_scores():
    assert sniff(HUAWEI_SEED.read_bytes()[:65536], "page.txt") == 30
    assert sniff(ORF_SEED.read_bytes()[:65536], "page.txt") == 10
    assert sniff(b"", "page.txt") == 0
    assert sniff(b"\x00\x01binary", "page.txt") == 0
    assert sniff(codecs.BOM_UTF8 + b"  <?xml version='1.0'?><rss/>", "export.xml") == 0
    assert sniff(b"<html><body>x</body></html>", "page.txt") == 0
    assert sniff(b'{"comments": []}', "export.json") == 0
    assert sniff(b'[{"id": 1}]', "export.json") == 0
    assert sniff(b"id,author,body,date\n1,Jane,Hello,2020-03-03\n", "export.csv") == 0
    assert sniff(b"Bread, milk, and eggs cost more this year\n\nPrices rose.", "page.txt") == 10


def test_registered_as_text_format():
    fmt = FORMATS["text"]
    assert fmt.parse is parse and fmt.sniff is sniff
