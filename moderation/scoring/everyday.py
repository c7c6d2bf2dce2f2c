"""How much a term is an everyday English word, and so how little it says about a topic.

Corpus statistics (`moderation.scoring.drift.CorpusStats`) tell distinctive words from common
ones by counting the articles that use them. With few articles that count is a poor guide: in
a dozen stories "town", "best" or "summer" may each appear in one, and then look as
distinctive as "sanctions" or "sourdough". General English frequencies fill the gap. They come
from `wordfreq` (frequencies over Wikipedia, subtitles, news, books and the web, shipped
inside the package: nothing is downloaded), whose data is frozen, so scores stay
reproducible.

A term's frequency is the summed frequency of the English words that reduce to it ("rate",
"rates", "rated" and "rating" all count for the term "rat"), on the Zipf scale: log10 of
occurrences per billion words. "the" is about 7.7, "town" 5.2, "sanctions" 4.0, "sourdough"
2.8. A term's *everyday weight* multiplies its informativeness:

    weight = (EVERYDAY_ZERO_ZIPF - zipf) / (EVERYDAY_ZERO_ZIPF - FULL_WEIGHT_ZIPF)

clipped to [MIN_EVERYDAY_WEIGHT, 1]: terms no more frequent than FULL_WEIGHT_ZIPF (4, about
one word in 100,000: "wildfire", "arson") count fully, "mortgage" 0.88, "striker" 0.76,
"town" 0.67, "best" 0.54. Words the list does not know (names, slang, typos) count fully.

The curve's two ends were chosen on the labelled evaluation set, from a plateau: full weight
at Zipf 3.5 to 4.5 and zero at 7 to 8.5 all gave a swap test of 0.90 or within 0.002 of it,
against 0.889 without everyday weights, and a better off-topic ROC AUC (0.913 to 0.919
against 0.907).
"""

from __future__ import annotations

import math
from collections import defaultdict
from functools import cache

from .terms import is_content_word, stem, tokenize

LANGUAGE = "en"
FULL_WEIGHT_ZIPF = 4.0
EVERYDAY_ZERO_ZIPF = 8.0
MIN_EVERYDAY_WEIGHT = 0.1
# Words rarer than one in a million (wordfreq's frequency buckets are centibels: bucket 600
# is 10**-6) cannot lift a term above FULL_WEIGHT_ZIPF unless hundreds of them share it;
# leaving them out keeps the table to about 30,000 words and 0.15 s to build.
_RAREST_BUCKET = 600


_ADOPTED: dict[str, float] | None = None


def adopt_everyday_weights(weights: dict[str, float]) -> None:
    """Use ``weights``, what :func:`everyday_weights` returned in another process of the
    same code and data (so the very same table), rather than build them: a scoring
    worker takes its parent's, and starts a third of a second sooner."""
    global _ADOPTED
    _ADOPTED = dict(weights)
    everyday_weights.cache_clear()


@cache
def everyday_weights() -> dict[str, float]:
    """Every term whose everyday weight is below 1, with that weight. Built once per process
    (or adopted from another: :func:`adopt_everyday_weights`)."""
    if _ADOPTED is not None:
        return _ADOPTED
    import wordfreq  # 0.15 s to import: only when drift is first scored

    frequency: defaultdict[str, float] = defaultdict(float)
    buckets = wordfreq.get_frequency_list(LANGUAGE)[: _RAREST_BUCKET + 1]
    # wordfreq keeps its whole list cached (about 25 MB); what drift needs is built here.
    wordfreq.get_frequency_list.cache_clear()
    for centibels, words in enumerate(buckets):
        word_frequency = wordfreq.cB_to_freq(-centibels)
        for word in words:
            tokens = tokenize(word)  # as a comment's words are read: "people's" -> "people"
            if len(tokens) == 1 and is_content_word(tokens[0]):
                # Uncached: 30,000 dictionary words would crowd out the comments' own.
                frequency[stem.__wrapped__(tokens[0])] += word_frequency
    weights = {}
    for term, term_frequency in sorted(frequency.items()):
        weight = weight_at_zipf(math.log10(term_frequency * 1e9))
        if weight < 1.0:
            weights[term] = weight
    return weights


def weight_at_zipf(zipf: float) -> float:
    """The everyday weight of a term of that Zipf frequency."""
    weight = (EVERYDAY_ZERO_ZIPF - zipf) / (EVERYDAY_ZERO_ZIPF - FULL_WEIGHT_ZIPF)
    return min(1.0, max(MIN_EVERYDAY_WEIGHT, weight))


def everyday_weight(term: str) -> float:
    """How much of its informativeness a term keeps: 1 for rare words, less for common ones."""
    return everyday_weights().get(term, 1.0)
