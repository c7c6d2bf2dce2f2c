"""Flags found across the whole corpus (duplicates, campaigns), set on stored scores.

A comment's own flags are computed with its score (:mod:`moderation.scoring_runner`);
the duplicate and near-duplicate flags depend on other comments, so they are set or
removed afterwards, on the stored score, with its priority and its flag row kept in step.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from .models import Comment, CommentFlag, CommentScore
from .scoring.flags import Flag
from .scoring.priority import compute_priority
from .settings import ScoringConfig


def flag_to_json(flag: Flag) -> dict:
    data = {"code": flag.code, "reason": flag.reason, "weight_key": flag.weight_key}
    if "campaign" in flag.detail:
        data["campaign"] = flag.detail["campaign"]  # the campaign page the flag links to
    return data


def flag_from_json(data: dict) -> Flag:
    return Flag(data["code"], data["reason"], data.get("weight_key", data["code"]))


def set_flag(
    session: so.Session, score: CommentScore, code: str, flag: Flag | None, config: ScoringConfig
) -> bool:
    """Give the score ``flag`` in place of any flag ``code`` it has (None: remove it), and
    update its priority; False when that changed nothing."""
    kept = [f for f in score.flags if f["code"] != code]
    flags = kept + [flag_to_json(flag)] if flag is not None else kept
    if flags == score.flags:
        return False
    score.flags = flags
    priority = compute_priority(
        score.compound,
        score.sentiment_label,
        score.drift,
        score.drift_reasons,
        [flag_from_json(f) for f in score.flags],
        config.weights,
        off_topic_threshold=config.off_topic_threshold,
    )
    score.priority = priority.score
    score.priority_reasons = list(priority.reasons)
    session.execute(
        sa.update(Comment).where(Comment.id == score.comment_id).values(priority=priority.score)
    )
    if flag is not None:
        session.merge(CommentFlag(comment_id=score.comment_id, code=code))
    else:
        session.execute(
            sa.delete(CommentFlag).where(
                CommentFlag.comment_id == score.comment_id, CommentFlag.code == code
            )
        )
    return True
