"""What a set of comments adds up to: counts, sentiment shares, off-topic share, outcomes.

The same SQL columns serve one article, a whole site, each row of the articles
table and each author, so every report counts alike:

- *comments* are reader comments (kind ``comment``); pingbacks and trackbacks
  are counted apart and nowhere else;
- sentiment figures (shares, mean, off-topic share) cover the *scored* reader
  comments that are not spam: spam is not readers' opinion;
- the rejection rate is rejected and spam over everything decided (approved,
  rejected, spam), as on the author page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..models import Comment, CommentKind, CommentScore, ModerationStatus
from .sql import count_where
from .tables import Column, ReportTable

READER_COMMENT = Comment.kind == CommentKind.COMMENT
IN_SENTIMENT = sa.and_(
    READER_COMMENT,
    Comment.status != ModerationStatus.SPAM,
    CommentScore.comment_id.is_not(None),
)
"""Which comments the sentiment figures cover (with ``comment_scores`` outer-joined)."""

STATUSES = [status.value for status in ModerationStatus]


def comment_time() -> sa.ColumnElement:
    """When a comment was posted, or imported if the source did not say."""
    return sa.func.coalesce(Comment.posted_at, Comment.created_at)


def figure_columns(off_topic_threshold: float) -> list[sa.Label]:
    """The aggregate columns behind :class:`Figures`, for any ``GROUP BY`` (or none).

    The query must select from ``comments`` outer-joined to ``comment_scores``.
    """
    return [
        count_where(READER_COMMENT).label("comments"),
        *[
            count_where(sa.and_(READER_COMMENT, Comment.status == status)).label(status)
            for status in STATUSES
        ],
        count_where(Comment.kind != CommentKind.COMMENT).label("pingbacks"),
        count_where(IN_SENTIMENT).label("scored"),
        *[
            count_where(sa.and_(IN_SENTIMENT, CommentScore.sentiment_label == label)).label(label)
            for label in ("negative", "neutral", "positive")
        ],
        sa.func.avg(sa.case((IN_SENTIMENT, CommentScore.compound))).label("mean_compound"),
        count_where(sa.and_(IN_SENTIMENT, CommentScore.drift >= off_topic_threshold)).label(
            "off_topic"
        ),
    ]


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Figures:
    comments: int = 0
    pending: int = 0
    approved: int = 0
    rejected: int = 0
    spam: int = 0
    escalated: int = 0
    pingbacks: int = 0
    """Pingbacks and trackbacks."""
    scored: int = 0
    negative: int = 0
    neutral: int = 0
    positive: int = 0
    mean_compound: float | None = None
    off_topic: int = 0

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Figures:
        """From a result row of :func:`figure_columns` (extra keys are ignored)."""
        values = {name: row[name] for name in cls.__dataclass_fields__ if name in row}
        figures = cls(**{k: (v or 0) for k, v in values.items() if k != "mean_compound"})
        mean = values.get("mean_compound")
        figures.mean_compound = None if mean is None else float(mean)
        return figures

    @property
    def decided(self) -> int:
        return self.approved + self.rejected + self.spam

    @property
    def negative_share(self) -> float | None:
        return share(self.negative, self.scored)

    @property
    def neutral_share(self) -> float | None:
        return share(self.neutral, self.scored)

    @property
    def positive_share(self) -> float | None:
        return share(self.positive, self.scored)

    @property
    def off_topic_share(self) -> float | None:
        return share(self.off_topic, self.scored)

    @property
    def rejection_rate(self) -> float | None:
        return share(self.rejected + self.spam, self.decided)

    def as_row(self) -> dict[str, Any]:
        """Counts and shares under the keys of :data:`FIGURE_COLUMNS`."""
        return {column.key: getattr(self, column.key) for column in FIGURE_COLUMNS}


FIGURE_COLUMNS = [
    Column("comments", "Comments", "count"),
    Column("approved", "Approved", "count"),
    Column("pingbacks", "Pingbacks", "count"),
    Column("scored", "Scored", "count"),
    Column("negative_share", "Negative", "share"),
    Column("neutral_share", "Neutral", "share"),
    Column("positive_share", "Positive", "share"),
    Column("mean_compound", "Mean compound", "number"),
    Column("off_topic_share", "Off-topic", "share"),
    Column("pending", "Pending", "count"),
    Column("rejected", "Rejected", "count"),
    Column("spam", "Spam", "count"),
    Column("escalated", "Escalated", "count"),
    Column("rejection_rate", "Rejection rate", "share"),
]
"""The figures as table columns: for the articles and authors tables and exports."""


def figures_table(
    name: str, title: str, figures: Figures, extra: list[tuple[Column, Any]] | None = None
) -> ReportTable:
    """A figure-per-row table ("figure", "value"): the summary block as a download."""
    # "kind" is kept in each row (not a column) so that a reader can format the value.
    pairs = [*(extra or []), *((column, getattr(figures, column.key)) for column in FIGURE_COLUMNS)]
    rows = [
        {"figure": column.key, "label": column.label, "value": value, "kind": column.kind}
        for column, value in pairs
    ]
    return ReportTable(
        name=name,
        title=title,
        columns=[Column("figure", "Figure"), Column("label", "Label"), Column("value", "Value")],
        rows=rows,
    )
