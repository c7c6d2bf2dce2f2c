"""The pure text helpers behind the templates."""

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from moderation.web import text


def test_paragraphs_split_on_blank_lines_and_keep_lines():
    body = "One\ntwo\n\n\n  \nThree\r\n\r\nFour"
    assert text.paragraphs(body) == [["One", "two"], ["Three"], ["Four"]]
    assert text.paragraphs("") == [] and text.paragraphs(None) == []


def test_highlight_marks_whole_words_starting_with_a_term():
    segments = text.highlight("Russia's Russian network, not prussia.", ["russia", "net"])
    marked = [s.text for s in segments if s.marked]
    assert marked == ["Russia", "Russian", "network"]


def test_highlight_takes_terms_literally():
    segments = text.highlight("aab axb a.b", ["a+", "a.b"])  # not regular expressions
    assert [s.text for s in segments if s.marked] == ["a.b"]


@given(st.text(max_size=300), st.lists(st.text(max_size=12), max_size=6))
def test_highlight_keeps_every_character(body, terms):
    assert "".join(s.text for s in text.highlight(body, terms)) == body


@given(st.text(max_size=300))
def test_paragraphs_never_fail(body):
    for lines in text.paragraphs(body):
        assert all("\n" not in line for line in lines)


def test_excerpt_prefers_paragraphs_with_the_terms():
    body = "Opening words.\n\nNothing here.\n\nThe deal with Huawei.\n\nMore."
    excerpt = text.excerpt(body, ["huawei"])
    assert ["".join(s.text for s in p) for p in excerpt] == ["The deal with Huawei."]
    fallback = text.excerpt(body, [])
    assert ["".join(s.text for s in p) for p in fallback] == ["Opening words.", "Nothing here."]


def test_reason_text_reads_every_shape():
    assert text.reason_text("plain") == "plain"
    assert text.reason_text({"code": "links", "reason": "3 links"}) == "3 links"
    assert text.reason_text(["awful", -2.5]) == "awful -2.50"
    assert text.reason_text({"a": 1}) == "a: 1"
    assert text.reason_text(None) == ""


def test_format_time_in_utc():
    moment = datetime(2024, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=2)))
    assert text.format_time(moment) == "2024-01-02 01:04 UTC"
    assert text.format_time(datetime(2024, 1, 2, 3, 4)) == "2024-01-02 03:04 UTC"
    assert text.format_time(None) == "unknown time"
    assert text.format_time(datetime(2024, 1, 2, tzinfo=UTC)).endswith("UTC")


def test_http_url_allows_only_web_addresses():
    assert text.http_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert text.http_url(" HTTP://x.org ") == "HTTP://x.org"
    for url in ["javascript:alert(1)", "JaVaScRiPt:x", "data:text/html,x", "//evil", "/local",
                "http:evil", "https://x.org/\nfoo", None, ""]:  # fmt: skip
        assert text.http_url(url) is None, url


def test_id_url_builds_what_url_for_builds(app):
    from flask import url_for

    from moderation.web.fast import id_url

    with app.test_request_context("/queue"):
        for comment_id in (1, 42, 2147483647):
            for action in ("approve", "reject"):
                assert id_url("queue.decide", "comment_id", comment_id, action=action) == url_for(
                    "queue.decide", comment_id=comment_id, action=action
                )
            assert id_url("comments.history", "comment_id", comment_id) == url_for(
                "comments.history", comment_id=comment_id
            )
    with app.test_request_context("/queue", base_url="http://localhost/mod/"):
        assert id_url("comments.context", "comment_id", 7) == "/mod/comments/7"


def test_query_url_builds_what_url_for_builds(app):
    from flask import url_for

    from moderation.web.fast import id_url, query_url

    names = ["ann", "Zoë Brontë", "a&b=c?d#e", "50% + 1/2", "!$'()*,/:;?@", "<script>", ""]
    with app.test_request_context("/queue"):
        for name in [*names, None]:
            built = query_url("authors.author", "name", name)
            assert built == url_for("authors.author", name=name), name
        for article in (1, 2147483647):
            assert id_url("queue.index", "article", article, tab="all") == url_for(
                "queue.index", article=article, tab="all"
            )


def test_first_line_is_what_a_queue_row_shows():
    first_line = text.first_line
    assert first_line("\n\n  Hello   there \nsecond line") == "Hello there"
    assert first_line(None) == first_line("  \n ") == ""
    assert first_line("x" * 400, limit=10) == "x" * 9 + "…"
    assert first_line("<script>alert(1)</script>") == "<script>alert(1)</script>"  # escaped later
