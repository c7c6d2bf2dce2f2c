"""The author page's rule and note forms, and the queue's marker for authors under a rule."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import sqlalchemy as sa

from moderation import author_rules
from moderation.extensions import db
from moderation.models import AuthorNote, AuthorRule, AuthorRuleChange, Comment, Decision

HOSTILE_NAME = '<script>alert("name")</script>&"'
HOSTILE_NOTE = '<img src=x onerror=alert(1)> <a href="javascript:alert(2)">x</a>'


def author_url(name: str, action: str = "") -> str:
    return f"/author{action}?" + urlencode({"name": name})


def post_rule(auth, name: str, rule: str, current: str = "", **extra):
    token = auth.token(author_url(name))
    data = {"rule": rule, "current": current, "csrf_token": token, **extra}
    return auth.client.post(author_url(name, "/rule"), data=data, follow_redirects=True)


def rule_rows() -> list[tuple[str, str]]:
    return [
        tuple(row) for row in db.session.execute(sa.select(AuthorRule.author_name, AuthorRule.rule))
    ]


def test_a_moderator_bans_an_author_and_clears_the_ban(auth, scored_thread):
    auth.login_as("moderator")
    page = auth.client.get(author_url("bob")).get_data(as_text=True)
    assert "No rule" in page and 'name="rule" value="ban"' in page
    assert "also reject their 1 pending comment now" in page
    response = post_rule(auth, "bob", "ban")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Author banned: their comments imported from now on are rejected" in html
    assert "This author is <strong>banned</strong>" in html
    assert "no rule → banned" in html
    assert rule_rows() == [("bob", "ban")]
    # Without the box ticked, the pending comment is left alone.
    assert scored_thread.comments[1].status == "pending"
    html = post_rule(auth, "bob", "", current="ban").get_data(as_text=True)
    assert "Rule cleared." in html and "banned → no rule" in html
    assert rule_rows() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthorRuleChange)) == 2


def test_a_ban_can_reject_the_pending_comments_as_one_bulk_action(auth, scored_thread):
    auth.login_as("moderator")
    html = post_rule(auth, "bob", "ban", reject_pending="y").get_data(as_text=True)
    assert "1 pending comment rejected (one bulk action: Undo last undoes it)." in html
    decision = db.session.scalar(sa.select(Decision))
    assert (decision.comment_id, decision.to_status, decision.reason, decision.bulk) == (
        scored_thread.comments[1].id,
        "rejected",
        "author banned",
        True,
    )
    assert decision.moderator.username == "moderator"


def test_a_form_from_before_someone_elses_change_changes_nothing(auth, users, scored_thread):
    auth.login_as("moderator")
    token = auth.token(author_url("bob"))  # the page as it was: no rule
    author_rules.change_rule(db.session, "bob", "trust", users["moderator2"], expected=None)
    db.session.commit()
    response = auth.client.post(
        author_url("bob", "/rule"),
        data={"rule": "ban", "current": "", "csrf_token": token},
        follow_redirects=True,
    )
    assert "was changed by moderator2" in response.get_data(as_text=True)
    assert rule_rows() == [("bob", "trust")]


def test_rule_forms_refuse_a_missing_token_an_unknown_rule_and_an_unknown_author(
    auth, scored_thread
):
    auth.login_as("moderator")
    response = auth.client.post(author_url("bob", "/rule"), data={"rule": "ban", "current": ""})
    assert response.status_code == 400 and "security token" in response.get_data(as_text=True)
    html = post_rule(auth, "bob", "exile").get_data(as_text=True)
    assert "The form was not valid" in html
    token = auth.token(author_url("bob"))
    unknown = auth.client.post(
        author_url("nobody", "/rule"), data={"rule": "ban", "current": "", "csrf_token": token}
    )
    assert unknown.status_code == 404
    missing_note_token = auth.client.post(author_url("bob", "/notes"), data={"body": "hi"})
    assert missing_note_token.status_code == 400
    assert rule_rows() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthorNote)) == 0


def test_signing_in_is_needed_and_analysts_read_but_do_not_change(auth, scored_thread):
    token = auth.token("/sign-in")
    anonymous = auth.client.post(
        author_url("bob", "/rule"), data={"rule": "ban", "current": "", "csrf_token": token}
    )
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    assert auth.client.get(author_url("bob")).status_code == 302
    author_rules.change_rule(db.session, "bob", "ban", auth.users["moderator"], expected=None)
    author_rules.add_note(db.session, "bob", "Warned twice.", auth.users["moderator"])
    auth.login_as("analyst")
    html = auth.client.get(author_url("bob")).get_data(as_text=True)
    assert "This author is <strong>banned</strong>" in html and "Warned twice." in html
    assert 'name="rule"' not in html and 'name="body"' not in html
    token = auth.token(author_url("bob"))
    refused = auth.client.post(
        author_url("bob", "/rule"), data={"rule": "", "current": "ban", "csrf_token": token}
    )
    assert refused.status_code == 403
    assert rule_rows() == [("bob", "ban")]


def test_notes_are_listed_with_author_and_time_and_blank_ones_refused(auth, scored_thread):
    auth.login_as("moderator")
    token = auth.token(author_url("bob"))
    added = auth.client.post(
        author_url("bob", "/notes"),
        data={"body": "First warning sent.\nSecond line.", "csrf_token": token},
        follow_redirects=True,
    )
    html = added.get_data(as_text=True)
    assert "Note added." in html
    assert re.search(r'<p class="meta">moderator, \d{4}-\d\d-\d\d', html)
    assert "First warning sent.<br>Second line." in html
    blank = auth.client.post(
        author_url("bob", "/notes"),
        data={"body": "   ", "csrf_token": token},
        follow_redirects=True,
    )
    assert "The note was not added" in blank.get_data(as_text=True)
    long = auth.client.post(
        author_url("bob", "/notes"),
        data={"body": "x" * 2001, "csrf_token": token},
        follow_redirects=True,
    )
    assert "The note was not added" in long.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthorNote)) == 1


def test_hostile_author_names_and_notes_are_escaped(auth, scored_thread):
    scored_thread.comments[3].author_name = HOSTILE_NAME
    db.session.commit()
    auth.login_as("moderator")
    assert post_rule(auth, HOSTILE_NAME, "premoderate").status_code == 200
    token = auth.token(author_url(HOSTILE_NAME))
    auth.client.post(
        author_url(HOSTILE_NAME, "/notes"), data={"body": HOSTILE_NOTE, "csrf_token": token}
    )
    assert rule_rows() == [(HOSTILE_NAME, "premoderate")]
    html = auth.client.get(author_url(HOSTILE_NAME)).get_data(as_text=True)
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;&amp;&#34;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript:' not in html
    # The forms post back to this author, the name encoded in the query string.
    assert 'action="/author/rule?name=%3Cscript%3Ealert(%22name%22)%3C/script%3E%26%22"' in html


def test_the_queue_marks_authors_under_a_rule(auth, users, scored_thread):
    for name, rule in [("bob", "premoderate"), ("alice", "trust"), ("spammer", "ban")]:
        author_rules.change_rule(db.session, name, rule, users["moderator"], expected=None)
    db.session.commit()
    auth.login_as("moderator")
    html = auth.client.get("/queue").get_data(as_text=True)
    markers = dict(
        re.findall(
            r'<span class="row-author">(\w+) '
            r'<span class="badge author-rule[^"]*"[^>]*>(\w+)<',
            html,
        )
    )
    assert markers == {"bob": "premoderated", "alice": "trusted", "spammer": "banned"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 6
