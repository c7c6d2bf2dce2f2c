"""Off-topic drift from several signals: words, meaning, the thread and the comment's form.

The lexical score (`moderation.scoring.drift`) holds on the articles it was tuned on and
is near chance on a public set no one here labelled (SemEval-2016 Task 3, issue #16): a
comment can answer its article in words the article never uses. So drift is now the
logistic combination of signals, each of which says in a reason what it saw::

    drift = 1 / (1 + exp(-(INTERCEPT + sum(WEIGHTS[s] * signal[s]))))

| signal | what it measures |
|---|---|
| lexical_drift | the lexical score: shared key terms, other articles' subjects, self-labels |
| meaning | embedding cosine of the comment and the article (`moderation.scoring.semantic`) |
| meaning_vs_thread | that cosine less its average over the thread so far (this comment included) |
| words, words_squared | log(1 + number of words) and its square: a few words carry little of |
| | the article, and very long comments wander; read together as one signal |
| position | log(1 + comments before it): threads wander as they grow |
| question | it asks ("?") rather than adds |
| thanks | "thanks", "thank you": acknowledges rather than adds |
| details | gives a link, an e-mail address or a long number |
| author_returns | its author has commented earlier in the thread: a conversation |
| self_label | it labels itself off topic ("a bit off topic, but") |

Thread signals look only backwards (the thread *so far*), so a comment's drift never
changes when later comments arrive. A reply that takes up its parent's words was already
less of a drift in the lexical score (its thread similarity); an embedding similarity to
the parent added nothing under cross-validation and is not a signal.

**How the weights were chosen.** Not by hand, and not on one set: `bench/fit_drift.py`
fits them by L2-regularised logistic regression over both labelled sets together (the
236 comments labelled here and SemEval's 6,700), each set weighing the same in total, and
measures them by five-fold cross-validation with whole threads held out (no thread is in
training and test at once). It prints each set's held-out figures and the weights below.

**Reasons.** Each signal's contribution is its weight times how far the comment's value
is from the average comment's (`TYPICAL`), in log-odds. Those of at least `REASON_AT`
are named, largest first, after the lexical reasons (shared and missing terms, words
other articles are about, the thread, the self-label). A self-labelled comment still
scores at least `SELF_LABEL_FLOOR`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from .drift import SELF_LABEL_FLOOR, ArticleProfile, CorpusStats, DriftResult, article_text
from .drift import score_thread as score_thread_lexically
from .semantic import Embedder, cosine, default_embedder
from .terms import tokenize

# Fitted by bench/fit_drift.py (see the module docstring); paste its output here.
INTERCEPT = -3.6302
WEIGHTS: Mapping[str, float] = {
    "lexical_drift": 3.6443,
    "meaning": -1.7018,
    "meaning_vs_thread": -0.7235,
    "words": 0.6500,
    "words_squared": -0.2137,
    "position": 0.2767,
    "question": 2.1241,
    "thanks": 2.1046,
    "details": -1.2764,
    "author_returns": 1.9686,
    "self_label": 6.1754,
}
# Each signal's average over the comments the weights were fitted on (both sets weighing
# the same): a contribution is measured from there.
TYPICAL: Mapping[str, float] = {
    "lexical_drift": 0.5855,
    "meaning": 0.2150,
    "meaning_vs_thread": -0.0240,
    "words": 2.7936,
    "words_squared": 8.4860,
    "position": 1.8175,
    "question": 0.2031,
    "thanks": 0.0427,
    "details": 0.0263,
    "author_returns": 0.1564,
    "self_label": 0.0383,
}
SIGNALS = tuple(WEIGHTS)
# Contributions (log-odds) at least this large are named among the reasons.
REASON_AT = 0.3
_DECIMALS = 4

_THANKS = re.compile(r"\b(?:thanks|thank\s+you|thx|thanx|cheers)\b", re.IGNORECASE)
_DETAILS = re.compile(
    r"https?://|\bwww\.|[\w.+-]+@[\w-]+\.[\w.]+|\b\d[\d\s-]{5,}\d\b", re.IGNORECASE
)


def comment_signals(
    texts: Sequence[str],
    authors: Sequence[str],
    lexical: Sequence[DriftResult],
    article_vector: np.ndarray,
    vectors: np.ndarray,
) -> list[dict[str, float]]:
    """Every comment's signals, in thread order; thread signals over the thread so far."""
    signals = []
    meaning_sum = 0.0
    seen_authors: set[str] = set()
    for index, text in enumerate(texts):
        meaning = cosine(article_vector, vectors[index])
        meaning_sum += meaning
        words = math.log1p(len(tokenize(text)))
        author = authors[index].strip().casefold() if index < len(authors) else ""
        signals.append(
            {
                "lexical_drift": lexical[index].score,
                "meaning": meaning,
                "meaning_vs_thread": meaning - meaning_sum / (index + 1),
                "words": words,
                "words_squared": words * words,
                "position": math.log1p(index),
                "question": float("?" in text),
                "thanks": float(_THANKS.search(text) is not None),
                "details": float(_DETAILS.search(text) is not None),
                "author_returns": float(bool(author) and author in seen_authors),
                "self_label": float(lexical[index].self_label is not None),
            }
        )
        if author:
            seen_authors.add(author)
    return signals


def combined_drift(signals: Mapping[str, float]) -> float:
    """The drift (0..1) the weights give these signals."""
    logit = INTERCEPT + math.fsum(WEIGHTS[name] * signals[name] for name in SIGNALS)
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))


def _signal_reason(name: str, value: float, signals: Mapping[str, float]) -> str | None:
    """The reason a signal gives, by the direction it pushes (value > 0: towards drift)."""
    up = value > 0
    match name:
        case "meaning":
            side = "far from" if up else "close to"
            return f"its meaning is {side} the article's (similarity {signals[name]:.2f})"
        case "meaning_vs_thread":
            side = "further from" if up else "closer to"
            return f"{side} the article's meaning than the thread so far"
        case "words":
            words = round(math.expm1(signals[name]))
            plural = "s" if words != 1 else ""
            return f"only {words} word{plural}" if up else f"{words} word{plural}, longer than most"
        case "position":
            number = round(math.expm1(signals[name])) + 1
            return f"{'late' if up else 'early'} in the thread (comment {number})"
        case "question" if up:
            return "asks a question rather than adds to the article"
        case "thanks" if up:
            return "thanks or acknowledges rather than adds"
        case "details" if not up:
            return "gives a link, an address or a number"
        case "author_returns" if up:
            return "its author is back in the thread: a conversation"
    return None


def explain(signals: Mapping[str, float]) -> list[str]:
    """Reasons for the signals that moved the drift most, largest first."""
    contribution_of = {
        name: WEIGHTS[name] * (signals[name] - TYPICAL[name])
        for name in SIGNALS
        if name not in ("lexical_drift", "self_label")
    }
    # Length is one signal in two terms.
    contribution_of["words"] += contribution_of.pop("words_squared")
    contributions = sorted(
        ((value, name) for name, value in contribution_of.items()),
        key=lambda item: (-abs(item[0]), item[1]),
    )
    reasons = []
    for contribution, name in contributions:
        if abs(contribution) < REASON_AT:
            break
        reason = _signal_reason(name, contribution, signals)
        if reason is not None:
            reasons.append(reason)
    return reasons


def combine(lexical: DriftResult, signals: Mapping[str, float]) -> DriftResult:
    """The lexical result with the combined drift and every signal's reasons."""
    drift = combined_drift(signals)
    if lexical.self_label is not None:
        drift = max(drift, SELF_LABEL_FLOOR)
    return replace(
        lexical,
        score=round(drift, _DECIMALS),
        meaning_similarity=signals["meaning"],
        reasons=(*lexical.reasons, *explain(signals)),
    )


def score_thread(
    comments: Sequence[tuple[str, int | None]],
    title: str,
    body: str,
    article: ArticleProfile,
    stats: CorpusStats,
    authors: Sequence[str] = (),
    embedder: Embedder | None = None,
) -> list[DriftResult]:
    """Score every comment of an article, in thread order: `comments` as for the lexical
    `moderation.scoring.drift.score_thread`, `authors` their authors' names (or none)."""
    if not comments:
        return []
    embedder = embedder or default_embedder()
    texts = [text for text, _ in comments]
    vectors = embedder.embed([article_text(title, body), *texts])
    lexical = score_thread_lexically(comments, article, stats)
    signals = comment_signals(texts, authors, lexical, vectors[0], vectors[1:])
    return [combine(result, values) for result, values in zip(lexical, signals, strict=True)]
