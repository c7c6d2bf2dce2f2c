"""Shared term handling for lexical scoring: tokenising, stop words and light stemming.

A *term* is what two texts must have in common to count as talking about the same thing:
a lower-cased word with apostrophes removed, not a stop word, reduced by a light suffix
stripper so that "sanctions", "sanctioned" and "sanctioning" all become the term "sanction".

The stemmer is deliberately small (a few English suffix rules, in the spirit of the first
steps of Porter's algorithm) rather than a full Porter or Snowball stemmer: it only has to map
the forms of one word onto the same key, consistently, and never needs to produce a real
word. Over-merging a few unrelated words ("rate"/"rated"/"rating" -> "rat") costs little for
topic matching; missing the link between "vaccine" and "vaccinated" costs a lot.

Everything here is pure and deterministic; `stem` is memoised because the same few thousand
words recur in every comment.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

# Runs of letters and digits. Underscores are excluded so that "snake_case" splits in two.
_WORD = re.compile(r"[^\W_]+")
# The same for ASCII text, done by turning every other character into a space and splitting,
# which is about twice as fast as the regular expression.
_ASCII_SEPARATORS = str.maketrans(
    {character: " " for character in map(chr, range(128)) if not character.isalnum()}
)
# A possessive "'s" goes entirely ("huawei's" -> "huawei"); other apostrophes are dropped so
# that contractions stay one token ("don't" -> "dont").
_POSSESSIVE = re.compile(r"['’]s\b")
_APOSTROPHES = str.maketrans("", "", "'’")

# Tokens shorter than this carry no topic ("a", "x", the "d" of "R&D").
MIN_TERM_LENGTH = 2

# Common English function words, plus the filler that fills reader comments ("lol", "tbh",
# "people", "think") and says nothing about what a comment is about. Written without
# apostrophes because tokens have theirs removed ("don't" -> "dont").
_STOP_WORD_LIST = """
    a about above after again against all almost along already also although always am among
    an and another any anybody anyone anything anyway anywhere are around as at away back be
    became because become been before being below between both but by came can cannot could
    did do does doing done down during each either else enough even ever every everybody
    everyone everything few for from further get gets getting give given go goes going gone
    got had has have having he her here hers herself him himself his how however i if in
    instead into is it its itself just least less let like made make makes many may maybe me
    might mine more most much must my myself neither never next no nobody none nor not
    nothing now of off often on once one only onto or other others otherwise our ours
    ourselves out over own per perhaps put quite rather really said same say says see seen
    shall she should since so some somebody someone something sometimes somewhat soon still
    such take than that the their theirs them themselves then there these they thing things
    this those though through thus to too took toward towards under until up upon us very
    via was way we well went were what whatever when whenever where whether which while who
    whoever whole whom whose why will with within without would yet you your yours yourself
    yourselves dont doesnt didnt isnt arent wasnt werent wont wouldnt cant couldnt shouldnt
    havent hasnt hadnt im ive id ill youre youve youd youll hes shes theyre theyve theyd
    theyll were weve wed well thats theres heres whats whos lets aint lol lmao haha tbh imo
    imho btw omg yeah yes yep nope ok okay oh ah hey hi please thanks thank pls plz etc
    people person think thought know knew want wanted need needs look looks looked mean
    means said tell told actually literally basically honestly seriously totally probably
    simply new old good bad great lot lots bit little big sure right wrong time times day
    days year years today yesterday tomorrow week weeks two three four five six seven eight
    nine ten first second last mr mrs ms dr st across near around amid according including
    several possible set
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_WORD_LIST.split())


_DIGIT = re.compile(r"\d")
_NOT_ASCII_DIGIT = bytes(code for code in range(128) if not 0x30 <= code <= 0x39)


def has_digit(text: str) -> bool:
    """Whether ``text`` holds a decimal digit (what ``\\d`` matches).

    Most comments are ASCII, where ``\\d`` is 0-9 alone, and ``bytes.translate``
    drops every other byte in C several times faster than the expression scans.
    """
    if text.isascii():
        return bool(text.encode("ascii").translate(None, _NOT_ASCII_DIGIT))
    return _DIGIT.search(text) is not None


def tokenize(text: str) -> list[str]:
    """Split text into lower-case word tokens with apostrophes removed.

    Unicode is normalised (NFKC) first so that full-width letters and ligatures match their
    plain forms. Emoji, punctuation and symbols are dropped.
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = text.lower()
    if "'" in text or "’" in text:
        text = _POSSESSIVE.sub("", text).translate(_APOSTROPHES)
    if text.isascii():
        return text.translate(_ASCII_SEPARATORS).split()
    return _WORD.findall(text)


def _is_vowel(word: str, index: int) -> bool:
    letter = word[index]
    if letter in "aeiou":
        return True
    # "y" after a consonant acts as a vowel ("city"), otherwise as a consonant ("yes").
    return letter == "y" and index > 0 and not _is_vowel(word, index - 1)


def _has_vowel(stem: str) -> bool:
    return any(_is_vowel(stem, index) for index in range(len(stem)))


# Suffix rules, each group applied at most once, longest suffix first. A rule fires only if
# what remains is at least three letters long and contains a vowel, which protects short words
# ("news", "bus", "sing") from being cut down to nothing; if it cannot fire, the next rule of
# the group is tried ("lies" -> not "l" -> "lie").
_INFLECTIONS: tuple[tuple[str, str], ...] = (
    ("ies", "y"),
    ("sses", "ss"),
    ("ings", ""),
    ("ing", ""),
    ("edly", ""),
    ("ed", ""),
    ("es", "e"),
    ("s", ""),
)
_DERIVATIONS: tuple[tuple[str, str], ...] = (
    ("ational", ""),
    ("ations", ""),
    ("ation", ""),
    ("ments", ""),
    ("ment", ""),
    ("nesses", ""),
    ("ness", ""),
    ("ities", ""),
    ("ity", ""),
    ("ers", ""),
    ("er", ""),
    ("ate", ""),
    ("ly", ""),
)
# Endings that merely look like plurals or past tenses ("analysis", "virus", "glass").
_NOT_INFLECTED = ("ss", "us", "is", "ous")
# After "-ed"/"-ing" these endings had a silent "e" ("vaccinated" -> "vaccinate").
_RESTORE_E = ("at", "bl", "iz")
_MIN_STEM = 3


def _strip_suffix(word: str, rules: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    """Apply the first rule that fits; return the new word and the suffix removed ("" if none)."""
    for suffix, replacement in rules:
        if word.endswith(suffix):
            stem = word[: len(word) - len(suffix)]
            if len(stem) >= _MIN_STEM and _has_vowel(stem):
                return stem + replacement, suffix
    return word, ""


def _undouble(word: str) -> str:
    # "stopp" -> "stop", "planner" -> "plann" -> "plan"; keep "ll"/"ss"/"zz" ("football").
    if len(word) > _MIN_STEM and word[-1] == word[-2] and word[-1] not in "aeioulsz":
        return word[:-1]
    return word


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Reduce a lower-case word to a key shared by its inflected and derived forms.

    >>> [stem(w) for w in ("sanctions", "sanctioned", "vaccine", "vaccinated", "rates")]
    ['sanction', 'sanction', 'vaccin', 'vaccin', 'rat']
    """
    if len(word) <= _MIN_STEM or not word.isalpha():
        return word
    if not word.endswith(_NOT_INFLECTED):
        word, removed = _strip_suffix(word, _INFLECTIONS)
        if removed in ("ing", "ings", "ed", "edly"):
            word = word + "e" if word.endswith(_RESTORE_E) else _undouble(word)
    word, _ = _strip_suffix(word, _DERIVATIONS)
    if word.endswith("e") and len(word) > _MIN_STEM:
        word = word[:-1]
    return _undouble(word)


# Numbers, amounts and ordinals ("2019", "48m", "36c", "14th", "65s"): the same figure in two
# texts is more often coincidence than shared topic. Names like "5g", "a59" or "m62" stay.
_NUMBER_LIKE = re.compile(r"\d+(?:st|nd|rd|th|s|m|bn|k|c|f|p|am|pm|x|km|kg|mph|ft)?")


def is_content_word(token: str) -> bool:
    """True for tokens that can carry topic: long enough, not a stop word, not a number."""
    return (
        len(token) >= MIN_TERM_LENGTH
        and token not in STOP_WORDS
        and not _NUMBER_LIKE.fullmatch(token)
    )


# token -> its term, or "" for tokens that carry no topic. A plain dict rather than
# functools.lru_cache because `terms_of` looks up a whole comment's tokens in one C-level
# map(); it is emptied when it grows past the limit, so hostile input cannot exhaust memory.
_TERM_CACHE: dict[str, str] = {}
_TERM_CACHE_LIMIT = 200_000


def _learn_term(token: str) -> str:
    if len(_TERM_CACHE) >= _TERM_CACHE_LIMIT:
        _TERM_CACHE.clear()
    term = stem(token) if is_content_word(token) else ""
    _TERM_CACHE[token] = term
    return term


def term_of(token: str) -> str | None:
    """The term a token stands for, or None if it carries no topic (memoised)."""
    term = _TERM_CACHE.get(token)
    if term is None:
        term = _learn_term(token)
    return term or None


def terms_of(tokens: list[str]) -> list[str]:
    """The term of each token, in order, with "" for tokens that carry no topic."""
    terms = list(map(_TERM_CACHE.get, tokens))
    if None in terms:
        terms = [
            term if term is not None else _learn_term(token)
            for term, token in zip(terms, tokens, strict=True)
        ]
    return terms  # type: ignore[return-value]


def content_terms(text: str) -> list[str]:
    """The stemmed content terms of a text, in order, with repeats."""
    return [term for term in terms_of(tokenize(text)) if term]


def term_counts(text: str) -> Counter[str]:
    """How often each stemmed content term occurs in the text."""
    return Counter(content_terms(text))


def terms_with_surface_forms(text: str) -> tuple[Counter[str], dict[str, str]]:
    """Term counts plus, for each term, its most frequent written form (for explanations).

    Ties between written forms go to the one seen first, so the result is deterministic.
    """
    counts: Counter[str] = Counter()
    form_counts: dict[str, Counter[str]] = {}
    for token in tokenize(text):
        term = term_of(token)
        if term is None:
            continue
        counts[term] += 1
        form_counts.setdefault(term, Counter())[token] += 1
    surface = {term: forms.most_common(1)[0][0] for term, forms in form_counts.items()}
    return counts, surface
