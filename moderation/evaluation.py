"""Evaluate the comment scorers against a labelled JSON Lines file.

The file (see tests/data/offtopic_eval.jsonl) holds one object per line: article lines
``{"type": "article", "article_id", "title", "body"}`` followed by comment lines
``{"type": "comment", "article_id", "comment_id", "parent_id", "author", "text",
"off_topic": bool, "sentiment": "positive" | "neutral" | "negative"}``, in thread order.

`evaluate_file(path)` measures:

* off-topic detection: ROC AUC of the drift score against the human label, and precision,
  recall and F1 of calling scores >= `DEFAULT_OFF_TOPIC_THRESHOLD` off topic;
* the swap test, as the product specifies it: every comment scored against its own article
  and thread, and against the next article in the file (the last wraps round to the first)
  with that article's thread (its first comments, as many as preceded the comment in its
  own thread). `swap_auc` is the ROC AUC of all swapped scores against all own scores, over
  EVERY comment; it is the headline figure (target: 0.90). `swap_auc_on_topic` is the same
  over the comments labelled on topic only, a secondary diagnostic: it leaves out the
  off-topic comments, whose own scores are high by design and so compete with the swapped
  scores, and is therefore always the flattering number;
* sentiment: how often VADER's label (compound >= 0.05 positive, <= -0.05 negative, else
  neutral) agrees with the human label.

ROC AUC is the Mann-Whitney statistic (ties count half), written here to avoid depending on
scikit-learn for one formula. Everything except `evaluate_file` is pure.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .scoring.drift import (
    DEFAULT_OFF_TOPIC_THRESHOLD,
    ArticleProfile,
    CorpusStats,
    ThreadContext,
    score_drift,
    score_thread,
)
from .scoring.sentiment import default_scorer

SENTIMENT_LABELS = ("negative", "neutral", "positive")


# --------------------------------------------------------------------------- metrics


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Probability that a random positive scores above a random negative (ties count half).

    Computed by ranking (Mann-Whitney U), O(n log n). Raises ValueError if the lengths differ
    or either class is empty.
    """
    if len(scores) != len(labels):
        raise ValueError("scores and labels differ in length")
    positives = sum(1 for label in labels if label)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        raise ValueError("ROC AUC needs at least one positive and one negative")
    order = sorted(range(len(scores)), key=lambda index: scores[index])
    # Average ranks (1-based) over runs of tied scores.
    rank_sum_positive = 0.0
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        average_rank = (start + end) / 2 + 1
        rank_sum_positive += average_rank * sum(1 for i in order[start : end + 1] if labels[i])
        start = end + 1
    u_statistic = rank_sum_positive - positives * (positives + 1) / 2
    return u_statistic / (positives * negatives)


def paired_auc(higher: Sequence[float], lower: Sequence[float]) -> float:
    """ROC AUC of scores expected to be higher against scores expected to be lower."""
    return roc_auc([*higher, *lower], [True] * len(higher) + [False] * len(lower))


@dataclass(frozen=True)
class PrecisionRecall:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        called = self.true_positives + self.false_positives
        return self.true_positives / called if called else 0.0

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 0.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def precision_recall(
    scores: Sequence[float], labels: Sequence[bool], threshold: float
) -> PrecisionRecall:
    """Counts for calling every score >= threshold positive."""
    called = [score >= threshold for score in scores]
    return PrecisionRecall(
        true_positives=sum(1 for c, label in zip(called, labels, strict=True) if c and label),
        false_positives=sum(1 for c, label in zip(called, labels, strict=True) if c and not label),
        false_negatives=sum(1 for c, label in zip(called, labels, strict=True) if not c and label),
    )


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class EvalArticle:
    article_id: str
    title: str
    body: str


@dataclass(frozen=True)
class EvalComment:
    article_id: str
    comment_id: str
    parent_id: str | None
    text: str
    off_topic: bool
    sentiment: str


@dataclass(frozen=True)
class EvalData:
    articles: tuple[EvalArticle, ...]
    comments: tuple[EvalComment, ...]

    def comments_of(self, article_id: str) -> list[EvalComment]:
        return [comment for comment in self.comments if comment.article_id == article_id]


def parse_eval_lines(lines: Iterable[str]) -> EvalData:
    """Read the evaluation format; raises ValueError naming the line of a malformed entry."""
    articles: list[EvalArticle] = []
    comments: list[EvalComment] = []
    known_articles: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if entry["type"] == "article":
                articles.append(EvalArticle(entry["article_id"], entry["title"], entry["body"]))
                known_articles.add(entry["article_id"])
            elif entry["type"] == "comment":
                if entry["article_id"] not in known_articles:
                    raise ValueError(f"comment before its article {entry['article_id']!r}")
                if entry["sentiment"] not in SENTIMENT_LABELS:
                    raise ValueError(f"unknown sentiment {entry['sentiment']!r}")
                comments.append(
                    EvalComment(
                        article_id=entry["article_id"],
                        comment_id=entry["comment_id"],
                        parent_id=entry.get("parent_id"),
                        text=entry["text"],
                        off_topic=bool(entry["off_topic"]),
                        sentiment=entry["sentiment"],
                    )
                )
            else:
                raise ValueError(f"unknown type {entry['type']!r}")
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise ValueError(f"line {number}: {error}") from error
    return EvalData(tuple(articles), tuple(comments))


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class EvaluationReport:
    article_count: int
    comment_count: int
    off_topic_count: int
    threshold: float
    off_topic_auc: float
    off_topic_counts: PrecisionRecall
    # Headline: every comment, own vs swapped.
    swap_auc: float
    # Secondary: comments labelled on topic only.
    swap_auc_on_topic: float
    sentiment_agreement: float
    # (human label, VADER label) -> count
    sentiment_confusion: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        return self.off_topic_counts.precision

    @property
    def recall(self) -> float:
        return self.off_topic_counts.recall

    @property
    def f1(self) -> float:
        return self.off_topic_counts.f1

    def format(self) -> str:
        """A plain-text report for the terminal."""
        counts = self.off_topic_counts
        lines = [
            f"Evaluation of {self.comment_count} comments on {self.article_count} articles "
            f"({self.off_topic_count} labelled off topic)",
            "",
            "Off-topic drift",
            f"  ROC AUC                  {self.off_topic_auc:.3f}",
            f"  at threshold {self.threshold:.2f}:      precision {self.precision:.3f}, "
            f"recall {self.recall:.3f}, F1 {self.f1:.3f}",
            f"                           ({counts.true_positives} caught, "
            f"{counts.false_positives} false alarms, {counts.false_negatives} missed)",
            f"  swap test ROC AUC        {self.swap_auc:.3f}  "
            "(all comments: under another article vs under their own)",
            f"    on-topic comments only {self.swap_auc_on_topic:.3f}  (secondary diagnostic)",
            "",
            "Sentiment (VADER vs human labels)",
            f"  agreement                {self.sentiment_agreement:.3f}",
            "  human \\ VADER   " + "".join(f"{label:>10}" for label in SENTIMENT_LABELS),
        ]
        for human in SENTIMENT_LABELS:
            row = "".join(
                f"{self.sentiment_confusion.get((human, vader), 0):>10}"
                for vader in SENTIMENT_LABELS
            )
            lines.append(f"  {human:<15}{row}")
        return "\n".join(lines)


def _thread_order(comments: Sequence[EvalComment]) -> list[tuple[str, int | None]]:
    index_of = {comment.comment_id: index for index, comment in enumerate(comments)}
    return [
        (comment.text, index_of.get(comment.parent_id) if comment.parent_id else None)
        for comment in comments
    ]


def _swapped_context(other_thread: Sequence[EvalComment], position: int) -> ThreadContext:
    """The other thread's first `position` comments, the last of them standing in as parent."""
    before = [comment.text for comment in other_thread[:position]]
    return ThreadContext.build(before[::-1])


def evaluate(data: EvalData) -> EvaluationReport:
    """Run all measurements on parsed evaluation data."""
    stats = CorpusStats.from_articles([(article.title, article.body) for article in data.articles])
    profiles = {
        article.article_id: ArticleProfile.build(article.title, article.body, stats)
        for article in data.articles
    }
    own_scores: list[float] = []
    swapped_scores: list[float] = []
    labels: list[bool] = []
    for position, article in enumerate(data.articles):
        thread = data.comments_of(article.article_id)
        results = score_thread(_thread_order(thread), profiles[article.article_id], stats)
        own_scores.extend(result.score for result in results)
        labels.extend(comment.off_topic for comment in thread)

        other = data.articles[(position + 1) % len(data.articles)]
        other_thread = data.comments_of(other.article_id)
        for index, comment in enumerate(thread):
            context = _swapped_context(other_thread, index)
            swapped = score_drift(comment.text, profiles[other.article_id], context, stats)
            swapped_scores.append(swapped.score)

    # The tool's own scorer, with its default thresholds: what the queue shows.
    scorer = default_scorer()
    confusion: Counter[tuple[str, str]] = Counter(
        (comment.sentiment, scorer.score(comment.text, with_sentences=False).label)
        for comment in data.comments
    )
    agreeing = sum(count for (human, vader), count in confusion.items() if human == vader)

    return EvaluationReport(
        article_count=len(data.articles),
        comment_count=len(data.comments),
        off_topic_count=sum(labels),
        threshold=DEFAULT_OFF_TOPIC_THRESHOLD,
        off_topic_auc=roc_auc(own_scores, labels),
        off_topic_counts=precision_recall(own_scores, labels, DEFAULT_OFF_TOPIC_THRESHOLD),
        swap_auc=paired_auc(swapped_scores, own_scores),
        swap_auc_on_topic=paired_auc(
            [score for score, off in zip(swapped_scores, labels, strict=True) if not off],
            [score for score, off in zip(own_scores, labels, strict=True) if not off],
        ),
        sentiment_agreement=agreeing / len(data.comments) if data.comments else 0.0,
        sentiment_confusion=dict(sorted(confusion.items())),
    )


def evaluate_file(path: str | Path) -> EvaluationReport:
    """Read a labelled JSON Lines file and evaluate drift and sentiment on it."""
    with open(path, encoding="utf-8") as handle:
        return evaluate(parse_eval_lines(handle))
