"""Decisions: conditional updates, the audit log, conflicts between moderators, undo, bulk."""

import io
import threading

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

from moderation import decisions
from moderation.extensions import db
from moderation.ingest import import_stream
from moderation.models import Comment, Decision
from moderation.queue import status_counts


def comment_state(comment_id):
    db.session.expire_all()
    return db.session.execute(
        sa.select(Comment.status, Comment.version).where(Comment.id == comment_id)
    ).one()


def decide_while_held(holder, comment_id, version, status, user_type, user_id, held_by):
    """Another moderator's decision, in a thread of its own, while ``holder`` (a session
    with an uncommitted write) holds the comment: checks that it waits, then commits
    ``holder`` and returns what the decision met ({"conflict": ...} or {"error": ...})."""
    outcome = {}
    engine = holder.get_bind()  # the thread has no application context

    def decide():
        with so.Session(engine) as session:
            try:
                decisions.decide(
                    session, comment_id, version, status, session.get(user_type, user_id)
                )
            except decisions.Conflict as conflict:
                outcome["conflict"] = conflict
            except Exception as error:  # reported by the caller's assertions
                outcome["error"] = error

    thread = threading.Thread(target=decide)
    thread.start()
    thread.join(timeout=0.5)
    assert thread.is_alive(), f"should wait for {held_by}: {outcome}"
    holder.commit()
    thread.join(timeout=10)
    return outcome


def all_decisions():
    db.session.expire_all()
    return db.session.scalars(sa.select(Decision).order_by(Decision.id)).all()


def test_decide_changes_status_raises_version_and_writes_the_audit_row(users, scored_thread):
    comment = scored_thread.comments[0]
    decision = decisions.decide(
        db.session, comment.id, 1, "rejected", users["moderator"], reason="Off-topic", note="meh"
    )
    assert comment_state(comment.id) == ("rejected", 2)
    [row] = all_decisions()
    assert row.id == decision.id
    assert (row.comment_id, row.moderator_id) == (comment.id, users["moderator"].id)
    assert (row.from_status, row.to_status, row.reason, row.note) == (
        "pending",
        "rejected",
        "Off-topic",
        "meh",
    )
    assert row.bulk is False and row.undoes_id is None and row.undone_by_id is None
    assert row.created_at is not None


def test_a_stale_version_is_a_conflict_naming_who_decided_and_when(users, scored_thread):
    comment = scored_thread.comments[0]
    first = decisions.decide(db.session, comment.id, 1, "approved", users["moderator"])
    with pytest.raises(decisions.Conflict) as caught:
        decisions.decide(db.session, comment.id, 1, "rejected", users["moderator2"])
    conflict = caught.value
    assert conflict.decided_by == "moderator"
    assert conflict.decided_at == first.created_at
    assert conflict.status == "approved"
    assert "already decided by moderator at " in conflict.message
    assert first.created_at.strftime("%Y-%m-%d %H:%M") in conflict.message
    assert comment_state(comment.id) == ("approved", 2)
    assert len(all_decisions()) == 1


def test_a_decision_on_text_an_import_changed_since_is_a_conflict(users):
    def export(text: str) -> io.BytesIO:
        rows = (
            f"article_id,article_title,article_body,comment_id,author,text\na1,T,B,1,Ann,{text}\n"
        )
        return io.BytesIO(rows.encode())

    import_stream(db.session, export("A fair point about the bridge toll"), "first.csv")
    comment_id = db.session.scalar(sa.select(Comment.id))
    assert comment_state(comment_id) == ("pending", 1)  # what the moderator opened
    import_stream(db.session, export("BUY CHEAP PILLS http://spam.example"), "second.csv")
    assert comment_state(comment_id) == ("pending", 2)
    with pytest.raises(decisions.Conflict) as caught:
        decisions.decide(db.session, comment_id, 1, "approved", users["moderator"])
    assert "was edited by an import at " in caught.value.message
    assert "Read it again" in caught.value.message
    assert comment_state(comment_id) == ("pending", 2)
    assert all_decisions() == []


def test_two_sessions_deciding_at_once_cannot_overwrite_each_other(app, users, scored_thread):
    """Both moderators loaded version 1; each writes through its own connection."""
    comment_id = scored_thread.comments[1].id
    first_id, second_id = users["moderator"].id, users["moderator2"].id
    with so.Session(db.engine) as first, so.Session(db.engine) as second:
        first_user = first.get(type(users["moderator"]), first_id)
        second_user = second.get(type(users["moderator"]), second_id)
        # The second moderator reads the comment (it has not been decided yet) ...
        assert second.scalar(sa.select(Comment.version).where(Comment.id == comment_id)) == 1
        second.commit()
        # ... the first decides and commits ...
        decisions.decide(first, comment_id, 1, "approved", first_user)
        # ... and the second's decision, based on what it saw, is refused.
        with pytest.raises(decisions.Conflict, match="already decided by moderator at"):
            decisions.decide(second, comment_id, 1, "spam", second_user)
    assert comment_state(comment_id) == ("approved", 2)
    assert [(d.moderator_id, d.to_status) for d in all_decisions()] == [(first_id, "approved")]


def test_unknown_comment_and_status_are_errors(users, scored_thread):
    with pytest.raises(decisions.DecisionError):
        decisions.decide(db.session, 999999, 1, "approved", users["moderator"])
    with pytest.raises(decisions.DecisionError):
        decisions.decide(db.session, scored_thread.comments[0].id, 1, "deleted", users["moderator"])
    with pytest.raises(decisions.DecisionError, match="not a status"):
        decisions.decide(db.session, scored_thread.comments[0].id, 1, "pending", users["moderator"])
    assert all_decisions() == []
    decisions.decide(db.session, scored_thread.comments[0].id, 1, "approved", users["moderator"])
    with pytest.raises(decisions.DecisionError, match="already approved"):
        decisions.decide(
            db.session, scored_thread.comments[0].id, 2, "approved", users["moderator"]
        )
    assert len(all_decisions()) == 1


def test_undo_restores_the_previous_status_and_links_both_rows(users, scored_thread):
    comment = scored_thread.comments[2]
    original = decisions.decide(db.session, comment.id, 1, "spam", users["moderator"])
    reversal = decisions.undo(db.session, original.id, users["moderator"])
    assert comment_state(comment.id) == ("pending", 3)
    first, second = all_decisions()
    assert first.undone_by_id == second.id == reversal.id
    assert second.undoes_id == first.id
    assert (second.from_status, second.to_status) == ("spam", "pending")


def test_undo_twice_or_undo_an_undo_is_refused(users, scored_thread):
    comment = scored_thread.comments[2]
    original = decisions.decide(db.session, comment.id, 1, "spam", users["moderator"])
    reversal = decisions.undo(db.session, original.id, users["moderator"])
    with pytest.raises(decisions.Conflict):
        decisions.undo(db.session, original.id, users["moderator"])
    with pytest.raises(decisions.DecisionError, match="cannot itself be undone"):
        decisions.undo(db.session, reversal.id, users["moderator"])
    assert comment_state(comment.id) == ("pending", 3)


def test_undo_after_someone_else_decided_again_is_a_conflict(users, scored_thread):
    comment = scored_thread.comments[2]
    original = decisions.decide(db.session, comment.id, 1, "spam", users["moderator"])
    decisions.decide(db.session, comment.id, 2, "escalated", users["moderator2"])
    with pytest.raises(decisions.Conflict, match="moderator2"):
        decisions.undo(db.session, original.id, users["moderator"])
    assert comment_state(comment.id) == ("escalated", 3)


def test_only_the_decider_or_an_admin_may_undo(users, scored_thread):
    comment = scored_thread.comments[2]
    original = decisions.decide(db.session, comment.id, 1, "spam", users["moderator"])
    with pytest.raises(decisions.DecisionError, match="Only the moderator"):
        decisions.undo(db.session, original.id, users["moderator2"])
    decisions.undo(db.session, original.id, users["admin"])
    assert comment_state(comment.id) == ("pending", 3)


def test_bulk_decides_all_but_the_changed_ones_and_undoes_as_one(users, scored_thread):
    ids = [c.id for c in scored_thread.comments]
    # Someone else got to the third comment first.
    decisions.decide(db.session, ids[2], 1, "approved", users["moderator2"])
    outcome = decisions.bulk_decide(
        db.session, [(i, 1) for i in ids], "rejected", users["moderator"], reason="Spam"
    )
    assert [c.comment_id for c in outcome.conflicts] == [ids[2]]
    assert sorted(d.comment_id for d in outcome.decisions) == sorted(set(ids) - {ids[2]})
    bulk_rows = [d for d in all_decisions() if d.bulk]
    assert len(bulk_rows) == 4
    assert {d.bulk_id for d in bulk_rows} == {outcome.bulk_id}
    assert comment_state(ids[2]) == ("approved", 2)

    undone = decisions.undo_last(db.session, users["moderator"])
    assert len(undone.decisions) == 4 and not undone.conflicts
    for comment_id in set(ids) - {ids[2]}:
        assert comment_state(comment_id) == ("pending", 3)


def test_undo_last_takes_the_moderators_own_latest(users, scored_thread):
    first, second = scored_thread.comments[:2]
    decisions.decide(db.session, first.id, 1, "approved", users["moderator"])
    decisions.decide(db.session, second.id, 1, "approved", users["moderator"])
    decisions.decide(db.session, scored_thread.comments[3].id, 1, "spam", users["moderator2"])
    outcome = decisions.undo_last(db.session, users["moderator"])
    assert [d.comment_id for d in outcome.decisions] == [second.id]
    assert comment_state(second.id)[0] == "pending"
    assert comment_state(first.id)[0] == "approved"
    decisions.undo_last(db.session, users["moderator"])
    with pytest.raises(decisions.DecisionError, match="no decision left"):
        decisions.undo_last(db.session, users["moderator"])


def test_status_counts_follow_every_decision(users, scored_thread):
    def actual():
        rows = db.session.execute(
            sa.select(Comment.status, sa.func.count()).group_by(Comment.status)
        ).all()
        return dict(rows)

    assert status_counts(db.session) == actual() == {"pending": 6}
    ids = [c.id for c in scored_thread.comments]
    decisions.decide(db.session, ids[0], 1, "approved", users["moderator"])
    decisions.bulk_decide(db.session, [(ids[1], 1), (ids[2], 1)], "spam", users["moderator"])
    decisions.undo_last(db.session, users["moderator"])
    decisions.decide(db.session, ids[3], 1, "escalated", users["moderator"])
    assert status_counts(db.session) == actual() == {"pending": 4, "approved": 1, "escalated": 1}
    db.session.execute(sa.delete(Comment).where(Comment.id == ids[4]))
    db.session.commit()
    assert status_counts(db.session) == actual()


def test_a_decision_waiting_on_another_transaction_sees_its_result(app, users, scored_thread):
    """Truly at once: the second UPDATE waits for the first transaction's row lock, then
    finds the version moved on; nothing is overwritten."""
    comment_id = scored_thread.comments[1].id
    user_type = type(users["moderator"])
    ids = users["moderator"].id, users["moderator2"].id
    with so.Session(db.engine) as first:
        decisions._decide_one(
            first, comment_id, 1, "approved", first.get(user_type, ids[0]), None, None, False
        )  # uncommitted: holds the row (PostgreSQL) or the write lock (SQLite)

        outcome = decide_while_held(
            first, comment_id, 1, "spam", user_type, ids[1], "the first transaction"
        )
    assert outcome["conflict"].decided_by == "moderator"
    assert comment_state(comment_id) == ("approved", 2)
    assert len(all_decisions()) == 1


def test_a_decision_made_and_undone_since_does_not_block_undoing_a_bulk_action(
    users, scored_thread
):
    ids = [c.id for c in scored_thread.comments[:3]]
    moderator = users["moderator"]
    decisions.bulk_decide(db.session, [(i, 1) for i in ids], "escalated", moderator)
    decisions.decide(db.session, ids[0], 2, "approved", moderator)
    decisions.undo_last(db.session, moderator)  # the approval: back to escalated
    assert comment_state(ids[0]) == ("escalated", 4)
    outcome = decisions.undo_last(db.session, moderator)  # the bulk action, all of it
    assert sorted(d.comment_id for d in outcome.decisions) == sorted(ids)
    assert not outcome.conflicts
    assert [comment_state(i)[0] for i in ids] == ["pending"] * 3


def test_undo_last_passes_by_an_action_someone_has_decided_over(users, scored_thread):
    first, second, third = (c.id for c in scored_thread.comments[:3])
    moderator = users["moderator"]
    decisions.decide(db.session, first, 1, "spam", moderator)
    decisions.bulk_decide(db.session, [(second, 1), (third, 1)], "rejected", moderator)
    decisions.decide(db.session, third, 2, "approved", users["moderator2"])
    outcome = decisions.undo_last(db.session, moderator)
    assert [d.comment_id for d in outcome.decisions] == [second]
    assert [c.comment_id for c in outcome.conflicts] == [third]
    # Nothing of the bulk action is left to undo: the next undo reaches the earlier decision.
    outcome = decisions.undo_last(db.session, moderator)
    assert [d.comment_id for d in outcome.decisions] == [first] and not outcome.conflicts
    states = [comment_state(i)[0] for i in (first, second, third)]
    assert states == ["pending", "pending", "approved"]


def test_matching_count_is_exact_where_the_tab_count_stops(users, scored_thread, monkeypatch):
    from moderation import queue

    monkeypatch.setattr(queue, "COUNT_CAP", 2)
    view = queue.QueueFilter(article=scored_thread.article.id)
    pending = next(c for c in queue.tab_counts(db.session, view) if c.tab == "pending")
    assert pending.capped and pending.count < 5  # "3+": a lower bound
    assert decisions.matching_count(db.session, view, limit=100) == 5
    negative = queue.QueueFilter(sentiment="negative")
    assert decisions.matching_count(db.session, negative, limit=100) == 2
    with pytest.raises(decisions.TooMany, match="matches 5 comments, more than the 4"):
        decisions.matching_count(db.session, view, limit=4)


def test_bulk_on_all_matching_decides_only_the_confirmed_count(users, scored_thread):
    from moderation.queue import QueueFilter

    view = QueueFilter(article=scored_thread.article.id)
    moderator = users["moderator"]
    for confirmed in (None, 4, 6):
        with pytest.raises(decisions.CountChanged) as raised:
            decisions.bulk_decide_matching(db.session, view, confirmed, "rejected", moderator, 100)
        assert (raised.value.count, raised.value.confirmed) == (5, confirmed)
    assert all_decisions() == []
    with pytest.raises(decisions.TooMany):
        decisions.bulk_decide_matching(db.session, view, 5, "rejected", moderator, 3)
    outcome = decisions.bulk_decide_matching(
        db.session, view, 5, "rejected", moderator, 100, reason="Spam"
    )
    assert sorted(d.comment_id for d in outcome.decisions) == sorted(
        c.id for c in scored_thread.comments
    )
    rows = all_decisions()
    assert len(rows) == 5 and {(d.bulk_id, d.reason, d.bulk) for d in rows} == {
        (outcome.bulk_id, "Spam", True)
    }
    assert comment_state(scored_thread.unscored.id) == ("pending", 1)  # the other article


def test_undo_bulk_undoes_what_is_in_force_and_reports_the_rest(users, scored_thread):
    ids = [c.id for c in scored_thread.comments]
    moderator = users["moderator"]
    outcome = decisions.bulk_decide(db.session, [(i, 1) for i in ids], "rejected", moderator)
    assert decisions.last_bulk(db.session, moderator) == decisions.BulkSummary(
        outcome.bulk_id, "rejected", 5
    )
    decisions.decide(db.session, ids[0], 2, "approved", users["moderator2"])  # decided over
    with pytest.raises(decisions.DecisionError, match="Only the moderator"):
        decisions.undo_bulk(db.session, outcome.bulk_id, users["moderator2"])
    with pytest.raises(decisions.DecisionError, match="no such bulk action"):
        decisions.undo_bulk(db.session, "f" * 32, moderator)

    undone = decisions.undo_bulk(db.session, outcome.bulk_id, moderator)
    assert sorted(d.comment_id for d in undone.decisions) == sorted(ids[1:])
    assert [(c.comment_id, c.status, c.decided_by) for c in undone.conflicts] == [
        (ids[0], "approved", "moderator2")
    ]
    assert comment_state(ids[0]) == ("approved", 3)
    assert {comment_state(i) for i in ids[1:]} == {("pending", 3)}
    # Audited: one undo row per comment, linked both ways, by the moderator who undid it.
    undos = [d for d in all_decisions() if d.undoes_id]
    assert len(undos) == 4 and {(d.reason, d.moderator_id) for d in undos} == {
        ("undo", moderator.id)
    }
    originals = {d.id: d for d in all_decisions() if d.bulk_id == outcome.bulk_id}
    assert {originals[d.undoes_id].undone_by_id for d in undos} == {d.id for d in undos}
    assert decisions.last_bulk(db.session, moderator) is None
    with pytest.raises(decisions.DecisionError, match="Nothing of that bulk action is left"):
        decisions.undo_bulk(db.session, outcome.bulk_id, moderator)
    assert comment_state(ids[0]) == ("approved", 3)  # the refused undo changed nothing


def test_an_admin_may_undo_anyones_bulk_action(users, scored_thread):
    ids = [c.id for c in scored_thread.comments[:2]]
    outcome = decisions.bulk_decide(db.session, [(i, 1) for i in ids], "spam", users["moderator"])
    assert decisions.last_bulk(db.session, users["admin"]) is None  # not the admin's own
    undone = decisions.undo_bulk(db.session, outcome.bulk_id, users["admin"])
    assert len(undone.decisions) == 2 and not undone.conflicts


def test_the_last_bulk_is_offered_only_while_it_is_the_last_action(users, scored_thread):
    ids = [c.id for c in scored_thread.comments]
    moderator = users["moderator"]
    outcome = decisions.bulk_decide(db.session, [(i, 1) for i in ids[:3]], "spam", moderator)
    decisions.decide(db.session, ids[4], 1, "approved", moderator)
    assert decisions.last_bulk(db.session, moderator) is None  # a single decision came after
    decisions.undo_last(db.session, moderator)
    assert decisions.last_bulk(db.session, moderator).bulk_id == outcome.bulk_id


# Undo against a concurrent decision ------------------------------------------------


def _fresh_comment(article, external_id):
    comment = Comment(
        article_id=article.id, external_id=external_id, body="A point.", content_hash=external_id
    )
    db.session.add(comment)
    db.session.commit()
    return comment.id


def _audit_trail(comment_id):
    return [
        (d.from_status, d.to_status, d.undoes_id is not None)
        for d in all_decisions()
        if d.comment_id == comment_id
    ]


def test_a_decision_landing_anywhere_inside_an_undo_wins_over_it(app, users, scored_thread):
    """Moderator A undoes their spam decision while B approves the comment. B's decision is
    committed between any two of the undo's statements in turn (up to its write, after
    which B waits on A's lock: the next test); every time, B's approval stands, A is told
    of a conflict, and the audit log holds no status the comment never had."""
    user_type = type(users["moderator"])
    ids = users["moderator"].id, users["moderator2"].id

    def undo_with_b_deciding_before_statement(landing_point):
        """A's undo, with B's decision committed just before A's statement number
        ``landing_point`` (counted from 0; None: never). Returns A's undo statements."""
        comment_id = _fresh_comment(scored_thread.article, f"race{landing_point}")
        statements = []
        with (
            db.engine.connect() as a_connection,
            so.Session(bind=a_connection) as a_session,
            so.Session(db.engine) as b_session,
        ):
            a_user = a_session.get(user_type, ids[0])
            b_user = b_session.get(user_type, ids[1])
            original = decisions.decide(a_session, comment_id, 1, "spam", a_user)
            b_session.commit()

            @sa.event.listens_for(a_connection, "before_cursor_execute")
            def before_statement(conn, cursor, statement, parameters, context, executemany):
                if len(statements) == landing_point:
                    decisions.decide(b_session, comment_id, 2, "approved", b_user)
                statements.append(statement)

            try:
                decisions.undo(a_session, original.id, a_user)
                undone = True
            except decisions.Conflict as conflict:
                undone = False
                assert conflict.decided_by == "moderator2" and conflict.status == "approved"
        return comment_id, undone, statements

    # Undisturbed, the undo reads what it needs and writes: count its statements up to
    # and including its update of the comment.
    comment_id, undone, statements = undo_with_b_deciding_before_statement(None)
    assert undone and comment_state(comment_id) == ("pending", 3)
    writes = [i for i, s in enumerate(statements) if s.lstrip().upper().startswith("UPDATE")]
    landing_points = range(writes[0] + 1)
    assert len(landing_points) >= 2  # at least one read before the write

    for landing_point in landing_points:
        comment_id, undone, _ = undo_with_b_deciding_before_statement(landing_point)
        assert not undone, f"B's decision before statement {landing_point} was overwritten"
        assert comment_state(comment_id) == ("approved", 3)
        assert _audit_trail(comment_id) == [("pending", "spam", False), ("spam", "approved", False)]


def test_a_decision_made_while_an_undo_is_uncommitted_waits_and_conflicts(
    app, users, scored_thread
):
    comment_id = _fresh_comment(scored_thread.article, "race-wait")
    user_type = type(users["moderator"])
    ids = users["moderator"].id, users["moderator2"].id
    original = decisions.decide(db.session, comment_id, 1, "spam", users["moderator"])
    with so.Session(db.engine) as a_session:
        decisions._undo_one(a_session, original.id, a_session.get(user_type, ids[0]))

        outcome = decide_while_held(
            a_session, comment_id, 2, "approved", user_type, ids[1], "the undo's transaction"
        )
    assert outcome["conflict"].status == "pending"
    assert comment_state(comment_id) == ("pending", 3)
    assert _audit_trail(comment_id) == [("pending", "spam", False), ("spam", "pending", True)]
