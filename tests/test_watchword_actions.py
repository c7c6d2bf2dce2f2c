"""Watch-words whose action is reject or hold decide the comments they match, on the record."""

from __future__ import annotations

import io

import sqlalchemy as sa

from moderation import decisions
from moderation.extensions import db
from moderation.ingest import import_stream
from moderation.models import Comment, Decision, User, WatchWordEntry
from moderation.scoring_runner import score_stale
from moderation.system_account import SYSTEM_USERNAME
from moderation.watchword_actions import strongest_action

THREAD = """article_id,article_title,comment_id,author,text,status
a1,Budget vote,1,ann,The budget cuts hit the libraries hardest,
a1,Budget vote,2,bob,Whoever wrote this budget is a total crook,
a1,Budget vote,3,cat,Vote them out at the next election,approved
a1,Budget vote,4,dan,Another crook on the council,approved
"""


def import_thread() -> None:
    outcome = import_stream(db.session, io.BytesIO(THREAD.encode()), "thread.csv")
    assert outcome.succeeded


def watch(phrase: str, action: str) -> None:
    db.session.add(WatchWordEntry(phrase=phrase, match="word", action=action))
    db.session.commit()


def statuses() -> dict[str, str]:
    return dict(db.session.execute(sa.select(Comment.author_name, Comment.status)).all())


def audit_log() -> list[tuple[str, str, str, str, str]]:
    rows = db.session.execute(
        sa.select(
            Comment.author_name,
            User.username,
            Decision.from_status,
            Decision.to_status,
            Decision.reason,
        )
        .join(Comment, Comment.id == Decision.comment_id)
        .join(User, User.id == Decision.moderator_id)
        .order_by(Comment.author_name)
    )
    return [tuple(row) for row in rows]


def test_a_reject_word_rejects_undecided_comments_in_the_audit_log(app):
    watch("crook", "reject")
    import_thread()
    summary = score_stale(db.session)
    assert summary.watchword_decisions == 2
    assert statuses() == {"ann": "pending", "bob": "rejected", "cat": "approved", "dan": "rejected"}
    reason = "watch-word 'crook' (reject)"
    assert audit_log() == [
        ("bob", SYSTEM_USERNAME, "pending", "rejected", reason),
        ("dan", SYSTEM_USERNAME, "approved", "rejected", reason),
    ]


def test_a_hold_word_takes_a_published_comment_back_for_review(app):
    watch("election", "hold")
    import_thread()
    score_stale(db.session)
    assert statuses()["cat"] == "pending"
    assert audit_log() == [
        ("cat", SYSTEM_USERNAME, "approved", "pending", "watch-word 'election' (hold)")
    ]


def test_a_flag_word_only_flags(app):
    watch("crook", "flag")
    import_thread()
    assert score_stale(db.session).watchword_decisions == 0
    assert audit_log() == []


def test_a_comment_a_moderator_decided_keeps_their_decision(app, users):
    import_thread()
    score_stale(db.session)
    bob = db.session.scalar(sa.select(Comment).where(Comment.author_name == "bob"))
    decisions.decide(db.session, bob.id, bob.version, "approved", users["moderator"])
    watch("crook", "reject")  # a new watch-word makes every score stale
    score_stale(db.session)
    assert statuses()["bob"] == "approved"
    assert [row[:2] for row in audit_log()] == [
        ("bob", "moderator"),
        ("dan", SYSTEM_USERNAME),
    ]


def test_the_automatic_account_cannot_sign_in_nor_be_edited(app, users, auth):
    watch("crook", "reject")
    import_thread()
    score_stale(db.session)
    account = db.session.scalar(sa.select(User).where(User.username == SYSTEM_USERNAME))
    assert account is not None and not account.active
    refused = auth.sign_in(SYSTEM_USERNAME, "!")
    assert refused.status_code != 302 and "Sign in" in refused.get_data(as_text=True)
    auth.login_as("admin")
    listing = auth.client.get("/admin/accounts").get_data(as_text=True)
    assert "admin" in listing and SYSTEM_USERNAME not in listing
    token = auth.token("/admin/accounts")
    edit = auth.client.post(
        f"/admin/accounts/{account.id}",
        data={"role": "admin", "active": "y", "csrf_token": token},
    )
    assert edit.status_code == 404


def test_the_most_severe_action_wins():
    def flag(action: str) -> dict:
        return {"code": "watchword", "reason": action, "weight_key": f"watchword_{action}"}

    links = {"code": "links", "reason": "3 links", "weight_key": "links"}
    assert strongest_action([flag("hold"), flag("reject"), flag("flag")]) == ("reject", "reject")
    assert strongest_action([links, flag("hold")]) == ("hold", "hold")
    assert strongest_action([links]) is None
