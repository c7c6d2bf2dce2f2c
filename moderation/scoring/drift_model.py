"""Off-topic drift from several signals: words, meaning, the thread and the comment's form.

The lexical score (`moderation.scoring.drift`) holds on the articles it was tuned on and
is near chance on a public set no one here labelled (SemEval-2016 Task 3, issue #16): a
comment can answer its article in words the article never uses. So drift is now the
logistic combination of signals, each of which says in a reason what it saw, and of the
score of ranking trees over the same signals (`moderation.scoring.drift_trees`), which
count against drift as they rank a comment on topic::

    drift = 1 / (1 + exp(-(INTERCEPT + sum(WEIGHTS[s] * signal[s])
                           - trees.weight * (trees_score - trees.typical))))

| signal | what it measures |
|---|---|
| lexical_drift | the lexical score: shared key terms, other articles' subjects, self-labels |
| meaning, meaning_title | embedding cosine of the comment and the article, and the title alone |
| meaning_vs_thread | that cosine less its average over the thread so far (this comment included) |
| meaning_to_thread | embedding cosine of the comment and the thread so far (0 for the first) |
| meaning_rank, lexical_rank | the share of earlier comments it is closer to the article than |
| | (meaning) or drifts further than (lexical score): MAP ranks within a thread |
| words, words_squared | log(1 + number of words) and its square: a few words carry little of |
| | the article, and very long comments wander; read together as one signal |
| position | log(1 + comments before it): threads wander as they grow |
| question | it asks ("?") rather than adds |
| thanks, laughs | "thanks", "thank you"; "lol", "haha", a smiley: chat rather than content |
| asks_too | "me too", "anyone", "pm me": asks for the same rather than answers |
| details | gives a link, an e-mail address or a long number |
| advice | "you should", "try", "contact": advises or answers |
| names | share of its words written with a capital: names places, firms, people |
| replies | has a parent, or names an earlier commenter |
| author_returns | its author has commented earlier in the thread: a conversation |
| self_label | it labels itself off topic ("a bit off topic, but") |

Thread signals look only backwards (the thread *so far*), so a comment's drift never
changes when later comments arrive. A reply that takes up its parent's words was already
less of a drift in the lexical score (its thread similarity); being a reply at all makes a
comment *more* likely off topic on both sets, and that is the weight it got.

**How the weights were chosen.** Not by hand, and not on one set: `bench/fit_drift.py`
fits them by L2-regularised logistic regression over both labelled sets together (the
236 comments labelled here and SemEval's 6,700), each set weighing the same in total,
from each labelled comment, each within-thread pair of an off-topic and an on-topic
comment (which should rank higher), and each comment moved under another article (off
topic), and measures them by five-fold cross-validation with whole threads held out (no
thread is in training and test at once). It prints each set's held-out figures and the
weights below; docs/scoring.md has the figures and the trade-off of the two example kinds.
The same script fits the trees (``--trees``) over the same folds.

**Reasons.** Each signal's contribution is its weight times how far the comment's value
is from the average comment's (`TYPICAL`), in log-odds, plus its part of the trees' score
(`tree_shares`). Those of at least `REASON_AT`
are named, largest first, each with its contribution ("asks a question rather than adds
to the article (+1.7)"), after the lexical reasons (shared and missing terms, words other
articles are about, the thread, the self-label). A self-labelled comment still
scores at least `SELF_LABEL_FLOOR`.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .drift import SELF_LABEL_FLOOR, ArticleProfile, CorpusStats, DriftResult, article_text
from .drift import score_thread as score_thread_lexically
from .drift_trees import default_trees
from .semantic import Embedder, default_embedder
from .terms import has_digit, tokenize

# Fitted by bench/fit_drift.py (see the module docstring); paste its output here.
INTERCEPT = -2.9408
WEIGHTS: Mapping[str, float] = {
    "lexical_drift": 3.8538,
    "meaning": -2.5557,
    "meaning_title": -0.1474,
    "meaning_vs_thread": -0.3901,
    "meaning_rank": -0.1513,
    "meaning_to_thread": -1.3055,
    "lexical_rank": -0.9578,
    "words": 0.9865,
    "words_squared": -0.2784,
    "position": 0.5532,
    "question": 2.1698,
    "thanks": 1.8467,
    "details": -1.0573,
    "advice": -0.5579,
    "laughs": 0.6459,
    "asks_too": 1.0049,
    "names": -1.2509,
    "replies": 0.7825,
    "author_returns": 1.4837,
    "self_label": 7.2605,
}
# Each signal's average over the comments the weights were fitted on (both sets weighing
# the same): a contribution is measured from there.
TYPICAL: Mapping[str, float] = {
    "lexical_drift": 0.5855,
    "meaning": 0.2243,
    "meaning_title": 0.1628,
    "meaning_vs_thread": -0.0233,
    "meaning_rank": 0.4506,
    "meaning_to_thread": 0.1985,
    "lexical_rank": 0.5577,
    "words": 2.7936,
    "words_squared": 8.4860,
    "position": 1.8175,
    "question": 0.2031,
    "thanks": 0.0427,
    "details": 0.0263,
    "advice": 0.1616,
    "laughs": 0.0817,
    "asks_too": 0.0826,
    "names": 0.0959,
    "replies": 0.1674,
    "author_returns": 0.1564,
    "self_label": 0.0383,
}
SIGNALS = tuple(WEIGHTS)
# Contributions (log-odds) at least this large are named among the reasons.
REASON_AT = 0.3
_DECIMALS = 4

# The comment's form, read from its words as the lexical score tokenises them (set look-ups)
# and phrases (substring searches): one regular expression a cue cost more than all the
# other signals together.
_CUES: Mapping[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "thanks": (frozenset({"thanks", "thx", "thanx", "cheers"}), ("thank you",)),
    "advice": (
        frozenset({"try", "contact", "call", "visit", "check", "ask", "recommend", "depends"}),
        ("you should", "you can", "you could", "you need", "you must", "you will", "you have")
        + ("go to", "i suggest", "better to"),
    ),
    "laughs": (frozenset({"lol", "lmao", "rofl"}), ("haha", "hehe")),
    "asks_too": (
        frozenset({"anyone", "anybody", "plz", "please"}),
        ("me too", "same here", "pm me", "email me", "any update", "am interested")
        + ("also interested",),
    ),
}
# A phrase of several words can only be there when its first word is (a cheap set test
# before the substring search); a single-word phrase ("haha") also matches as a prefix.
_PHRASES_BY_FIRST_WORD: Mapping[str, tuple[tuple[str | None, str], ...]] = {
    name: tuple((p.split()[0] if " " in p else None, f" {p}") for p in phrases)
    for name, (_, phrases) in _CUES.items()
}
_SMILEY = re.compile(r"[:;]-?[)(pPdD](?!\w)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_LONG_NUMBER = re.compile(r"\b\d[\d\s-]{5,}\d\b")
_CAPITALISED = re.compile(r"\s[A-Z]")


def _gives_details(text: str, lower: str) -> bool:
    """A link, an e-mail address or a long number (cheap checks first)."""
    return (
        "http://" in lower
        or "https://" in lower
        or "www." in lower
        or ("@" in text and _EMAIL.search(text) is not None)
        or (has_digit(text) and _LONG_NUMBER.search(text) is not None)
    )


def _form(text: str, words: list[str]) -> dict[str, float]:
    """The comment's form's cues (1 when present), from its text and its lower-case words."""
    present = set(words)
    joined = f" {' '.join(words)} "
    form = {
        name: float(
            not present.isdisjoint(singles)
            or any(
                (first is None or first in present) and phrase in joined
                for first, phrase in _PHRASES_BY_FIRST_WORD[name]
            )
        )
        for name, (singles, _) in _CUES.items()
    }
    smiley = (":" in text or ";" in text) and _SMILEY.search(text) is not None
    form["laughs"] = max(form["laughs"], float(smiley))
    form["details"] = float(_gives_details(text, text.lower()))
    return form


def _name_words(name: str) -> set[str]:
    return {word for word in tokenize(name) if len(word) >= 3}


@dataclass(frozen=True)
class ArticleVectors:
    """The meaning vectors of an article: title, body and both together."""

    title: np.ndarray
    body: np.ndarray
    whole: np.ndarray

    @staticmethod
    def texts(title: str, body: str) -> list[str]:
        """What `from_rows` expects embedded, in order."""
        return [title, body, article_text(title, body)]

    @classmethod
    def from_rows(cls, rows: np.ndarray) -> ArticleVectors:
        return cls(title=rows[0], body=rows[1], whole=rows[2])


def _ranks_among_earlier(values: np.ndarray) -> np.ndarray:
    """For each value, the share of the values before it that are lower (ties half); 0.5
    for the first."""
    earlier = np.tril(np.ones((len(values), len(values)), dtype=bool), k=-1)
    below = (values[None, :] < values[:, None]) & earlier
    tied = (values[None, :] == values[:, None]) & earlier
    counts = np.arange(len(values))
    shares = (below.sum(axis=1) + 0.5 * tied.sum(axis=1)) / np.maximum(counts, 1)
    shares[0] = 0.5
    return shares


def _cosines_to_thread_so_far(vectors: np.ndarray) -> np.ndarray:
    """Each unit row's cosine with the sum of the rows before it (0 for the first)."""
    before = np.cumsum(vectors, axis=0, dtype=np.float64) - vectors
    lengths = np.linalg.norm(before, axis=1)
    dots = np.einsum("ij,ij->i", vectors, before)
    return np.round(np.divide(dots, lengths, out=np.zeros_like(dots), where=lengths > 0), 4)


def _names_an_earlier_commenter(words: list[str], earlier_authors: set[str]) -> bool:
    """The comment names (or @-addresses) someone who commented before it in the thread."""
    return bool(earlier_authors) and not earlier_authors.isdisjoint(words)


def comment_signals(
    comments: Sequence[tuple[str, int | None]],
    authors: Sequence[str],
    lexical: Sequence[DriftResult],
    article: ArticleVectors,
    vectors: np.ndarray,
    tokens: Sequence[list[str]] | None = None,
) -> list[dict[str, float]]:
    """Every comment's signals, in thread order; thread signals over the thread so far:
    `comments` are (text, index of the parent or None), as for `score_thread`, and
    `tokens`, if given, each text's `tokenize`. The thread's cosines, ranks and running
    means are computed at once with numpy."""
    if not comments:
        return []
    vectors = vectors[: len(comments)]
    # One product for both cosines with the article; rounded as `cosine` rounds.
    to_article = np.round((vectors @ np.stack([article.whole, article.title]).T).astype(float), 4)
    meanings = to_article[:, 0]
    lexical_drifts = np.array([result.score for result in lexical])
    running_mean = np.cumsum(meanings) / np.arange(1, len(meanings) + 1)
    meaning_ranks = _ranks_among_earlier(meanings)
    lexical_ranks = _ranks_among_earlier(lexical_drifts)
    to_thread = _cosines_to_thread_so_far(vectors)
    signals = []
    seen_authors: set[str] = set()
    name_words: set[str] = set()
    for index, (text, parent) in enumerate(comments):
        words = tokenize(text) if tokens is None else tokens[index]
        length = math.log1p(len(words))
        author = authors[index].strip().casefold() if index < len(authors) else ""
        form = _form(text, words)
        own_name = _name_words(author)
        replies = parent is not None or _names_an_earlier_commenter(words, name_words - own_name)
        meaning = float(meanings[index])
        signals.append(
            {
                "lexical_drift": float(lexical_drifts[index]),
                "meaning": meaning,
                "meaning_title": float(to_article[index, 1]),
                "meaning_vs_thread": meaning - float(running_mean[index]),
                "meaning_rank": float(meaning_ranks[index]),
                "meaning_to_thread": float(to_thread[index]),
                "lexical_rank": float(lexical_ranks[index]),
                "words": length,
                "words_squared": length * length,
                "position": math.log1p(index),
                "question": float("?" in text),
                "thanks": form["thanks"],
                "details": form["details"],
                "advice": form["advice"],
                "laughs": form["laughs"],
                "asks_too": form["asks_too"],
                "names": len(_CAPITALISED.findall(text)) / max(1, len(words)),
                "replies": float(replies),
                "author_returns": float(bool(author) and author in seen_authors),
                "self_label": float(lexical[index].self_label is not None),
            }
        )
        if author:
            seen_authors.add(author)
            name_words.update(own_name)
    return signals


_WEIGHT_VALUES = tuple(WEIGHTS.values())


def combined_drift(signals: Mapping[str, float], shares: Mapping[str, float]) -> float:
    """The drift (0..1) the weights and the ranking trees give these signals (``shares``:
    the comment's part of the trees' score by signal, from :func:`tree_shares`)."""
    # The same products as WEIGHTS[name] * signals[name], in SIGNALS order, made in C.
    logit = math.fsum(
        [
            INTERCEPT,
            default_trees().offset,
            *map(operator.mul, _WEIGHT_VALUES, map(signals.__getitem__, SIGNALS)),
            *shares.values(),
        ]
    )
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))


def tree_shares(signals: Sequence[Mapping[str, float]]) -> list[dict[str, float]]:
    """Each comment's part of the ranking trees' score, by signal, in the drift's log-odds
    (see :mod:`moderation.scoring.drift_trees`): computed for a thread at once."""
    return default_trees().shares(signals)


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
        case "meaning_title":
            side = "far from" if up else "close to"
            return f"its meaning is {side} the title's (similarity {signals[name]:.2f})"
        # The ranks say what they saw, whichever way their weight pushes.
        case "meaning_rank":
            side = "closer to" if signals[name] > 0.5 else "further from"
            return f"{side} the article's meaning than most comments before it"
        case "lexical_rank":
            side = "fewer" if signals[name] > 0.5 else "more"
            return f"uses {side} of the article's words than most comments before it"
        case "meaning_to_thread":
            side = "far from" if signals[name] < 0.5 else "close to"
            return f"its meaning is {side} the thread so far's (similarity {signals[name]:.2f})"
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
        case "advice" if not up:
            return 'advises or answers ("you should", "try", "contact")'
        case "asks_too" if up:
            return 'asks for the same or for contact ("me too", "anyone", "pm me")'
        case "names" if not up:
            return "names places, firms or people (capitalised words)"
        case "laughs" if up:
            return 'laughs or jokes ("lol", a smiley): chat rather than content'
        case "replies" if up:
            return "replies to another commenter rather than to the article"
        case "author_returns" if up:
            return "its author is back in the thread: a conversation"
    return None


def explain(signals: Mapping[str, float], shares: Mapping[str, float]) -> list[str]:
    """Reasons for the signals that moved the drift most, largest first: each signal's
    weight times its distance from the typical comment's, and its part of the trees' score."""
    contribution_of = {
        name: WEIGHTS[name] * (signals[name] - TYPICAL[name]) + shares.get(name, 0.0)
        for name in SIGNALS
        if name not in ("lexical_drift", "self_label")
    }
    # Length is one signal in two terms.
    contribution_of["words"] += contribution_of.pop("words_squared")
    # Only contributions of at least REASON_AT are named: the rest are dropped before
    # sorting rather than after, which leaves the named ones in the same order.
    contributions = sorted(
        ((value, name) for name, value in contribution_of.items() if abs(value) >= REASON_AT),
        key=lambda item: (-abs(item[0]), item[1]),
    )
    reasons = []
    for contribution, name in contributions:
        reason = _signal_reason(name, contribution, signals)
        if reason is not None:
            reasons.append(f"{reason} ({contribution:+.1f})")
    return reasons


def combine(
    lexical: DriftResult, signals: Mapping[str, float], shares: Mapping[str, float]
) -> DriftResult:
    """The lexical result with the combined drift and every signal's reasons (``shares``:
    as for :func:`combined_drift`)."""
    drift = combined_drift(signals, shares)
    if lexical.self_label is not None:
        drift = max(drift, SELF_LABEL_FLOOR)
    # Built directly: dataclasses.replace() reads every field through a generic path,
    # a tenth of what combining costs.
    return DriftResult(
        score=round(drift, _DECIMALS),
        article_similarity=lexical.article_similarity,
        thread_similarity=lexical.thread_similarity,
        shared_terms=lexical.shared_terms,
        missing_terms=lexical.missing_terms,
        self_label=lexical.self_label,
        reasons=(*lexical.reasons, *explain(signals, shares)),
        meaning_similarity=signals["meaning"],
    )


def score_thread(
    comments: Sequence[tuple[str, int | None]],
    title: str,
    body: str,
    article: ArticleProfile,
    stats: CorpusStats,
    authors: Sequence[str] = (),
    embedder: Embedder | None = None,
    pieces: Sequence[list[str]] | None = None,
) -> list[DriftResult]:
    """Score every comment of an article, in thread order: `comments` as for the lexical
    `moderation.scoring.drift.score_thread`, `authors` their authors' names (or none).
    `pieces`, if given, holds each comment's ``text.split()`` (the caller has them)."""
    if not comments:
        return []
    embedder = embedder or default_embedder()
    texts = [text for text, _ in comments]
    if pieces is None:
        pieces = list(map(str.split, texts))
    article_pieces = list(map(str.split, ArticleVectors.texts(title, body)))
    vectors = embedder.embed_words([*article_pieces, *pieces])
    # Tokenised once, for the lexical score and the comment's form.
    tokens = list(map(tokenize, texts))
    lexical = score_thread_lexically(comments, article, stats, tokens)
    signals = comment_signals(
        comments, authors, lexical, ArticleVectors.from_rows(vectors), vectors[3:], tokens
    )
    return [
        combine(result, values, shares)
        for result, values, shares in zip(lexical, signals, tree_shares(signals), strict=True)
    ]
