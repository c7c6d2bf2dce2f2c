"""Off-topic drift, lexically: how far a comment's words stray from its article and its
thread (0 = on topic, 1 = unrelated), with the reasons in words.

This lexical score is one signal of the drift the tool stores and shows, which
`moderation.scoring.drift_model` combines with meaning, the thread and the comment's form.
The figures quoted below are this score's alone, on the set labelled here; on a public set
no one here labelled (SemEval-2016) it is near chance (ROC AUC 0.55), hence the combination.

Method (lexical, deterministic, nothing downloaded)
---------------------------------------------------
1. Terms. Texts become stemmed content terms (`moderation.scoring.terms`): stop words and
   comment filler dropped, "sanctions"/"sanctioned" merged into "sanction".

2. Corpus statistics. `CorpusStats` counts, over every imported article, how many articles
   use each term (document frequency, df). A term's *informativeness* is the BM25 form of
   inverse document frequency, ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))``: near 0 for
   words every article uses, highest for words only one article uses. A term no article uses
   is treated as if one did, so typos and slang count as much as a rare word, not more.
   Every idf is then multiplied by the term's *everyday weight*
   (`moderation.scoring.everyday`): 1 for words rarer than about one in 100,000 in general
   English, less for commoner ones ("town" 0.67, "best" 0.54). Counting articles cannot tell
   an everyday word from a distinctive one when few articles use either; general English
   can. All later steps use this weighted idf.
   It also records each term's *peak salience*, its highest salience (step 3) in any article:
   how much the article most about the term is about it (step 6).

3. Article profile. Each article term gets a raw weight ``(1 + ln tf) * idf``, doubled for
   terms in the title. The article's *key terms* are the `KEY_TERM_COUNT` heaviest. Every
   article term gets a *salience* in [0, 1]: its weight relative to the lightest key term,
   capped at 1, so key terms count fully and a word the article mentions once in passing
   counts partly.

4. Article similarity. Each distinct comment term carries its idf as evidence (repeating a
   word adds nothing). The evidence splits into *matched* (idf x salience) and *unmatched*
   (idf x (1 - salience)). Then::

       article_similarity = (matched + PRIOR_MATCH)
           / (matched + PRIOR_MATCH + UNMATCHED_WEIGHT * sqrt(unmatched * TYPICAL_IDF))

   The square root is what makes short comments work: "more sanctions please" under a
   sanctions article has all of its evidence matched and scores 1, while a long on-topic
   comment, which naturally uses many words the article does not, is not punished in
   proportion to its length. `PRIOR_MATCH` is a small benefit of the doubt: a match is
   strong evidence however short the comment, but three words that share nothing with the
   article ("Get in!!! Finally a proper number nine") are weaker evidence of drift than
   forty.

5. Thread similarity. The part of the comment the article does not explain (each term's idf
   x (1 - article salience)) is compared with the thread the same way, without the prior:
   terms of the parent (or, for a top-level comment, the previous comment) count fully,
   terms of earlier comments count `EARLIER_COMMENT_SALIENCE`. A reply that picks up its
   parent's side topic has drifted less than a comment unlike everything before it. Since
   key terms are fully explained by the article, they carry no thread evidence.

6. Other articles' subjects. Words the article does not explain are not all alike: a
   comment about another story uses that story's key terms ("Okafor", "striker" under a
   heatwave article), while chatter mostly uses words no article is about ("sourdough",
   "Eurovision") or everyday words some article mentions in passing. A term's *peak
   salience* (step 2) says how much the article most about it is about it, on that
   article's own scale: 1 for one of its key terms, less for a word it mentions in passing,
   whichever article the comment sits under and however long that article is. What it
   exceeds the term's salience here by is how much more another article is about it; that
   gap is squared (`ELSEWHERE_SHARPNESS`), so that mainly other articles' key terms count,
   and times the term's idf it is the term's *elsewhere* evidence. A term no article uses
   points nowhere and carries none. Nor does a term the parent used: a reply that follows
   its thread into another story's subject is part of the conversation here, not a comment
   meant for that story (a term of an earlier comment counts `1 - EARLIER_COMMENT_SALIENCE`
   of its elsewhere evidence). If the elsewhere evidence exceeds the matched evidence, the
   excess takes a share of what is left on topic::

       elsewhere_share = excess / (excess + matched + PRIOR_MATCH)

   A comment that matches this article at least as well as it matches others is untouched.
   It needs only corpus statistics (built once over the articles), not other articles'
   profiles; it cannot tell whether the foreign terms come from one other article or from
   several.

7. Score. ``drift = (1 - article_similarity) * (1 - THREAD_WEIGHT * thread_similarity)``,
   then ``drift = 1 - (1 - drift) * (1 - elsewhere_share)``. A comment that labels itself
   off topic ("a bit off topic, but", "OT:", ...) is taken at its word: it scores at least
   `SELF_LABEL_FLOOR`, above the threshold. The label says *that* it is off topic, not how
   far, so its words still decide whether it scores higher; a comment about another
   article's subject can outrank self-labelled chatter. The label's own words ("topic",
   "completely", "subject", "note") are not among the comment's terms: they say what the
   comment is, not what it is about. A comment with no content words at all ("+1", an
   emoji) gives no evidence and scores `NO_EVIDENCE_DRIFT`, below the threshold: nothing to
   flag. Scores are rounded to 4 decimals. Adding any of the
   article's key terms to a comment raises matched evidence, adds no elsewhere evidence (a
   key term's salience here is already 1) and leaves thread similarity unchanged, so it
   never raises the drift (a property test pins this).

`DEFAULT_OFF_TOPIC_THRESHOLD` (0.5) is the score at or above which a comment counts as off
topic. On the labelled evaluation set (tests/data/offtopic_eval.jsonl, 236 comments) it gives
precision 0.64, recall 0.83, F1 0.72 (0.55 gives 0.70 / 0.79, F1 0.75; 0.6 gives 0.71 /
0.71, F1 0.71), kept at 0.5 in favour of recall. ROC AUC 0.914; swap test 0.9005 over
all comments, the product's target being 0.90 (0.889 before everyday words counted less,
0.887 while the thread's words counted as pointing elsewhere, 0.880 when step 6 measured a
word's standing elsewhere on this article's scale, 0.877 while a self-label's own words
counted as content, 0.823 before step 6 and the self-label floor). Run `moderation evaluate`
to re-measure after changing any constant.

The method is lexical: it cannot tell that "Get in!!! Finally a proper number nine" is about
a striker's transfer, and a comment on a neighbouring subject that reuses the article's words
("the council website" under a council article) looks on topic. Likewise chatter that names
another article's subject ("the mayoral debate last night") looks like a comment about that
article, and an on-topic comment whose words another article is more about ("tax cuts"
under an interest-rate story) looks misplaced. Self-labels and the thread catch some of what
words alone miss.

Everything here is pure: no database, no I/O. `CorpusStats` serialises to a plain dict so a
batch runner can store it or ship it to worker processes; `ArticleProfile` is built once per
article; `score_thread` scores a whole thread, reading each comment once.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

from .everyday import everyday_weights
from .terms import content_terms, terms_of, terms_with_surface_forms, tokenize

DEFAULT_OFF_TOPIC_THRESHOLD = 0.5
DEFAULT_DERAIL_MIN_RUN = 3

TITLE_BOOST = 2.0
KEY_TERM_COUNT = 10
# Key terms named in a "lacks ..." reason: the heaviest, i.e. what on-topic comments mention.
MISSING_TERMS_SHOWN = 3
SHARED_TERMS_SHOWN = 3
UNMATCHED_WEIGHT = 0.5
# Benefit of the doubt, in units of matched evidence: a three-word comment that shares nothing
# with the article is weaker evidence of drift than a forty-word one.
PRIOR_MATCH = 1.0
# Roughly the idf of an ordinary content word; puts matched and unmatched on the same scale.
TYPICAL_IDF = 2.0
EARLIER_COMMENT_SALIENCE = 0.5
THREAD_WEIGHT = 0.3
# How sharply "another article is about this word" falls off below key-term level: a word
# that another article uses only half as heavily as a key term counts (1/2)**3 = 1/8. Any
# article mentions most everyday words in passing; only other articles' subjects should count.
ELSEWHERE_SHARPNESS = 2
# A self-labelled comment scores at least this: clearly off topic, with a margin above the
# default threshold, but the label says nothing about how far it strays, so a comment whose
# words are another article's subject still ranks above self-labelled chatter.
SELF_LABEL_FLOOR = 0.7
NO_EVIDENCE_DRIFT = 0.4
# Below this article similarity the comment's missing key terms are worth mentioning.
MENTION_MISSING_BELOW = 0.5
# Thread similarity at or below which, given a thread to compare with, a comment is "unlike
# the thread so far"; at or above FOLLOWS_THREAD_AT it "picks up" the thread's terms.
UNLIKE_THREAD_AT = 0.1
FOLLOWS_THREAD_AT = 0.5
# Other articles' terms are named as a reason once they take at least half the on-topic share:
# then they outweigh what the article explains plus the benefit of the doubt.
MENTION_ELSEWHERE_AT = 0.5
_DECIMALS = 4


# --------------------------------------------------------------------------- corpus


@dataclass(frozen=True)
class CorpusStats:
    """Document frequencies of terms over all imported articles, and how much the article
    that is most about a term is about it."""

    document_count: int
    document_frequency: Mapping[str, int]
    # Each term's *peak salience*: its highest salience (`ArticleProfile`) in any article, 1
    # for a key term of some article. Terms no article uses are absent.
    peak_salience: Mapping[str, float] = field(default_factory=dict)
    _idf: dict[str, float] = field(init=False, repr=False, compare=False)
    _unseen_idf: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = max(self.document_count, 1)

        def idf(df: int) -> float:
            df = min(max(df, 1), n)
            return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

        unseen_idf = idf(1)
        everyday = everyday_weights()
        # Terms no article uses score as unseen: everyday ones are listed here with their
        # weight applied, the rest fall back to `_unseen_idf` (weight 1).
        weighted = {term: unseen_idf * weight for term, weight in everyday.items()}
        for term, df in self.document_frequency.items():
            weighted[term] = idf(df) * everyday.get(term, 1.0)
        object.__setattr__(self, "_idf", weighted)
        object.__setattr__(self, "_unseen_idf", unseen_idf)

    @classmethod
    def from_articles(cls, articles: Iterable[tuple[str, str]]) -> CorpusStats:
        """Statistics over articles given as (title, body): for every term, how many articles
        use it, and its highest salience in any of them.

        Salience needs every article's document frequencies, so ``articles`` is read twice:
        a collection, or anything that starts afresh each time it is iterated (the runner's
        reads the database again rather than hold every article). Not an iterator.
        """
        if iter(articles) is articles:
            raise TypeError("from_articles reads the articles twice: give a collection")
        frequency: Counter[str] = Counter()
        document_count = 0
        for title, body in articles:
            document_count += 1
            frequency.update(set(content_terms(article_text(title, body))))
        counts = cls(document_count, dict(sorted(frequency.items())))
        peak: dict[str, float] = {}
        for title, body in articles:
            salience, _, _ = _salience(
                Counter(content_terms(article_text(title, body))), content_terms(title), counts
            )
            for term, value in salience.items():
                if value > peak.get(term, 0.0):
                    peak[term] = value
        return cls(counts.document_count, counts.document_frequency, dict(sorted(peak.items())))

    @classmethod
    def from_documents(cls, texts: Iterable[str]) -> CorpusStats:
        """Statistics over texts without titles: `from_articles` with every title empty."""
        return cls.from_articles([("", text) for text in texts])

    def idf(self, term: str) -> float:
        """How informative a term is: high for terms few articles use."""
        return self._idf.get(term, self._unseen_idf)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; `from_dict` of it gives identical scores."""
        return {
            "document_count": self.document_count,
            "document_frequency": dict(sorted(self.document_frequency.items())),
            "peak_salience": dict(sorted(self.peak_salience.items())),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CorpusStats:
        """Rebuild statistics saved with `to_dict`. Raises ValueError on malformed data.

        A dict without "peak_salience" (saved before it existed, perhaps with the
        "peak_frequency" that preceded it, which is ignored) reads as if no article were about
        any term: it still scores, but without other articles' subjects (step 6)."""
        try:
            count = int(data["document_count"])
            frequency = {str(term): int(df) for term, df in data["document_frequency"].items()}
            peak = {
                str(term): float(value) for term, value in data.get("peak_salience", {}).items()
            }
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValueError(f"not a CorpusStats dict: {error}") from error
        if count < 0 or any(df < 0 for df in frequency.values()):
            raise ValueError("not a CorpusStats dict: negative counts")
        if not all(0.0 <= value <= 1.0 for value in peak.values()):
            raise ValueError("not a CorpusStats dict: peak salience outside 0..1")
        return cls(count, dict(sorted(frequency.items())), dict(sorted(peak.items())))


def article_text(title: str, body: str) -> str:
    """The text of an article as counted in corpus statistics."""
    return f"{title}\n\n{body}"


# --------------------------------------------------------------------------- article


@dataclass(frozen=True)
class ArticleProfile:
    """An article's terms with their salience (0..1), built once per article."""

    salience: Mapping[str, float]
    # Heaviest first; these have salience 1.
    key_terms: tuple[str, ...]
    # How each term is most often written in the article, for explanations.
    surface: Mapping[str, str]
    # The raw weight of the lightest key term: salience 1 starts here.
    reference: float = 0.0

    @classmethod
    def build(cls, title: str, body: str, stats: CorpusStats) -> ArticleProfile:
        """Weigh the article's terms: frequent, distinctive and title terms weigh most."""
        counts, surface = terms_with_surface_forms(article_text(title, body))
        salience, key_terms, reference = _salience(counts, content_terms(title), stats)
        return cls(salience, key_terms, surface, reference)

    def key_term_words(self) -> list[str]:
        """The key terms as written in the article, heaviest first."""
        return [self.surface.get(term, term) for term in self.key_terms]


def _salience(
    counts: Mapping[str, int], title_terms: Collection[str], stats: CorpusStats
) -> tuple[dict[str, float], tuple[str, ...], float]:
    """An article's term saliences, key terms (heaviest first) and reference weight, from its
    term counts and the terms of its title."""
    title_terms = set(title_terms)
    weights = {
        term: (1.0 + math.log(tf)) * stats.idf(term) * (TITLE_BOOST if term in title_terms else 1.0)
        for term, tf in counts.items()
    }
    ranked = sorted(weights, key=lambda term: (-weights[term], term))
    key_terms = tuple(term for term in ranked[:KEY_TERM_COUNT] if weights[term] > 0)
    reference = min((weights[term] for term in key_terms), default=0.0)
    salience = {
        term: (min(1.0, weight / reference) if reference > 0 else 0.0)
        for term, weight in weights.items()
    }
    return salience, key_terms, reference


# --------------------------------------------------------------------------- thread


@dataclass(frozen=True)
class ThreadContext:
    """What a comment's thread has said before it: its parent and earlier comments."""

    parent_terms: Collection[str] = frozenset()
    earlier_terms: Collection[str] = frozenset()

    @classmethod
    def build(cls, texts: Sequence[str]) -> ThreadContext:
        """From texts, parent first (or the previous comment for a top-level one), then the
        earlier comments."""
        if not texts:
            return cls()
        earlier: set[str] = set()
        for text in texts[1:]:
            earlier.update(content_terms(text))
        return cls(frozenset(content_terms(texts[0])), frozenset(earlier))


# --------------------------------------------------------------------------- self-labels

# Phrases with which commenters label their own comment off topic: "a bit off topic, but",
# "OT:", "off-topic:", "unrelated, but", "not related to the article", "slightly off-topic",
# "sorry for going off topic", "changing the subject", "on another note". Found in two steps
# for speed: a short anchor, then the qualifier before it and the "but" after it.
_LABEL_ANCHOR = re.compile(
    r"""
      (?P<off_topic>\boff[\s-]?topic\b)
    | (?<![\w'’])OT\s*[:\-]
    | (?P<unrelated>\bunrelated\b)
    | \bnot\s+related\s+to\s+(?:the|this)\s+(?:article|story|topic|post|thread)\b
    | \b(?:changing|to\s+change)\s+the\s+subject\b
    | \bon\s+(?:another|a\s+different|an\s+unrelated|a\s+separate|a\s+side)\s+note\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_LABEL_QUALIFIER = re.compile(
    r"""(?:\b(?:a\s+(?:bit|little|tad)|slightly|somewhat|totally|completely|going|getting
         |(?:sorry|apologies)\s+for\s+(?:going|being|getting))\s+)$""",
    re.IGNORECASE | re.VERBOSE,
)
_OFF_TOPIC_TAIL = re.compile(r"\s*[,:;.!—–-]*\s*but\b", re.IGNORECASE)
# "unrelated" is a label only when it introduces something: "Unrelated, but", "Unrelated:".
_UNRELATED_TAIL = re.compile(r"\s*(?:[,:;—–-]+\s*(?:but\b)?|\s+but\b)", re.IGNORECASE)
# "this is not off topic", "isn't unrelated": a denial, not a label.
_DENIAL_BEFORE = re.compile(r"(?:\bnot|n['’]?t)\s+(?:really\s+|at\s+all\s+)?$", re.IGNORECASE)
# Most comments contain none of these, so the expressions rarely have to run.
_CHEAP_HINTS = ("topic", "ot:", "ot :", "ot-", "ot -", "unrelated", "related to", "subject", "note")
_LOOK_BEHIND = 40


def find_self_label(text: str) -> str | None:
    """The phrase with which a comment labels itself off topic (lower-cased), or None."""
    found = _find_self_label(text)
    return None if found is None else found[0]


def _find_self_label(text: str) -> tuple[str, int, int] | None:
    """The self-label (as `find_self_label` gives it) with its start and end in the text."""
    lowered = text.lower()
    if not any(hint in lowered for hint in _CHEAP_HINTS):
        return None
    for anchor in _LABEL_ANCHOR.finditer(text):
        start, end = anchor.span()
        before = text[max(0, start - _LOOK_BEHIND) : start]
        qualifier = _LABEL_QUALIFIER.search(before)
        if qualifier is not None:
            before = before[: qualifier.start()]
            start -= len(qualifier.group(0))
        if _DENIAL_BEFORE.search(before):
            continue
        if anchor.group("unrelated"):
            tail = _UNRELATED_TAIL.match(text, end)
            if tail is None:
                continue
            end = tail.end()
        elif anchor.group("off_topic"):
            tail = _OFF_TOPIC_TAIL.match(text, end)
            if tail is not None:
                end = tail.end()
        label = " ".join(text[start:end].lower().split()).rstrip(":;,-—– ")
        return ("OT:" if label == "ot" else label), start, end
    return None


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class DriftResult:
    """A comment's drift score and what it is based on."""

    score: float
    article_similarity: float | None
    thread_similarity: float | None
    shared_terms: tuple[str, ...]
    missing_terms: tuple[str, ...]
    self_label: str | None
    reasons: tuple[str, ...]
    # Embedding cosine with the article, once `moderation.scoring.drift_model` combined the
    # signals; None for the lexical score alone.
    meaning_similarity: float | None = None

    def is_off_topic(self, threshold: float = DEFAULT_OFF_TOPIC_THRESHOLD) -> bool:
        return self.score >= threshold

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "article_similarity": self.article_similarity,
            "thread_similarity": self.thread_similarity,
            "shared_terms": list(self.shared_terms),
            "missing_terms": list(self.missing_terms),
            "self_label": self.self_label,
            "reasons": list(self.reasons),
            "meaning_similarity": self.meaning_similarity,
        }


def _read_comment(text: str, tokens: list[str] | None = None) -> tuple[dict[str, str], str | None]:
    """A comment's distinct terms (as `_comment_terms`) and its self-label. The label's own
    words ("a bit off topic, but", "changing the subject") say what the comment is, not what
    it is about: they are not among its terms. ``tokens``, if given, are ``tokenize(text)``
    (the drift model tokenises each comment once for every signal)."""
    found = _find_self_label(text)
    if found is None:
        return _terms_of_tokens(tokenize(text) if tokens is None else tokens), None
    label, start, end = found
    return _comment_terms(f"{text[:start]} {text[end:]}"), label


def _comment_terms(text: str) -> dict[str, str]:
    """Distinct terms of a comment, each with the first form the commenter wrote it in."""
    return _terms_of_tokens(tokenize(text))


def _terms_of_tokens(tokens: list[str]) -> dict[str, str]:
    """`_comment_terms` of a text's tokens (left as they are)."""
    # Built back to front so that each term ends up with its first written form.
    backwards = tokens[::-1]
    terms = dict(zip(terms_of(backwards), backwards, strict=True))
    terms.pop("", None)
    return terms


def _similarity(matched: float, unmatched: float, prior: float) -> float | None:
    if matched <= 0.0 and unmatched <= 0.0:
        return None
    return (matched + prior) / (
        matched + prior + UNMATCHED_WEIGHT * math.sqrt(unmatched * TYPICAL_IDF)
    )


def _quoted(words: Iterable[str]) -> str:
    return ", ".join(f"'{word}'" for word in words)


def _score_terms(
    terms: Mapping[str, str],
    self_label: str | None,
    article: ArticleProfile,
    parent_terms: Collection[str],
    earlier_terms: Collection[str],
    stats: CorpusStats,
) -> DriftResult:
    # Sums use math.fsum, which is exact and so independent of the (hash-dependent) order of
    # set iteration: the same comment scores identically in every process.
    idf_of = stats._idf.get
    unseen_idf = stats._unseen_idf
    salience = article.salience
    total = math.fsum(map(idf_of, terms, repeat(unseen_idf)))
    shared_weights = {
        term: idf_of(term, unseen_idf) * salience[term] for term in terms.keys() & salience.keys()
    }
    matched = math.fsum(shared_weights.values())
    # What the article does not explain, to compare with the thread.
    unexplained = max(0.0, total - matched)
    article_similarity = _similarity(matched, unexplained, PRIOR_MATCH)

    # How much more other articles are about the comment's words: per term, its peak salience
    # (its salience in the article most about it) less its salience here, squared, times its
    # idf. A term no article uses points nowhere. What the thread has already said is the
    # conversation's, not a sign of a misplaced comment: a term of the parent counts not at
    # all, a term of an earlier comment only as far as the thread does not explain it. A
    # term's elsewhere evidence is at most its unexplained evidence, so when the article
    # explains at least half of the comment, elsewhere cannot outweigh matched: skip the work.
    elsewhere_weights: dict[str, float] = {}
    if unexplained > matched:
        peak_salience = stats.peak_salience
        for term in terms.keys() & peak_salience.keys():
            gap = peak_salience[term] - salience.get(term, 0.0)
            if gap > 0.0 and term not in parent_terms:
                weight = idf_of(term, unseen_idf) * gap**ELSEWHERE_SHARPNESS
                if term in earlier_terms:
                    weight *= 1.0 - EARLIER_COMMENT_SALIENCE
                elsewhere_weights[term] = weight
    # Only what exceeds the article's own evidence counts: a comment that matches this
    # article at least as well as it matches others is not moved.
    elsewhere_excess = max(0.0, math.fsum(elsewhere_weights.values()) - matched)
    elsewhere_share = elsewhere_excess / (elsewhere_excess + matched + PRIOR_MATCH)

    thread_similarity = None
    thread_weights: dict[str, float] = {}
    if parent_terms or earlier_terms:
        in_parent = terms.keys() & parent_terms
        for term in in_parent:
            thread_weights[term] = idf_of(term, unseen_idf) * (1.0 - salience.get(term, 0.0))
        for term in (terms.keys() & earlier_terms) - in_parent:
            thread_weights[term] = (
                idf_of(term, unseen_idf)
                * (1.0 - salience.get(term, 0.0))
                * EARLIER_COMMENT_SALIENCE
            )
        thread_matched = math.fsum(thread_weights.values())
        thread_similarity = _similarity(thread_matched, max(0.0, unexplained - thread_matched), 0.0)

    if article_similarity is None:
        drift = NO_EVIDENCE_DRIFT
    else:
        drift = (1.0 - article_similarity) * (1.0 - THREAD_WEIGHT * (thread_similarity or 0.0))
    if elsewhere_share > 0.0:
        # Other articles explain the comment better: that share of the on-topic part goes.
        drift = 1.0 - (1.0 - drift) * (1.0 - elsewhere_share)
    if self_label is not None:
        drift = max(drift, SELF_LABEL_FLOOR)

    shared_words = tuple(terms[term] for term in _heaviest_first(shared_weights))
    missing_words = tuple(
        article.surface.get(term, term) for term in article.key_terms if term not in terms
    )[:MISSING_TERMS_SHOWN]

    reasons: list[str] = []
    if article_similarity is None:
        reasons.append("has no content words to compare with the article")
    elif not shared_words:
        reasons.append("shares no key terms with the article")
    else:
        reasons.append(f"shares {_quoted(shared_words[:SHARED_TERMS_SHOWN])} with the article")
    if (
        missing_words
        and article_similarity is not None
        and article_similarity < (MENTION_MISSING_BELOW)
    ):
        reasons.append(f"lacks {_quoted(missing_words)} that on-topic comments mention")
    if elsewhere_share >= MENTION_ELSEWHERE_AT:
        words = [terms[term] for term in _heaviest_first(elsewhere_weights)]
        reasons.append(
            f"uses {_quoted(words[:SHARED_TERMS_SHOWN])}, which other articles are about"
        )
    if thread_similarity is not None:
        if thread_similarity <= UNLIKE_THREAD_AT:
            reasons.append("unlike the thread so far")
        elif thread_similarity >= FOLLOWS_THREAD_AT:
            words = [terms[term] for term in _heaviest_first(thread_weights)]
            if words:
                reasons.append(f"picks up {_quoted(words[:SHARED_TERMS_SHOWN])} from the thread")
    if self_label is not None:
        reasons.append(f"labels itself off topic ('{self_label}')")

    return DriftResult(
        score=round(min(1.0, max(0.0, drift)), _DECIMALS),
        article_similarity=_rounded(article_similarity),
        thread_similarity=_rounded(thread_similarity),
        shared_terms=shared_words,
        missing_terms=missing_words,
        self_label=self_label,
        reasons=tuple(reasons),
    )


def _heaviest_first(weights: Mapping[str, float]) -> list[str]:
    """Terms with a positive weight, heaviest first, ties alphabetical (deterministic)."""
    # The (-weight, term) pairs sort as the key (-weights[term], term) would, compared in C.
    ranked = sorted([(-weight, term) for term, weight in weights.items() if weight > 0.0])
    return [term for _, term in ranked]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, _DECIMALS)


def score_drift(
    comment_text: str,
    article: ArticleProfile,
    thread_context: Sequence[str] | ThreadContext,
    stats: CorpusStats,
) -> DriftResult:
    """Score how far one comment strays from its article and thread.

    `thread_context` is the parent's text first, then the earlier comments' texts (for a
    top-level comment: the comments before it, most recent first), or a prebuilt
    `ThreadContext`. To score a whole thread, `score_thread` avoids re-reading the context.
    """
    context = (
        thread_context
        if isinstance(thread_context, ThreadContext)
        else ThreadContext.build(thread_context)
    )
    terms, self_label = _read_comment(comment_text)
    return _score_terms(
        terms,
        self_label,
        article,
        context.parent_terms,
        context.earlier_terms,
        stats,
    )


def score_thread(
    comments: Sequence[tuple[str, int | None]],
    article: ArticleProfile,
    stats: CorpusStats,
    tokens: Sequence[list[str]] | None = None,
) -> list[DriftResult]:
    """Score every comment of an article, in thread order.

    `comments` holds (text, index of the parent comment in this sequence or None). Each
    comment is compared with its parent (or, for a top-level comment, the comment before it)
    and with all comments before it. Each text is read once; `tokens`, if given, holds
    `tokenize` of each text, so that it is not tokenised again.
    """
    if tokens is None:
        read = [_read_comment(text) for text, _ in comments]
    else:
        read = [
            _read_comment(text, words) for (text, _), words in zip(comments, tokens, strict=True)
        ]
    comment_terms = [terms for terms, _ in read]
    earlier: set[str] = set()
    results = []
    for index, (_, parent_index) in enumerate(comments):
        if parent_index is None or not 0 <= parent_index < index:
            parent_index = index - 1 if index > 0 else None
        parent_terms = comment_terms[parent_index].keys() if parent_index is not None else ()
        results.append(
            _score_terms(
                comment_terms[index],
                read[index][1],
                article,
                parent_terms,
                earlier,
                stats,
            )
        )
        earlier.update(comment_terms[index])
    return results


# --------------------------------------------------------------------------- derailing


def find_derail_point(
    drift_scores: Sequence[float],
    threshold: float = DEFAULT_OFF_TOPIC_THRESHOLD,
    min_run: int = DEFAULT_DERAIL_MIN_RUN,
) -> int | None:
    """Index of the comment at which a thread goes off topic for good, or None.

    The derail point is the smallest index i such that:
      * scores[i] >= threshold (the first drifting comment), and
      * there are at least `min_run` comments from i on, and
      * every window of `min_run` consecutive scores within scores[i:] has a median
        >= threshold: the thread never comes back on topic for a majority of any
        `min_run` comments in a row.
    A single on-topic comment inside the drifting stretch does not end it (with min_run 3),
    but two in a row do.
    """
    if min_run < 1:
        raise ValueError("min_run must be at least 1")
    scores = list(drift_scores)
    last_window = len(scores) - min_run
    if last_window < 0:
        return None
    window_high = [
        statistics.median(scores[start : start + min_run]) >= threshold
        for start in range(last_window + 1)
    ]
    # The earliest window start from which every later window is high.
    first_good = last_window + 1
    while first_good > 0 and window_high[first_good - 1]:
        first_good -= 1
    for index in range(first_good, last_window + 1):
        if scores[index] >= threshold:
            return index
    return None
