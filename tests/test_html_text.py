"""html_to_text: comment and article bodies as plain text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.importers.html_text import html_to_text


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<p>One.</p><p>Two.</p>", "One.\n\nTwo."),
        ("<p>Line one<br>line two<br/>line three</p>", "Line one\nline two\nline three"),
        ("first<br><br>second", "first\n\nsecond"),
        ("<div>a</div><div>b</div>", "a\nb"),
        ("<div><div>nested</div></div>after", "nested\nafter"),
        ("<ul><li>one</li><li>two</li></ul><p>after</p>", "one\ntwo\n\nafter"),
        ("<blockquote>You said this.</blockquote>I disagree.", "You said this.\n\nI disagree."),
        ("<h2>Title</h2>Body", "Title\n\nBody"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"),
    ],
)
def test_blocks_become_line_breaks_and_paragraphs(markup: str, expected: str) -> None:
    assert html_to_text(markup) == expected


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ('Read <a href="https://ex.org/a">this</a>.', "Read this (https://ex.org/a)."),
        ('<a href="https://ex.org/a">https://ex.org/a</a>', "https://ex.org/a"),
        # The same address written without scheme or trailing slash is not repeated.
        ('<a href="https://ex.org/">ex.org</a>', "ex.org"),
        ('<a href="mailto:ed@ex.org">ed@ex.org</a>', "ed@ex.org"),
        ('<a href="mailto:ed@ex.org">the editor</a>', "the editor (mailto:ed@ex.org)"),
        ('<a href="https://ex.org/pic"><img src="x.jpg"></a>', "https://ex.org/pic"),
        ('<a href="javascript:alert(1)">click</a>', "click"),
        ('<a href="data:text/html,hi">click</a>', "click"),
        ("<a>no address</a>", "no address"),
        ('<a href="https://a.ex">outer <a href="https://b.ex">inner</a></a>', None),
    ],
)
def test_links_keep_their_text_and_address(markup: str, expected: str | None) -> None:
    if expected is None:  # nested links: both addresses survive, nothing crashes
        text = html_to_text(markup)
        assert "https://a.ex" in text and "https://b.ex" in text
    else:
        assert html_to_text(markup) == expected


def test_entities_are_decoded() -> None:
    assert html_to_text("<p>Fish &amp; chips &ndash; &pound;5 &#8230; &quot;ok&quot;</p>") == (
        'Fish & chips – £5 … "ok"'
    )
    assert html_to_text("AT&amp;T &lt;b&gt; is not a tag") == "AT&T <b> is not a tag"


def test_scripts_styles_and_comments_are_dropped() -> None:
    markup = (
        "<style>p { color: red }</style><p>Visible</p>"
        "<script>document.write('hidden')</script><!-- note -->text"
    )
    assert html_to_text(markup) == "Visible\n\ntext"


def test_whitespace_within_lines_is_normalised() -> None:
    markup = "<p>  lots   of\tspace\n and&nbsp;&nbsp;nbsp  </p>\n\n<p>\n next </p>"
    assert html_to_text(markup) == "lots of space and nbsp\n\nnext"


def test_plain_text_keeps_its_newlines() -> None:
    # How WordPress stores most comments: newlines, no <p>.
    text = "First line\nsecond line\n\n\n\nNew paragraph   here\r\nand a CRLF line"
    assert html_to_text(text) == ("First line\nsecond line\n\nNew paragraph here\nand a CRLF line")


def test_inline_tags_alone_do_not_make_newlines_whitespace() -> None:
    text = 'I <em>really</em> agree.\nSee <a href="https://ex.org">the data</a>.\n\nThanks'
    assert html_to_text(text) == "I really agree.\nSee the data (https://ex.org).\n\nThanks"


def test_pre_keeps_its_lines() -> None:
    assert html_to_text("<p>code:</p><pre>a = 1\nb = 2</pre>") == "code:\n\na = 1\nb = 2"


@pytest.mark.parametrize(
    "markup",
    ["<p>unclosed <b>bold <i>both", "<div><p>x</div></p>", "</p>stray end", "<a href='x", "<"],
)
def test_broken_html_keeps_the_text(markup: str) -> None:
    words = [w for w in ("unclosed", "bold", "both", "x", "stray", "end") if w in markup]
    text = html_to_text(markup)
    for word in words:
        assert word in text


def test_parser_failures_fall_back_to_stripping_tags() -> None:
    # html.parser raises AssertionError on an unknown "<![keyword[" marked section.
    assert html_to_text("<p>before</p><![bogus[ x ]]><b>after</b> &amp; more") == (
        "before after & more"
    )
    assert html_to_text("<![bogus[ <b>after</b>") == "after"


def test_empty_and_non_string_input() -> None:
    assert html_to_text("") == ""
    assert html_to_text("   \n\n  ") == ""
    assert html_to_text(None) == ""  # type: ignore[arg-type]


@given(st.text())
def test_never_raises_and_is_normalised(markup: str) -> None:
    text = html_to_text(markup)
    assert isinstance(text, str)
    assert text == text.strip()
    assert "\n\n\n" not in text
    assert "  " not in text


HTMLISH = st.lists(
    st.sampled_from(
        [
            "<p>",
            "</p>",
            "<br>",
            "<br/>",
            "<div>",
            "</div>",
            "<li>",
            "</li>",
            "<a href='https://x'>",
            '<a href="javascript:x">',
            "</a>",
            "<script>",
            "</script>",
            "<style>",
            "<pre>",
            "</pre>",
            "&amp;",
            "&#0;",
            "&#x110000;",
            "&bogus;",
            "<!--",
            "-->",
            "<![CDATA[",
            "]]>",
            "<!x",
            "<?php",
            "\n",
            " ",
            "\t",
            "word",
            "ünï",
            "<",
            ">",
            "'",
            '"',
            "=",
            "/",
        ]
    )  # fmt: skip
).map("".join)


@given(HTMLISH)
def test_never_raises_on_tag_soup(markup: str) -> None:
    text = html_to_text(markup)
    assert text == text.strip()
    assert "\n\n\n" not in text


@given(st.lists(st.from_regex(r"[A-Za-z0-9À-ÿ.,!?']{1,12}", fullmatch=True), min_size=1))
def test_plain_words_survive_unchanged(words: list[str]) -> None:
    assert html_to_text(" ".join(words)).split() == words
