"""Which earlier comment, if any, each newly scored comment nearly copies.

Duplicate spam is grouped by the ``fingerprint`` of its scores. Exact copies
(after normalising case, punctuation and links) share it by construction; a copy
with a few words changed is given the fingerprint of the comment it copies here.

Comparing every pair of comments is out of the question, so each text's MinHash
band keys (:func:`moderation.scoring.duplicates.near_copy_bands`, computed by the
scoring workers) are looked up in :class:`~moderation.models.NearCopyBucket`,
which keeps the first comment seen under each key. A comment is compared only
with those first comments, at most eight, so a flood of similar texts costs no
more than any other comment; a text whose key is new becomes the first of it.
The scoring runner's writer calls :meth:`NearCopyIndex.match` for each batch,
before it writes the batch's scores.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql

from .driver_insert import DriverInsert
from .models import Comment, CommentScore, NearCopyBucket
from .scoring.duplicates import normalise_for_matching, similar_enough, word_pairs

KEYS_PER_QUERY = 5000
"""Band keys looked up in one query: well below SQLite's limit on parameters."""
CACHED_TEXTS = 4096
"""Word pairs of first comments kept between batches: a spam run compares with the same few."""


class NearCopyIndex:
    """The database's first comments per band key, for one scoring run."""

    def __init__(self, session: so.Session):
        self.session = session
        dialect = session.get_bind().dialect
        table = NearCopyBucket.__table__
        if dialect.name == "postgresql":
            statement = postgresql.insert(table).on_conflict_do_nothing()
        else:
            statement = sa.insert(table).prefix_with("OR IGNORE")
        # Another run may claim a key first; whichever comment got there keeps it.
        self.insert = DriverInsert(statement, ("band_key", "comment_id"), dialect)
        self.word_pairs_of: dict[int, frozenset[int]] = {}

    def match(self, comments: Sequence[tuple[int, str, list[int]]]) -> dict[int, str]:
        """The fingerprint each comment takes over from a comment it nearly copies.

        ``comments`` are ``(comment_id, fingerprint, band_keys)`` in scoring order;
        only those that copy another (and not exactly: that one's fingerprint is
        theirs already) are in the answer. Claims the keys nobody holds yet.
        """
        known = self._first_comments({key for _, _, keys in comments for key in keys})
        first_of = dict(known)
        new_buckets: dict[int, int] = {}
        candidates: dict[int, list[int]] = {}
        for comment_id, _, keys in comments:
            for key in keys:
                first = first_of.setdefault(key, comment_id)
                if first != comment_id:
                    if first not in candidates.setdefault(comment_id, []):
                        candidates[comment_id].append(first)
                elif key not in known:
                    new_buckets[key] = comment_id
        self.insert.execute(self.session, list(new_buckets.items()))
        if not candidates:
            return {}

        batch_keys = {comment_id: fingerprint for comment_id, fingerprint, _ in comments}
        earlier = {first for firsts in candidates.values() for first in firsts}
        keys = self._fingerprints(earlier - batch_keys.keys()) | batch_keys
        texts = self._word_pairs(set(candidates) | earlier)
        taken: dict[int, str] = {}
        for comment_id, _, _ in comments:
            for first in candidates.get(comment_id, ()):
                if keys.get(first) is None or first not in texts or comment_id not in texts:
                    continue  # gone, or never scored
                if similar_enough(texts[comment_id], texts[first]):
                    keys[comment_id] = keys[first]  # later copies of this one join too
                    if keys[first] != batch_keys[comment_id]:
                        taken[comment_id] = keys[first]
                    break
        return taken

    def _first_comments(self, keys: set[int]) -> dict[int, int]:
        found: dict[int, int] = {}
        ordered = sorted(keys)
        for start in range(0, len(ordered), KEYS_PER_QUERY):
            rows = self.session.execute(
                sa.select(NearCopyBucket.band_key, NearCopyBucket.comment_id).where(
                    NearCopyBucket.band_key.in_(ordered[start : start + KEYS_PER_QUERY])
                )
            )
            found.update(rows.all())
        return found

    def _fingerprints(self, comment_ids: set[int]) -> dict[int, str | None]:
        if not comment_ids:
            return {}
        rows = self.session.execute(
            sa.select(CommentScore.comment_id, CommentScore.fingerprint).where(
                CommentScore.comment_id.in_(comment_ids)
            )
        )
        return dict(rows.all())

    def _word_pairs(self, comment_ids: set[int]) -> dict[int, frozenset[int]]:
        cache = self.word_pairs_of
        missing = comment_ids - cache.keys()
        if len(cache) + len(missing) > CACHED_TEXTS:
            cache.clear()
            missing = comment_ids
        if missing:
            rows = self.session.execute(
                sa.select(Comment.id, Comment.body).where(Comment.id.in_(missing))
            )
            for comment_id, body in rows:
                cache[comment_id] = word_pairs(normalise_for_matching(body))
        return {cid: cache[cid] for cid in comment_ids if cid in cache}
