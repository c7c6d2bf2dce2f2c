"""Campaigns of near copies, found by the scoring runner across the whole database."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa

from moderation import scoring_runner
from moderation.extensions import db
from moderation.ingest import import_stream
from moderation.models import (
    Comment,
    CommentBandKey,
    CommentFlag,
    CommentScore,
    CommentSignature,
    Decision,
    RejectReason,
)
from moderation.scoring.near_duplicates import BANDS
from moderation.scoring_runner import score_stale

SPAM = [
    "Earn $500 a day working from home with my simple online system, no experience "
    "needed, visit my profile to start today",
    "EARN $650 a day working from home with my simple online system!! No experience "
    "needed, visit my profile to start today.",
    "Earn $500 a day working from home with my easy online system, no experience "
    "needed at all, visit my profile to start today",
]
OTHER_SPAM = [
    "Cheap designer watches and bags shipped free to your door, best prices guaranteed "
    "only at our store this week",
    "Cheap designer watches and handbags shipped free to your door, best prices "
    "guaranteed only at our store this month",
]
# Near copies of SPAM[0] at its start and of OTHER_SPAM[0] at its end: it bridges them.
BRIDGE = SPAM[0] + " " + OTHER_SPAM[0]
ORDINARY = [
    "The council should publish the whole budget before the vote, not a summary of it",
    "I walked along the river this morning and the flood water had already gone down",
    "Totally agree.",
    "Totally agree.",
]


def import_comments(rows: list[tuple[str, str, str, str]], name: str = "comments.csv") -> None:
    """(article key, comment id, author, text) rows as one CSV import."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["article_id", "article_title", "article_body", "comment_id", "author", "text"])
    for article, comment_id, author, text in rows:
        title, body = f"Story {article}", f"About {article}."
        writer.writerow([article, title, body, comment_id, author, text])
    assert import_stream(db.session, io.BytesIO(out.getvalue().encode()), name).succeeded


def spam_rows() -> list[tuple[str, str, str, str]]:
    rows = [(f"a{i}", f"s{i}", f"spammer{i}", text) for i, text in enumerate(SPAM)]
    rows += [("a1", f"o{i}", f"reader{i}", text) for i, text in enumerate(ORDINARY)]
    return rows


def campaigns_by_external_id() -> dict[str, int | None]:
    return dict(
        db.session.execute(
            sa.select(Comment.external_id, CommentSignature.campaign_id).outerjoin(
                CommentSignature, CommentSignature.comment_id == Comment.id
            )
        ).all()
    )


def near_duplicate_flags() -> dict[str, dict]:
    rows = db.session.execute(
        sa.select(Comment.external_id, CommentScore.flags).join(
            CommentScore, CommentScore.comment_id == Comment.id
        )
    )
    return {
        external_id: flag
        for external_id, flags in rows
        for flag in flags
        if flag["code"] == "near_duplicate"
    }


def test_edited_copies_on_several_threads_become_one_flagged_campaign(app):
    import_comments(spam_rows())
    summary = score_stale(db.session)
    campaigns = campaigns_by_external_id()
    number = campaigns["s0"]
    assert number is not None and campaigns["s1"] == campaigns["s2"] == number
    assert number == min(
        db.session.scalars(sa.select(Comment.id).where(Comment.external_id.like("s%")))
    )
    assert [campaigns[f"o{i}"] for i in range(4)] == [None] * 4  # unrelated, or too short
    flags = near_duplicate_flags()
    assert set(flags) == {"s0", "s1", "s2"} and summary.near_duplicates_flagged == 3
    assert flags["s0"]["reason"] == (
        f"near-duplicate of 2 comments in campaign #{number}, on 3 threads by 3 authors"
    )
    assert flags["s0"]["campaign"] == number
    flagged = db.session.scalars(
        sa.select(CommentFlag.comment_id).where(CommentFlag.code == "near_duplicate")
    ).all()
    assert len(flagged) == 3
    score = db.session.get(CommentScore, flagged[0])
    assert any(reason.startswith("near-duplicate of 2") for reason in score.priority_reasons)
    assert db.session.get(Comment, flagged[0]).priority == score.priority


def test_short_and_pingback_comments_get_no_signature(app):
    import_comments(spam_rows())
    score_stale(db.session)
    signed = set(
        db.session.scalars(
            sa.select(Comment.external_id).join(
                CommentSignature, CommentSignature.comment_id == Comment.id
            )
        )
    )
    assert signed == {"s0", "s1", "s2", "o0", "o1"}
    band_rows = db.session.scalar(sa.select(sa.func.count()).select_from(CommentBandKey))
    assert band_rows == 5 * BANDS


def test_a_copy_arriving_later_joins_the_campaign_and_reimport_changes_nothing(app):
    import_comments(spam_rows()[:1] + spam_rows()[3:])
    score_stale(db.session)
    assert near_duplicate_flags() == {}  # alone, so far
    later = [("a9", "s9", "latecomer", SPAM[2])]
    import_comments(later, name="later.csv")
    score_stale(db.session)
    campaigns = campaigns_by_external_id()
    assert campaigns["s0"] == campaigns["s9"] is not None
    assert set(near_duplicate_flags()) == {"s0", "s9"}

    before = (campaigns_by_external_id(), near_duplicate_flags())
    import_comments(later, name="later-again.csv")
    import_comments(spam_rows()[:1] + spam_rows()[3:], name="first-again.csv")
    summary = score_stale(db.session)
    assert summary.comments_scored == 0
    assert (campaigns_by_external_id(), near_duplicate_flags()) == before


def test_a_comment_bridging_two_campaigns_merges_them_under_the_older_number(app):
    import_comments(spam_rows()[:2] + [("b1", "w0", "w", OTHER_SPAM[0])])
    import_comments([("b2", "w1", "v", OTHER_SPAM[1])], name="more.csv")
    score_stale(db.session)
    campaigns = campaigns_by_external_id()
    assert campaigns["s0"] != campaigns["w0"]
    import_comments([("c1", "x", "bridger", BRIDGE)], name="bridge.csv")
    score_stale(db.session)
    campaigns = campaigns_by_external_id()
    members = ["s0", "s1", "w0", "w1", "x"]
    assert {campaigns[m] for m in members} == {campaigns["s0"]}
    assert set(near_duplicate_flags()) == set(members)
    assert near_duplicate_flags()["w1"]["reason"].startswith(
        f"near-duplicate of 4 comments in campaign #{campaigns['s0']}"
    )


def test_an_edited_comment_leaves_its_campaign_and_a_lone_copy_is_unflagged(app):
    rows = spam_rows()[:2]
    import_comments(rows)
    score_stale(db.session)
    assert set(near_duplicate_flags()) == {"s0", "s1"}
    edited = [rows[0], (*rows[1][:3], ORDINARY[0] + " and " + ORDINARY[1])]
    import_comments(edited, name="edited.csv")
    summary = score_stale(db.session)
    assert summary.comments_scored == 1
    assert campaigns_by_external_id()["s1"] is None
    assert near_duplicate_flags() == {}
    assert not db.session.scalar(
        sa.select(sa.func.count()).where(CommentFlag.code == "near_duplicate")
    )


def test_the_same_author_twice_on_one_thread_is_a_double_post_not_a_campaign_flag(app):
    import_comments([("a1", "d1", "Ann", SPAM[0]), ("a1", "d2", "Ann", SPAM[1])])
    score_stale(db.session)
    campaigns = campaigns_by_external_id()
    assert campaigns["d1"] == campaigns["d2"] is not None
    assert near_duplicate_flags() == {}


def signatures() -> dict[int, bytes]:
    query = sa.select(CommentSignature.comment_id, CommentSignature.signature)
    return dict(db.session.execute(query).all())


def test_worker_processes_and_a_full_rescore_give_the_same_campaigns(app, monkeypatch):
    monkeypatch.setattr(scoring_runner, "BATCH_COMMENTS", 1)  # a batch per thread
    import_comments(spam_rows())
    score_stale(db.session, workers=1)
    before = (signatures(), campaigns_by_external_id(), near_duplicate_flags())
    summary = score_stale(db.session, rescore_all=True, workers=2)
    assert summary.workers == 2
    assert (signatures(), campaigns_by_external_id(), near_duplicate_flags()) == before


def test_near_duplicate_detection_can_be_left_out(app):
    import_comments(spam_rows())
    summary = score_stale(db.session, near_duplicates=False)
    assert summary.comments_scored == 7 and summary.near_duplicates_flagged == 0
    assert signatures() == {} and near_duplicate_flags() == {}


# The campaign page and its one action ---------------------------------------------------

HOSTILE = '<script>alert("x")</script> ' + SPAM[1]


def scored_campaign() -> tuple[int, list[int]]:
    """Three near copies on three threads (one with a script in it); (number, their ids)."""
    rows = spam_rows()
    rows[1] = (*rows[1][:3], HOSTILE)
    import_comments(rows)
    score_stale(db.session)
    ids = sorted(
        db.session.scalars(sa.select(Comment.id).where(Comment.external_id.like("s%"))).all()
    )
    return ids[0], ids


@pytest.fixture
def reasons(app):
    db.session.add_all([RejectReason(label="Spam", position=1), RejectReason(label="Abuse")])
    db.session.commit()


def page_form(auth, number: int) -> dict:
    """The campaign form's fields as the page gave them."""
    html = auth.client.get(f"/campaigns/{number}").get_data(as_text=True)
    return {
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
        "selected": re.findall(r'name="selected" value="([^"]+)"', html),
        "next": f"/campaigns/{number}",
    }


def statuses(ids: list[int]) -> list[str]:
    db.session.expire_all()
    return [db.session.get(Comment, i).status for i in ids]


def test_the_campaign_page_lists_its_comments_with_hostile_text_escaped(auth):
    number, ids = scored_campaign()
    auth.login_as("analyst")
    html = auth.client.get(f"/campaigns/{number}").get_data(as_text=True)
    assert f"Campaign #{number}" in html
    assert "3 on 3 threads by 3 authors" in html
    assert [int(i) for i in re.findall(r'id="comment-(\d+)"', html)] == ids
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "campaign-form" not in html  # analysts read, moderators decide
    context = auth.client.get(f"/comments/{ids[1]}").get_data(as_text=True)
    assert f'href="/campaigns/{number}"' in context and "near-duplicate of 2 comments" in context


def test_the_campaign_page_needs_a_signed_in_account(auth, client):
    number, _ = scored_campaign()
    response = client.get(f"/campaigns/{number}")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    auth.login_as("moderator")
    assert client.get("/campaigns/999999").status_code == 404


def test_a_merged_campaign_number_leads_to_the_campaign_it_joined(auth):
    number, ids = scored_campaign()
    db.session.execute(
        sa.update(CommentSignature)
        .where(CommentSignature.comment_id != ids[1])
        .where(CommentSignature.campaign_id == number)
        .values(campaign_id=ids[1])
    )
    db.session.execute(
        sa.update(CommentSignature)
        .where(CommentSignature.comment_id == ids[1])
        .values(campaign_id=ids[1])
    )
    db.session.commit()
    auth.login_as("moderator")
    response = auth.client.get(f"/campaigns/{number}")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/campaigns/{ids[1]}"
    )


def test_rejecting_a_campaign_decides_every_comment_as_one_audited_bulk_action(auth, reasons):
    number, ids = scored_campaign()
    auth.login_as("moderator")
    form = page_form(auth, number)
    assert sorted(form["selected"]) == sorted(f"{i}:1" for i in ids)
    outsider = db.session.scalar(sa.select(Comment.id).where(Comment.external_id == "o0"))
    form["selected"].append(f"{outsider}:1")  # forged: not in the campaign
    response = auth.client.post(
        f"/campaigns/{number}/decide", data={**form, "action": "reject", "reason": "Spam"}
    )
    assert response.status_code == 302
    assert statuses(ids) == ["rejected"] * 3 and statuses([outsider]) == ["pending"]
    rows = db.session.scalars(sa.select(Decision)).all()
    assert len(rows) == 3 and len({r.bulk_id for r in rows}) == 1
    assert all(r.bulk and r.reason == "Spam" and r.moderator.username == "moderator" for r in rows)
    page = auth.client.get(f"/campaigns/{number}").get_data(as_text=True)
    assert f"Campaign #{number}: 3 comments rejected." in page


def test_a_comment_decided_meanwhile_is_left_alone_and_named(auth, auth_factory, app):
    number, ids = scored_campaign()
    auth.login_as("moderator")
    form = page_form(auth, number)
    other = auth_factory(app.test_client())
    other.login_as("moderator2")
    decided = other.client.post(
        f"/comments/{ids[0]}/approve",
        data={"csrf_token": other.token(), "version": "1", "next": "/queue"},
    )
    assert decided.status_code == 302
    auth.client.post(f"/campaigns/{number}/decide", data={**form, "action": "spam"})
    assert statuses(ids) == ["approved", "spam", "spam"]
    page = auth.client.get(f"/campaigns/{number}").get_data(as_text=True)
    assert "2 comments marked as spam. 1 skipped" in page and "moderator2" in page


def test_deciding_a_campaign_needs_the_csrf_token_and_a_deciding_role(auth):
    number, ids = scored_campaign()
    auth.login_as("moderator")
    form = page_form(auth, number)
    response = auth.client.post(
        f"/campaigns/{number}/decide", data={**form, "csrf_token": "forged", "action": "reject"}
    )
    assert response.status_code == 400
    auth.login_as("analyst")
    response = auth.client.post(f"/campaigns/{number}/decide", data={**form, "action": "reject"})
    assert response.status_code == 403
    auth.sign_out()
    signed_out = {**form, "csrf_token": auth.token("/sign-in"), "action": "reject"}
    response = auth.client.post(f"/campaigns/{number}/decide", data=signed_out)
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert statuses(ids) == ["pending"] * 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Decision)) == 0
