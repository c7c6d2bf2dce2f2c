"""Answers a session reads once per transaction, until the session writes.

A queue page asks some questions more than once (which imports are running: its rows,
its counts and the counts' correction; how many comments a search matches: its rows and
its counts), and each asking was a statement. Within one transaction the answer read
first stands, as it would have if they had been asked at once; a write of this session
forgets every answer, and so does the transaction's end.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so

T = TypeVar("T")

_ANSWERS = "moderation.transaction_memo"


def remembered(session: so.Session, question: Hashable, read: Callable[[], T]) -> T:
    """``read()``'s answer to ``question``, read at most once per transaction of
    ``session`` while it does not write."""
    if isinstance(session, so.scoped_session):
        session = session()  # the request's own session, whose transaction is asked for
    # A change not flushed yet (an import batch's status set, say) flushes before the
    # next statement, so what was read before it may no longer hold.
    unflushed = session.new or session.dirty or session.deleted
    kept = session.info.get(_ANSWERS)
    fresh = kept is not None and kept[0] is session.get_transaction() and not unflushed
    answers = kept[1] if fresh else {}
    if question not in answers:
        answers[question] = read()
        session.info[_ANSWERS] = (session.get_transaction(), answers)
    return answers[question]


@sa.event.listens_for(so.Session, "after_flush")
@sa.event.listens_for(so.Session, "after_transaction_end")
def _forget(session: so.Session, *_) -> None:
    session.info.pop(_ANSWERS, None)


@sa.event.listens_for(so.Session, "do_orm_execute")
def _forget_on_write(state: so.ORMExecuteState) -> None:
    # Text statements count as writes: nothing here reads what they do.
    if not state.is_select:
        state.session.info.pop(_ANSWERS, None)
