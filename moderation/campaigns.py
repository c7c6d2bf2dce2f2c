"""Campaigns: near copies of one text, found across the whole database and flagged.

The scoring runner stores each comment's MinHash signature and LSH band keys
(:mod:`moderation.scoring.near_duplicates`). Before it stores a batch's band keys,
:func:`find_near_copies` looks up the comments sharing one of them (an index lookup in
``comment_band_keys``, whatever their age) and keeps those whose estimated similarity
reaches the threshold. After the run, :func:`join_campaigns` joins all the pairs found
into campaigns with union-find: two campaigns that a new comment bridges become one.
A campaign's number is the smallest comment id in it, so the same comments make the
same campaign in any order, and the older campaign's number survives a merge.

:func:`flag_campaigns` then flags the comments of every campaign the run touched,
when the campaign spans two threads or two authors (one person posting twice in one
thread is a double post, as for exact duplicates), and removes the flag from comments
of campaigns that no longer do. An edited comment leaves its campaign when it is scored
again; a campaign it had bridged stays one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence

import sqlalchemy as sa
import sqlalchemy.orm as so

from .corpus_flags import CHUNK, set_flags
from .models import Comment, CommentSignature
from .scoring.flags import Flag, near_duplicate_flag
from .scoring.near_duplicates import are_near_copies
from .settings import ScoringConfig


def _chunks(values: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class _UnionFind:
    """Comments (ints) and existing campaigns (("campaign", number)) joined into groups."""

    def __init__(self) -> None:
        self.parent: dict = {}

    def root(self, node):
        parent = self.parent
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]  # path halving keeps trees flat
            node = parent[node]
        return node

    def union(self, a, b) -> None:
        self.parent[self.root(a)] = self.root(b)

    def groups(self) -> list[list]:
        by_root: dict = {}
        for node in list(self.parent):
            by_root.setdefault(self.root(node), []).append(node)
        return list(by_root.values())


LOOKUP_CHUNK = 4000
"""Band keys per lookup query: fewer, larger queries (SQLite takes 32,766 parameters)."""
BUCKET_SAMPLE = 20
"""Stored comments of one band key compared with a new one: a flood of copies already
in the database is one campaign, reached through any of them."""


def find_near_copies(
    session: so.Session,
    signed: Sequence[tuple[int, bytes]],
    keys: Iterable[tuple[int, int]],
) -> list[tuple[int, int]]:
    """Pairs of near copies among the comments just ``signed`` (comment_id, signature),
    and between them and the comments already stored, found by their band ``keys``
    ((band_key, comment_id), in the order the comments were signed).

    Call it before the new band keys are stored: the stored ones are then all older, and
    each new comment is compared with the first new comment of each of its buckets
    rather than with all of them, so a flood of copies in one batch costs linear time.
    """
    signatures = dict(signed)
    first: dict[int, int] = {}  # band key -> the first new comment with it
    candidates = set()
    for key, comment_id in keys:
        earlier = first.setdefault(key, comment_id)
        if earlier != comment_id:
            candidates.add((earlier, comment_id))
    new_keys = list(first)
    connection = session.connection()
    for start in range(0, len(new_keys), LOOKUP_CHUNK):
        stored: dict[int, list[int]] = {}
        for key, other in _sharing(connection, new_keys[start : start + LOOKUP_CHUNK]):
            stored.setdefault(key, []).append(other)
        for key, others in stored.items():
            candidates.update((first[key], other) for other in others[:BUCKET_SAMPLE])
    missing = {b for _, b in candidates if b not in signatures}
    signatures.update((i, sig) for i, (sig, _) in _signatures(session, missing).items())
    return sorted(
        (a, b)
        for a, b in candidates
        if b in signatures and are_near_copies(signatures[a], signatures[b])
    )


_SHARING = (
    "SELECT band_key, comment_id FROM comment_band_keys WHERE band_key {} "
    "ORDER BY band_key, comment_id"
)


def _sharing(connection: sa.Connection, keys: list[int]) -> list[tuple[int, int]]:
    """Stored (band_key, comment_id) rows with any of ``keys``: the one query run for
    every new comment, so it goes to the driver as it is (SQLAlchemy's expanding IN
    spent more time preparing 900 parameters than the database spent answering)."""
    if connection.dialect.name == "postgresql":
        sql, parameters = _SHARING.format("= ANY(%s::bigint[])"), (keys,)
    else:
        sql, parameters = _SHARING.format(f"IN ({', '.join('?' * len(keys))})"), tuple(keys)
    return connection.exec_driver_sql(sql, parameters).all()


def join_campaigns(session: so.Session, pairs: Iterable[tuple[int, int]]) -> set[int]:
    """Join each pair of near copies, and the campaigns they are in, into one campaign
    (union-find); returns the numbers of the campaigns they are now in."""
    found = _UnionFind()
    for a, b in pairs:
        found.union(a, b)
    comment_ids = [node for node in found.parent if isinstance(node, int)]
    for comment_id, (_, campaign) in _signatures(session, comment_ids).items():
        if campaign is not None:
            found.union(comment_id, ("campaign", campaign))
    campaigns = set()
    for group in found.groups():
        comments = [node for node in group if isinstance(node, int)]
        old = [node[1] for node in group if isinstance(node, tuple)]
        number = min(comments + old)
        _set_campaign(session, number, comments, [c for c in old if c != number])
        campaigns.add(number)
    return campaigns


def _signatures(session: so.Session, comment_ids: Collection[int]) -> dict:
    """{comment_id: (signature, campaign_id)} of the comments given."""
    rows = {}
    connection = session.connection()
    for chunk in _chunks(sorted(comment_ids)):
        rows.update(
            (row.comment_id, (row.signature, row.campaign_id))
            for row in connection.execute(
                sa.select(
                    CommentSignature.comment_id,
                    CommentSignature.signature,
                    CommentSignature.campaign_id,
                ).where(CommentSignature.comment_id.in_(chunk))
            )
        )
    return rows


def _set_campaign(
    session: so.Session, number: int, comments: Sequence[int], merged: Iterable[int]
) -> None:
    """Put ``comments`` and every comment of the ``merged`` campaigns in campaign ``number``."""
    merged = list(merged)
    if merged:
        session.execute(
            sa.update(CommentSignature)
            .where(CommentSignature.campaign_id.in_(merged))
            .values(campaign_id=number),
            execution_options={"synchronize_session": False},
        )
    for chunk in _chunks(list(comments)):
        session.execute(
            sa.update(CommentSignature)
            .where(
                CommentSignature.comment_id.in_(chunk),
                sa.or_(
                    CommentSignature.campaign_id.is_(None),
                    CommentSignature.campaign_id != number,
                ),
            )
            .values(campaign_id=number),
            execution_options={"synchronize_session": False},
        )


def flag_campaigns(session: so.Session, campaigns: Iterable[int], config: ScoringConfig) -> int:
    """Flag (or unflag) every comment of the ``campaigns``; returns the scores changed."""
    wanted: dict[int, Flag | None] = {}
    for number in sorted(set(campaigns)):
        members = session.execute(
            sa.select(CommentSignature.comment_id, Comment.article_id, Comment.author_name)
            .join(Comment, Comment.id == CommentSignature.comment_id)
            .where(CommentSignature.campaign_id == number)
        ).all()
        threads = len({article_id for _, article_id, _ in members})
        authors = len({a.strip().casefold() for _, _, a in members if a and a.strip()})
        flag = None
        if len(members) >= 2 and (threads >= 2 or authors >= 2):
            flag = near_duplicate_flag(number, len(members), threads, authors)
        wanted.update((comment_id, flag) for comment_id, _, _ in members)
    return set_flags(session, "near_duplicate", wanted, config)


def campaign_comment_ids(session: so.Session, number: int) -> list[int]:
    """The ids of campaign ``number``'s comments, oldest first."""
    return list(
        session.scalars(
            sa.select(CommentSignature.comment_id)
            .where(CommentSignature.campaign_id == number)
            .order_by(CommentSignature.comment_id)
        )
    )
