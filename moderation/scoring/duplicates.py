"""Duplicate spam: the same or nearly the same text posted on several threads.

A comment is duplicate spam when its text (at least ``min_chars`` long after
normalisation) also appears -- verbatim or with small edits -- on another thread
or under another author's name. The same person posting the same text twice on
one thread is a double post, not spam, and is left alone.

How it stays cheap for 200,000 comments (no comparison of every pair)
---------------------------------------------------------------------
1. **Exact stage.** Each text is normalised (:func:`normalise_for_matching`:
   Unicode NFKC, casefold, links reduced to their host, punctuation and
   whitespace collapsed). Identical normalised texts share a dictionary key, so
   copies differing only in case, punctuation, spacing or link tracking
   parameters are grouped in one pass. A spam flood of 10,000 copies costs one
   entry.
2. **Near stage** for the distinct texts left: MinHash-style locality-sensitive
   hashing over word pairs ("shingles"). We use *one-permutation* MinHash: each
   shingle is hashed once and falls into one of :data:`BINS` bins by its hash;
   the sketch is the smallest hash in each bin. Two texts sharing most shingles
   agree in most bins, so we put each text in a bucket for every band of two
   neighbouring bins (8 bands). Texts that share a bucket are candidates, and a
   candidate joins its bucket's first text only if the real Jaccard similarity
   of their shingle sets reaches :data:`NEAR_COPY_SIMILARITY`.
   Work and memory grow linearly with the number of distinct texts.

   We chose MinHash over SimHash because it estimates Jaccard similarity of the
   word sets directly (easy to state as a threshold), and one-permutation hashing
   because pure Python cannot afford 32 hash functions per shingle.
   Word pairs rather than longer shingles keep short comments workable: changing
   one word of a 12-word comment still leaves a similarity around 0.7.

Texts under about three words have no useful shingles and are matched exactly only.
Hashes come from Python's ``hash`` of tuples of integers, which (unlike hashing
strings) is the same in every run, so results are reproducible.
"""

from __future__ import annotations

import bisect
import hashlib
import operator
import re
import unicodedata
import zlib
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from itertools import repeat

BINS = 16  # two bins per band, so 8 bands
NEAR_COPY_SIMILARITY = 0.6

# A link becomes its host: spammers vary paths and tracking parameters, not domains.
# The lookbehind keeps the match from starting inside a word, so a long run like
# "a-a-a-a…" is scanned once, not once per hyphen.
_URL = re.compile(
    r"(?<![\w.-])(?:https?://)?(?:www\.)?((?:[^\W_][\w-]*\.)+[^\W\d_]{2,})(?::\d+)?/[^\s<>\"']*",
    re.IGNORECASE,
)
_SCHEME = re.compile(r"(?<![\w.-])(?:https?://)(?:www\.)?", re.IGNORECASE)
_NOT_WORD = re.compile(r"[\W_]+")
# Same as _NOT_WORD for ASCII text, but str.translate is several times faster.
_ASCII_NOT_WORD_TO_SPACE = {code: " " for code in range(128) if not chr(code).isalnum()}


@dataclass(frozen=True)
class DuplicateInfo:
    """How widely a comment's text was repeated.

    ``group_size`` counts the comments in the group (this one included),
    ``threads`` the distinct threads, ``authors`` the distinct named authors;
    ``near_copies`` is True when the group holds edited copies, not only exact ones.
    """

    group_size: int
    threads: int
    authors: int
    near_copies: bool = False


def normalise_for_matching(text: str) -> str:
    """Text reduced to what stays the same across copies: "Buy NOW!! http://x.com/a?id=7"
    becomes "buy now x com"."""
    return " ".join(normalised_words(text))


def normalised_words(text: str) -> list[str]:
    """The words of :func:`normalise_for_matching`, which joins them with single spaces
    (the near-duplicate shingles need them split, and need not split them again)."""
    if not isinstance(text, str):
        return []
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = text.casefold()
    # The link expressions are the slow part; most comments contain no link.
    if "/" in text:
        text = _URL.sub(r" \1 ", text)
    if "://" in text:
        text = _SCHEME.sub(" ", text)
    text = text.translate(_ASCII_NOT_WORD_TO_SPACE) if text.isascii() else _NOT_WORD.sub(" ", text)
    return text.split()


def fingerprint(text: str) -> str:
    """Stable 32-hex-digit digest of :func:`normalise_for_matching` (for storage and lookup)."""
    return fingerprint_of_normalised(normalise_for_matching(text))


def fingerprint_of_normalised(normalised: str) -> str:
    """:func:`fingerprint` of a text already normalised (the scorer normalises once)."""
    encoded = normalised.encode("utf-8", "surrogatepass")
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()


def find_duplicate_groups(
    items: Iterable[tuple[Hashable, Hashable, str | None, str | None]],
    min_chars: int = 20,
) -> dict[Hashable, DuplicateInfo]:
    """Find duplicate spam among ``(comment_id, article_key, author, text)`` items.

    Returns an entry for every comment whose text (normalised, at least
    ``min_chars`` characters) is shared, exactly or nearly, with comments on at
    least 2 threads or by at least 2 authors. Other comments are absent.
    Authors are compared case-insensitively; empty authors count as unknown.
    """
    # Exact stage: normalised text -> the comments that have it.
    comments_by_text: dict[str, list[tuple[Hashable, Hashable, str]]] = {}
    for comment_id, article_key, author, text in items:
        normalised = normalise_for_matching(text or "")
        if len(normalised) < min_chars:
            continue
        author_key = author.strip().casefold() if isinstance(author, str) else ""
        comments_by_text.setdefault(normalised, []).append((comment_id, article_key, author_key))

    texts = list(comments_by_text)
    groups = _group_near_copies(texts)

    result: dict[Hashable, DuplicateInfo] = {}
    for members in groups:
        comments = [c for index in members for c in comments_by_text[texts[index]]]
        if len(comments) < 2:
            continue
        threads = len({article_key for _, article_key, _ in comments})
        authors = len({author for _, _, author in comments if author})
        if threads < 2 and authors < 2:
            continue
        info = DuplicateInfo(len(comments), threads, authors, near_copies=len(members) > 1)
        for comment_id, _, _ in comments:
            result[comment_id] = info
    return result


def _group_near_copies(texts: list[str]) -> list[list[int]]:
    """Indexes of ``texts`` grouped so near copies share a group (union-find)."""
    parent = list(range(len(texts)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]  # path halving keeps trees flat
            index = parent[index]
        return index

    first_in_bucket: dict[int, int] = {}
    # Bucket leaders are compared again and again during a spam flood.
    leader_shingles: dict[int, frozenset[int]] = {}
    for index, text in enumerate(texts):
        signature = _signature(_shingle_hashes(text))
        if signature is None:
            continue
        shingles: frozenset[int] | None = None  # built only if a candidate turns up
        # A band is two neighbouring bins; its bucket key is (band number, both values).
        bands = zip(range(BINS // 2), signature[0::2], signature[1::2], strict=False)
        buckets = map(hash, bands)
        for first in map(first_in_bucket.setdefault, buckets, repeat(index)):
            if first == index or root(first) == root(index):
                continue
            if first not in leader_shingles:
                if len(leader_shingles) >= 4096:
                    leader_shingles.clear()
                leader_shingles[first] = frozenset(_shingle_hashes(texts[first]))
            if shingles is None:
                shingles = frozenset(_shingle_hashes(text))
            if _jaccard(shingles, leader_shingles[first]) >= NEAR_COPY_SIMILARITY:
                parent[root(index)] = root(first)

    groups: dict[int, list[int]] = {}
    for index in range(len(texts)):
        groups.setdefault(root(index), []).append(index)
    return list(groups.values())


def _shingle_hashes(text: str) -> list[int]:
    """Hashes of consecutive word pairs of a normalised text.

    Words are hashed with CRC-32 (stable across runs, unlike ``hash(str)``) and
    the pairs with ``hash`` of a tuple of integers (also stable); both run in C.
    """
    word_hashes = list(map(zlib.crc32, text.encode("utf-8", "surrogatepass").split()))
    return list(map(hash, zip(word_hashes, word_hashes[1:], strict=False)))


def _signature(shingles: list[int]) -> list[int] | None:
    """One-permutation MinHash: the smallest hash in each bin (bin = hash % BINS).

    Short texts leave bins empty; an empty bin borrows the value of the next
    filled bin to its right, mixed with the distance ("densification"), so two
    short near copies still produce equal band keys.
    """
    if not shingles:
        return None
    largest_first = sorted(shingles, reverse=True)
    # dict() keeps the LAST value written for each bin, i.e. its smallest hash.
    smallest = dict(zip(map(operator.mod, largest_first, repeat(BINS)), largest_first, strict=True))
    if len(smallest) < BINS:
        filled = sorted(smallest)
        for empty in [b for b in range(BINS) if b not in smallest]:
            lender = filled[bisect.bisect(filled, empty) % len(filled)]
            smallest[empty] = hash((smallest[lender], (lender - empty) % BINS))
    return list(map(smallest.__getitem__, range(BINS)))


def _jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)
