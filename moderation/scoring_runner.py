"""The batch runner: finds stale scores, scores whole threads, writes the results.

Scorers are pure (:mod:`moderation.scoring`); this module is the only one that
reads comments for scoring and writes :class:`~moderation.models.CommentScore`.

A comment's score is stale when it has none, or when the scorer version, the
configuration's analysis hash (everything but the priority weights) or the
comment's content hash differs from the ones stored with it. A score that
differs only in its weights (its full configuration hash) keeps its sentiment,
drift and flags: only its priority is recomputed, from what it stores, which
costs no scorer at all. Threads are scored whole (drift compares each comment with those before
it), but only stale comments are written. Work is split into batches of whole
threads; each batch is committed on its own, so an interrupted run keeps what it
finished and the next run picks up the rest. Large runs use worker processes.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so

from .author_rules import apply_author_rules, trust_threshold
from .campaigns import find_near_copies, flag_campaigns, join_campaigns
from .corpus_flags import flag_to_json, set_flags, stored_priority
from .driver_insert import DriverInsert, DriverStatement
from .models import (
    Article,
    Comment,
    CommentBandKey,
    CommentFlag,
    CommentKind,
    CommentScore,
    CommentSignature,
    ThreadSummary,
    utcnow,
)
from .scoring.drift import ArticleProfile, CorpusStats, find_derail_point
from .scoring.drift_model import score_thread
from .scoring.drift_trees import default_trees
from .scoring.duplicates import DuplicateInfo, fingerprint_of_normalised, normalised_words
from .scoring.everyday import adopt_everyday_weights, everyday_weights
from .scoring.flags import compute_flags, duplicate_flag
from .scoring.near_duplicates import band_keys, near_duplicate_keys_of_normalised
from .scoring.priority import Priority, adds_nothing, compute_priority
from .scoring.semantic import Embedder, default_embedder
from .scoring.sentiment import SentimentScorer
from .scoring.watchwords import compile_watchwords
from .settings import ScoringConfig, current_scoring_config
from .watchword_actions import apply_watchword_actions
from .webhooks.events import emit_comments_scored

SCORER_VERSION = "8"
"""Raise when any scorer's results change, so every stored score becomes stale."""

BATCH_COMMENTS = 2000
"""About this many comments per batch: one commit, one unit of work for a worker."""
REPRIORITISE_BATCH = 100_000
"""Scores re-prioritised per commit: no scorer runs, so a batch takes about a second; fewer
batches rewrite the queue indexes fewer times (see :func:`_reprioritise_weights_stale`)."""
REPRIORITISE_CACHE_KIB = 256 * 1024
"""SQLite's page cache while re-prioritising: the queue indexes of a million comments."""
IN_PROCESS_BELOW = 4000
"""Fewer stale comments than this are scored in this process: workers cost a second to start."""
DUPLICATE_MIN_CHARS = 20
"""Shorter texts ("Thanks!", "+1") repeat innocently and are never duplicate spam."""

SCORE_COLUMNS = tuple(column.name for column in CommentScore.__table__.columns)
"""A score row as the scorers build it: every column of comment_scores, in the table's order,
JSON columns already encoded (:mod:`moderation.driver_insert`)."""
PRIORITY = SCORE_COLUMNS.index("priority")
_json_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _to_json(value: Sequence) -> str:
    """Compact JSON of what the standard library would encode, values read back the same.

    orjson writes it about six times faster, which is a tenth of scoring's time. It
    takes named tuples only through ``default``, and refuses lone surrogates and
    integers beyond 64 bits, which the standard library then encodes.
    """
    if not value:
        return "[]"  # most of a score's lists, without a call
    try:
        return orjson.dumps(value, default=tuple).decode()
    except orjson.JSONEncodeError:
        return _json_encode(value)


# --- What crosses the process boundary --------------------------------------------------


@dataclass
class ThreadTask:
    article_id: int
    title: str
    body: str
    comment_ids: list[int]
    texts: list[str]
    kinds: list[str]
    parent_indexes: list[int | None]
    stale: list[bool]
    content_hashes: list[str]
    authors: list[str] = field(default_factory=list)


@dataclass
class ThreadResult:
    article_id: int
    scores: list[tuple]
    """Rows of comment_scores, in SCORE_COLUMNS order."""
    flags: list[tuple[int, str]]
    """Rows of comment_flags: (comment_id, code)."""
    derail_comment_id: int | None
    mean_drift: float | None
    signatures: list[tuple[int, bytes]] = field(default_factory=list)
    """Rows of comment_signatures: (comment_id, MinHash signature)."""
    band_keys: list[tuple[int, int]] = field(default_factory=list)
    """Rows of comment_band_keys: (band_key, comment_id)."""


@dataclass
class ScoreRunSummary:
    total: int = 0
    """Comments the run set out to score: the stale ones, or all with ``rescore_all``."""
    comments_scored: int = 0
    reprioritised: int = 0
    """Comments whose score was out of date in its priority weights only: priority redone."""
    threads: int = 0
    duplicates_flagged: int = 0
    near_duplicates_flagged: int = 0
    """Scores whose campaign flag was set, changed or removed (moderation.campaigns)."""
    watchword_decisions: int = 0
    """Comments rejected or held by their watch-words' actions (moderation.watchword_actions)."""
    author_decisions: int = 0
    """Comments rejected, held or approved by their author's rule (moderation.author_rules)."""
    workers: int = 1
    seconds: float = 0.0
    interrupted: bool = False


def describe_run(summary: ScoreRunSummary) -> str:
    """A scoring run's summary in words."""
    if summary.comments_scored == 0 and summary.reprioritised == 0:
        return "nothing was stale; no comment needed scoring."
    done = []
    if summary.comments_scored:
        done.append(f"{summary.comments_scored} comments in {summary.threads} threads scored")
    if summary.reprioritised:
        done.append(f"{summary.reprioritised} comments re-prioritised for new weights")
    interrupted = " (interrupted)" if summary.interrupted else ""
    return f"{', '.join(done)} in {summary.seconds:.1f} s{interrupted}."


# --- Pure scoring of one thread ---------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _sentiment_scorer(positive_threshold: float, negative_threshold: float) -> SentimentScorer:
    """One per thresholds and process: loading VADER's lexicons took a tenth of a
    worker's run of a few hundred comments, for each run."""
    return SentimentScorer(
        positive_threshold=positive_threshold, negative_threshold=negative_threshold
    )


@dataclass
class ThreadScorer:
    """Everything needed to score threads; built once per process."""

    stats: CorpusStats
    config: ScoringConfig
    config_hash: str
    near_duplicates: bool = True
    """Compute MinHash signatures (off only to measure what they cost, bench_neardup.py)."""
    sentiment: SentimentScorer = field(init=False)
    embedder: Embedder = field(init=False)

    def __post_init__(self) -> None:
        self.analysis_hash = self.config.analysis_hash()
        self.embedder = default_embedder()
        self.sentiment = _sentiment_scorer(
            self.config.positive_threshold, self.config.negative_threshold
        )
        self.watchlist = compile_watchwords(self.config.watchwords)
        default_trees()  # read with the scorer's other tables, not on its first thread

    def score(self, task: ThreadTask, scored_at: object) -> ThreadResult:
        """Score a thread; ``scored_at`` is the time as the database driver takes it."""
        profile = ArticleProfile.build(task.title, task.body, self.stats)
        # Split once: the embedding and the sentiment both start from each text's pieces.
        pieces = list(map(str.split, task.texts))
        drifts = score_thread(
            list(zip(task.texts, task.parent_indexes, strict=True)),
            task.title,
            task.body,
            profile,
            self.stats,
            authors=task.authors,
            embedder=self.embedder,
            pieces=pieces,
        )
        scores, flags, signatures, band_keys = [], [], [], []
        for index, drift in enumerate(drifts):
            if task.stale[index]:
                is_comment = task.kinds[index] == CommentKind.COMMENT
                # Exact and near duplicates compare the same normalised text.
                words = normalised_words(task.texts[index]) if is_comment else None
                normalised = " ".join(words) if words is not None else None
                row, codes = self._comment_scores(
                    task, index, drift, scored_at, normalised, pieces[index]
                )
                scores.append(row)
                flags.extend((row[0], code) for code in codes)
                keys = None
                if self.near_duplicates and normalised is not None:
                    keys = near_duplicate_keys_of_normalised(normalised, words)
                if keys is not None:
                    signatures.append((row[0], keys.signature))
                    band_keys.extend((key, row[0]) for key in keys.band_keys)
        comment_drifts = [
            (comment_id, drift.score)
            for comment_id, kind, drift in zip(task.comment_ids, task.kinds, drifts, strict=True)
            if kind == CommentKind.COMMENT
        ]
        derail = find_derail_point(
            [score for _, score in comment_drifts], threshold=self.config.off_topic_threshold
        )
        return ThreadResult(
            article_id=task.article_id,
            scores=scores,
            flags=flags,
            derail_comment_id=comment_drifts[derail][0] if derail is not None else None,
            mean_drift=round(statistics.fmean(s for _, s in comment_drifts), 4)
            if comment_drifts
            else None,
            signatures=signatures,
            band_keys=band_keys,
        )

    def _comment_scores(
        self,
        task: ThreadTask,
        index: int,
        drift,
        scored_at: object,
        normalised: str | None,
        pieces: list[str],
    ) -> tuple[tuple, list[str]]:
        """The comment's score row (SCORE_COLUMNS order) and its flag codes (``pieces``:
        the text's ``split()``)."""
        text, kind = task.texts[index], task.kinds[index]
        # Which sentence drives the score is worked out when a comment is shown
        # (sentiment.driving_sentence): a tenth of a worker's CPU for every comment.
        sentiment = self.sentiment.score(text, pieces=pieces, with_sentences=False)
        flags = compute_flags(text, kind, self.config.flags, self.watchlist)
        priority = compute_priority(
            sentiment.compound,
            sentiment.label,
            drift.score,
            drift.reasons,
            flags,
            self.config.weights,
            off_topic_threshold=self.config.off_topic_threshold,
        )
        row = (
            task.comment_ids[index],
            SCORER_VERSION,
            self.config_hash,
            self.analysis_hash,
            task.content_hashes[index],
            sentiment.compound,
            sentiment.pos,
            sentiment.neu,
            sentiment.neg,
            sentiment.label,
            _to_json(sentiment.words),  # tuples of pairs: JSON arrays of arrays
            sentiment.truncated,
            drift.score,
            drift.article_similarity or 0.0,
            drift.thread_similarity,
            _to_json(drift.reasons),
            _to_json(drift.shared_terms),
            _to_json(drift.missing_terms),
            drift.self_label,
            _to_json([flag_to_json(flag) for flag in flags]),
            _duplicate_fingerprint(text, normalised),
            priority.score,
            _to_json(priority.reasons),
            scored_at,
        )
        return row, sorted({flag.code for flag in flags})


def _duplicate_fingerprint(text: str, normalised: str | None) -> str | None:
    """The fingerprint of a comment (``normalised`` None: a pingback) long enough to count."""
    if normalised is None or len(text.strip()) < DUPLICATE_MIN_CHARS:
        return None
    return fingerprint_of_normalised(normalised)


# The worker processes' own scorer, built once by the pool's initializer.
_worker_scorer: ThreadScorer | None = None


def _init_worker(
    stats: dict,
    config: ScoringConfig,
    config_hash: str,
    near_duplicates: bool,
    everyday: dict[str, float],
) -> None:
    global _worker_scorer
    adopt_everyday_weights(everyday)  # the parent's table, not built again
    _worker_scorer = ThreadScorer(
        CorpusStats.from_dict(stats), config, config_hash, near_duplicates
    )


def _score_in_worker(tasks: list[ThreadTask], scored_at: object) -> list[ThreadResult]:
    return [_worker_scorer.score(task, scored_at) for task in tasks]


# --- Reading and writing -----------------------------------------------------------------


def _stale_condition(config: ScoringConfig):
    """Comments (outer-joined to their score) that need scoring in full."""
    return sa.or_(
        CommentScore.comment_id.is_(None),
        CommentScore.scorer_version != SCORER_VERSION,
        CommentScore.analysis_hash.is_(None),
        CommentScore.analysis_hash != config.analysis_hash(),
        CommentScore.content_hash != Comment.content_hash,
    )


def _weights_stale_condition(config: ScoringConfig):
    """Scores (joined to their comment) out of date in their priority weights only."""
    return sa.and_(
        CommentScore.config_hash != config.hash(),
        sa.not_(_stale_condition(config)),
    )


def count_stale(session: so.Session, config: ScoringConfig | None = None) -> int:
    """Comments whose score is out of date, in full or in its priority only."""
    config = config or current_scoring_config(session)
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(Comment)
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
        .where(sa.or_(_stale_condition(config), CommentScore.config_hash != config.hash()))
    )


def _count_stale_in_full(session: so.Session, config: ScoringConfig) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(Comment)
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
        .where(_stale_condition(config))
    )


def corpus_stats(session: so.Session) -> CorpusStats:
    """Document frequencies over every article: what makes an article's terms distinctive.

    Kept per database and process while no article is added, changed or removed: a
    worker's runs of a few hundred comments each would otherwise read every article for
    each run. An article's updated_at changes with its text (moderation.ingest).
    """
    fingerprint = session.execute(
        sa.select(sa.func.count(), sa.func.max(Article.id), sa.func.max(Article.updated_at))
    ).one()
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    cached = _corpus_cache.get(url)
    if cached is not None and cached[0] == tuple(fingerprint):
        return cached[1]
    stats = CorpusStats.from_articles(_ArticleTexts(session))
    _corpus_cache.clear()  # one database at a time in practice; tests use many
    _corpus_cache[url] = (tuple(fingerprint), stats)
    return stats


_corpus_cache: dict[str, tuple[tuple, CorpusStats]] = {}


class _ArticleTexts:
    """Every article's (title, body), streamed from the database afresh at each iteration:
    the corpus statistics read them twice, and need not hold them all."""

    def __init__(self, session: so.Session):
        self.session = session

    def __iter__(self) -> Iterator[tuple[str, str]]:
        rows = self.session.execute(sa.select(Article.title, Article.body)).yield_per(500)
        return ((title, body) for title, body in rows)


def _article_batches(session: so.Session, stale, rescore_all: bool) -> Iterator[list[int]]:
    """Ids of articles with stale comments, grouped so a batch holds ~BATCH_COMMENTS comments."""
    thread_sizes = (
        sa.select(Comment.article_id, sa.func.count())
        .group_by(Comment.article_id)
        .order_by(Comment.article_id)
    )
    if not rescore_all:
        with_stale = (
            sa.select(Comment.article_id)
            .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
            .where(stale)
        )
        thread_sizes = thread_sizes.where(Comment.article_id.in_(with_stale))
    batch, batch_size = [], 0
    for article_id, size in session.execute(thread_sizes).all():
        batch.append(article_id)
        batch_size += size
        if batch_size >= BATCH_COMMENTS:
            yield batch
            batch, batch_size = [], 0
    if batch:
        yield batch


def _load_tasks(
    session: so.Session, article_ids: Sequence[int], stale, rescore_all: bool
) -> list[ThreadTask]:
    articles = {
        row.id: ThreadTask(row.id, row.title, row.body, [], [], [], [], [], [], [])
        for row in session.execute(
            sa.select(Article.id, Article.title, Article.body).where(Article.id.in_(article_ids))
        )
    }
    is_stale = sa.literal(True) if rescore_all else stale
    rows = session.execute(
        sa.select(
            Comment.id,
            Comment.article_id,
            Comment.body,
            Comment.kind,
            Comment.parent_id,
            Comment.content_hash,
            Comment.author_name,
            is_stale.label("is_stale"),
        )
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
        .where(Comment.article_id.in_(article_ids))
        .order_by(Comment.article_id, Comment.position, Comment.posted_at, Comment.id)
    )
    index_in_thread: dict[int, int] = {}
    for row in rows:
        task = articles[row.article_id]
        index_in_thread[row.id] = len(task.comment_ids)
        task.comment_ids.append(row.id)
        task.texts.append(row.body)
        task.kinds.append(row.kind)
        task.parent_indexes.append(index_in_thread.get(row.parent_id))
        task.stale.append(bool(row.is_stale))
        task.content_hashes.append(row.content_hash)
        task.authors.append(row.author_name or "")
    return list(articles.values())


class _Writer:
    """Writes scored threads: score and flag rows straight to the driver, priorities to comments."""

    def __init__(self, session: so.Session):
        dialect = session.get_bind().dialect
        self.session = session
        self.score_insert = DriverInsert(sa.insert(CommentScore.__table__), SCORE_COLUMNS, dialect)
        self.flag_insert = DriverInsert(
            sa.insert(CommentFlag.__table__), ("comment_id", "code"), dialect
        )
        self.signature_insert = DriverInsert(
            sa.insert(CommentSignature.__table__), ("comment_id", "signature"), dialect
        )
        self.band_key_insert = DriverInsert(
            sa.insert(CommentBandKey.__table__),
            ("band_key", "comment_id"),
            dialect,
            multi_row=False,
        )
        self.near_copies: list[tuple[int, int]] = []
        """Pairs of near copies found by this run, joined into campaigns at its end."""
        self.left_campaigns: set[int] = set()
        """Campaigns that comments scored again were in: their flags may have to go."""
        # An int and a float, which no type of either column converts.
        self.set_priority = _driver_statement(_SET_COMMENT_PRIORITY, dialect)

    def now(self) -> object:
        """The time to store as scored_at, as the driver takes it (it crosses to the workers)."""
        return self.score_insert.now()

    def write(self, results: list[ThreadResult]) -> int:
        """Write the results (their stale comments' scores and the thread summaries)."""
        session = self.session
        scores = [score for result in results for score in result.scores]
        ids = [score[0] for score in scores]
        if ids:
            # Delete and insert rather than upsert: portable across SQLite and PostgreSQL.
            session.execute(sa.delete(CommentScore).where(CommentScore.comment_id.in_(ids)))
            session.execute(sa.delete(CommentFlag).where(CommentFlag.comment_id.in_(ids)))
            self.score_insert.execute(session, scores)
            self.flag_insert.execute(session, [flag for result in results for flag in result.flags])
            self._write_signatures(results, ids)
            self._set_priorities(scores)
        article_ids = [result.article_id for result in results]
        session.execute(sa.delete(ThreadSummary).where(ThreadSummary.article_id.in_(article_ids)))
        session.execute(
            sa.insert(ThreadSummary),
            [
                {
                    "article_id": result.article_id,
                    "derail_comment_id": result.derail_comment_id,
                    "mean_drift": result.mean_drift,
                    "scored_at": utcnow(),
                }
                for result in results
            ],
        )
        return len(scores)

    def _set_priorities(self, scores: list[tuple]) -> None:
        """Each scored comment's priority, copied onto the comment (the queue's order)."""
        rows = [{"row_id": score[0], "new_priority": score[PRIORITY]} for score in scores]
        self.set_priority.execute(self.session.connection(), rows)

    def _write_signatures(self, results: list[ThreadResult], ids: list[int]) -> None:
        """Replace the comments' signatures and band keys; old keys are found from the old
        signatures, through the band keys' primary key (their only index)."""
        session = self.session
        old = session.execute(
            sa.select(
                CommentSignature.comment_id,
                CommentSignature.signature,
                CommentSignature.campaign_id,
            ).where(CommentSignature.comment_id.in_(ids))
        ).all()
        if old:
            self.left_campaigns.update(row.campaign_id for row in old if row.campaign_id)
            session.execute(
                sa.delete(CommentBandKey.__table__).where(
                    CommentBandKey.band_key == sa.bindparam("old_key"),
                    CommentBandKey.comment_id == sa.bindparam("old_id"),
                ),
                [
                    {"old_key": key, "old_id": row.comment_id}
                    for row in old
                    for key in band_keys(row.signature)
                ],
            )
            session.execute(sa.delete(CommentSignature).where(CommentSignature.comment_id.in_(ids)))
        signatures = [row for result in results for row in result.signatures]
        keys = [row for result in results for row in result.band_keys]
        self.near_copies.extend(find_near_copies(session, signatures, keys))
        self.signature_insert.execute(session, signatures)
        # In key order, each index page is visited once per batch rather than once per key.
        self.band_key_insert.execute(session, sorted(keys))


def _flag_duplicates(session: so.Session, since, config: ScoringConfig) -> int:
    """Flag comments whose text (normalised) was posted on several threads or by several authors.

    Looks at every fingerprint written by this run, against all comments ever scored,
    so a copy arriving today also flags the original imported last month.
    """
    groups = session.execute(
        sa.select(
            CommentScore.fingerprint,
            sa.func.count(),
            sa.func.count(sa.distinct(Comment.article_id)),
            sa.func.count(sa.distinct(Comment.author_name)),
        )
        .join(Comment, Comment.id == CommentScore.comment_id)
        .where(
            CommentScore.fingerprint.in_(
                sa.select(CommentScore.fingerprint).where(
                    CommentScore.scored_at >= since, CommentScore.fingerprint.is_not(None)
                )
            )
        )
        .group_by(CommentScore.fingerprint)
        .having(
            sa.or_(
                sa.func.count(sa.distinct(Comment.article_id)) > 1,
                sa.func.count(sa.distinct(Comment.author_name)) > 1,
            )
        )
    ).all()
    wanted = {}
    for fingerprint_value, size, threads, authors in groups:
        flag = duplicate_flag(DuplicateInfo(group_size=size, threads=threads, authors=authors))
        members = session.scalars(
            sa.select(CommentScore.comment_id).where(CommentScore.fingerprint == fingerprint_value)
        )
        wanted.update((comment_id, flag) for comment_id in members)
    return set_flags(session, "duplicate", wanted, config)


def _reprioritise_weights_stale(session: so.Session, config: ScoringConfig) -> int:
    """Recompute the priority of every score out of date only in its weights, from its
    stored sentiment, drift and flags, :data:`REPRIORITISE_BATCH` at a time (each committed).

    Python computes each priority (:func:`~moderation.corpus_flags.stored_priority`, as
    scoring does, so the two never disagree), from rows read with their JSON as text and
    their comment's priority. What costs is writing: a comment's priority is in three queue
    indexes, and a batch's changed priorities land all over them, so each batch rewrites
    most of their pages; hence big batches, in a bigger page cache (SQLite), and only what
    changed is written (:func:`_reprioritise_batch`).
    """
    done, after = 0, 0
    while True:
        connection = session.connection()
        with _big_page_cache(connection):
            batch = _reprioritise_batch(connection, config, after)
        session.commit()
        if batch is None:
            return done
        count, after = batch
        done += count


_PRIORITY_ROW = sa.bindparam("row_id")
_SET_SCORE_PRIORITY = (
    sa.update(CommentScore.__table__)
    .where(CommentScore.__table__.c.comment_id == _PRIORITY_ROW)
    .values(priority=sa.bindparam("new_priority"), config_hash=sa.bindparam("new_hash"))
)
_SET_SCORE_PRIORITY_AND_REASONS = _SET_SCORE_PRIORITY.values(
    priority_reasons=sa.bindparam("new_reasons")  # JSON text: run by DriverStatement
)
_SET_COMMENT_PRIORITY = (
    sa.update(Comment.__table__)
    .where(Comment.__table__.c.id == _PRIORITY_ROW)
    .values(priority=sa.bindparam("new_priority"))
)


def _reprioritise_batch(
    connection: sa.Connection, config: ScoringConfig, after: int
) -> tuple[int, int] | None:
    """Re-prioritise the next :data:`REPRIORITISE_BATCH` weights-stale scores after comment
    id ``after``; returns how many and the last id (None: none left).

    Writes, by primary key, the priority (and reasons, when they moved) of each score whose
    priority or reasons changed and the priority of each comment whose priority differs
    from its score's; the batch's other scores get the new configuration hash in one
    statement.
    """
    full_hash = config.hash()
    rows = connection.execute(
        sa.select(
            CommentScore.comment_id,
            CommentScore.compound,
            CommentScore.sentiment_label,
            CommentScore.drift,
            sa.cast(CommentScore.drift_reasons, sa.Text),
            sa.cast(CommentScore.flags, sa.Text),
            CommentScore.priority,
            sa.cast(CommentScore.priority_reasons, sa.Text),
            Comment.priority,
        )
        .join(Comment, Comment.id == CommentScore.comment_id)
        .where(_weights_stale_condition(config), CommentScore.comment_id > after)
        .order_by(CommentScore.comment_id)
        .limit(REPRIORITISE_BATCH)
    ).all()
    if not rows:
        return None
    new_scores, new_reasons, new_comments = [], [], []
    threshold = config.off_topic_threshold
    for (comment_id, compound, label, drift, drift_reasons, flags,
         stored, stored_reasons, comment_priority) in rows:  # fmt: skip
        if flags == "[]" and adds_nothing(compound, label, drift, threshold):
            priority = Priority(0.0, [])  # nothing to add: skip the JSON and the full sum
        else:
            priority = stored_priority(
                compound, label, drift, orjson.loads(drift_reasons), orjson.loads(flags), config
            )
        change = {"row_id": comment_id, "new_priority": priority.score, "new_hash": full_hash}
        if priority.reasons != orjson.loads(stored_reasons):
            new_reasons.append({**change, "new_reasons": _to_json(priority.reasons)})
        elif priority.score != stored:
            new_scores.append(change)
        if priority.score != comment_priority:
            new_comments.append(change)
    if connection.dialect.name == "postgresql":
        _write_priorities_at_once(connection, new_scores + new_reasons, new_comments, full_hash)
    else:
        # Through the driver as they are: rebuilding each row's parameters in SQLAlchemy
        # was a tenth of a re-prioritising run at 1M.
        for statement, changes in (
            (_SET_SCORE_PRIORITY, new_scores),
            (_SET_SCORE_PRIORITY_AND_REASONS, new_reasons),
            (_SET_COMMENT_PRIORITY, new_comments),
        ):
            _driver_statement(statement, connection.dialect).execute(connection, changes)
    first, last = rows[0].comment_id, rows[-1].comment_id
    connection.execute(
        sa.update(CommentScore.__table__)
        .where(
            CommentScore.comment_id.between(first, last),
            _weights_stale_condition(config),
            Comment.id == CommentScore.comment_id,
        )
        .values(config_hash=full_hash)
    )
    return len(rows), last


_driver_statement = functools.cache(DriverStatement)
"""A module statement compiled for a dialect once per process, not once per batch."""


def _write_priorities_at_once(
    connection: sa.Connection, scores: list[dict], comments: list[dict], full_hash: str
) -> None:
    """PostgreSQL: the changed priorities in one statement per table, from arrays. A
    statement per row would fire the tables' statement triggers once each, and those grow
    slower with every row the transaction changed (measured: 48 s for 2,000 rows)."""
    if scores:
        connection.execute(
            sa.text(
                "UPDATE comment_scores AS s SET priority = v.priority, config_hash = :hash,"
                " priority_reasons = COALESCE(CAST(v.reasons AS JSON), s.priority_reasons)"
                " FROM unnest(CAST(:ids AS INTEGER[]), CAST(:priorities AS FLOAT8[]),"
                " CAST(:reasons AS TEXT[])) AS v (id, priority, reasons)"
                " WHERE s.comment_id = v.id"
            ),
            {
                "hash": full_hash,
                "ids": [change["row_id"] for change in scores],
                "priorities": [change["new_priority"] for change in scores],
                "reasons": [change.get("new_reasons") for change in scores],
            },
        )
    if comments:
        connection.execute(
            sa.text(
                "UPDATE comments AS c SET priority = v.priority FROM unnest("
                "CAST(:ids AS INTEGER[]), CAST(:priorities AS FLOAT8[])) AS v (id, priority)"
                " WHERE c.id = v.id"
            ),
            {
                "ids": [change["row_id"] for change in comments],
                "priorities": [change["new_priority"] for change in comments],
            },
        )


@contextlib.contextmanager
def _big_page_cache(connection: sa.Connection) -> Iterator[None]:
    """On SQLite, a page cache that holds the queue indexes a re-prioritising batch rewrites,
    for the batch's time (then the usual one again: the pool hands the connection on)."""
    if connection.dialect.name != "sqlite":
        yield
        return
    usual = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{REPRIORITISE_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(usual)}")


def score_stale(
    session: so.Session,
    *,
    rescore_all: bool = False,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    config: ScoringConfig | None = None,
    trust_after: int | None = None,
    near_duplicates: bool = True,
) -> ScoreRunSummary:
    """Score every comment whose score is missing or stale (or all of them); commit per batch.
    Then recompute the priorities of scores out of date only in their weights.

    Each batch's comments then get their ``comment.scored`` webhook events (see
    :mod:`moderation.webhooks.events`), their watch-words' actions and their author's rule
    (``trust_after``, by default the app's ``TRUSTED_AUTHOR_MIN_APPROVED``: see
    :mod:`moderation.author_rules`), in the batch's transaction.

    ``workers`` None picks one process for small runs and one per core (at most two
    here) for large ones. ``progress`` is called after each batch with the comments it
    scored and the run's total. On KeyboardInterrupt, finished batches stay committed.
    ``near_duplicates`` False leaves signatures and campaigns out (to measure their cost).
    """
    started = time.perf_counter()
    run_started = utcnow()
    config = config or current_scoring_config(session)
    config_hash = config.hash()
    trust_after = trust_threshold() if trust_after is None else trust_after
    stale = _stale_condition(config)
    summary = ScoreRunSummary()
    if rescore_all:
        summary.total = session.scalar(sa.select(sa.func.count()).select_from(Comment))
    else:
        summary.total = _count_stale_in_full(session, config)
    if summary.total == 0:
        summary.reprioritised = _reprioritise_weights_stale(session, config)
        summary.seconds = time.perf_counter() - started
        return summary
    if workers is None:
        workers = 1 if summary.total < IN_PROCESS_BELOW else min(2, os.cpu_count() or 1)
    summary.workers = workers
    stats = corpus_stats(session)
    batches = _article_batches(session, stale, rescore_all)
    writer = _Writer(session)

    def record(results: list[ThreadResult]) -> None:
        scored = writer.write(results)
        emit_comments_scored(session, ids_of(results))
        watched = [cid for result in results for cid, code in result.flags if code == "watchword"]
        summary.watchword_decisions += apply_watchword_actions(session, watched)
        summary.author_decisions += apply_author_rules(session, ids_of(results), trust_after)
        session.commit()
        summary.comments_scored += scored
        summary.threads += len(results)
        if progress:
            progress(scored, summary.total)

    try:
        if workers == 1:
            scorer = ThreadScorer(stats, config, config_hash, near_duplicates)
            for article_ids in batches:
                tasks = _load_tasks(session, article_ids, stale, rescore_all)
                scored_at = writer.now()
                record([scorer.score(task, scored_at) for task in tasks])
        else:
            _score_with_workers(
                session,
                batches,
                stale,
                rescore_all,
                stats,
                config,
                near_duplicates,
                workers,
                record,
                writer.now,
            )
    except KeyboardInterrupt:
        session.rollback()
        summary.interrupted = True
    else:
        summary.duplicates_flagged = _flag_duplicates(session, run_started, config)
        touched = join_campaigns(session, writer.near_copies) | writer.left_campaigns
        summary.near_duplicates_flagged = flag_campaigns(session, touched, config)
        session.commit()
        summary.reprioritised = _reprioritise_weights_stale(session, config)
    summary.seconds = time.perf_counter() - started
    return summary


def ids_of(results: list[ThreadResult]) -> list[int]:
    """The comments the results score."""
    return [score[0] for result in results for score in result.scores]


def _score_with_workers(
    session, batches, stale, rescore_all, stats, config, near_duplicates, workers, record, now
):
    """Keep every worker busy while this process reads the next batch and writes the last."""
    config_hash = config.hash()
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("spawn"),
        initializer=_init_worker,
        initargs=(stats.to_dict(), config, config_hash, near_duplicates, everyday_weights()),
    ) as pool:
        in_flight: list[Future] = []
        try:
            for article_ids in batches:
                tasks = _load_tasks(session, article_ids, stale, rescore_all)
                in_flight.append(pool.submit(_score_in_worker, tasks, now()))
                if len(in_flight) > workers:
                    record(in_flight.pop(0).result())
            for future in in_flight:
                record(future.result())
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
