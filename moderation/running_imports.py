"""What moderators see of an import that is still running: nothing.

An import commits its file a chunk at a time (see :mod:`moderation.ingest`), so
that moderators' decisions never wait for a whole file. Its committed comments
are in the table while it runs, but whole-or-nothing holds from the user's view:
the queue, its search and counts, bulk actions, the reports (the site-wide rollup,
the author summaries, one article's report) and the author pages leave out every
comment of a batch still running, until it succeeds; a failed one removes them
(:mod:`moderation.interrupted_imports`). Its new articles are in the table too,
without comments to show.

Usually no import is running, and the conditions below are then none at all.
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
import sqlalchemy.orm as so

from .models import Comment, ImportBatch

# Built once: every queue page asks both, and building a statement cost more than
# running it.
_RUNNING_IDS = sa.select(ImportBatch.id).where(ImportBatch.status == "running")
_RUNNING_COUNTS = sa.select(ImportBatch.status_counts).where(ImportBatch.status == "running")


def running_batch_ids(session: so.Session) -> list[int]:
    return list(session.scalars(_RUNNING_IDS))


def visible_comments(session: so.Session) -> list[sa.ColumnElement[bool]]:
    """WHERE conditions leaving out the comments of running imports (none when none runs)."""
    running = running_batch_ids(session)
    if not running:
        return []
    return [sa.or_(Comment.import_batch_id.is_(None), Comment.import_batch_id.not_in(running))]


def running_status_counts(session: so.Session) -> Counter[str]:
    """How many committed comments of running imports have each status: what the counter
    table holds of them, which the queue's tab counts subtract."""
    total: Counter[str] = Counter()
    for counts in session.scalars(_RUNNING_COUNTS):
        total.update(counts or {})
    return total
