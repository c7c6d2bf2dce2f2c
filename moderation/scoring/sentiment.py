"""VADER sentiment, with scores identical to vaderSentiment 3.3.2 but computed in linear time.

``SentimentIntensityAnalyzer.polarity_scores`` redoes whole-comment work for every
sentiment word: it lowercases the entire token list four times per word, scans
lists for negations, and its "but" rule searches the score list once per score.
So its cost grows with the square of the comment's length (vaderSentiment issue
#110: an emoji-heavy 4 KB comment takes seconds). :class:`SentimentScorer` runs the
same algorithm with that work done once per comment. It uses the library's own
lexicon, emoji lexicon, constants and helper functions, and copies none of them.

Every change is commented with the reason it cannot alter a result.
``tests/test_sentiment.py`` checks that compound, pos, neu and neg equal the
library's (with ``==``) on over 10,000 generated texts and on Hypothesis examples.

Rules the UI relies on:

* Texts longer than ``max_chars`` (20,000 characters by default) are cut at the
  last whitespace before the limit (or at the limit if there is none), scored, and
  flagged ``truncated=True``. Scoring is linear in the text length, so no input
  can stall a worker.
* Sentences end after a run of ``.``, ``!``, ``?``, ``…``, closing quotes and
  closing brackets that starts with one of the first four and is followed by
  whitespace, and at every ``\\n``. This simple rule also splits after
  abbreviations such as "Mr.". Only the first MAX_SENTENCES sentences get a score.
* A sentence's score is its share of the comment's score, to show a moderator
  which sentence drives it: VADER's ``normalize()`` of the sum of the final
  valences its words got in the whole-comment analysis (negation, boosters, the
  "but" rule, capitals and idioms all applied across the whole comment, sentence
  boundaries included). It is not VADER run on the sentence alone: "It was not.
  Good at all." gives the second sentence a negative score, as the comment does.
  The "!" and "?" emphasis is left out: VADER adds it to the whole comment's sum,
  in whichever direction that sum points, so it belongs to no one sentence. Left
  out, the sentences' raw sums add up to the comment's sum before emphasis (when
  all its sentences are shown).
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
import string
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from vaderSentiment import vaderSentiment as vader

MAX_CHARS = 20_000
"""Longest text scored in full; longer texts are cut (see :func:`truncate_text`)."""

MAX_SENTENCES = 100
"""Most sentences given their own score in :attr:`SentimentResult.sentences`."""

POSITIVE = "positive"
NEUTRAL = "neutral"
NEGATIVE = "negative"

# Sets built from the library's own lists: membership tests give the same answers
# as the library's list searches, in constant time.
_NEGATIONS = frozenset(vader.NEGATE)
_SO_THIS = frozenset(("so", "this"))
_OR_NOR = frozenset(("or", "nor"))
# Every word of the multi-word keys of SPECIAL_CASES and BOOSTER_DICT, i.e. every
# word an n-gram needs to match in _special_idioms_check.
_IDIOM_WORDS = frozenset(
    word
    for key in (*vader.SPECIAL_CASES, *vader.BOOSTER_DICT)
    if " " in key
    for word in key.split(" ")
)

# Every pair of neighbouring words in those keys: an n-gram can only match where two
# neighbouring tokens form one of these pairs.
_IDIOM_PAIRS = frozenset(
    pair
    for key in (*vader.SPECIAL_CASES, *vader.BOOSTER_DICT)
    if " " in key
    for pair in itertools.pairwise(key.split(" "))
)
# Lowercased tokens that change the valence of a lexicon word one to three tokens after
# them, by a rule of sentiment_valence: the "no" rules, boosters (scalar_inc_dec),
# negations, "never so"/"never this", "so"/"this" two tokens on, "without doubt" and
# "least" (tokens holding "n't" negate too; see _plain_valences). "no" also changes
# its own valence before a lexicon word.
_MODIFIERS = frozenset(
    {*vader.NEGATE, *vader.BOOSTER_DICT, "no", "never", "so", "this", "without", "doubt", "least"}
)
# The documented rule is ``[.!?…][.!?…"'”’)\]]*(?=\s)|\n``. Written with one leading
# character class instead of a top-level "|", it matches the same spans, but lets
# the regex engine skip ahead to candidate characters: split_sentences runs twice as fast.
_SENTENCE_END = re.compile(r"[.!?…\n](?:(?<=\n)|[.!?…\"'”’)\]]*(?=\s))")

_EXPLAINED_WORDS = 5
"""How many words :attr:`SentimentResult.explanation` names."""

_EMPTY_SCORES = {"neg": 0.0, "neu": 0.0, "pos": 0.0, "compound": 0.0}


class SentenceScore(NamedTuple):
    """One sentence of a comment and its share of the comment's sentiment.

    ``compound`` is ``vader.normalize()`` of the summed final valences of the
    sentence's words in the whole-comment analysis, rounded to 4 decimals: the most
    negative sentence is the one pulling the comment down most. It is 0.0 for a
    sentence without sentiment words (or whose words cancel out), and it leaves out
    "!"/"?" emphasis, which VADER applies to the comment as a whole.
    """

    text: str
    compound: float


@dataclass(frozen=True, slots=True)
class SentimentResult:
    """Scores for one comment.

    ``compound``, ``pos``, ``neu`` and ``neg`` equal what
    ``SentimentIntensityAnalyzer().polarity_scores(text)`` returns for the (possibly
    truncated) text. ``sentences`` is empty unless the comment has two or more
    sentences, and holds at most the first MAX_SENTENCES, in text order, each with
    its share of the comment's sentiment (see :class:`SentenceScore`). ``words``
    lists each contributing lexicon word (lowercased) with its summed signed
    valence after VADER's modifiers, largest magnitude first.
    """

    compound: float
    pos: float
    neu: float
    neg: float
    label: str
    sentences: tuple[SentenceScore, ...] = ()
    words: tuple[tuple[str, float], ...] = ()
    truncated: bool = False

    @property
    def explanation(self) -> str:
        """A short phrase for the UI, e.g. "negative because: sad, blame"."""
        if self.label == NEUTRAL:
            if not self.words:
                return "neutral: no sentiment words"
            names = ", ".join(word for word, _ in self.words[:_EXPLAINED_WORDS])
            return f"neutral: mixed or weak words: {names}"
        sign = 1.0 if self.label == POSITIVE else -1.0
        drivers = [word for word, valence in self.words if valence * sign > 0]
        if not drivers:
            return self.label
        return f"{self.label} because: {', '.join(drivers[:_EXPLAINED_WORDS])}"


class _Analysis(NamedTuple):
    """What scoring one text produced, kept for the explanation and the sentences."""

    words: list[str]
    lowered: list[str]
    positions: list[int]
    """Token positions of the words VADER looks up (lexicon words, not boosters)."""
    valences: list[float]
    """Their valences after every rule, the "but" rule included; all others are 0."""
    scores: dict[str, float]


_Window = tuple[int | str, ...]
"""A valence cache key: the word's offset in the tokens that follow it in the key,
which run from up to three tokens before the word to up to two after it."""


def truncate_text(text: str, max_chars: int = MAX_CHARS) -> tuple[str, bool]:
    """Cut ``text`` to at most ``max_chars`` characters at a word boundary.

    Returns the text to score and whether it was cut. The cut drops the partial word
    at the limit (everything after the last whitespace); a text without whitespace
    before the limit is cut at the limit itself.
    """
    if len(text) <= max_chars:
        return text, False
    head = text[:max_chars]
    if not text[max_chars].isspace():
        before_last_word = head.rsplit(maxsplit=1)
        if len(before_last_word) == 2:
            head = before_last_word[0]
    return head, True


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences by the module's documented rule; blanks dropped."""
    sentences = []
    start = 0
    for end in _SENTENCE_END.finditer(text):
        sentence = text[start : end.end()].strip()
        if sentence:
            sentences.append(sentence)
        start = end.end()
    sentence = text[start:].strip()
    if sentence:
        sentences.append(sentence)
    return sentences


def _tokens(text: str) -> list[str]:
    """VADER's ``SentiText._words_and_emoticons``, as one comprehension.

    Whitespace-separated tokens with ASCII punctuation stripped from both ends,
    unless that leaves two characters or fewer (then it is probably an emoticon
    such as ":)" and is kept whole).
    """
    punctuation = string.punctuation
    return [
        stripped if len(stripped := token.strip(punctuation)) > 2 else token
        for token in text.split()
    ]


class _PieceCache:
    """Each whitespace-separated piece's token (as :func:`_tokens` makes it) and that
    token lowercased, memoised: comments are made of the same few thousand pieces, and a
    dictionary look-up per piece (two C-level ``map`` calls per text) costs a fraction
    of stripping and lowercasing each piece again.

    Both are pure functions of the piece, so a cached answer is the answer. Pieces
    longer than ``MAX_PIECE`` are not kept, and the cache is emptied when it holds
    ``LIMIT`` pieces, so hostile input cannot grow it without bound.
    """

    LIMIT = 100_000
    MAX_PIECE = 40

    def __init__(self) -> None:
        self._token: dict[str, str] = {}
        self._lowered: dict[str, str] = {}

    def tokens(self, text: str, pieces: list[str] | None = None) -> tuple[list[str], list[str]]:
        """``_tokens(text)`` and the same tokens lowercased (``pieces``: ``text.split()``)."""
        if pieces is None:
            pieces = text.split()
        words = list(map(self._token.get, pieces))
        if None not in words:
            return words, list(map(self._lowered.__getitem__, pieces))
        words = _tokens(text)
        lowered = list(map(str.lower, words))
        if len(self._token) + len(pieces) > self.LIMIT:
            self._token.clear()
            self._lowered.clear()
        for piece, word, lower in zip(pieces, words, lowered, strict=True):
            if len(piece) <= self.MAX_PIECE:
                self._token[piece] = word
                self._lowered[piece] = lower
        return words, lowered


def _is_negation(lowered_word: str) -> bool:
    """``vader.negated([word])`` for one already-lowercased word.

    The library lowercases again (a no-op: ``str.lower`` is idempotent on every
    code point) and searches the NEGATE list; a set answers the same.
    """
    return lowered_word in _NEGATIONS or "n't" in lowered_word


class SentimentScorer:
    """Scores comments with VADER. Build once per process (see :func:`default_scorer`)."""

    def __init__(
        self,
        positive_threshold: float = 0.05,
        negative_threshold: float = -0.05,
        max_chars: int = MAX_CHARS,
    ) -> None:
        """Load VADER's lexicons.

        A compound >= ``positive_threshold`` is labelled positive, one <=
        ``negative_threshold`` negative, anything between neutral. Texts longer than
        ``max_chars`` are truncated before scoring.
        """
        if negative_threshold > positive_threshold:
            raise ValueError("negative_threshold must not exceed positive_threshold")
        if max_chars < 1:
            raise ValueError("max_chars must be positive")
        self.positive_threshold = positive_threshold
        self.negative_threshold = negative_threshold
        self.max_chars = max_chars
        # The library's analyzer loads both lexicons; we also borrow its
        # punctuation-emphasis arithmetic.
        self._analyzer = vader.SentimentIntensityAnalyzer()
        self._lexicon: dict[str, float] = self._analyzer.lexicon
        self._emojis: dict[str, str] = self._analyzer.emojis
        # The library looks up one character at a time, so only one-character keys
        # can ever match (multi-code-point emoji get described piece by piece).
        self._emoji_chars = frozenset(key for key in self._emojis if len(key) == 1)
        self._emoji_table = {ord(char): " " + self._emojis[char] for char in self._emoji_chars}
        self._emoji_words = {char: _tokens(self._emojis[char]) for char in self._emoji_chars}
        # polarity_scores checks BOOSTER_DICT before the lexicon: a booster never
        # gets a valence of its own, even if the lexicon lists it.
        self._valenced_words = frozenset(self._lexicon).difference(vader.BOOSTER_DICT)
        self._pieces = _PieceCache()
        # Lexicon words whose own valence no rule changes when no modifier comes before
        # them and no idiom is near (see _valences): not "no", and not valued 0, whose
        # sign an added 0.0 could change. ("kind" before "of" is an idiom's pair.)
        self._plain_words = frozenset(
            word
            for word in self._valenced_words
            if word not in _MODIFIERS and self._lexicon[word] != 0
        )

    # -- public API ---------------------------------------------------------------

    def score(
        self, text: str, *, with_sentences: bool = True, pieces: list[str] | None = None
    ) -> SentimentResult:
        """Score one comment: VADER's scores, label, sentences and contributing words.

        The sentence breakdown reuses the comment's own analysis and costs little;
        ``with_sentences=False`` skips it (``sentences`` is then empty). ``pieces``, if
        given, must be ``text.split()``: a caller that has them saves splitting again.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        text, truncated = truncate_text(text, self.max_chars)
        analysis = self._analyse(text, None if truncated else pieces)
        scores = analysis.scores
        return SentimentResult(
            compound=scores["compound"],
            pos=scores["pos"],
            neu=scores["neu"],
            neg=scores["neg"],
            label=self.label_for(scores["compound"]),
            sentences=self._sentence_scores(text, analysis) if with_sentences else (),
            words=_contributions(analysis),
            truncated=truncated,
        )

    def polarity_scores(self, text: str) -> dict[str, float]:
        """Exactly ``SentimentIntensityAnalyzer().polarity_scores(text)``, in linear time.

        No truncation: the caller decides how much text to pass.
        """
        return self._analyse(text).scores

    def label_for(self, compound: float) -> str:
        """Return "positive", "neutral" or "negative" for a compound score."""
        if compound >= self.positive_threshold:
            return POSITIVE
        if compound <= self.negative_threshold:
            return NEGATIVE
        return NEUTRAL

    # -- the algorithm ------------------------------------------------------------

    def _analyse(self, text: str, pieces: list[str] | None = None) -> _Analysis:
        """``polarity_scores`` for ``text``, keeping the per-word valences (``pieces``: as
        for :meth:`score`)."""
        if self._has_emoji(text):
            words = self._words(text)
            text = self._describe_emojis(text)
            # Lowercased once per text; the library re-lowercases the whole token list
            # up to five times for every sentiment word.
            lowered = list(map(str.lower, words))
        else:
            # Without emoji, the text is its own description and the tokens are _tokens'.
            words, lowered = self._pieces.tokens(text, pieces)
        positions, valences = self._valences(words, lowered)
        scores = self._score_valence(valences, len(words), text)
        return _Analysis(words, lowered, positions, valences, scores)

    def _describe_emojis(self, text: str) -> str:
        """Replace each emoji character by " " + its description.

        The library walks every character, growing a string, and puts the space
        before a description only when the emoji neither starts the text nor follows
        a " ". The described text is only ever split on whitespace and searched for
        "!" and "?", so an extra space changes nothing, and one ``str.translate``
        replaces the character walk.
        """
        if not self._has_emoji(text):
            return text
        return text.translate(self._emoji_table)

    def _words(self, text: str) -> list[str]:
        """The library's tokens (``SentiText.words_and_emoticons``) for ``text``.

        The library describes the emoji, strips the text (which split() makes moot)
        and tokenizes. Emoji become " " + description, so whitespace-separated
        pieces of ``text`` become their own runs of tokens, and a piece made only of
        emoji yields its descriptions' tokens one after another: those are
        prepared once per emoji, which keeps emoji floods cheap.
        """
        if not self._has_emoji(text):
            return _tokens(text)
        words: list[str] = []
        for piece in text.split():
            if self._emoji_chars.issuperset(piece):
                words.extend(
                    itertools.chain.from_iterable(map(self._emoji_words.__getitem__, piece))
                )
            else:
                words.extend(_tokens(piece.translate(self._emoji_table)))
        return words

    def _has_emoji(self, text: str) -> bool:
        """Whether ``text`` holds a character of the emoji lexicon."""
        # Every emoji in the lexicon is outside ASCII; isascii() is the cheaper test.
        return not (text.isascii() or self._emoji_chars.isdisjoint(text))

    def _valences(self, words: list[str], lowered: list[str]) -> tuple[list[int], list[float]]:
        """The per-token loop of ``polarity_scores``, then its "but" rule.

        Returns the positions of the words that get a valence and their valences.
        Every other token gets the int 0 in the library, which adds nothing to its
        sums and only counts as neutral (see :meth:`_score_valence`).

        A word's valence depends only on its window (three tokens before, two
        after, and where the text starts or ends within them) and on the text-wide
        ``is_cap_diff``, so each distinct window is computed once: repetitive texts
        (emoji floods, copy-paste spam) stay cheap.
        """
        count = len(words)
        # vader.allcap_differential: some, but not all, tokens are ALL CAPS.
        upper_count = sum(map(str.isupper, words))
        is_cap_diff = 0 < count - upper_count < count
        known: dict[_Window, float] = {}
        positions: list[int] = []
        valences: list[float] = []
        lexicon = self._lexicon
        plain_words = self._plain_words
        # Tokens holding "n't" are negations; most texts have none (the joined text holds
        # every token, so when it has no "n't", no token has).
        any_nt = "n't" in "".join(lowered)
        looked_up = map(self._valenced_words.__contains__, lowered)
        for i in itertools.compress(itertools.count(), looked_up):
            start = i - 3 if i > 3 else 0
            if (
                lowered[i] in plain_words
                and _MODIFIERS.isdisjoint(lowered[start:i])
                and not (any_nt and any("n't" in word for word in lowered[start:i]))
                and (
                    (
                        lowered[i] not in _IDIOM_WORDS
                        and (i < 2 or lowered[i - 2] not in _IDIOM_WORDS)
                    )
                    or _IDIOM_PAIRS.isdisjoint(itertools.pairwise(lowered[start : i + 3]))
                )
            ):
                # No rule of sentiment_valence applies (see _MODIFIERS and _plain_words):
                # the word keeps its lexicon valence, with the ALL CAPS emphasis. The idiom
                # check cannot change it either: its n-grams all hold position i - 2 or i,
                # and all lie within i - 3 .. i + 2, where no neighbours form an idiom's
                # pair. The library adds 0.0 for each earlier token, which leaves a
                # non-zero float unchanged.
                valence = lexicon[lowered[i]]
                if is_cap_diff and words[i].isupper():
                    valence = valence + vader.C_INCR if valence > 0 else valence - vader.C_INCR
                positions.append(i)
                valences.append(valence)
                continue
            window = (i - start, *words[start : i + 3])
            valence = known.get(window)
            if valence is None:
                # polarity_scores gives "kind" 0 when "of" follows (the dampener "kind of").
                if lowered[i] == "kind" and i < count - 1 and lowered[i + 1] == "of":
                    valence = 0
                else:
                    valence = self._word_valence(words, lowered, i, is_cap_diff)
                known[window] = valence
            positions.append(i)
            valences.append(valence)
        if "but" in lowered:
            _apply_but_rule(valences, positions, lowered.index("but"))
        return positions, valences

    def _word_valence(
        self, words: list[str], lowered: list[str], i: int, is_cap_diff: bool
    ) -> float:
        """``SentimentIntensityAnalyzer.sentiment_valence`` for the lexicon word at ``i``.

        Same conditions, same order, same float operations; lowercased neighbours
        come from ``lowered`` instead of fresh ``.lower()`` calls.
        """
        lexicon = self._lexicon
        word = lowered[i]
        valence = lexicon[word]

        # "no" before another lexicon word negates that word instead of scoring itself.
        if word == "no" and i != len(words) - 1 and lowered[i + 1] in lexicon:
            valence = 0.0
        if (
            (i > 0 and lowered[i - 1] == "no")
            or (i > 1 and lowered[i - 2] == "no")
            or (i > 2 and lowered[i - 3] == "no" and lowered[i - 1] in _OR_NOR)
        ):
            valence = lexicon[word] * vader.N_SCALAR

        # ALL CAPS emphasis, only when the text is not entirely in capitals.
        if words[i].isupper() and is_cap_diff:
            if valence > 0:
                valence += vader.C_INCR
            else:
                valence -= vader.C_INCR

        for start_i in range(3):
            before = i - (start_i + 1)
            if i > start_i and lowered[before] not in lexicon:
                # scalar_inc_dec returns 0.0 for any non-booster; not calling it then
                # only saves its .lower().
                if lowered[before] in vader.BOOSTER_DICT:
                    scalar = vader.scalar_inc_dec(words[before], valence, is_cap_diff)
                else:
                    scalar = 0.0
                if start_i == 1 and scalar != 0:
                    scalar = scalar * 0.95
                if start_i == 2 and scalar != 0:
                    scalar = scalar * 0.9
                valence = valence + scalar
                valence = _negation_check(valence, lowered, start_i, i)
                # Every n-gram the idiom check builds contains position i - 2 or i,
                # so when neither word belongs to any idiom it cannot change valence.
                if start_i == 2 and (lowered[i - 2] in _IDIOM_WORDS or word in _IDIOM_WORDS):
                    valence = _special_idioms_check(valence, lowered, i)

        return _least_check(valence, lowered, i, lexicon)

    def _compound(self, valences: list[float], text: str) -> tuple[float, float]:
        """The unrounded compound of a non-empty text, and its punctuation boost.

        The first half of ``score_valence``, in its order: sum, add the "!"/"?"
        emphasis away from zero, normalise. The library sums one valence per token;
        the tokens left out here hold 0, and adding 0 leaves a float sum unchanged
        (it starts at +0, so not even the sign of a zero can differ).
        """
        sum_s = float(sum(valences))
        punct_emph_amplifier = self._analyzer._punctuation_emphasis(text)
        if sum_s > 0:
            sum_s += punct_emph_amplifier
        elif sum_s < 0:
            sum_s -= punct_emph_amplifier
        return vader.normalize(sum_s), punct_emph_amplifier

    def _score_valence(self, valences: list[float], token_count: int, text: str) -> dict:
        """``SentimentIntensityAnalyzer.score_valence`` from the non-zero valences.

        The library's ``_sift_sentiment_scores`` visits every token; zeros only add
        to ``neu_count``, so the positive and negative sums visit the same non-zero
        valences in the same order and get the same floats.
        """
        if token_count == 0:
            return dict(_EMPTY_SCORES)
        compound, punct_emph_amplifier = self._compound(valences, text)

        pos_sum = 0.0
        neg_sum = 0.0
        non_zero = 0
        for sentiment_score in valences:
            if sentiment_score > 0:
                pos_sum += float(sentiment_score) + 1
                non_zero += 1
            elif sentiment_score < 0:
                neg_sum += float(sentiment_score) - 1
                non_zero += 1
        neu_count = token_count - non_zero

        if pos_sum > math.fabs(neg_sum):
            pos_sum += punct_emph_amplifier
        elif pos_sum < math.fabs(neg_sum):
            neg_sum -= punct_emph_amplifier
        total = pos_sum + math.fabs(neg_sum) + neu_count
        return {
            "neg": round(math.fabs(neg_sum / total), 3),
            "neu": round(math.fabs(neu_count / total), 3),
            "pos": round(math.fabs(pos_sum / total), 3),
            "compound": round(compound, 4),
        }

    def _sentence_scores(self, text: str, whole: _Analysis) -> tuple[SentenceScore, ...]:
        """Each sentence's share of the comment's sentiment (see :class:`SentenceScore`).

        () for a text of fewer than two sentences, and for one whose sentences do not
        line up with its tokens (see :meth:`_sentence_valences`).
        """
        return tuple(
            [
                SentenceScore(sentence, _sentence_compound(total))
                for sentence, total in self._sentence_valences(text, whole)
            ]
        )

    def _sentence_valences(self, text: str, whole: _Analysis) -> list[tuple[str, float]]:
        """The first MAX_SENTENCES sentences of ``text``, each with its words' valence sum.

        The sums add the whole-comment valences (``whole``) of the words inside each
        sentence, in token order, so together they make the comment's own sum before
        "!"/"?" emphasis. Returns [] for fewer than two sentences, or when the
        sentences do not line up with the comment's tokens: no sentence scores
        rather than scores attributed to the wrong sentence.

        Only the first MAX_SENTENCES sentences are scored: nobody reads more in the
        UI, and it bounds the work on texts like "a. a. a. ...".
        """
        sentences = split_sentences(text)
        if len(sentences) < 2:
            return []
        ends = self._sentence_ends(text, sentences, len(whole.words))
        if ends is None:
            return []
        shown = sentences[:MAX_SENTENCES]
        totals = _sum_by_sentence(whole.positions, whole.valences, ends[:MAX_SENTENCES])
        return list(zip(shown, totals, strict=True))

    def _sentence_ends(self, text: str, sentences: list[str], token_count: int) -> list[int] | None:
        """The token index just past each sentence, or None if they do not line up.

        The library's tokenizer keeps one token per whitespace-separated piece of the
        emoji-described text (punctuation-only pieces included), so a sentence's
        token count is its number of described pieces, and the sentences lie end to
        end over the comment's tokens. That holds only if every sentence boundary
        falls on whitespace of the described text; a boundary inside a piece would
        split it in two and make the counts add up to more than ``token_count``. So
        the sum is checked: a future change to the split rule or to the tokenizer
        then shows up as missing sentence scores, never as misplaced ones.
        """
        if self._has_emoji(text):
            counts = [len(self._describe_emojis(sentence).split()) for sentence in sentences]
        else:
            counts = [len(sentence.split()) for sentence in sentences]
        ends = list(itertools.accumulate(counts))
        return ends if ends[-1] == token_count else None


_SENTENCE_COMPOUNDS: dict[float, float] = {}
_SENTENCE_COMPOUNDS_LIMIT = 50_000


def _sentence_compound(total: float) -> float:
    """``round(vader.normalize(total), 4)``, memoised: sentences of one or two sentiment
    words give the same few sums again and again.

    A zero (two in five sentences have no sentiment word) is its own answer, and is
    never looked up, so 0.0 and -0.0 (equal as keys) cannot be confused.
    """
    if total == 0:
        return total  # normalize(±0.0) is ±0.0, and so is its rounding
    compound = _SENTENCE_COMPOUNDS.get(total)
    if compound is None:
        if len(_SENTENCE_COMPOUNDS) >= _SENTENCE_COMPOUNDS_LIMIT:
            _SENTENCE_COMPOUNDS.clear()
        compound = _SENTENCE_COMPOUNDS[total] = round(vader.normalize(total), 4)
    return compound


def _sum_by_sentence(positions: list[int], valences: list[float], ends: list[int]) -> list[float]:
    """Sum ``valences`` by the sentence their token ``positions`` fall in.

    ``positions`` ascend and sentence ``k`` holds the tokens before ``ends[k]`` and
    from ``ends[k - 1]`` on. Valences past the last end (sentences not shown) are
    left out. Each sum adds its valences in token order, starting from 0.0.
    """
    totals = [0.0] * len(ends)
    sentence = 0
    last = len(ends) - 1
    for position, valence in zip(positions, valences, strict=True):
        while position >= ends[sentence]:
            if sentence == last:
                return totals
            sentence += 1
        totals[sentence] += valence
    return totals


def _apply_but_rule(valences: list[float], positions: list[int], but_index: int) -> None:
    """Reproduce ``SentimentIntensityAnalyzer._but_check`` in place, quirk included.

    The library walks the valence list and, for each value ``v``, rewrites the
    *first* entry currently equal to ``v`` (``list.index``) with ``v * 0.5`` if that
    entry's token is before the first "but", ``v * 1.5`` if after. When an earlier
    entry holds an equal value (a repeated score, or one produced by an earlier
    rewrite, e.g. 2.0 * 1.5 == 3.0), the earlier entry is rewritten and the later
    one keeps its value. Calling ``list.index`` per value is quadratic; here a heap
    of entry indices per value finds the same first entry.

    Facts this relies on:

    * At step ``k`` the value read is still the original one: every rewrite at step
      ``j`` lands on an entry <= ``j``.
    * The first equal entry is <= ``k``, because entry ``k`` itself holds ``v``.
    * Zeros (every token not in ``positions``, and any valence that came out 0)
      are skipped: rewriting a zero gives a zero, zeros never equal a non-zero
      value, and a zero's sign cannot change the sum, which starts from +0.
    """
    # value -> heap of earlier entries that held it when pushed (stale ones dropped lazily)
    holders: dict[float, list[int]] = {}
    # Only values read from the list are ever looked up; a rewritten value that is
    # not among them need not be recorded.
    looked_up = set(valences)
    for k, value in enumerate(valences):
        if value == 0:
            continue
        first = k
        earlier = holders.get(value)
        if earlier:
            while earlier and valences[earlier[0]] != value:
                heapq.heappop(earlier)
            if earlier:
                first = earlier[0]
        if positions[first] == but_index:
            # Left as is (cannot happen while "but" is not a lexicon word); entry k
            # still holds ``value``.
            heapq.heappush(holders.setdefault(value, []), k)
            continue
        if first != k:
            # ``first`` is rewritten below; entry k keeps ``value`` and takes its place.
            heapq.heapreplace(earlier, k)
        rewritten = value * 0.5 if positions[first] < but_index else value * 1.5
        valences[first] = rewritten
        if rewritten in looked_up:
            heapq.heappush(holders.setdefault(rewritten, []), first)


def _negation_check(valence: float, lowered: list[str], start_i: int, i: int) -> float:
    """``SentimentIntensityAnalyzer._negation_check`` on pre-lowercased tokens."""
    if start_i == 0:
        if _is_negation(lowered[i - 1]):
            valence = valence * vader.N_SCALAR
    elif start_i == 1:
        if lowered[i - 2] == "never" and lowered[i - 1] in _SO_THIS:
            valence = valence * 1.25
        elif lowered[i - 2] == "without" and lowered[i - 1] == "doubt":
            pass  # the library assigns valence = valence here
        elif _is_negation(lowered[i - 2]):
            valence = valence * vader.N_SCALAR
    elif start_i == 2:
        # Operator precedence as in the library: (never and so/this) or so/this.
        if (lowered[i - 3] == "never" and lowered[i - 2] in _SO_THIS) or (
            lowered[i - 1] in _SO_THIS
        ):
            valence = valence * 1.25
        elif lowered[i - 3] == "without" and (
            lowered[i - 2] == "doubt" or lowered[i - 1] == "doubt"
        ):
            pass
        elif _is_negation(lowered[i - 3]):
            valence = valence * vader.N_SCALAR
    return valence


def _special_idioms_check(valence: float, lowered: list[str], i: int) -> float:
    """``SentimentIntensityAnalyzer._special_idioms_check`` on pre-lowercased tokens.

    Only called with i >= 3. The library builds the same space-joined n-grams from a
    freshly lowercased copy of the whole token list.
    """
    special_cases = vader.SPECIAL_CASES
    one_zero = f"{lowered[i - 1]} {lowered[i]}"
    two_one_zero = f"{lowered[i - 2]} {lowered[i - 1]} {lowered[i]}"
    two_one = f"{lowered[i - 2]} {lowered[i - 1]}"
    three_two_one = f"{lowered[i - 3]} {lowered[i - 2]} {lowered[i - 1]}"
    three_two = f"{lowered[i - 3]} {lowered[i - 2]}"

    for sequence in (one_zero, two_one_zero, two_one, three_two_one, three_two):
        if sequence in special_cases:
            valence = special_cases[sequence]
            break

    if len(lowered) - 1 > i:
        zero_one = f"{lowered[i]} {lowered[i + 1]}"
        if zero_one in special_cases:
            valence = special_cases[zero_one]
    if len(lowered) - 1 > i + 1:
        zero_one_two = f"{lowered[i]} {lowered[i + 1]} {lowered[i + 2]}"
        if zero_one_two in special_cases:
            valence = special_cases[zero_one_two]

    # Booster/dampener bigrams such as "kind of" and "sort of".
    for n_gram in (three_two_one, three_two, two_one):
        if n_gram in vader.BOOSTER_DICT:
            valence = valence + vader.BOOSTER_DICT[n_gram]
    return valence


def _least_check(valence: float, lowered: list[str], i: int, lexicon: dict[str, float]) -> float:
    """``SentimentIntensityAnalyzer._least_check`` on pre-lowercased tokens."""
    if i > 1 and lowered[i - 1] not in lexicon and lowered[i - 1] == "least":
        if lowered[i - 2] != "at" and lowered[i - 2] != "very":
            valence = valence * vader.N_SCALAR
    elif i > 0 and lowered[i - 1] not in lexicon and lowered[i - 1] == "least":
        valence = valence * vader.N_SCALAR
    return valence


def _contributions(analysis: _Analysis) -> tuple[tuple[str, float], ...]:
    """Each word's summed valence, largest magnitude first (ties: first seen first).

    Rounded to 4 decimals for display; words whose valences cancel out are left out.
    """
    words = map(analysis.lowered.__getitem__, analysis.positions)
    # Counted first: long repetitive texts have few distinct (word, valence) pairs.
    pairs = Counter(zip(words, analysis.valences, strict=True))
    totals: dict[str, float] = {}
    for (word, valence), count in pairs.items():
        totals[word] = totals.get(word, 0.0) + valence * count
    rounded = [(word, round(total, 4)) for word, total in totals.items()]
    ranked = sorted(rounded, key=lambda item: -abs(item[1]))
    return tuple(item for item in ranked if item[1] != 0)


@cache
def default_scorer() -> SentimentScorer:
    """The process-wide scorer with default settings (lexicons loaded once)."""
    return SentimentScorer()


def driving_sentence(text: str, label: str) -> SentenceScore | None:
    """The sentence of ``text`` that pulls it furthest towards ``label`` (the stored
    label, which the configured thresholds decided): what a moderator reads first.

    None for a neutral label, a text of one sentence, or one whose sentences pull the
    other way or not at all. Worked out when a comment is shown, with the default
    scorer (a sentence's share does not depend on the thresholds): for one comment it
    costs a fraction of a millisecond, while keeping every comment's shares cost a
    tenth of a scoring run's CPU and half of the score table (migration 0021).
    """
    if label not in (POSITIVE, NEGATIVE):
        return None
    sign = 1.0 if label == POSITIVE else -1.0
    sentences = default_scorer().score(text).sentences
    strongest = max(sentences, key=lambda sentence: sentence.compound * sign, default=None)
    return strongest if strongest is not None and strongest.compound * sign > 0 else None
