"""Near-duplicate spam across the whole database: MinHash signatures and LSH band keys.

Spam campaigns post one text many times with small edits ("Earn $500 a day" on one
thread, "Earn $600 every day!" on the next) so that exact matching
(:mod:`moderation.scoring.duplicates`) misses them. Here each comment gets

1. **shingles**: the overlapping 3-word sequences of its normalised text
   (:func:`~moderation.scoring.duplicates.normalise_for_matching`, then every word
   holding a digit becomes ``0``, so changed amounts and phone numbers do not count as
   edits). A substituted word changes at most three shingles; punctuation and case
   change none. Texts under :data:`MIN_WORDS` words get none: "I agree with this" is
   posted innocently by many readers, and four words are too few to tell a campaign
   from a coincidence (exact copies of them are still caught as duplicates).
2. a **signature**: MinHash over the shingles (:data:`NUM_PERM` 32-bit values, from
   ``rensa``'s Rust implementation), stored as :data:`SIGNATURE_BYTES` bytes. The share
   of equal values between two signatures estimates the Jaccard similarity of their
   shingle sets (:func:`estimated_similarity`).
3. **band keys**: the signature's first values cut into :data:`BANDS` bands of
   :data:`ROWS` values, each band folded into one 31-bit key. Two texts sharing any band key
   are candidates; the runner keeps those keys in an indexed table, so a new comment
   finds its candidates anywhere in the database with one index lookup per key, and a
   candidate becomes a near copy only if :func:`estimated_similarity` reaches
   :data:`SIMILARITY`.

With 8 bands of 2 values, a pair of similarity 0.5 shares a band key with probability
1 - (1 - 0.5²)⁸ = 0.90, of 0.4 with 0.75, of 0.2 with 0.28 (then refused by the
estimate, which uses all 32 values: its error is about 0.07 there). Campaign variants
need not all match each other: the runner joins them transitively
(:mod:`moderation.campaigns`), so one match per variant is enough. Every band costs a
row per comment to write and to look up; 16 bands grouped 99.7% of the planted variants
of ``bench/bench_neardup.py`` where 8 grouped 99.0%, for twice the rows.

Everything here is a pure function of the text: the same text gives the same
signature and band keys in every process and every run.
"""

from __future__ import annotations

import operator
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from rensa import RMinHash

from moderation.scoring.duplicates import normalise_for_matching
from moderation.scoring.terms import has_digit

MIN_WORDS = 6
"""Texts with fewer words are never near copies of anything (see the module's docstring)."""
NUM_PERM = 32
ROWS = 2
BANDS = 8
"""Bands over the signature's first BANDS x ROWS values; all NUM_PERM values estimate."""
SIMILARITY = 0.4
"""The least estimated Jaccard similarity of shingles for two comments to be near copies."""
SEED = 19
"""MinHash seed; changing it (or the parameters above) changes every stored signature,
and needs a new SCORER_VERSION (moderation.scoring_runner)."""
SIGNATURE_BYTES = NUM_PERM * 4
_PACK = struct.Struct(f"<{NUM_PERM}I")
_WORD_WITH_DIGIT = re.compile(r"\w*\d\w*")
_BANDS = struct.Struct(f"<{BANDS * ROWS}I")
KEY_BITS = 31
"""Band keys are non-negative 31-bit integers: SQLite stores them in 4 bytes (a 64-bit
key takes 8), and the smaller index is most of what storing them costs. Two bands of
different values then share a key once in 2^31 lookups: a spare candidate, which the
full signature's estimate then refuses."""
_KEY_MASK = 2**KEY_BITS - 1
# Band numbers spread over the key's bits (multiples of the golden ratio), so that equal
# values in different bands never meet.
_BAND_MIX = tuple((band + 1) * 0x9E3779B1 & _KEY_MASK for band in range(BANDS))


@dataclass(frozen=True)
class NearDuplicateKeys:
    """What is stored for one comment: its packed signature and its band keys."""

    signature: bytes
    band_keys: tuple[int, ...]


def shingles(text: str) -> list[str]:
    """The 3-word sequences of ``text``, normalised; none for short texts.

    Repeats are kept: MinHash is the same for a list and its set, and building the set
    would cost a third of the time.
    """
    return shingles_of_normalised(normalise_for_matching(text))


def shingles_of_normalised(normalised: str, words: list[str] | None = None) -> list[str]:
    """:func:`shingles` of a text already normalised (the scorer normalises once);
    ``words``, if given, are ``normalised.split()``."""
    if has_digit(normalised):
        words = _WORD_WITH_DIGIT.sub("0", normalised).split()
    elif words is None:
        words = normalised.split()
    if len(words) < MIN_WORDS:
        return []
    return list(map(" ".join, zip(words, words[1:], words[2:], strict=False)))


def signature(grams: Sequence[str]) -> bytes:
    """The MinHash signature of a set of shingles, packed as little-endian 32-bit values."""
    minhash = RMinHash(num_perm=NUM_PERM, seed=SEED)
    minhash.update(list(grams))
    return _PACK.pack(*minhash.digest())


def band_keys(packed: bytes) -> tuple[int, ...]:
    """One :data:`KEY_BITS`-bit key per band: the band's two 32-bit values (MinHash values,
    uniformly spread) folded into one, the band number mixed in."""
    values = _BANDS.unpack_from(packed)
    return tuple(
        (first ^ (second << 15 | second >> 17) ^ mix) & _KEY_MASK
        for first, second, mix in zip(values[::2], values[1::2], _BAND_MIX, strict=True)
    )


def near_duplicate_keys(text: str) -> NearDuplicateKeys | None:
    """Signature and band keys of a comment's text; None when it is too short to compare."""
    return near_duplicate_keys_of_normalised(normalise_for_matching(text))


def near_duplicate_keys_of_normalised(
    normalised: str, words: list[str] | None = None
) -> NearDuplicateKeys | None:
    """:func:`near_duplicate_keys` of a text already normalised (``words``: as for
    :func:`shingles_of_normalised`)."""
    grams = shingles_of_normalised(normalised, words)
    if not grams:
        return None
    packed = signature(grams)
    return NearDuplicateKeys(packed, band_keys(packed))


def estimated_similarity(a: bytes, b: bytes) -> float:
    """The share of equal MinHash values: an estimate of the shingles' Jaccard similarity."""
    if len(a) != SIGNATURE_BYTES or len(b) != SIGNATURE_BYTES:
        return 0.0
    return sum(map(operator.eq, _PACK.unpack(a), _PACK.unpack(b))) / NUM_PERM


def are_near_copies(a: bytes, b: bytes) -> bool:
    return estimated_similarity(a, b) >= SIMILARITY
