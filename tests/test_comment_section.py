"""How the page reader learns a comment section's layout: each record shape, the scoring
that refuses weak readings without evidence, the confidence notice, and reply parents."""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa

from moderation.extensions import db
from moderation.importers.records import ParsedSource
from moderation.importers.scraped_text import parse
from moderation.ingest import import_stream
from moderation.models import Comment
from moderation.prepare import PreparedComment, prepare_comments

PAGES = Path(__file__).parent / "data" / "pages"
ARTICLE = (
    "Council approves the footbridge\n\n"
    "The council voted on Tuesday to fund the new footbridge across the river, ending a "
    "debate that has run for six years.\n\n"
)


def parse_text(text: str) -> ParsedSource:
    return ParsedSource.collect(parse(io.BytesIO(text.encode("utf-8")), "page.txt"))


def summary(parsed: ParsedSource) -> list[tuple[str, str]]:
    return [(c.author_name, c.body.split("\n")[0]) for c in parsed.comments]


def parents(parsed: ParsedSource) -> list[int | None]:
    """Each comment's parent as an index, through the ids ingest derives."""
    prepared = [
        r
        for r in prepare_comments(parsed.articles + parsed.comments)
        if isinstance(r, PreparedComment)
    ]
    index = {c.external_id: i for i, c in enumerate(prepared)}
    return [index.get(c.parent_external_id) for c in prepared]


def test_forum_posts_are_read_from_their_member_blocks():
    page = ARTICLE.replace("Council approves", "Re: Council approves") + (
        "Post Reply\nUser avatar\nbridgefan\nMember\nPosts: 812\nJoined: Mar 3, 2015\n\n"
        "About time, the ferry is a joke.\n\n"
        "Old Harry\nSenior Member\nPosts: 4,211\nJoined: Jan 9, 2009\n\n"
        "bridgefan wrote:\nAbout time, the ferry is a joke.\nThe ferry is fine.\n"
    )
    parsed = parse_text(page)
    assert summary(parsed) == [
        ("bridgefan", "About time, the ferry is a joke."),
        ("Old Harry", "bridgefan wrote:"),
    ]
    assert parents(parsed) == [None, 0]
    assert "Post Reply" not in parsed.articles[0].body


def test_forum_title_line_over_a_name_is_not_a_poster():
    """The theme puts the post counts two lines under every name; a line three above is not
    a name even when it looks like one."""
    block = "{name}\n{rank}\nJoin date: 14 Feb 2007\nPosts: 2,183\n05-09-2009 11:20\n{text}\n"
    page = "Forum archive\n\nBye bye traffic bots\n\n" + "".join(
        block.format(name=name, rank=rank, text=text)
        for name, rank, text in [
            ("Amity Slade", "Registered User", "Show me the policy."),
            ("Talarus Luan", "Ancient Archaean Dragon", "From: Amity Slade\nIt says bots."),
            ("Amity Slade", "Registered User", "From: Talarus Luan\nIt does not."),
        ]
    )
    parsed = parse_text(page)
    assert [c.author_name for c in parsed.comments] == [
        "Amity Slade",
        "Talarus Luan",
        "Amity Slade",
    ]
    assert parents(parsed) == [None, 0, 1]


def test_said_commented_avatar_and_mail_headers():
    for header, author in [
        ("Blogger Pepper Potts said...", "Pepper Potts"),
        ("Joan Konkle commented", "Joan Konkle"),
        ("F.J. commented", "F.J."),
        ("eugyppius's avatar", "eugyppius"),
        ("SuddenDownpour ,", "SuddenDownpour"),
    ]:
        parsed = parse_text(ARTICLE + f"{header}\n\nI walked over it today.\n")
        assert summary(parsed) == [(author, "I walked over it today.")], header
    mail = "tanstaafl at\nMon May 11 17:25:35 UTC 2020\n\nOn 4/27/2020, Eric wrote:\n> No.\nYes.\n"
    parsed = parse_text(mail)
    assert parsed.articles[0].body == ""
    assert summary(parsed) == [("tanstaafl", "On 4/27/2020, Eric wrote:")]
    assert parsed.comments[0].posted_at.isoformat() == "2020-05-11T17:25:35+00:00"


def test_answers_under_vote_counts_have_no_author():
    page = ARTICLE + "share|improve this question\nup vote 57 down vote accepted\n\nUse a crane.\n"
    assert summary(parse_text(page)) == [("", "Use a crane.")]


def test_bare_dates_head_comments_whose_names_were_lost_and_indents_show_replies():
    page = (
        "8 comments for “Bridge photo\n\n"
        "  1. December 4, 2018 at 11:56 AM\n\n    Lovely light.\n\n    Liked by 1 person\n\n"
        "    • December 4, 2018 at 1:07 PM\n\n      Thank you.\n\n"
        "  2. November 26, 2018 at 4:05 PM\n\n    Where is this?\n"
    )
    parsed = parse_text(page)
    assert parsed.articles[0].title == "Bridge photo"
    assert summary(parsed) == [("", "Lovely light."), ("", "Thank you."), ("", "Where is this?")]
    assert parents(parsed) == [None, 0, None]


def test_blocks_ended_by_comment_actions_under_a_header():
    page = (
        "12 Comments\n\nGreat piece.\n\nExpand full comment\n\nI disagree.\n\nExpand full comment\n"
    )
    assert summary(parse_text(page)) == [("", "Great piece."), ("", "I disagree.")]


def test_numbered_paragraphs_need_a_header_or_actions():
    comments = (
        "  1. Lovely photo of the bridge.\n\n    Like\n\n  2. Where was it taken?\n\n    Like\n"
    )
    assert summary(parse_text(ARTICLE + comments)) == [
        ("", "Lovely photo of the bridge."),
        ("", "Where was it taken?"),
    ]
    plain = "1. Warnings came too late.\n\n2. Insurance will not pay.\n"
    assert parse_text(ARTICLE + plain).comments == []


def test_numbered_paragraphs_ending_the_page_are_read_with_a_low_confidence_notice():
    comments = (
        "\n  1. Another comment lover here! Could not leave this post without a comment at all.\n\n"
        "  2. I love comments too, and I try to answer every one of them when I have the time.\n"
    )
    parsed = parse_text(ARTICLE + comments)
    assert len(parsed.comments) == 2
    [notice] = parsed.problems
    assert notice.kind == "notice" and notice.message.startswith(
        "comments read with low confidence"
    )


def test_bare_paragraphs_under_a_counted_header_are_comments_without_authors():
    page = ARTICLE + (
        "3 Feedbacks on “Council approves the footbridge”\n\n"
        "Finally some good news.\n\nA waste of money.\n\nWill it take bikes?\n\n"
        "Leave a Reply\n"
    )
    assert summary(parse_text(page)) == [
        ("", "Finally some good news."),
        ("", "A waste of money."),
        ("", "Will it take bikes?"),
    ]


def test_bare_name_lines_need_names_the_thread_confirms():
    thread = (
        "Polyspora\nThe hall is ours.\nKarmine\n\nPolyspora wrote:\n\nThe hall is ours.\n"
        "Bait used to be believable.\nz0z\ncame back to see this\nPolyspora\nStill ours.\n"
    )
    parsed = parse_text("Elections 2025\n\n" + thread)
    assert [c.author_name for c in parsed.comments] == ["Polyspora", "Karmine", "z0z", "Polyspora"]
    assert parents(parsed) == [None, 0, None, None]
    headings = "Introduction\nThe guide starts here.\nThe map\nIt shows the states.\n"
    assert parse_text("A guide to maps\n\n" + headings).comments == []


def test_a_signature_under_the_article_is_not_a_comment():
    page = ARTICLE + "Carl Cedergren\n2006-06-28 14:50\n"
    parsed = parse_text(page)
    assert parsed.comments == [] and parsed.problems == []


def test_the_site_menu_and_comment_form_after_the_last_comment_are_not_its_text():
    page = ARTICLE + (
        "SuddenDownpour ,\n\nEach instance keeps a local copy.\n\n"
        "  • All\n  • Subscribed\n  • Moderated\n  • All magazines\n"
    )
    [comment] = parse_text(page).comments
    assert comment.body == "Each instance keeps a local copy."
    form = (
        "2 thoughts on “Council approves the footbridge”\n\n  1. Lovely.\n\n    Like\n\n"
        "  2. Indeed.\n\nLeave a Reply\n\nFill in your details below or click an icon to log in:\n"
        "WordPress.com Logo\nYou are commenting using your Twitter account. Log Out /  Change )\n"
        "Twitter picture\nConnecting to %s\n"
    )
    parsed = parse_text(ARTICLE + form)
    assert summary(parsed) == [("", "Lovely."), ("", "Indeed.")]
    assert parsed.problems == []


def test_reddit_like_threads_with_points_levels_and_indented_replies():
    page = ARTICLE + (
        "Comments\n\nSort by: Best\n\nlevel 1\njdoe · 5 points · 2 years ago\nI agree.\n"
        "Reply\nShare\nReport\n\n    level 2\n    asmith · 3 points · 1 year ago\n"
        "    No, it is a waste.\n    Reply\n"
    )
    parsed = parse_text(page)
    assert summary(parsed) == [("jdoe", "I agree."), ("asmith", "No, it is a waste.")]
    assert parents(parsed) == [None, 0]


def test_disqus_and_coral_like_sections():
    page = ARTICLE + (
        "3 comments\n\nSort by Best\n\nAvatar\nJane Roe • 3 years ago\nIt is about time.\n5\n"
        "Reply • Share ›\n\n    Avatar\n    Bob Stone  Jane Roe • 3 years ago\n    No it is not.\n"
        "    Reply • Share ›\n\nKim Lo\n2 hours ago\nGood news.\nReply\nRespect\nReport\n"
    )
    parsed = parse_text(page)
    assert summary(parsed) == [
        ("Jane Roe", "It is about time."),
        ("Bob Stone", "No it is not."),
        ("Kim Lo", "Good news."),
    ]
    assert parents(parsed) == [None, 0, None]
    assert parsed.problems == []


def test_page_replies_are_linked_on_import_and_a_second_import_changes_nothing(app):
    raw = (PAGES / "ohmsweetohm_wpcom.txt").read_bytes()
    first = import_stream(db.session, io.BytesIO(raw), "page.txt")
    assert first.succeeded and first.batch.comments_new == 7
    rows = db.session.scalars(sa.select(Comment).order_by(Comment.position)).all()
    by_id = {row.id: row for row in rows}
    replies = [(row.position, by_id[row.parent_id].position) for row in rows if row.parent_id]
    assert replies == [(2, 1), (5, 4), (7, 6)]
    again = import_stream(db.session, io.BytesIO(raw), "page.txt")
    assert again.batch.comments_new == again.batch.comments_updated == 0
    assert again.batch.comments_unchanged == 7
