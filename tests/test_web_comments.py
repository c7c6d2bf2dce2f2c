"""A comment's context and history, and the author page."""

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from moderation import decisions
from moderation.extensions import db
from moderation.models import Comment, CommentRevision


def test_context_shows_article_parent_neighbours_and_derail_point(auth, scored_thread):
    auth.login_as("moderator")
    reply = scored_thread.comments[1]
    html = auth.client.get(f"/comments/{reply.id}").get_data(as_text=True)
    # The article excerpt with the shared terms highlighted (by the template, escaped).
    assert "<mark>Huawei</mark> has drawn closer to <mark>Russia</mark>." in html
    assert "The 5G <mark>network</mark> deal was signed in Moscow." in html
    assert "does not mention: moscow" in html
    # The parent comment.
    assert f"Replying to #{scored_thread.comments[0].id} by alice" in html
    assert "smart move" in html
    # The comments around it, and where the thread derails.
    for other in scored_thread.comments:
        assert f'href="/comments/{other.id}">#{other.id}</a>' in html
    assert f'derails at\n    <a href="/comments/{scored_thread.derail.id}">' in html
    assert "derails here" in html
    # Its own decision buttons.
    assert f'action="/comments/{reply.id}/approve"' in html


def test_highlighting_escapes_the_article_text(auth, scored_thread):
    scored_thread.article.body = "<b>Huawei</b> & <script>Russia</script>"
    db.session.commit()
    auth.login_as("analyst")
    html = auth.client.get(f"/comments/{scored_thread.comments[0].id}").get_data(as_text=True)
    assert "&lt;b&gt;<mark>Huawei</mark>&lt;/b&gt; &amp; &lt;script&gt;<mark>Russia</mark>" in html
    assert "<b>Huawei" not in html


def test_context_of_a_missing_comment_is_404(auth):
    auth.login_as("moderator")
    assert auth.client.get("/comments/424242").status_code == 404


def test_history_lists_every_decision_and_offers_undo_of_the_latest(auth, users, scored_thread):
    comment = scored_thread.comments[0]
    first = decisions.decide(
        db.session, comment.id, 1, "rejected", users["moderator"], reason="Spam"
    )
    latest = decisions.decide(db.session, comment.id, 2, "approved", users["moderator"])
    db.session.add(CommentRevision(comment_id=comment.id, previous_body="the old text"))
    db.session.commit()
    auth.login_as("moderator")
    html = auth.client.get(f"/comments/{comment.id}/history").get_data(as_text=True)
    assert html.count("pending → rejected") == 1 and "rejected → approved" in html
    assert "Spam" in html and "the old text" in html
    assert re.findall(r'action="/decisions/(\d+)/undo"', html) == [str(latest.id)]

    response = auth.client.post(
        f"/decisions/{latest.id}/undo",
        data={"csrf_token": auth.token(), "next": f"/comments/{comment.id}/history"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).status == "rejected"
    html = auth.client.get(f"/comments/{comment.id}/history").get_data(as_text=True)
    assert "Undone: comment" in html and "undo of #" in html
    # The rejection is in force again, so it is the one to undo now.
    assert re.findall(r'action="/decisions/(\d+)/undo"', html) == [str(first.id)]


def test_history_offers_no_undo_to_others_or_analysts(auth, users, scored_thread):
    comment = scored_thread.comments[0]
    decisions.decide(db.session, comment.id, 1, "approved", users["moderator"])
    for role in ["moderator2", "analyst"]:
        auth.login_as(role)
        html = auth.client.get(f"/comments/{comment.id}/history").get_data(as_text=True)
        assert "/undo" not in html.replace('action="/undo"', "")


def test_undo_refused_for_another_moderators_decision(auth, users, scored_thread):
    comment = scored_thread.comments[0]
    decision = decisions.decide(db.session, comment.id, 1, "approved", users["moderator"])
    auth.login_as("moderator2")
    auth.client.post(f"/decisions/{decision.id}/undo", data={"csrf_token": auth.token()})
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).status == "approved"
    assert (
        auth.client.post("/decisions/999999/undo", data={"csrf_token": auth.token()}).status_code
        == 404
    )


def test_author_page(auth, users, scored_thread):
    first = scored_thread.comments[0]
    extra = Comment(
        article_id=scored_thread.other_article.id, external_id="x", position=2,
        author_name="alice", body="Second comment by alice", content_hash="x",
    )  # fmt: skip
    db.session.add(extra)
    db.session.commit()
    decisions.decide(db.session, first.id, 1, "rejected", users["moderator"], reason="Abuse")
    auth.login_as("analyst")
    html = auth.client.get("/author?name=alice").get_data(as_text=True)
    assert "Author: alice" in html
    assert "2 on 2 articles" in html
    assert "+0.60" in html  # average sentiment of the scored comment
    assert "0.10" in html  # average off-topic score
    assert "100% of 1 decided" in html  # rejection rate
    assert "Second comment by alice" in html and "smart move" in html
    assert "pending → rejected" in html and "Abuse" in html


def test_author_with_an_empty_name_has_a_page(auth, scored_thread):
    scored_thread.comments[0].author_name = ""
    db.session.commit()
    auth.login_as("moderator")
    response = auth.client.get("/author?name=")
    assert response.status_code == 200
    assert "Author: (anonymous)" in response.get_data(as_text=True)


def test_unknown_author_is_404(auth, scored_thread):
    auth.login_as("moderator")
    assert auth.client.get("/author?name=nobody").status_code == 404
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Comment))
    assert count == 6


def test_history_says_what_each_import_changed(auth, scored_thread):
    comment = scored_thread.comments[0]
    comment.source_status = "1"
    earlier = datetime(2024, 3, 1, tzinfo=UTC)
    db.session.add_all(
        [  # the text changed first, then only the source's status (0 -> 1)
            CommentRevision(
                comment_id=comment.id, previous_body="the old text", previous_source_status="0",
                recorded_at=earlier,
            ),
            CommentRevision(
                comment_id=comment.id, previous_body=comment.body, previous_source_status="0",
                recorded_at=earlier + timedelta(days=1),
            ),
        ]
    )  # fmt: skip
    db.session.commit()
    auth.login_as("moderator")
    html = auth.client.get(f"/comments/{comment.id}/history").get_data(as_text=True)
    assert html.count("Status at the source: 0 → 1") == 1
    assert html.count("The text before:") == 1 and "the old text" in html
    assert html.index("Status at the source") < html.index("The text before:")  # newest first
