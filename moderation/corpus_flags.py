"""Flags found across the whole corpus (duplicates, campaigns), set on stored scores.

A comment's own flags are computed with its score (:mod:`moderation.scoring_runner`);
the duplicate and near-duplicate flags depend on other comments, so they are set or
removed afterwards, on the stored score, with its priority and its flag row kept in step.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
import sqlalchemy.orm as so

from .models import Comment, CommentFlag, CommentScore
from .scoring.flags import Flag
from .scoring.priority import Priority, compute_priority
from .settings import ScoringConfig


def flag_to_json(flag: Flag) -> dict:
    data = {"code": flag.code, "reason": flag.reason, "weight_key": flag.weight_key}
    if "campaign" in flag.detail:
        data["campaign"] = flag.detail["campaign"]  # the campaign page the flag links to
    return data


def flag_from_json(data: dict) -> Flag:
    return Flag(data["code"], data["reason"], data.get("weight_key", data["code"]))


def stored_priority(
    compound: float, label: str, drift: float, drift_reasons: list, flags: list, config
) -> Priority:
    """The priority under ``config``'s weights from what a score row stores."""
    return compute_priority(
        compound,
        label,
        drift,
        drift_reasons,
        [flag_from_json(flag) for flag in flags],
        config.weights,
        off_topic_threshold=config.off_topic_threshold,
    )


CHUNK = 900
"""Comment ids per IN (...) list: below SQLite's old limit of 999 parameters."""


def set_flags(
    session: so.Session, code: str, wanted: Mapping[int, Flag | None], config: ScoringConfig
) -> int:
    """Give each comment of ``wanted`` its flag in place of any flag ``code`` it has (None:
    remove it), with the priority that follows; returns how many scores that changed.

    Many comments at once (a campaign of thousands): read and written in bulk, not
    one ORM object each.
    """
    ids = sorted(wanted)
    changed = []
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            sa.select(
                CommentScore.comment_id,
                CommentScore.flags,
                CommentScore.compound,
                CommentScore.sentiment_label,
                CommentScore.drift,
                CommentScore.drift_reasons,
            ).where(CommentScore.comment_id.in_(ids[start : start + CHUNK]))
        )
        for row in rows:
            flag = wanted[row.comment_id]
            kept = [f for f in row.flags if f["code"] != code]
            flags = kept + [flag_to_json(flag)] if flag is not None else kept
            if flags == row.flags:
                continue
            priority = stored_priority(
                row.compound, row.sentiment_label, row.drift, row.drift_reasons, flags, config
            )
            changed.append((row.comment_id, flags, priority, flag is not None))
    if not changed:
        return 0
    scores = CommentScore.__table__
    session.execute(
        sa.update(scores)
        .where(scores.c.comment_id == sa.bindparam("target_id"))
        .values(
            flags=sa.bindparam("new_flags", type_=sa.JSON),
            priority=sa.bindparam("new_priority"),
            priority_reasons=sa.bindparam("new_reasons", type_=sa.JSON),
        ),
        [
            {
                "target_id": i,
                "new_flags": f,
                "new_priority": p.score,
                "new_reasons": list(p.reasons),
            }
            for i, f, p, _ in changed
        ],
    )
    comments = Comment.__table__
    session.execute(
        sa.update(comments)
        .where(comments.c.id == sa.bindparam("target_id"))
        .values(priority=sa.bindparam("new_priority")),
        [{"target_id": i, "new_priority": p.score} for i, _, p, _ in changed],
    )
    changed_ids = [i for i, _, _, _ in changed]
    for start in range(0, len(changed_ids), CHUNK):
        session.execute(
            sa.delete(CommentFlag).where(
                CommentFlag.comment_id.in_(changed_ids[start : start + CHUNK]),
                CommentFlag.code == code,
            )
        )
    flagged = [{"comment_id": i, "code": code} for i, _, _, has_flag in changed if has_flag]
    if flagged:
        session.execute(sa.insert(CommentFlag), flagged)
    session.expire_all()  # scores loaded as objects before now are out of date
    return len(changed)
