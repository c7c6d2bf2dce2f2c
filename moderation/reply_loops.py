"""Replies whose parents lead back to themselves, cut loose before they are kept.

A broken export can say that a comment replies to itself, or that two comments
reply to each other. Kept, such a loop would make every walk up a thread (the
thread view, reports) go round for ever. Ingest links a reply to a parent as it
inserts it only when the parent is already there, which cannot close a loop;
every loop is closed by a link made afterwards (:meth:`_Ingester._link_parents`),
so those are the only links to check. A comment that closes a loop keeps its
text and loses its parent: it becomes a top-level comment, and a notice says so.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so

from .importers.records import Problem
from .models import Comment

IDS_PER_QUERY = 500


def cut_reply_loops(session: so.Session, linked: Iterable[tuple[int, int]]) -> list[Problem]:
    """Cut the loops closed by the links ``linked`` ((comment id, parent id) pairs just made);
    one notice for each comment cut loose."""
    linked = dict(linked)
    if not linked:
        return []
    parents = _ancestors(session, list(linked))
    cut: list[int] = []
    walked: set[int] = set()  # each comment is walked through once: a long thread stays linear
    for start in sorted(linked):
        path: list[int] = []
        node: int | None = start
        while node is not None and node not in walked:
            walked.add(node)
            path.append(node)
            node = parents.get(node)
        if node is not None and node in path:  # back on this walk's own path: a loop
            loop = path[path.index(node) :]
            # Cut the link of the loop made last: the reply inserted last among those linked now.
            closing = max(member for member in loop if member in linked)
            cut.append(closing)
            parents[closing] = None
    if not cut:
        return []
    session.execute(
        sa.update(Comment)
        .where(Comment.id.in_(cut))
        .values(parent_id=None, parent_external_id=None),
        execution_options={"synchronize_session": False},
    )
    names = dict(
        session.execute(
            sa.select(Comment.id, Comment.external_id).where(
                Comment.id.in_(cut + [linked[node] for node in cut])
            )
        ).all()
    )
    return [_notice(names[node], names[linked[node]]) for node in cut]


def _ancestors(session: so.Session, ids: list[int]) -> dict[int, int | None]:
    """Each of ``ids`` and every comment above it, with its parent id (UNION stops at loops)."""
    parents: dict[int, int | None] = {}
    for first in range(0, len(ids), IDS_PER_QUERY):
        chunk = ids[first : first + IDS_PER_QUERY]
        up = (
            sa.select(Comment.id, Comment.parent_id)
            .where(Comment.id.in_(chunk))
            .cte("up", recursive=True)
        )
        above = so.aliased(Comment)
        up = up.union(sa.select(above.id, above.parent_id).join(up, above.id == up.c.parent_id))
        parents.update(session.execute(sa.select(up.c.id, up.c.parent_id)).all())
    return parents


def _notice(external_id: str, parent_external_id: str) -> Problem:
    if external_id == parent_external_id:
        message = f"comment {external_id} names itself as its parent"
    else:
        message = (
            f"comment {external_id}: its parent {parent_external_id} is one of its own "
            "replies (a loop of replies)"
        )
    return Problem(message + "; kept as a top-level comment", kind="notice")
