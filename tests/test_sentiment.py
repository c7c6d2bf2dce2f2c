"""SentimentScorer gives exactly vaderSentiment's scores, plus labels, sentences and words.

The equivalence tests compare against the unmodified library itself, with ``==``:
not approximately, exactly.
"""

from __future__ import annotations

import math
import random
import re
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vaderSentiment import vaderSentiment as vader

from moderation.scoring import sentiment
from moderation.scoring.sentiment import (
    MAX_CHARS,
    MAX_SENTENCES,
    SentenceScore,
    SentimentResult,
    SentimentScorer,
    _apply_but_rule,
    default_scorer,
    driving_sentence,
    split_sentences,
    truncate_text,
)

LIBRARY = vader.SentimentIntensityAnalyzer()
SCORER = SentimentScorer()

LEXICON_WORDS = sorted(LIBRARY.lexicon)
EMOJI_CHARS = sorted(key for key in LIBRARY.emojis if len(key) == 1)
EMOJI_SEQUENCES = sorted(key for key in LIBRARY.emojis if len(key) > 1)
_FILLER_TEXT = (
    "the a an of to in and is it that this was for on with as at by from people they we you "
    "he she would could about just more their there what when which who will one all year "
    "new time other said think know government article"
)
FILLER = _FILLER_TEXT.split()
_MODIFIER_TEXT = (
    "but BUT But least at least very least no No NO or nor never so never this without doubt "
    "without a doubt kind of Kind Of kind sort of so this isn't don't wouldn't can't aint "
    "n't not never none"
)
MODIFIERS = _MODIFIER_TEXT.split()
PHRASES = [
    *vader.NEGATE,
    *vader.BOOSTER_DICT,
    *vader.SPECIAL_CASES,
    *vader.SENTIMENT_LADEN_IDIOMS,
    "no good",
    "no or bad",
    "no nor happy",
    "not no good",
    "at least good",
    "the least good",
    "never so good",
    "never this bad",
    "without doubt great",
    "without a doubt excellent",
    "kind of good",
    "sort of bad",
    "just enough fun",
]
EMOTICONS = [":)", ":(", ":-)", ":D", ";)", ":P", "<3", ":/", ":'(", "XD", "xd", "(:", "):"]
PUNCTUATION = ["!", "!!", "!!!", "!!!!!!", "?", "??", "???", "?!", "!?", ".", "...", "…", ",", ";"]
UNICODE = [
    "café",
    "naïve",
    "straße",
    "İstanbul",
    "ΣΟΦΙΑ",
    "ΟΔΟΣ",
    "Ünïcödé",
    "日本語",
    "مرحبا",
    "שלום",
    "e\u0301",
    "\u200d",
    "\ufe0f",
    "\u00a0",
    "\u3000",
    "\u2028",
    "\x00",
    "ＧＯＯＤ",
    "ﬁne",
]
SEPARATORS = [" "] * 20 + ["", "  ", "\t", "\n", "\n\n", " \u00a0", "\r\n"]


def _random_token(rng: random.Random) -> str:
    """One word-ish piece of a generated comment, drawn to exercise every VADER rule."""
    roll = rng.random()
    if roll < 0.30:
        token = rng.choice(LEXICON_WORDS)
    elif roll < 0.52:
        token = rng.choice(FILLER)
    elif roll < 0.64:
        token = rng.choice(MODIFIERS)
    elif roll < 0.72:
        token = rng.choice(PHRASES)
    elif roll < 0.78:
        token = rng.choice(EMOTICONS)
    elif roll < 0.85:
        token = "".join(rng.choice(EMOJI_CHARS) for _ in range(rng.randint(1, 3)))
    elif roll < 0.87:
        token = rng.choice(EMOJI_SEQUENCES)
    elif roll < 0.89:
        token = chr(rng.choice([rng.randint(0x1F300, 0x1FAFF), rng.randint(0x80, 0x2FFF)]))
    elif roll < 0.93:
        token = rng.choice(UNICODE)
    else:
        token = rng.choice(PUNCTUATION)
    shape = rng.random()
    if shape < 0.12:
        token = token.upper()
    elif shape < 0.18:
        token = token.title()
    if rng.random() < 0.15:
        token += rng.choice(PUNCTUATION)
    if rng.random() < 0.04:
        token = rng.choice(["(", '"', "'", "*", "-"]) + token
    return token


def _random_text(rng: random.Random, max_tokens: int) -> str:
    pieces = []
    for _ in range(rng.randint(0, max_tokens)):
        pieces.append(_random_token(rng))
        pieces.append(rng.choice(SEPARATORS))
    text = "".join(pieces)
    if rng.random() < 0.2:  # a whole comment in capitals, or shouting at the end
        text = text.upper() if rng.random() < 0.5 else text + rng.choice(PUNCTUATION)
    return text


def _generated_texts(count: int, seed: int) -> list[str]:
    """Deterministic texts: mostly short, some long (the library is slow on long ones)."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        size = rng.random()
        if size < 0.70:
            max_tokens = 20
        elif size < 0.95:
            max_tokens = 80
        elif size < 0.995:
            max_tokens = 250
        else:
            max_tokens = 1000
        texts.append(_random_text(rng, max_tokens))
    return texts


FIXED_TEXTS = [
    "",
    " ",
    "   \t\n  ",
    "\u3000",
    "!!!",
    "???",
    "?",
    "but",
    "BUT but good",
    "no",
    "no no",
    "no good",
    "least",
    "kind",
    "kind of",
    "of kind of good",
    "VADER is smart, handsome, and funny.",
    "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!",
    "VADER is not smart, handsome, nor funny.",
    "At least it isn't a horrible book.",
    "The book was only kind of good.",
    "The plot was good, but the characters are uncompelling and the dialog is not great.",
    "Today only kinda sux! But I'll get by, lol",
    "Make sure you :) or :D today!",
    "Catch utf-8 emoji such as 💘 and 💋 and 😁",
    "Sentiment analysis has never been this good!",
    "With VADER, sentiment analysis is the shit!",
    "On the other hand, VADER is quite bad ass",
    "Roger Dodger is one of the least compelling variations on this theme.",
    "Without a doubt, an excellent idea.",
    # The "but" rule rewrites the first *equal* value: repeats and 2.0 * 1.5 == 3.0 chains.
    "good good good but good good good",
    "happy love but happy love happy love",
    "love good but fine fine fine good good love love",
    "GOOD good good but BAD bad bad bad",
    "😁😁😁 but 😁😁😁",
    "😁a😁b😁 😁\t😁\n😁",
    "\ud800 lone surrogate \udfff good",
    "NUL\x00good\x00bad",
]


def _mismatches(texts: list[str]) -> list[tuple[str, dict, dict]]:
    found = []
    for text in texts:
        expected = LIBRARY.polarity_scores(text)
        fast = SCORER.polarity_scores(text)
        result = SCORER.score(text)
        full = {
            "neg": result.neg,
            "neu": result.neu,
            "pos": result.pos,
            "compound": result.compound,
        }
        if fast != expected or full != expected:
            found.append((text, expected, fast))
    return found


def test_fixed_texts_score_exactly_as_the_library() -> None:
    assert _mismatches(FIXED_TEXTS) == []


def test_ten_thousand_generated_texts_score_exactly_as_the_library() -> None:
    texts = _generated_texts(10_000, seed=20240611)
    assert len(set(texts)) > 9_000
    assert max(len(text.split()) for text in texts) > 600
    mismatches = _mismatches(texts)
    assert mismatches[:3] == [], f"{len(mismatches)} of {len(texts)} texts differ"


def test_generated_texts_exercise_the_rules() -> None:
    """Guard the generator: the equivalence test means little without these features."""
    texts = _generated_texts(2_000, seed=20240611)
    joined = "\n".join(texts)
    lowered = joined.lower()
    for feature in ["but", "least", "kind of", "never so", "without doubt", "the shit", "no "]:
        assert feature in lowered, feature
    assert "!!!" in joined and "??" in joined
    assert sum(any(char in LIBRARY.emojis for char in text) for text in texts) > 500
    assert sum(text.isupper() for text in texts) > 50
    assert "" in texts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_arbitrary_text_scores_exactly_as_the_library(text: str) -> None:
    assert SCORER.polarity_scores(text) == LIBRARY.polarity_scores(text)


_VOCABULARY = [
    *FILLER[:20],
    *MODIFIERS,
    *PHRASES[:40],
    *EMOTICONS,
    *EMOJI_CHARS[:40],
    *PUNCTUATION,
    *[word for word in LEXICON_WORDS if word.isalpha()][::40],
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(_VOCABULARY), st.sampled_from(["lower", "upper", "title"])),
        max_size=60,
    ),
    st.sampled_from([" ", "", "  ", "\n"]),
)
def test_word_salad_scores_exactly_as_the_library(
    tokens: list[tuple[str, str]], separator: str
) -> None:
    text = separator.join(getattr(word, shape)() for word, shape in tokens)
    assert SCORER.polarity_scores(text) == LIBRARY.polarity_scores(text)


# Values chosen so that rewrites collide: 1.0 * 1.5 == 1.5, 1.5 * 1.5 == 2.25, 2.0 * 0.5 == 1.0.
_COLLIDING_VALUES = [0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.25, 3.0, 4.5, -1.0, -1.5, -2.0, -2.25, -3.0]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_COLLIDING_VALUES), min_size=1, max_size=40), st.data())
def test_but_rule_rewrites_exactly_the_entries_the_library_rewrites(
    values: list[float], data: st.DataObject
) -> None:
    """The quirk: list.index finds the *first* equal value, which may be another entry."""
    but_index = data.draw(st.integers(0, len(values) - 1))
    words = ["but" if index == but_index else "word" for index in range(len(values))]
    expected = vader.SentimentIntensityAnalyzer._but_check(words, list(values))
    positions = [index for index, value in enumerate(values) if value != 0]
    valences = [values[index] for index in positions]
    _apply_but_rule(valences, positions, but_index)
    ours = [0] * len(values)
    for position, valence in zip(positions, valences, strict=True):
        ours[position] = valence
    assert ours == expected


# -- labels ----------------------------------------------------------------------


def test_labels_use_the_thresholds_inclusively() -> None:
    assert SCORER.label_for(0.05) == "positive"
    assert SCORER.label_for(0.0499) == "neutral"
    assert SCORER.label_for(-0.0499) == "neutral"
    assert SCORER.label_for(-0.05) == "negative"
    assert SCORER.score("I love this, great work!").label == "positive"
    assert SCORER.score("This is a terrible, awful lie.").label == "negative"
    assert SCORER.score("The council meets on Tuesday.").label == "neutral"


def test_thresholds_are_configurable() -> None:
    text = "It is fine."
    compound = LIBRARY.polarity_scores(text)["compound"]
    assert 0.05 < compound < 0.9
    strict = SentimentScorer(positive_threshold=0.9, negative_threshold=-0.9)
    assert SCORER.score(text).label == "positive"
    assert strict.score(text).label == "neutral"
    assert strict.score(text).compound == compound


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError):
        SentimentScorer(positive_threshold=-0.5, negative_threshold=0.5)
    with pytest.raises(ValueError):
        SentimentScorer(max_chars=0)


# -- sentences -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("One. Two! Three? Four… Five", ["One.", "Two!", "Three?", "Four…", "Five"]),
        ("Wait!!! Really?! ok", ["Wait!!!", "Really?!", "ok"]),
        ('He said "great." Then left.', ['He said "great."', "Then left."]),
        ("(Or so it seems.) Fine.", ["(Or so it seems.)", "Fine."]),
        ("Version 3.3.2 is out.Good", ["Version 3.3.2 is out.Good"]),
        ("line one\nline two\n\n\nline three", ["line one", "line two", "line three"]),
        ("Mr. Smith agrees.", ["Mr.", "Smith agrees."]),
        ("  \n \t ", []),
        ("", []),
    ],
)
def test_sentence_split_rule(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


class _RecordingAnalyzer(vader.SentimentIntensityAnalyzer):
    """The unmodified library, keeping the per-token valences of its last call.

    ``score_valence`` receives one valence per token after every rule, the "but"
    rule included: the library's own answer to "what did each word contribute".
    """

    sentiments: list[float]

    def score_valence(self, sentiments: list, text: str) -> dict:
        self.sentiments = list(sentiments)
        return super().score_valence(sentiments, text)


RECORDER = _RecordingAnalyzer()


def _library_sentence_sums(text: str) -> list[float]:
    """Each sentence's summed valence in the library's analysis of the whole text.

    The sentence's tokens are found by the library itself: scoring the sentence
    alone yields one valence per token, so their count says how many of the whole
    text's tokens it covers. Sums run in token order from 0.0, as the scorer's do.
    """
    RECORDER.polarity_scores(text)
    whole = RECORDER.sentiments
    sums = []
    start = 0
    for sentence in split_sentences(text):
        RECORDER.polarity_scores(sentence)
        end = start + len(RECORDER.sentiments)
        total = 0.0
        for valence in whole[start:end]:
            total += valence
        sums.append(total)
        start = end
    assert start == len(whole), "the library's sentence tokens do not cover the text"
    return sums


def _sentence_compounds(text: str) -> list[float]:
    return [sentence.compound for sentence in SCORER.score(text).sentences]


def _expected_compounds(text: str) -> list[float]:
    """What the scorer must give: normalize() of the library's per-sentence sums."""
    sums = _library_sentence_sums(text)
    if len(sums) < 2:
        return []
    return [round(vader.normalize(total), 4) for total in sums[:MAX_SENTENCES]]


def test_sentence_scores_are_the_library_valences_of_their_words() -> None:
    text = "I love this paper. The editorial was a disgrace!! Why?? Not bad at all."
    result = SCORER.score(text)
    assert [sentence.text for sentence in result.sentences] == split_sentences(text)
    assert all(isinstance(sentence, SentenceScore) for sentence in result.sentences)
    assert _sentence_compounds(text) == _expected_compounds(text)
    love, disgrace, why, not_bad = _sentence_compounds(text)
    assert love > 0 and disgrace < 0 and why == 0.0 and not_bad > 0
    # "!!" and "??" add no emphasis to a sentence (VADER alone would add it).
    assert disgrace == round(vader.normalize(LIBRARY.lexicon["disgrace"]), 4)
    assert disgrace > LIBRARY.polarity_scores("The editorial was a disgrace!!")["compound"]


def test_generated_texts_get_the_library_valences_per_sentence() -> None:
    """The exact oracle, over texts with emoji, odd whitespace, capitals and "but"."""
    texts = [*FIXED_TEXTS, *_generated_texts(1_500, seed=20240612)]
    several = [text for text in texts if 2 <= len(split_sentences(text)) <= MAX_SENTENCES]
    assert len(several) > 300
    assert sum(SCORER._has_emoji(text) for text in several) > 100
    mismatches = [text for text in texts if _sentence_compounds(text) != _expected_compounds(text)]
    assert mismatches[:3] == []
    # Never the fallback: every text of several sentences gets its breakdown.
    assert all(SCORER.score(text).sentences for text in several)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(_VOCABULARY), st.sampled_from(["lower", "upper", "title"])),
        max_size=60,
    ),
    st.sampled_from([" ", "  ", "\n", ". ", "! "]),
)
def test_word_salad_sentences_get_the_library_valences(
    tokens: list[tuple[str, str]], separator: str
) -> None:
    text = separator.join(getattr(word, shape)() for word, shape in tokens)
    assert _sentence_compounds(text) == _expected_compounds(text)


def _raw_sums(text: str) -> tuple[list[float], list[float]]:
    """The scorer's per-sentence sums and the comment's per-word valences."""
    analysis = SCORER._analyse(text)
    sums = [total for _, total in SCORER._sentence_valences(text, analysis)]
    return sums, analysis.valences


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_sentence_sums_add_up_to_the_comment_sum(text: str) -> None:
    sums, valences = _raw_sums(text)
    sentences = split_sentences(text)
    if len(sentences) < 2:
        assert sums == []
        return
    assert len(sums) == min(len(sentences), MAX_SENTENCES)
    if len(sentences) <= MAX_SENTENCES:
        assert math.isclose(math.fsum(sums), math.fsum(valences), abs_tol=1e-9)
    assert all(-1.0 <= sentence.compound <= 1.0 for sentence in SCORER.score(text).sentences)


def test_sentence_sums_rebuild_the_library_compound() -> None:
    """Adding the comment's "!"/"?" emphasis back to the sentences' sums gives its score."""
    text = "What a great plan. The roads are awful!!! Who pays?? Nobody, sadly. Fine."
    sums, _ = _raw_sums(text)
    assert len(sums) == 5
    total = math.fsum(sums)
    emphasis = LIBRARY._punctuation_emphasis(text)
    assert emphasis > 0
    rebuilt = total + emphasis if total > 0 else total - emphasis
    assert round(vader.normalize(rebuilt), 4) == LIBRARY.polarity_scores(text)["compound"]


_POSITIVE_WORDS = ["good", "great", "happy", "love", "nice"]
_NEGATIVE_WORDS = ["bad", "awful", "sad", "hate", "terrible"]
_NEUTRAL_WORDS = ["the", "council", "met", "on", "tuesday", "food", "service", "we"]


def test_sentence_vocabulary_is_plain() -> None:
    """The words below carry their lexicon valence unmodified: no boosters or negations."""
    for word in _POSITIVE_WORDS + _NEGATIVE_WORDS:
        assert word in LIBRARY.lexicon and word not in vader.BOOSTER_DICT
    for word in _NEUTRAL_WORDS:
        assert word not in LIBRARY.lexicon and word not in vader.BOOSTER_DICT
        assert word not in vader.NEGATE and word not in {"but", "least", "kind", "no"}
    assert all(LIBRARY.lexicon[word] > 0 for word in _POSITIVE_WORDS)
    assert all(LIBRARY.lexicon[word] < 0 for word in _NEGATIVE_WORDS)


_plain_sentence = st.lists(
    st.sampled_from(_NEUTRAL_WORDS + _POSITIVE_WORDS), min_size=1, max_size=12
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_plain_sentence, min_size=1, max_size=8),
    st.lists(st.sampled_from(_NEGATIVE_WORDS), min_size=1, max_size=5),
    st.lists(st.sampled_from(_NEUTRAL_WORDS), max_size=5),
    st.data(),
)
def test_the_sentence_holding_the_negative_words_scores_lowest(
    others: list[list[str]], negatives: list[str], filler: list[str], data: st.DataObject
) -> None:
    where = data.draw(st.integers(0, len(others)))
    negative_sentence = data.draw(st.permutations(negatives + filler))
    sentences = [" ".join(words) + "." for words in others]
    sentences.insert(where, " ".join(negative_sentence) + ".")
    compounds = _sentence_compounds(" ".join(sentences))
    assert len(compounds) == len(sentences)
    assert compounds[where] < 0
    assert compounds[where] == min(compounds)
    for words, compound in zip(others, compounds[:where] + compounds[where + 1 :], strict=True):
        if set(words).isdisjoint(_POSITIVE_WORDS):
            assert compound == 0.0
        else:
            assert compound > 0


def test_a_sentence_without_sentiment_words_scores_zero() -> None:
    text = "The food was good. We met on Tuesday at nine. The service was horrible and rude."
    good, neutral, horrible = _sentence_compounds(text)
    lexicon = LIBRARY.lexicon
    assert neutral == 0.0
    assert good == round(vader.normalize(lexicon["good"]), 4)
    assert horrible == round(vader.normalize(lexicon["horrible"] + lexicon["rude"]), 4)
    assert horrible == min(good, neutral, horrible)


def test_modifiers_reach_across_sentence_boundaries_as_in_the_comment() -> None:
    lexicon = LIBRARY.lexicon
    # The negation before the full stop still negates "Good", as in the comment's score.
    negated = SCORER.score("It is not. Good.")
    assert [sentence.compound for sentence in negated.sentences] == [
        0.0,
        round(vader.normalize(lexicon["good"] * vader.N_SCALAR), 4),
    ]
    assert negated.sentences[1].compound < 0 < LIBRARY.polarity_scores("Good.")["compound"]
    assert negated.compound < 0
    # "But" in the second sentence halves the first and boosts the second.
    contrast = _sentence_compounds("The food was good. But the service was bad.")
    assert contrast == [
        round(vader.normalize(lexicon["good"] * 0.5), 4),
        round(vader.normalize(lexicon["bad"] * 1.5), 4),
    ]


def test_single_sentence_comment_has_no_sentence_breakdown() -> None:
    assert SCORER.score("Just one sentence here, nothing more!").sentences == ()


def test_the_driving_sentence_pulls_hardest_towards_the_label() -> None:
    text = "The food was good. We met on Tuesday at nine. The service was horrible and rude."
    good, _, horrible = SCORER.score(text).sentences
    assert driving_sentence(text, "negative") == horrible
    assert driving_sentence(text, "positive") == good
    # Neutral drives nowhere; one sentence is the whole comment; nothing pulls that way.
    assert driving_sentence(text, "neutral") is None
    assert driving_sentence("The service was horrible and rude.", "negative") is None
    assert driving_sentence("Good food. Great wine.", "negative") is None


def test_sentences_come_in_text_order_and_repeat_exactly() -> None:
    text = "Awful start. Then it got better… Great ending!\nLoved it, mostly. 😁 The end"
    first = SCORER.score(text)
    assert [sentence.text for sentence in first.sentences] == split_sentences(text)
    assert first.sentences == SCORER.score(text).sentences
    assert first.sentences == SentimentScorer().score(text).sentences
    assert first.sentences[0].compound < 0 < first.sentences[2].compound


def test_sentence_breakdown_is_capped() -> None:
    lexicon = LIBRARY.lexicon
    result = SCORER.score("Good. Bad. " * (MAX_SENTENCES + 50))
    assert len(result.sentences) == MAX_SENTENCES
    good = round(vader.normalize(lexicon["good"]), 4)
    bad = round(vader.normalize(lexicon["bad"]), 4)
    compounds = [sentence.compound for sentence in result.sentences]
    assert compounds == [good, bad] * (MAX_SENTENCES // 2)
    # Words after the last shown sentence count in the comment's score only.
    text = "Fine. " + "We met. " * (MAX_SENTENCES - 1) + "Awful, awful, awful. Terrible!"
    tail = SCORER.score(text)
    assert len(tail.sentences) == MAX_SENTENCES
    assert tail.compound < 0 < tail.sentences[0].compound
    sums, _ = _raw_sums(text)
    assert sums == [lexicon["fine"]] + [0.0] * (MAX_SENTENCES - 1)


def test_sentences_that_do_not_line_up_with_the_tokens_give_no_breakdown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A boundary inside a word must drop the breakdown, not shift scores onto neighbours."""
    text = "good day. Bad news"
    assert len(SCORER.score(text).sentences) == 2
    monkeypatch.setattr(sentiment, "split_sentences", lambda _: ["go", "od day. Bad news"])
    assert SCORER.score(text).sentences == ()
    monkeypatch.setattr(sentiment, "split_sentences", lambda _: ["good day.", "Bad"])
    assert SCORER.score(text).sentences == ()


_DOCUMENTED_SENTENCE_END = re.compile(r"[.!?…][.!?…\"'”’)\]]*(?=\s)|\n")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=".!?…\"'”’)](ab \n\t\u2028\u00a0", max_size=40) | st.text(max_size=80))
def test_sentence_ends_follow_the_documented_rule(text: str) -> None:
    expected = [match.span() for match in _DOCUMENTED_SENTENCE_END.finditer(text)]
    assert [match.span() for match in sentiment._SENTENCE_END.finditer(text)] == expected


# -- words and explanation -------------------------------------------------------

EXAMPLE = (
    "Nothing new here! Americans commit the crimes then blame others. "
    "What is sad is people believe their lies…"
)


def test_words_are_the_contributing_lexicon_words_by_weight() -> None:
    result = SCORER.score(EXAMPLE)
    lexicon = LIBRARY.lexicon
    # VADER 3.3.2 has no "crimes", and "lies…" keeps its ellipsis (only ASCII
    # punctuation is stripped), so neither contributes.
    assert result.words == (
        ("sad", lexicon["sad"]),
        ("blame", lexicon["blame"]),
        ("commit", lexicon["commit"]),
    )
    assert result.label == "negative"
    assert result.explanation == "negative because: sad, blame"


def test_words_carry_the_modified_valence() -> None:
    lexicon = LIBRARY.lexicon
    negated = SCORER.score("The service was not good.")
    assert negated.words == (("good", round(lexicon["good"] * vader.N_SCALAR, 4)),)
    contrast = SCORER.score("The food was good but the service was horrible")
    assert contrast.words == (
        ("horrible", round(lexicon["horrible"] * 1.5, 4)),
        ("good", round(lexicon["good"] * 0.5, 4)),
    )
    repeated = SCORER.score("bad, bad, bad day")
    assert repeated.words == (("bad", round(3 * lexicon["bad"], 4)),)


def test_explanations() -> None:
    assert SCORER.score("What a wonderful, happy day").explanation == (
        "positive because: wonderful, happy"
    )
    assert SCORER.score("The council meets on Tuesday.").explanation == (
        "neutral: no sentiment words"
    )
    lexicon = LIBRARY.lexicon
    opposite = next(word for word in LEXICON_WORDS if lexicon[word] == -lexicon["good"])
    mixed = SCORER.score(f"good {opposite}")
    assert mixed.label == "neutral"
    assert mixed.explanation == f"neutral: mixed or weak words: good, {opposite}"


# -- long and hostile input ------------------------------------------------------


def test_long_text_is_cut_at_a_word_boundary_and_flagged() -> None:
    text = "great " * 3000 + "awful " * 3000  # 36,000 characters
    result = SCORER.score(text)
    kept, truncated = truncate_text(text)
    assert truncated and result.truncated
    assert len(kept) <= MAX_CHARS
    assert kept.split() == text[: len(kept)].split()
    assert all(word in {"great", "awful"} for word in kept.split())
    assert result.compound == LIBRARY.polarity_scores(kept)["compound"]


def test_text_without_whitespace_is_cut_at_the_limit() -> None:
    kept, truncated = truncate_text("x" * (MAX_CHARS + 10))
    assert truncated and kept == "x" * MAX_CHARS
    assert truncate_text("short") == ("short", False)
    assert truncate_text("a" * MAX_CHARS) == ("a" * MAX_CHARS, False)


def test_twenty_thousand_character_plain_text_scores_exactly() -> None:
    rng = random.Random(7)
    words = [rng.choice(LEXICON_WORDS + FILLER * 4) for _ in range(5000)]
    text = " ".join(words)[:MAX_CHARS]
    result = SCORER.score(text)
    assert not result.truncated
    expected = LIBRARY.polarity_scores(text)
    assert (result.compound, result.pos, result.neu, result.neg) == (
        expected["compound"],
        expected["pos"],
        expected["neu"],
        expected["neg"],
    )


def test_twenty_thousand_character_emoji_text_is_scored() -> None:
    """Too slow for the library to compare with; checked against our own fast path."""
    rng = random.Random(8)
    pieces = [rng.choice(EMOJI_CHARS + [" ", "but", "!"]) for _ in range(MAX_CHARS)]
    text = "".join(pieces)[:MAX_CHARS]
    result = SCORER.score(text)
    assert not result.truncated
    assert result.label in {"positive", "neutral", "negative"}
    assert result.words
    scores = SCORER.polarity_scores(text)
    assert (result.compound, result.pos, result.neu, result.neg) == (
        scores["compound"],
        scores["pos"],
        scores["neu"],
        scores["neg"],
    )


def test_non_text_is_refused() -> None:
    with pytest.raises(TypeError):
        SCORER.score(b"good")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        SCORER.score(None)  # type: ignore[arg-type]


# -- determinism -----------------------------------------------------------------


def test_scoring_is_deterministic() -> None:
    texts = _generated_texts(200, seed=99)
    first = [SCORER.score(text) for text in texts]
    fresh = SentimentScorer()
    again = [fresh.score(text) for text in reversed(texts)][::-1]
    assert first == again
    assert all(isinstance(result, SentimentResult) for result in first)


def test_default_scorer_is_built_once() -> None:
    assert default_scorer() is default_scorer()
    assert default_scorer().score(EXAMPLE) == SCORER.score(EXAMPLE)


def test_result_is_immutable() -> None:
    result = SCORER.score("good")
    with pytest.raises(AttributeError):
        result.compound = 1.0  # type: ignore[misc]


def test_generated_texts_are_reproducible() -> None:
    assert _generated_texts(50, seed=1) == _generated_texts(50, seed=1)
    assert sys.maxunicode > 0xFFFF  # the emoji ranges above need a wide build


def test_sentence_breakdown_can_be_skipped() -> None:
    text = "I love this paper. The editorial was a disgrace!!"
    full = SCORER.score(text)
    lean = SCORER.score(text, with_sentences=False)
    assert len(full.sentences) == 2
    assert lean.sentences == ()
    assert (lean.compound, lean.pos, lean.neu, lean.neg, lean.words) == (
        full.compound,
        full.pos,
        full.neu,
        full.neg,
        full.words,
    )


def test_pieces_handed_over_give_the_same_result() -> None:
    long_text = "good day " * (MAX_CHARS // 8)  # truncated: its pieces are not the cut text's
    texts = [*_generated_texts(300, seed=5), long_text]
    assert all(SCORER.score(t, pieces=t.split()) == SCORER.score(t) for t in texts)
    assert SCORER.score(long_text, pieces=long_text.split()).truncated


def test_the_piece_cache_stays_bounded_and_right(monkeypatch) -> None:
    monkeypatch.setattr(sentiment._PieceCache, "LIMIT", 50)
    scorer = SentimentScorer()
    texts = _generated_texts(500, seed=6)
    for text in texts * 2:  # the second time round, from a cache emptied again and again
        assert scorer.polarity_scores(text) == LIBRARY.polarity_scores(text)
        assert len(scorer._pieces._token) <= 50 + len(text.split())
    overlong = "x" * (sentiment._PieceCache.MAX_PIECE + 1)
    scorer.polarity_scores(f"{overlong} good")
    assert overlong not in scorer._pieces._token
