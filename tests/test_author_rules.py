"""Author rules: what each does to a new comment, and the imports they act on."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from moderation import author_rules, decisions
from moderation.author_rules import (
    BAN,
    PREMODERATE,
    TRUST,
    RuleConflict,
    RuleError,
    automatic_change,
    change_rule,
)
from moderation.extensions import db
from moderation.ingest import import_stream
from moderation.models import AuthorRule, AuthorRuleChange, Comment, Decision, User, WatchWordEntry
from moderation.scoring_runner import score_stale
from moderation.system_account import SYSTEM_USERNAME

HEADER = "article_id,article_title,comment_id,author,text,status\n"

# What each rule does to a new comment no person decided ----------------------------------


@pytest.mark.parametrize(
    ("rule", "status", "expected"),
    [
        (BAN, "pending", "rejected"),
        (BAN, "approved", "rejected"),  # the source published it: taken down
        (BAN, "spam", None),  # the source's own verdicts stand
        (PREMODERATE, "approved", "pending"),
        (PREMODERATE, "pending", None),
        (TRUST, "approved", None),
        (TRUST, "rejected", None),
    ],
)
def test_what_a_rule_does_to_a_comment_by_its_status(rule, status, expected):
    change = automatic_change(rule, status, approved_by_moderators=5, trust_after=3, watched=False)
    assert (change[0] if change else None) == expected


def test_trust_approves_only_after_enough_approvals_and_never_a_watched_comment():
    assert automatic_change(TRUST, "pending", 2, 3, watched=False) is None
    assert automatic_change(TRUST, "pending", 3, 3, watched=False) == (
        "approved",
        "trusted author (3 approved by moderators)",
    )
    assert automatic_change(TRUST, "pending", 30, 3, watched=True) is None
    assert automatic_change(TRUST, "pending", 0, 0, watched=False)[0] == "approved"


def test_a_ban_rejects_even_a_watched_comment():
    assert automatic_change(BAN, "pending", 0, 3, watched=True) == ("rejected", "author banned")


# Changing rules -----------------------------------------------------------------------


def import_rows(rows: list[str], name: str = "import.csv"):
    text = HEADER + "".join(row + "\n" for row in rows)
    outcome = import_stream(db.session, io.BytesIO(text.encode()), name)
    assert outcome.succeeded, outcome.batch.error
    return score_stale(db.session)


def status_of(external_id: str) -> str:
    return db.session.scalar(sa.select(Comment.status).where(Comment.external_id == external_id))


def comment(external_id: str) -> Comment:
    return db.session.scalar(sa.select(Comment).where(Comment.external_id == external_id))


def automatic_decisions() -> list[tuple[str, str, str, str]]:
    rows = db.session.execute(
        sa.select(Comment.external_id, Decision.from_status, Decision.to_status, Decision.reason)
        .join(Comment, Comment.id == Decision.comment_id)
        .join(User, User.id == Decision.moderator_id)
        .where(User.username == SYSTEM_USERNAME)
        .order_by(Decision.id)
    )
    return [tuple(row) for row in rows]


def test_rule_changes_are_logged_and_refused_when_stale(app, users):
    moderator, other = users["moderator"], users["moderator2"]
    change_rule(db.session, "troll", BAN, moderator, expected=None)
    db.session.commit()
    # Someone who saw the page before the ban and trusts the author is told, not obeyed.
    with pytest.raises(RuleConflict) as conflict:
        change_rule(db.session, "troll", TRUST, other, expected=None)
    db.session.rollback()
    assert "changed by moderator at" in conflict.value.message
    assert "now banned" in conflict.value.message
    with pytest.raises(RuleError, match="banned already"):
        change_rule(db.session, "troll", BAN, other, expected=BAN)
    with pytest.raises(RuleError, match="not a rule"):
        change_rule(db.session, "troll", "exile", other, expected=BAN)
    db.session.rollback()
    change_rule(db.session, "troll", PREMODERATE, other, expected=BAN)
    change_rule(db.session, "troll", None, other, expected=PREMODERATE)
    db.session.commit()
    assert db.session.get(AuthorRule, "troll") is None
    log = [
        (change.from_rule, change.to_rule, who)
        for change, who in author_rules.rule_history(db.session, "troll")
    ]
    assert log == [
        ("premoderate", None, "moderator2"),
        ("ban", "premoderate", "moderator2"),
        (None, "ban", "moderator"),
    ]
    with pytest.raises(RuleError, match="no rule"):
        change_rule(db.session, "troll", None, other, expected=None)


def test_notes_keep_who_wrote_them_and_refuse_blank_or_overlong_text(app, users):
    author_rules.add_note(db.session, "troll", "  Warned by email on 1 May.  ", users["moderator"])
    author_rules.add_note(db.session, "troll", "Second account of 'bully'?", users["admin"])
    notes = [(note.body, who) for note, who in author_rules.notes_on(db.session, "troll")]
    assert notes == [
        ("Second account of 'bully'?", "admin"),
        ("Warned by email on 1 May.", "moderator"),
    ]
    with pytest.raises(RuleError):
        author_rules.add_note(db.session, "troll", " \n ", users["moderator"])
    with pytest.raises(RuleError):
        author_rules.add_note(db.session, "troll", "x" * 2001, users["moderator"])


# The rules acting on imports -------------------------------------------------------------


def test_a_ban_rejects_the_next_imports_comments_but_not_earlier_ones(app, users):
    import_rows(["a1,Budget vote,1,troll,First words,", "a1,Budget vote,2,ann,Fair point,"])
    change_rule(db.session, "troll", BAN, users["moderator"], expected=None)
    db.session.commit()
    summary = import_rows(
        [
            "a1,Budget vote,3,troll,More of the same,",
            "a1,Budget vote,4,troll,And published,approved",
            "a1,Budget vote,5,ann,Still fair,",
        ],
        "next.csv",
    )
    assert summary.author_decisions == 2
    assert [status_of(i) for i in "12345"] == [
        "pending",  # before the ban: left to the moderator (or to "reject pending")
        "pending",
        "rejected",
        "rejected",
        "pending",
    ]
    assert automatic_decisions() == [
        ("3", "pending", "rejected", "author banned"),
        ("4", "approved", "rejected", "author banned"),
    ]
    # Rescoring everything later changes nothing more.
    assert score_stale(db.session, rescore_all=True).author_decisions == 0


def test_trust_approves_new_comments_once_moderators_approved_enough(app, users):
    moderator = users["moderator"]
    app.config["TRUSTED_AUTHOR_MIN_APPROVED"] = 2
    change_rule(db.session, "regular", TRUST, moderator, expected=None)
    db.session.commit()
    import_rows(["a1,Budget vote,1,regular,One,", "a1,Budget vote,2,regular,Two,"])
    assert [status_of("1"), status_of("2")] == ["pending", "pending"]  # none approved yet
    for external_id in "12":
        decisions.decide(db.session, comment(external_id).id, 1, "approved", moderator, reason=None)
    summary = import_rows(["a1,Budget vote,3,regular,Three,"], "next.csv")
    assert summary.author_decisions == 1
    assert status_of("3") == "approved"
    assert automatic_decisions() == [
        ("3", "pending", "approved", "trusted author (2 approved by moderators)")
    ]


def test_trust_leaves_a_watched_comment_for_a_person(app, users):
    app.config["TRUSTED_AUTHOR_MIN_APPROVED"] = 0
    db.session.add(WatchWordEntry(phrase="crook", match="word", action="flag"))
    change_rule(db.session, "regular", TRUST, users["moderator"], expected=None)
    db.session.commit()
    import_rows(["a1,Budget vote,1,regular,What a crook,", "a1,Budget vote,2,regular,Nice,"])
    assert [status_of("1"), status_of("2")] == ["pending", "approved"]


def test_premoderation_takes_a_published_comment_back_to_the_queue(app, users):
    change_rule(db.session, "newbie", PREMODERATE, users["moderator"], expected=None)
    db.session.commit()
    import_rows(["a1,Budget vote,1,newbie,Hello,approved", "a1,Budget vote,2,ann,Hi,approved"])
    assert [status_of("1"), status_of("2")] == ["pending", "approved"]
    assert automatic_decisions() == [("1", "approved", "pending", "author always premoderated")]


def test_a_moderators_decision_stands_against_a_rule(app, users):
    moderator = users["moderator"]
    change_rule(db.session, "troll", BAN, moderator, expected=None)
    db.session.commit()
    import_stream(
        db.session, io.BytesIO((HEADER + "a1,Budget vote,1,troll,Worth keeping,\n").encode()), "f"
    )
    decisions.decide(db.session, comment("1").id, 1, "approved", moderator)
    score_stale(db.session)
    assert status_of("1") == "approved"
    assert automatic_decisions() == []


def test_rejecting_a_banned_authors_pending_comments_is_one_bulk_action(app, users):
    moderator = users["moderator"]
    import_rows([f"a1,Budget vote,{i},troll,Noise {i}," for i in range(1, 5)])
    decisions.decide(db.session, comment("4").id, 1, "approved", moderator)
    change_rule(db.session, "troll", BAN, moderator, expected=None)
    outcome = author_rules.reject_pending(db.session, "troll", moderator, limit=2)
    assert len(outcome.decisions) == 2  # the limit
    outcome = author_rules.reject_pending(db.session, "troll", moderator, limit=10)
    assert [status_of(i) for i in "1234"] == ["rejected", "rejected", "rejected", "approved"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthorRuleChange)) == 1
    undone = decisions.undo_last(db.session, moderator)
    assert [d.comment_id for d in undone.decisions] == [comment("3").id]
    assert {d.bulk_id for d in outcome.decisions} == {outcome.bulk_id}


def test_a_hold_word_then_a_reject_word_rejects(app):
    """The system's own hold does not protect a comment from a later reject word."""
    db.session.add(WatchWordEntry(phrase="crook", match="word", action="hold"))
    db.session.commit()
    import_rows(["a1,Budget vote,1,bob,What a crook,approved"])
    assert status_of("1") == "pending"
    db.session.execute(sa.delete(WatchWordEntry).where(WatchWordEntry.phrase == "crook"))
    db.session.add(WatchWordEntry(phrase="crook", match="word", action="reject"))
    db.session.commit()
    assert score_stale(db.session).watchword_decisions == 1
    assert status_of("1") == "rejected"
    assert [row[1:3] for row in automatic_decisions()] == [
        ("approved", "pending"),
        ("pending", "rejected"),
    ]
