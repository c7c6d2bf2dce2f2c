"""Evaluate the comment scorers against labelled comments.

Two kinds of labelled set:

* the evaluation format (see tests/data/offtopic_eval.jsonl), one object per line: article
  lines ``{"type": "article", "article_id", "title", "body"}`` followed by comment lines
  ``{"type": "comment", "article_id", "comment_id", "parent_id", "author", "text",
  "off_topic": bool, "sentiment": "positive" | "neutral" | "negative"}``, in thread order;
* any file `moderation import` reads (a WXR export, say; ``.gz`` is opened transparently)
  with a labels file ``{comment id: "Good" | "PotentiallyUseful" | "Bad"}``, the scheme of
  SemEval-2016 Task 3 (tests/data/semeval2016-ql-train2.*): "Bad" is off topic, "Good" on
  topic, "PotentiallyUseful" neither (left out of AUC and precision/recall, not relevant
  for MAP, as in the task's own scorer). Comments without a label are context only.

`evaluate(data)` measures:

* off-topic detection: ROC AUC of the drift score against the human label, and precision,
  recall and F1 of calling scores >= `DEFAULT_OFF_TOPIC_THRESHOLD` off topic;
* MAP, mean average precision of each thread ranked by drift, lowest first, with the
  comments labelled on topic as the relevant ones (threads with none are left out): how
  well the order puts what belongs to the article first, SemEval's headline figure;
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

The swap test and sentiment need the evaluation format (a labelled WXR has no sentiment
labels); for other sets they are left out.

ROC AUC is the Mann-Whitney statistic (ties count half), written here to avoid depending on
scikit-learn for one formula. Everything except `evaluate_file` is pure.
"""

from __future__ import annotations

import gzip
import json
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .importers.records import ParsedSource
from .scoring.drift import (
    DEFAULT_OFF_TOPIC_THRESHOLD,
    ArticleProfile,
    CorpusStats,
    DriftResult,
    ThreadContext,
    score_drift,
    score_thread,
)
from .scoring.drift_model import ArticleVectors, combine, comment_signals, tree_shares
from .scoring.semantic import Embedder, default_embedder
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
    # None: labelled neither (SemEval's "PotentiallyUseful") or not labelled at all.
    off_topic: bool | None
    sentiment: str | None = None
    author: str = ""


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
                        author=str(entry.get("author") or ""),
                    )
                )
            else:
                raise ValueError(f"unknown type {entry['type']!r}")
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise ValueError(f"line {number}: {error}") from error
    return EvalData(tuple(articles), tuple(comments))


# SemEval-2016 Task 3's relevance labels, as off-topic labels.
RELEVANCE_LABELS: dict[str, bool | None] = {
    "Good": False,
    "PotentiallyUseful": None,
    "Bad": True,
}


def parse_labels(text: str, source: str) -> dict[str, bool | None]:
    """A labels file, {comment id: "Good" | "PotentiallyUseful" | "Bad"}, as off-topic
    labels. Raises ValueError naming the file and the entry it cannot read."""
    try:
        labels = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{source}: not JSON: {error}") from error
    if not isinstance(labels, dict):
        raise ValueError(f"{source}: expected an object of comment id: label")
    for comment_id, label in labels.items():
        if label not in RELEVANCE_LABELS:
            raise ValueError(
                f"{source}: comment {comment_id!r}: unknown label {label!r} "
                f"(expected {', '.join(RELEVANCE_LABELS)})"
            )
    return {str(comment_id): RELEVANCE_LABELS[label] for comment_id, label in labels.items()}


def labelled_source_data(parsed: ParsedSource, labels: Mapping[str, bool | None]) -> EvalData:
    """Parsed articles and comments (`moderation.importers`) with their labels. Comments the
    labels do not name stay in their threads as context, unlabelled; pingbacks are left out.
    Raises ValueError if no comment of the source is labelled."""
    articles = tuple(
        EvalArticle(article.key, article.title, article.body) for article in parsed.articles
    )
    comments = tuple(
        EvalComment(
            article_id=comment.article_key,
            comment_id=comment.external_id or f"{comment.article_key}#{comment.position}",
            parent_id=comment.parent_external_id,
            text=comment.body,
            off_topic=labels.get(comment.external_id or ""),
            author=comment.author_name,
        )
        for comment in parsed.comments
        if comment.kind == "comment"
    )
    if not any(comment.comment_id in labels for comment in comments):
        raise ValueError("no comment of the source has a label: are these its labels?")
    return EvalData(articles, comments)


def open_maybe_gzipped(path: str | Path) -> BinaryIO:
    """The file for reading in binary, decompressed on the fly if it is gzip (by its magic
    bytes, whatever its name)."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")  # noqa: SIM115 - the caller closes it


def read_labelled_source(path: str | Path, labels_path: str | Path) -> EvalData:
    """A file in any import format (gzip or not) and its labels file, ready to evaluate.
    Raises ValueError naming the file that cannot be read."""
    # Imported here: the importers are only needed for this kind of set.
    from .importers import detect_format
    from .importers.records import ImportFormatError

    labels = parse_labels(Path(labels_path).read_text(encoding="utf-8"), str(labels_path))
    with open_maybe_gzipped(path) as stream:
        head = stream.peek(4096)[:4096]
        try:
            fmt = detect_format(head, Path(path).name.removesuffix(".gz"), str(path))
            parsed = ParsedSource.collect(fmt.parse(stream, str(path)))
        except ImportFormatError as error:
            raise ValueError(str(error)) from error
    try:
        return labelled_source_data(parsed, labels)
    except ValueError as error:
        raise ValueError(f"{labels_path}: {error}") from error


# --------------------------------------------------------------------------- evaluation


def mean_average_precision(
    threads: Iterable[tuple[Sequence[float], Sequence[bool]]],
) -> float | None:
    """MAP of threads given as (drift scores, relevant?), each ranked by drift, lowest first
    (ties in the given order). Threads with nothing relevant are left out; None if all are."""
    precisions = []
    for scores, relevant in threads:
        order = sorted(range(len(scores)), key=lambda index: scores[index])
        hits = 0
        total = 0.0
        for rank, index in enumerate(order, start=1):
            if relevant[index]:
                hits += 1
                total += hits / rank
        if hits:
            precisions.append(total / hits)
    return statistics.fmean(precisions) if precisions else None


@dataclass(frozen=True)
class EvaluationReport:
    article_count: int
    comment_count: int
    off_topic_count: int
    # Comments labelled on topic; with `off_topic_count`, those the AUC and P/R count.
    on_topic_count: int
    threshold: float
    off_topic_auc: float
    off_topic_counts: PrecisionRecall
    mean_average_precision: float | None
    # Headline: every comment, own vs swapped. None when not measured.
    swap_auc: float | None = None
    # Secondary: comments labelled on topic only.
    swap_auc_on_topic: float | None = None
    sentiment_agreement: float | None = None
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
        neither = self.comment_count - self.off_topic_count - self.on_topic_count
        lines = [
            f"Evaluation of {self.comment_count} comments on {self.article_count} articles "
            f"({self.off_topic_count} labelled off topic, {self.on_topic_count} on topic"
            + (f", {neither} neither or unlabelled)" if neither else ")"),
            "",
            "Off-topic drift",
            f"  ROC AUC                  {self.off_topic_auc:.3f}",
            f"  MAP                      {_figure(self.mean_average_precision)}  "
            "(threads ranked by drift, on-topic comments relevant)",
            f"  at threshold {self.threshold:.2f}:      precision {self.precision:.3f}, "
            f"recall {self.recall:.3f}, F1 {self.f1:.3f}",
            f"                           ({counts.true_positives} caught, "
            f"{counts.false_positives} false alarms, {counts.false_negatives} missed)",
        ]
        if self.swap_auc is not None:
            lines += [
                f"  swap test ROC AUC        {self.swap_auc:.3f}  "
                "(all comments: under another article vs under their own)",
                f"    on-topic comments only {_figure(self.swap_auc_on_topic)}  "
                "(secondary diagnostic)",
            ]
        if self.sentiment_agreement is not None:
            lines += [
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


def _figure(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"


SIDE_BY_SIDE_ROWS: tuple[tuple[str, Callable[[EvaluationReport], float | int | None]], ...] = (
    ("comments", lambda report: report.comment_count),
    ("threads", lambda report: report.article_count),
    ("ROC AUC", lambda report: report.off_topic_auc),
    ("MAP", lambda report: report.mean_average_precision),
    ("precision", lambda report: report.precision),
    ("recall", lambda report: report.recall),
    ("F1", lambda report: report.f1),
    ("swap test AUC", lambda report: report.swap_auc),
)


def format_side_by_side(reports: Sequence[tuple[str, EvaluationReport]]) -> str:
    """The headline figures of several sets, one column each."""
    width = max(12, *(len(name) for name, _ in reports)) + 2
    lines = ["".ljust(16) + "".join(name.rjust(width) for name, _ in reports)]
    for label, figure_of in SIDE_BY_SIDE_ROWS:
        cells = []
        for _, report in reports:
            value = figure_of(report)
            cell = str(value) if isinstance(value, int) else _figure(value).strip()
            cells.append(cell.rjust(width))
        lines.append(label.ljust(16) + "".join(cells))
    threshold = reports[0][1].threshold if reports else DEFAULT_OFF_TOPIC_THRESHOLD
    lines.append(f"(precision, recall and F1 at the threshold {threshold:.2f})")
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


def _threads(data: EvalData) -> dict[str, list[EvalComment]]:
    threads: dict[str, list[EvalComment]] = {article.article_id: [] for article in data.articles}
    for comment in data.comments:
        threads[comment.article_id].append(comment)
    return threads


@dataclass
class ScoredThread:
    """A thread of an evaluation set as the scorer sees it: signals and results."""

    article: EvalArticle
    profile: ArticleProfile
    comments: list[EvalComment]
    article_vectors: ArticleVectors
    vectors: np.ndarray
    lexical: list[DriftResult]
    signals: list[dict[str, float]]
    results: list[DriftResult]


def score_threads(
    data: EvalData, embedder: Embedder | None = None, stats: CorpusStats | None = None
) -> list[ScoredThread]:
    """Every thread scored as the batch runner scores it (`drift_model`), keeping what the
    scores are made of; corpus statistics over the set's own articles (unless given)."""
    embedder = embedder or default_embedder()
    stats = stats or _corpus_stats(data)
    threads = _threads(data)
    # One call for every text: much quicker than one a thread.
    texts = [
        text
        for article in data.articles
        for text in ArticleVectors.texts(article.title, article.body)
    ]
    for article in data.articles:
        texts.extend(comment.text for comment in threads[article.article_id])
    vectors = embedder.embed(texts)
    offset = 3 * len(data.articles)
    scored = []
    for position, article in enumerate(data.articles):
        thread = threads[article.article_id]
        profile = ArticleProfile.build(article.title, article.body, stats)
        lexical = score_thread(_thread_order(thread), profile, stats)
        comment_vectors = vectors[offset : offset + len(thread)]
        offset += len(thread)
        article_vectors = ArticleVectors.from_rows(vectors[3 * position : 3 * position + 3])
        signals = comment_signals(
            _thread_order(thread),
            [comment.author for comment in thread],
            lexical,
            article_vectors,
            comment_vectors,
        )
        results = [
            combine(result, values, shares)
            for result, values, shares in zip(lexical, signals, tree_shares(signals), strict=True)
        ]
        scored.append(
            ScoredThread(
                article=article,
                profile=profile,
                comments=thread,
                article_vectors=article_vectors,
                vectors=comment_vectors,
                lexical=lexical,
                signals=signals,
                results=results,
            )
        )
    return scored


def _corpus_stats(data: EvalData) -> CorpusStats:
    return CorpusStats.from_articles([(article.title, article.body) for article in data.articles])


def swapped_signals(
    comment: EvalComment, vector: np.ndarray, other: ScoredThread, position: int, stats: CorpusStats
) -> tuple[DriftResult, dict[str, float]]:
    """The comment's lexical result and signals as if posted under the other article after
    its first `position` comments (the last of them standing in as parent)."""
    before = other.comments[:position]
    lexical = score_drift(comment.text, other.profile, _swapped_context(before, position), stats)
    signals = comment_signals(
        [*_thread_order(before), (comment.text, None)],
        [*(c.author for c in before), comment.author],
        [*other.lexical[:position], lexical],
        other.article_vectors,
        np.vstack([other.vectors[:position], vector[np.newaxis, :]]),
    )[-1]
    return lexical, signals


def _swapped_score(
    comment: EvalComment, vector: np.ndarray, other: ScoredThread, position: int, stats: CorpusStats
) -> float:
    lexical, signals = swapped_signals(comment, vector, other, position, stats)
    return combine(lexical, signals, tree_shares([signals])[0]).score


def evaluate(data: EvalData, embedder: Embedder | None = None) -> EvaluationReport:
    """Run all measurements on parsed evaluation data: the swap test and sentiment too when
    every comment has an off-topic and a sentiment label (the evaluation format)."""
    stats = _corpus_stats(data)
    threads = score_threads(data, embedder, stats)
    complete = all(
        comment.off_topic is not None and comment.sentiment is not None for comment in data.comments
    )
    own_scores: list[float] = []
    swapped_scores: list[float] = []
    labels: list[bool | None] = []
    ranked_threads: list[tuple[list[float], list[bool]]] = []
    for position, thread in enumerate(threads):
        scores = [result.score for result in thread.results]
        own_scores.extend(scores)
        labels.extend(comment.off_topic for comment in thread.comments)
        ranked_threads.append((scores, [comment.off_topic is False for comment in thread.comments]))
        if not complete:
            continue
        other = threads[(position + 1) % len(threads)]
        for index, comment in enumerate(thread.comments):
            swapped_scores.append(
                _swapped_score(comment, thread.vectors[index], other, index, stats)
            )

    known = [
        (score, label) for score, label in zip(own_scores, labels, strict=True) if label is not None
    ]
    known_scores = [score for score, _ in known]
    known_labels = [bool(label) for _, label in known]
    report = EvaluationReport(
        article_count=len(data.articles),
        comment_count=len(data.comments),
        off_topic_count=sum(known_labels),
        on_topic_count=len(known_labels) - sum(known_labels),
        threshold=DEFAULT_OFF_TOPIC_THRESHOLD,
        off_topic_auc=roc_auc(known_scores, known_labels),
        off_topic_counts=precision_recall(known_scores, known_labels, DEFAULT_OFF_TOPIC_THRESHOLD),
        mean_average_precision=mean_average_precision(ranked_threads),
    )
    if not complete:
        return report
    # The tool's own scorer, with its default thresholds: what the queue shows.
    scorer = default_scorer()
    confusion: Counter[tuple[str, str]] = Counter(
        (comment.sentiment, scorer.score(comment.text, with_sentences=False).label)
        for comment in data.comments
    )
    agreeing = sum(count for (human, vader), count in confusion.items() if human == vader)
    return replace(
        report,
        swap_auc=paired_auc(swapped_scores, own_scores),
        swap_auc_on_topic=paired_auc(
            [score for score, off in zip(swapped_scores, labels, strict=True) if not off],
            [score for score, off in zip(own_scores, labels, strict=True) if not off],
        ),
        sentiment_agreement=agreeing / len(data.comments) if data.comments else 0.0,
        sentiment_confusion=dict(sorted(confusion.items())),
    )


def evaluate_file(path: str | Path, labels_path: str | Path | None = None) -> EvaluationReport:
    """Evaluate drift (and sentiment) on a labelled set: a file in the evaluation format, or,
    with ``labels_path``, a file in any import format and its labels."""
    if labels_path is not None:
        return evaluate(read_labelled_source(path, labels_path))
    with open(path, encoding="utf-8") as handle:
        return evaluate(parse_eval_lines(handle))
