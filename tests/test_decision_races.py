"""Eight moderators racing decisions, bulk actions and undos on a few comments at once.

Each client is a thread with its own session (its own connection). Afterwards the
audit log, replayed in order from the starting states, must give every comment's
final status and version: each change recorded, none lost, none recorded from a
status the comment did not have.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import sqlalchemy as sa
import sqlalchemy.orm as so

from moderation import decisions
from moderation.extensions import db
from moderation.models import Article, Comment, Decision, Role, User
from moderation.queue import status_counts

CLIENTS = 8
COMMENTS = 6
RACE_SECONDS = 3.0
# On a busy machine three seconds may not see every kind of action (and a lost race):
# the race then goes on until it has, up to this long.
RACE_SECONDS_AT_MOST = 30.0
KINDS = ["decide", "bulk", "undo_last", "undo_in_force", "conflict"]
STATUSES = list(decisions.ACTIONS.values())


def _setup(web_password_hash) -> tuple[list[int], list[int]]:
    article = Article(site="race.example", key="race", title="Race", content_hash="race")
    db.session.add(article)
    db.session.flush()
    comments = [
        Comment(article_id=article.id, external_id=f"r{n}", body=f"Point {n}.", content_hash=f"{n}")
        for n in range(COMMENTS)
    ]
    # The last client is an admin, who may undo anyone's decision.
    moderators = [
        User(
            username=f"racer{n}",
            role=Role.ADMIN if n == CLIENTS - 1 else Role.MODERATOR,
            password_hash=web_password_hash,
        )
        for n in range(CLIENTS)
    ]
    db.session.add_all(comments + moderators)
    db.session.commit()
    return [c.id for c in comments], [m.id for m in moderators]


def _client(engine, user_id, comment_ids, stop, seed, tally, errors):
    rng = random.Random(seed)
    with so.Session(engine) as session:
        me = session.get(User, user_id)
        while not stop.is_set():
            action = rng.choice(["decide", "decide", "bulk", "undo_last", "undo_in_force"])
            try:
                if action == "decide":
                    comment_id = rng.choice(comment_ids)
                    status, version = _state(session, [comment_id])[comment_id]
                    to_status = rng.choice([s for s in STATUSES if s != status])
                    decisions.decide(session, comment_id, version, to_status, me)
                elif action == "bulk":
                    chosen = rng.sample(comment_ids, rng.randint(2, 4))
                    states = _state(session, chosen)
                    targets = [(i, states[i][1]) for i in chosen]
                    outcome = decisions.bulk_decide(session, targets, rng.choice(STATUSES), me)
                    if outcome.conflicts:
                        tally["bulk with conflicts"] += 1
                elif action == "undo_last":
                    decisions.undo_last(session, me)
                else:
                    in_force = decisions.decision_in_force(session, rng.choice(comment_ids))
                    session.commit()
                    if in_force is None:
                        raise decisions.DecisionError("nothing in force")
                    decisions.undo(session, in_force.id, me)
                tally[action] += 1
            except decisions.Conflict:
                session.rollback()
                tally["conflict"] += 1
            except decisions.DecisionError:
                session.rollback()
                tally["refused"] += 1
            except Exception as error:  # reported by the test: no client may fail otherwise
                session.rollback()
                errors.append(f"{action}: {error!r}")


def _state(session, comment_ids) -> dict[int, tuple[str, int]]:
    rows = session.execute(
        sa.select(Comment.id, Comment.status, Comment.version).where(Comment.id.in_(comment_ids))
    ).all()
    session.commit()  # as a page would: read, then decide in a later request
    return {row.id: (row.status, row.version) for row in rows}


def test_racing_decisions_bulk_and_undo_lose_no_update(app, web_password_hash):
    comment_ids, user_ids = _setup(web_password_hash)
    start = {i: ("pending", 1) for i in comment_ids}
    tally, errors, stop = Counter(), [], threading.Event()
    threads = [
        threading.Thread(
            target=_client, args=(db.engine, user_id, comment_ids, stop, seed, tally, errors)
        )
        for seed, user_id in enumerate(user_ids)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    while time.monotonic() - started < RACE_SECONDS or (
        not all(tally[kind] for kind in KINDS) and time.monotonic() - started < RACE_SECONDS_AT_MOST
    ):
        time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    # It was a race: every kind of action happened, and some lost to another.
    for action in KINDS:
        assert tally[action] > 0, tally

    db.session.expire_all()
    log = db.session.scalars(sa.select(Decision).order_by(Decision.id)).all()
    replayed = dict(start)
    for decision in log:
        status, version = replayed[decision.comment_id]
        assert decision.from_status == status, f"decision #{decision.id} from a status not held"
        replayed[decision.comment_id] = (decision.to_status, version + 1)
    final = {
        row.id: (row.status, row.version)
        for row in db.session.execute(sa.select(Comment.id, Comment.status, Comment.version))
    }
    assert replayed == final
    assert sum(version - 1 for _, version in final.values()) == len(log)

    # Each undo reverses the decision it names, which names it back.
    by_id = {d.id: d for d in log}
    for undo in (d for d in log if d.undoes_id is not None):
        original = by_id[undo.undoes_id]
        assert original.undone_by_id == undo.id
        assert (undo.from_status, undo.to_status) == (original.to_status, original.from_status)
    assert status_counts(db.session) == dict(Counter(status for status, _ in final.values()))
