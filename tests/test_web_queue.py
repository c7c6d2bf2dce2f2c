"""The queue page and its actions, through the Flask test client with CSRF on."""

import re
import sqlite3
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from moderation.extensions import db
from moderation.models import AuthorRule, Comment, CommentScore, Decision, RejectReason
from moderation.scoring.sentiment import driving_sentence

JSON = {"Accept": "application/json"}


def status_of(comment_id):
    db.session.expire_all()
    return db.session.scalar(sa.select(Comment.status).where(Comment.id == comment_id))


def card_ids(html):
    return [int(i) for i in re.findall(r'<article class="comment" id="comment-(\d+)"', html)]


def decide(auth, comment_id, action, version=1, token=None, **extra):
    data = {"csrf_token": token or auth.token(), "version": str(version), "next": "/queue"}
    return auth.client.post(f"/comments/{comment_id}/{action}", data={**data, **extra})


@pytest.fixture
def reasons(app):
    db.session.add_all([RejectReason(label="Off-topic", position=1), RejectReason(label="Abuse")])
    db.session.commit()


def test_queue_lists_pending_by_priority_with_what_a_row_shows(auth, scored_thread):
    auth.login_as("moderator")
    html = auth.client.get("/queue").get_data(as_text=True)
    ids = [c.id for c in scored_thread.comments]
    # Priorities 0.2, 0.55, 0.9, 0.7, 0.6; the unscored one last.
    assert card_ids(html) == [ids[2], ids[3], ids[4], ids[1], ids[0], scored_thread.unscored.id]
    assert 'Pending <span class="count">6</span>' in html
    assert 'Approved <span class="count">0</span>' in html
    assert 'All <span class="count">6</span>' in html
    for expected in [
        "2024-03-01 09:01 UTC",  # the time
        "+0.60",  # the sentiment's compound score
        "off 0.90",  # the off-topic score
        ">links<",  # flags
        "P 0.90",  # the priority
        "unscored",
        "Huawei&#39;s 5G deal with Russia is a smart move.",  # the text
        f'data-details-url="/queue/rows/{ids[0]}/details"',  # the rest, when opened
    ]:
        assert expected in html, expected
    # What an opened row fetches is not on the page.
    assert "smart +1.70" not in html and "drift reason 1" not in html


def row_of(html, comment_id) -> str:
    """One row's markup, from its <article> to its end."""
    start = html.index(f'<article class="comment" id="comment-{comment_id}"')
    return html[start : html.index("</article>", start)]


def test_every_field_of_a_queue_row_is_escaped(auth, scored_thread, users):
    hostile = scored_thread.hostile
    hostile.author_name = '<b onmouseover="alert(3)">M&M\'s</b>'
    hostile.body = 'Line <script>alert("1")</script> & more\nsecond "line"\n\n<i>Para</i> two'
    db.session.get(CommentScore, hostile.id).flags = [
        {"reason": '"><script>alert(6)</script>'},  # no code: the reason, cut
        {"code": '<u>"c"</u>', "reason": "coded"},
        "x&y",
        "fourth",
    ]
    db.session.add(
        AuthorRule(author_name=hostile.author_name, rule="ban", set_by_id=users["admin"].id)
    )
    db.session.commit()
    auth.login_as("moderator")
    row = row_of(auth.client.get("/queue").get_data(as_text=True), hostile.id)
    for expected in [
        '<span class="row-author">&lt;b onmouseover=&#34;alert(3)&#34;&gt;M&amp;M&#39;s&lt;/b&gt;'
        ' <span class="badge author-rule author-rule-ban"',
        '<span class="row-text">Line &lt;script&gt;alert(&#34;1&#34;)&lt;/script&gt; &amp; more'
        "</span>",  # the first line only
        "<p>Line &lt;script&gt;alert(&#34;1&#34;)&lt;/script&gt; &amp; more<br>"
        "second &#34;line&#34;</p>",
        "<p>&lt;i&gt;Para&lt;/i&gt; two</p>",
        '<span class="badge flag" title="&#34;&gt;&lt;script&gt;alert(6)&lt;/script&gt;">'
        "&#34;&gt;&lt;script&gt;a…</span>",  # cut to 12 characters, the title in full
        '<span class="badge flag" title="coded">&lt;u&gt;&#34;c&#34;&lt;/u&gt;</span>',
        '<span class="badge flag" title="x&amp;y">x&amp;y</span>',
        '<span class="badge flag">+1</span>',  # the fourth flag, counted
    ]:
        assert expected in row, expected
    assert "<script" not in row and "<b " not in row and "<i>" not in row and "<u>" not in row


def queue_row(auth, comment_id, tab="pending") -> str:
    return row_of(auth.client.get(f"/queue?tab={tab}").get_data(as_text=True), comment_id)


def test_a_kept_queue_row_is_rendered_again_when_anything_it_shows_changes(
    auth, scored_thread, users
):
    """A row's markup is kept once rendered (moderation.web.queue_rows): every change to
    what it shows must still reach the page."""
    auth.login_as("moderator")
    first = scored_thread.comments[0]
    score = db.session.get(CommentScore, first.id)
    before = queue_row(auth, first.id)
    assert queue_row(auth, first.id) == before  # kept, and the same markup
    rule = AuthorRule(author_name="zed", rule="trust", set_by_id=users["admin"].id)
    changes = [
        (lambda: setattr(first, "body", "A new <text>"), "<p>A new &lt;text&gt;</p>"),
        (lambda: setattr(first, "author_name", "zed"), '<span class="row-author">zed</span>'),
        (lambda: db.session.add(rule), "author-rule-trust"),
        (lambda: setattr(score, "flags", [{"code": "shouting"}]), ">shouting</span>"),
        (lambda: setattr(score, "compound", -0.25), ">-0.25</span>"),
        (lambda: setattr(score, "priority", 0.33), "P 0.33"),
        (
            lambda: setattr(first, "posted_at", datetime(2025, 1, 2, 3, 4, tzinfo=UTC)),
            "2025-01-02 03:04 UTC",
        ),
    ]
    for change, expected in changes:
        assert expected not in queue_row(auth, first.id)
        change()
        db.session.commit()
        assert expected in queue_row(auth, first.id), expected
    # A decision: the row in the All tab, kept before, shows the new status and version.
    assert f'value="{first.id}:1"' in queue_row(auth, first.id, tab="all")
    assert decide(auth, first.id, "approve").status_code == 302
    row = queue_row(auth, first.id, tab="all")
    assert 'data-status="approved"' in row and f'value="{first.id}:2"' in row


def test_kept_queue_rows_follow_who_sees_them(auth, scored_thread):
    for role, selectable in [("analyst", 0), ("moderator", 6), ("analyst", 0)]:
        auth.login_as(role)
        html = auth.client.get("/queue").get_data(as_text=True)
        assert len(card_ids(html)) == 6
        assert html.count('name="selected"') == selectable, role


def test_a_process_keeps_a_bounded_number_of_queue_rows(app, auth, scored_thread, monkeypatch):
    from moderation.web import queue_rows

    monkeypatch.setattr(queue_rows, "ROW_HEADS_KEPT", 4)
    auth.login_as("moderator")
    for _ in range(3):
        assert len(card_ids(auth.client.get("/queue").get_data(as_text=True))) == 6
        assert 0 < len(app.extensions["queue_row_heads"]) <= 4


def test_a_queue_rows_first_line_is_cut_and_an_unscored_row_says_so(auth, scored_thread):
    scored_thread.comments[0].body = "\n  " + "word " * 100 + "\nnext line"
    db.session.commit()
    auth.login_as("analyst")  # no decisions, no selection
    html = auth.client.get("/queue").get_data(as_text=True)
    line = re.search(
        r'<span class="row-text">([^<]*)</span>', row_of(html, scored_thread.comments[0].id)
    )[1]
    assert line == ("word " * 60)[:299] + "…"
    unscored = row_of(html, scored_thread.unscored.id)
    assert '<span class="signals"><span class="badge" title="Not scored yet">unscored</span>' in (
        unscored
    )
    assert 'name="selected"' not in html and "decide-form" not in html


def row_details(auth, comment_id) -> str:
    response = auth.client.get(f"/queue/rows/{comment_id}/details")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_opened_row_fetches_its_scores_thread_author_and_article(auth, scored_thread):
    auth.login_as("analyst")  # reading only: everyone may
    first, reply = scored_thread.comments[0], scored_thread.comments[1]
    html = row_details(auth, first.id)
    for expected in [
        "Huawei and Russia team up",  # the article
        "/author?name=alice",  # the author
        f"/comments/{first.id}/history",
        "positive +0.60",  # sentiment badge with the compound score
        "smart +1.70",  # the words behind it
        "drift reason 1",  # off-topic reasons
        "priority reason 1",  # priority reasons
    ]:
        assert expected in html, expected
    assert "<html" not in html and "csrf_token" not in html  # a fragment, with no forms
    assert f"In reply to #{first.id} by alice:" in row_details(auth, reply.id)
    assert "links reason" in row_details(auth, scored_thread.comments[2].id)
    assert "Not scored yet." in row_details(auth, scored_thread.unscored.id)
    assert auth.client.get("/queue/rows/999999/details").status_code == 404


def test_an_opened_row_and_the_comment_page_show_the_sentence_driving_its_sentiment(
    auth, scored_thread
):
    # Worked out from the body when shown (nothing stored), escaped like any comment text.
    negative = scored_thread.comments[1]
    negative.body = "The deal was signed. <b>Awful</b>, rude and horrible idea!"
    db.session.commit()
    driver = driving_sentence(negative.body, "negative")
    expected = (
        "most negative sentence: “&lt;b&gt;Awful&lt;/b&gt;, rude and horrible idea!”"
        f" ({driver.compound:+.2f})"
    )
    auth.login_as("analyst")
    assert expected in row_details(auth, negative.id)
    page = auth.client.get(f"/comments/{negative.id}").get_data(as_text=True)
    assert expected in page and "<b>Awful" not in page
    # One sentence: the whole comment drives it, and no line says so.
    assert "most positive sentence" not in row_details(auth, scored_thread.comments[0].id)


def test_row_details_need_a_signed_in_moderator(client, scored_thread):
    response = client.get(f"/queue/rows/{scored_thread.comments[0].id}/details")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_paragraphs_are_kept(auth, scored_thread):
    scored_thread.comments[0].body = "First line\nsecond line\n\nNew paragraph"
    db.session.commit()
    auth.login_as("moderator")
    html = auth.client.get(f"/comments/{scored_thread.comments[0].id}").get_data(as_text=True)
    assert "<p>First line<br>second line</p>" in html
    assert "<p>New paragraph</p>" in html


def test_filters_live_in_the_url(auth, scored_thread):
    auth.login_as("moderator")
    html = auth.client.get("/queue?sentiment=negative&q=deal").get_data(as_text=True)
    assert card_ids(html) == [scored_thread.comments[1].id]
    assert "Filter (active)" in html
    assert '<option value="negative" selected>' in html
    assert 'value="deal"' in html
    # The tab links keep the filter.
    assert 'href="/queue?tab=approved&amp;sentiment=negative&amp;q=deal"' in html


def test_pages_continue_with_a_cursor(auth, scored_thread, app):
    app.config["QUEUE_PAGE_SIZE"] = 4
    auth.login_as("moderator")
    first = auth.client.get("/queue").get_data(as_text=True)
    next_link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = auth.client.get(next_link).get_data(as_text=True)
    assert len(card_ids(first)) == 4
    assert card_ids(second) == [scored_thread.comments[0].id, scored_thread.unscored.id]
    assert 'rel="next"' not in second and "First page" in second


def test_empty_states(auth, app):
    auth.login_as("moderator")
    html = auth.client.get("/queue").get_data(as_text=True)
    assert "Nothing pending:</strong> 0 comments wait for review." in html
    assert "No comments match this view." in auth.client.get("/queue?q=x").get_data(as_text=True)
    assert "No spam comments." in auth.client.get("/queue?tab=spam").get_data(as_text=True)


@pytest.mark.parametrize(
    ("action", "status"),
    [("approve", "approved"), ("spam", "spam"), ("escalate", "escalated")],
)
def test_one_click_decisions(auth, scored_thread, action, status):
    auth.login_as("moderator")
    comment_id = scored_thread.comments[0].id
    response = decide(auth, comment_id, action)
    assert response.status_code == 302 and response.headers["Location"] == "/queue"
    assert status_of(comment_id) == status
    html = auth.client.get("/queue").get_data(as_text=True)
    assert f"Comment #{comment_id} " in html  # the flash message
    assert comment_id not in card_ids(html)


def test_reject_with_a_reason_and_a_note(auth, scored_thread, reasons):
    auth.login_as("moderator")
    comment_id = scored_thread.comments[2].id
    assert '<option value="Off-topic">' in auth.client.get("/queue").get_data(as_text=True)
    decide(auth, comment_id, "reject", reason="Abuse", note="third strike")
    assert status_of(comment_id) == "rejected"
    decision = db.session.scalar(sa.select(Decision))
    assert (decision.reason, decision.note) == ("Abuse", "third strike")


def test_reject_with_a_reason_not_on_the_list_is_refused(auth, scored_thread, reasons):
    auth.login_as("moderator")
    comment_id = scored_thread.comments[2].id
    response = decide(auth, comment_id, "reject", reason="Made up")
    assert response.status_code == 302
    assert status_of(comment_id) == "pending"
    assert "The form was not valid" in auth.client.get("/queue").get_data(as_text=True)


def test_two_moderators_deciding_the_same_comment(app, auth, auth_factory, scored_thread):
    """Both loaded the page at version 1; the second sees who got there first."""
    comment_id = scored_thread.comments[1].id
    second_client = app.test_client()

    second = auth_factory(second_client)
    auth.login_as("moderator")
    second.login_as("moderator2")
    first_token, second_token = auth.token("/queue"), second.token("/queue")

    assert decide(auth, comment_id, "approve", token=first_token).status_code == 302
    response = decide(second, comment_id, "spam", token=second_token)
    assert response.status_code == 302
    html = second_client.get("/queue").get_data(as_text=True)
    assert re.search(
        rf"Comment #{comment_id} was already decided by moderator at "
        r"\d{4}-\d\d-\d\d \d\d:\d\d UTC",
        html,
    )
    assert "your decision was not applied" in html
    assert status_of(comment_id) == "approved"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Decision)) == 1
    # As JSON (for the page's script) it is a 409 with the same message.
    json_response = second_client.post(
        f"/comments/{comment_id}/spam",
        data={"csrf_token": second_token, "version": "1"},
        headers={"Accept": "application/json"},
    )
    assert json_response.status_code == 409
    body = json_response.get_json()
    assert "already decided by moderator" in body["message"]
    # What the row needs to show the comment as it is now, and to decide it again.
    assert (body["status"], body["decided_by"], body["version"]) == ("approved", "moderator", 2)


def test_json_answers_for_the_script(auth, scored_thread):
    auth.login_as("moderator")
    comment_id = scored_thread.comments[0].id
    response = auth.client.post(
        f"/comments/{comment_id}/approve",
        data={"csrf_token": auth.token(), "version": "1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.get_json() == {
        "ok": True, "category": "success", "message": f"Comment #{comment_id} approved.",
        "comment_id": comment_id, "status": "approved",
    }  # fmt: skip
    counts = auth.client.get("/queue/counts").get_json()
    assert counts["pending"]["count"] == 5 and counts["approved"]["text"] == "1"


def test_bulk_decision_on_selected_comments(auth, scored_thread, reasons):
    auth.login_as("moderator")
    ids = [c.id for c in scored_thread.comments[:3]]
    response = auth.client.post(
        "/queue/bulk",
        data={
            "csrf_token": auth.token(),
            "action": "reject",
            "scope": "selected",
            "selected": [f"{i}:1" for i in ids] + ["junk", "1:x"],
            "reason": "Off-topic",
            "next": "/queue",
        },
    )
    assert response.status_code == 302
    assert [status_of(i) for i in ids] == ["rejected"] * 3
    rows = db.session.scalars(sa.select(Decision)).all()
    assert len(rows) == 3 and all(r.bulk and r.reason == "Off-topic" for r in rows)
    assert len({r.bulk_id for r in rows}) == 1
    assert "3 comments rejected." in auth.client.get("/queue").get_data(as_text=True)


def bulk_matching(auth, view="sentiment=negative", json=False, **extra):
    data = {"csrf_token": auth.token(), "action": "spam", "scope": "matching", "view": view,
            "next": "/queue", **extra}  # fmt: skip
    headers = {"Accept": "application/json"} if json else {}
    return auth.client.post("/queue/bulk", data=data, headers=headers)


def test_bulk_on_everything_matching_asks_with_the_exact_count_first(auth, scored_thread):
    auth.login_as("moderator")
    negative = [scored_thread.comments[1].id, scored_thread.hostile.id]
    asked = bulk_matching(auth)
    assert asked.status_code == 200
    html = asked.get_data(as_text=True)
    assert "<h1>Mark 2 comments as spam?</h1>" in html
    assert 'name="confirmed" value="2"' in html and 'value="sentiment=negative"' in html
    assert {status_of(i) for i in negative} == {"pending"}  # nothing decided yet
    body = bulk_matching(auth, json=True).get_json()
    question = "Mark 2 comments as spam?"
    assert body == {"ok": False, "category": "confirm", "count": 2, "message": question,
                    "button": question.rstrip("?")}  # fmt: skip

    done = bulk_matching(auth, confirmed="2")
    assert done.status_code == 302
    assert {status_of(i) for i in negative} == {"spam"}
    assert status_of(scored_thread.comments[0].id) == "pending"
    assert "2 comments marked as spam." in auth.client.get("/queue").get_data(as_text=True)


def test_bulk_on_everything_matching_asks_again_when_the_count_changed(auth, scored_thread):
    auth.login_as("moderator")
    answer = bulk_matching(auth, json=True, confirmed="3")
    assert answer.status_code == 409
    assert answer.get_json()["message"] == (
        "The view matches 2 comments now, not 3. Mark 2 comments as spam?"
    )
    assert status_of(scored_thread.comments[1].id) == "pending"


def test_the_last_bulk_action_undoes_as_one_from_its_own_button(auth, scored_thread):
    auth.login_as("moderator")
    negative = [scored_thread.comments[1].id, scored_thread.hostile.id]
    bulk_matching(auth, confirmed="2")
    html = auth.client.get("/queue?tab=spam").get_data(as_text=True)
    action = re.search(r'action="(/queue/bulk/[0-9a-f]{32}/undo)"', html).group(1)
    assert "Undo bulk (2 spam)" in html
    # Someone else decides one of them meanwhile: that one is left as it is, and said so.
    auth.login_as("admin")
    decide(auth, negative[0], "approve", version=2)
    auth.login_as("moderator")
    response = auth.client.post(action, data={"csrf_token": auth.token(), "next": "/queue"})
    assert response.status_code == 302
    assert [status_of(i) for i in negative] == ["approved", "pending"]
    html = auth.client.get("/queue").get_data(as_text=True)
    assert "Undone 1 decision. 1 left as they are: " in html
    assert "already decided by admin" in html
    assert "Undo bulk" not in html
    again = auth.client.post(action, data={"csrf_token": auth.token()}, headers=JSON)
    assert again.status_code == 400
    assert again.get_json()["message"] == (
        "Nothing of that bulk action is left to undo: its 1 comment was decided again since."
    )


def test_bulk_refuses_more_than_the_limit(auth, scored_thread, app):
    app.config["BULK_DECISION_LIMIT"] = 2
    auth.login_as("moderator")
    bulk_matching(auth, view="", confirmed="6")
    assert status_of(scored_thread.comments[0].id) == "pending"
    assert "This view matches 6 comments, more than the 2 one bulk action decides" in (
        auth.client.get("/queue").get_data(as_text=True)
    )


def test_bulk_with_nothing_selected(auth, scored_thread):
    auth.login_as("moderator")
    auth.client.post("/queue/bulk", data={"csrf_token": auth.token(), "action": "approve"})
    assert "Select at least one comment" in auth.client.get("/queue").get_data(as_text=True)


def test_undo_last_brings_a_bulk_action_back(auth, scored_thread):
    auth.login_as("moderator")
    ids = [c.id for c in scored_thread.comments]
    auth.client.post(
        "/queue/bulk",
        data={"csrf_token": auth.token(), "action": "spam", "selected": [f"{i}:1" for i in ids]},
    )
    assert {status_of(i) for i in ids} == {"spam"}
    response = auth.client.post("/undo", data={"csrf_token": auth.token(), "next": "/queue"})
    assert response.status_code == 302
    assert {status_of(i) for i in ids} == {"pending"}
    assert "Undone 5 decisions." in auth.client.get("/queue").get_data(as_text=True)
    auth.client.post("/undo", data={"csrf_token": auth.token()})
    assert "no decision left to undo" in auth.client.get("/queue").get_data(as_text=True)


def test_analysts_read_the_queue_but_cannot_decide(auth, scored_thread):
    auth.login_as("analyst")
    html = auth.client.get("/queue").get_data(as_text=True)
    assert len(card_ids(html)) == 6
    assert "/approve" not in html and "bulk-form" not in html and "Undo" not in html
    assert decide(auth, scored_thread.comments[0].id, "approve").status_code == 403
    assert status_of(scored_thread.comments[0].id) == "pending"


def test_home_sends_each_role_to_its_page(auth):
    auth.login_as("moderator")
    assert auth.client.get("/").headers["Location"] == "/queue"
    auth.login_as("analyst")
    assert auth.client.get("/").headers["Location"] == "/overview"
    assert "Look up an author" in auth.client.get("/overview").get_data(as_text=True)


def test_redirects_stay_on_this_site(auth, scored_thread):
    auth.login_as("moderator")
    response = decide(auth, scored_thread.comments[0].id, "approve", next="https://evil.example/")
    assert response.headers["Location"] == "/queue"
    response = decide(auth, scored_thread.comments[1].id, "approve", next="//evil.example/x")
    assert response.headers["Location"] == "/queue"


def test_odd_urls_are_not_errors(auth, scored_thread):
    auth.login_as("moderator")
    for url in [
        "/queue?after=garbage",
        "/queue?q=%00",
        '/queue?q="NEAR(a b):*',
        "/queue?article=&min_drift=&posted_from=",
        "/comments/99999999999999",
        "/author?name=nobody",
        "/author",
    ]:
        assert auth.client.get(url).status_code in (200, 404), url
    too_big = decide(auth, scored_thread.comments[0].id, "approve", version=2**40)
    assert too_big.status_code == 302
    assert status_of(scored_thread.comments[0].id) == "pending"


def test_unusable_filter_values_are_named_on_the_page(auth, scored_thread):
    auth.login_as("moderator")
    response = auth.client.get(
        "/queue?min_drift=abc&q=deal&tab=<script>x</script>&posted_from=yesterday&flag=linx"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    problems = re.search(r'<div class="message message-error" role="alert".*?</div>', html, re.S)
    assert problems, html
    assert [re.sub(r"\s+", " ", item) for item in re.findall(r"<li>(.*?)</li>", problems[0])] == [
        "tab=&#39;&lt;script&gt;x&lt;/script&gt;&#39; is not a tab: use one of all, approved,"
        " escalated, pending, rejected, spam.",
        "min_drift=&#39;abc&#39; is not an off-topic score (a number from 0 to 1, like 0.5).",
        "flag=&#39;linx&#39; is not a flag in use: use one of links, shouting.",
        "posted_from=&#39;yesterday&#39; is not a date like 2024-03-31.",
    ]
    assert "<script>x" not in html
    # The rest of the view still applies, and the page is whole.
    assert card_ids(html) == [scored_thread.comments[1].id, scored_thread.comments[0].id]
    assert 'value="deal"' in html and 'id="bulk-form"' in html
    assert auth.client.get("/queue?min_drift=0.85").status_code == 200


def test_search_help_is_on_the_page(auth, scored_thread):
    auth.login_as("moderator")
    html = auth.client.get("/queue").get_data(as_text=True)
    assert "placeholder='words, \"a phrase\", sanction*'" in html
    assert '"Quotes" for an exact phrase' in html
    stemmed = auth.client.get("/queue?q=deals").get_data(as_text=True)
    assert card_ids(stemmed) == [scored_thread.comments[1].id, scored_thread.comments[0].id]


def test_counts_and_bulk_refuse_an_unusable_view(auth, scored_thread):
    auth.login_as("moderator")
    counts = auth.client.get("/queue/counts?min_drift=abc")
    assert counts.status_code == 400
    assert "min_drift='abc' is not an off-topic score" in counts.get_json()["error"]
    response = auth.client.post(
        "/queue/bulk",
        data={
            "csrf_token": auth.token(),
            "action": "spam",
            "scope": "matching",
            "view": "sentiment=negative&min_drift=high",
            "next": "/queue",
        },
    )
    assert response.status_code == 302
    # Not a wider set than asked for: nothing at all.
    assert status_of(scored_thread.comments[1].id) == "pending"
    html = auth.client.get("/queue").get_data(as_text=True)
    assert "The view was not valid: min_drift=&#39;high&#39; is not an off-topic score" in html


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_a_decision_while_an_import_holds_the_database_says_busy(auth, scored_thread):
    """SQLite has one writer: an import's transaction makes a decision wait, then give up."""
    auth.login_as("moderator")
    comment_id = scored_thread.comments[0].id
    token = auth.token()
    importer = sqlite3.connect(db.engine.url.database, isolation_level=None)
    importer.execute("BEGIN IMMEDIATE")  # the write lock, as an import holds it

    def wait_briefly(dbapi_connection, record, proxy):
        dbapi_connection.execute("PRAGMA busy_timeout = 50")  # not the usual 5 s

    sa.event.listen(db.engine, "checkout", wait_briefly)
    db.session.close()  # the requests share this session: it must check a connection out
    try:
        as_json = auth.client.post(
            f"/comments/{comment_id}/approve",
            data={"csrf_token": token, "version": "1"},
            headers={"Accept": "application/json"},
        )
        as_page = auth.client.post(
            f"/comments/{comment_id}/approve", data={"csrf_token": token, "version": "1"}
        )
    finally:
        sa.event.remove(db.engine, "checkout", wait_briefly)
        importer.execute("ROLLBACK")
        importer.close()
    assert as_json.status_code == 503 and as_json.headers["Retry-After"] == "5"
    assert as_json.get_json()["category"] == "busy"
    assert "an import is probably writing" in as_json.get_json()["message"]
    assert as_page.status_code == 503 and b"Database busy" in as_page.data
    db.session.rollback()
    assert db.session.get(Comment, comment_id).status == "pending"


def test_each_row_decides_its_own_comment_at_its_own_version(auth, scored_thread):
    """A row's forms are rendered once per status and filled in with each comment's id
    and version: every row must still post its own."""
    first, second = scored_thread.comments[0], scored_thread.comments[1]
    second.version, second.status = 7, "approved"
    db.session.commit()
    auth.login_as("moderator")
    html = auth.client.get("/queue?tab=all").get_data(as_text=True)
    rows = dict(
        re.findall(r'<article class="comment" id="comment-(\d+)"(.*?)</article>', html, re.S)
    )
    for comment, version in [(first, 1), (second, 7)]:
        row = rows[str(comment.id)]
        actions = set(re.findall(rf'formaction="/comments/{comment.id}/(\w+)"', row))
        assert actions == ({"spam", "escalate"} if comment is second else
                           {"approve", "spam", "escalate"})  # fmt: skip
        assert f'action="/comments/{comment.id}/reject"' in row
        assert row.count(f'name="version" value="{version}"') == 2
        assert set(re.findall(r"/comments/(\d+)/", row)) == {str(comment.id)}
