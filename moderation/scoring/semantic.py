"""Meaning, not only shared words: static text embeddings for off-topic drift.

Shared words miss that "Get in!!! Finally a proper number nine" is about a striker's
transfer, or that "the cheapest I know is 1600" answers a question about renting a car.
Embeddings place texts with related meanings near each other whatever words they use.

The model is WordLlama's ``l2_supercat`` (256 dimensions, 16 MB of token vectors distilled
from a large language model, MIT licence). It ships inside the ``wordllama`` wheel, and is
loaded from the package's own folder with downloads disabled: nothing is fetched, ever;
a missing file is an error, not a download. A text's vector is the average of its tokens'
vectors, normalised, so embedding is a table look-up and a sum: thousands of comments a
second on one core, and the same text always gives the same vector.

Pure apart from loading the model once per process (`default_embedder`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_CONFIG = "l2_supercat"
MODEL_DIMENSIONS = 256
# Cosines are rounded so that the last bits of a float sum (which can depend on how texts
# were batched) never change a score.
_COSINE_DECIMALS = 4
# Words tokenised at once, and how many words' vectors are kept (16 MB).
_BATCH = 1024
_WORD_CACHE = 16384
# Texts whose words are looked up together (their words must all be in the cache at once).
_TEXTS_AT_ONCE = 256


class Embedder:
    """Unit vectors for texts, from the model shipped in the wordllama package."""

    def __init__(self) -> None:
        import wordllama
        from wordllama import WordLlama

        package_folder = Path(wordllama.__file__).resolve().parent
        self._model = WordLlama.load(
            config=MODEL_CONFIG,
            dim=MODEL_DIMENSIONS,
            cache_dir=package_folder,
            disable_download=True,
        )

        # Token ids without padding: a batch is not widened to its longest text.
        self._tokenizer = self._model.tokenizer
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._vectors = self._model.embedding
        self._word_row: dict[str, int] = {}
        self._word_sums = np.zeros((_WORD_CACHE, MODEL_DIMENSIONS), dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit row per text (a text without tokens gives a zero row).

        The tokenizer never merges across spaces (a token starts a word or continues
        one), so a text's token vectors are those of its space-separated words, each
        tokenised once and its vectors' sum kept: a comment then costs a look-up a word."""
        return self.embed_words(list(map(str.split, texts)))

    def embed_words(self, words_of: Sequence[list[str]]) -> np.ndarray:
        """`embed` of texts given as their ``str.split()`` (for a caller that has them)."""
        out = np.zeros((len(words_of), MODEL_DIMENSIONS), dtype=np.float32)
        for start in range(0, len(words_of), _TEXTS_AT_ONCE):
            words_of_chunk = words_of[start : start + _TEXTS_AT_ONCE]
            self._learn(set(itertools.chain.from_iterable(words_of_chunk)))
            row_of = self._word_row.__getitem__
            for index, words in enumerate(words_of_chunk, start):
                if words:
                    # Each text's rows summed in order, one ndarray.sum per text: one sum
                    # over many texts (np.add.reduceat) adds in another order, and its
                    # float32 results differ in the last bits.
                    rows = list(map(row_of, words))
                    self._word_sums.take(rows, axis=0).sum(axis=0, out=out[index])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)

    def _learn(self, words: set[str]) -> None:
        """Tokenise the words not yet known and keep their vectors' sums."""
        new = [word for word in words if word not in self._word_row]
        if not new:
            return
        if len(self._word_row) + len(new) > _WORD_CACHE:
            # Forget everything rather than some: a word's sum is recomputed the same way.
            self._word_row.clear()
            new = list(words)
            if len(new) > len(self._word_sums):  # more words than the cache holds: widen it
                self._word_sums = np.zeros((len(new), MODEL_DIMENSIONS), dtype=np.float32)
        for start in range(0, len(new), _BATCH):
            batch = new[start : start + _BATCH]
            encodings = self._tokenizer.encode_batch(
                [word if word.isascii() else _encodable(word) for word in batch],
                add_special_tokens=False,
            )
            for word, encoding in zip(batch, encodings, strict=True):
                row = len(self._word_row)
                self._word_sums[row] = self._vectors.take(encoding.ids, axis=0, mode="clip").sum(
                    axis=0
                )
                self._word_row[word] = row


def _encodable(word: str) -> str:
    """The word as the tokenizer can take it: a lone surrogate (which no UTF-8 text holds,
    but a Python string can) refused the whole batch; it is tokenised as "?"."""
    return word.encode("utf-8", "replace").decode("utf-8")


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """The process's embedder, loaded on first use (a third of a second)."""
    return Embedder()


def cosine(left: np.ndarray, right: np.ndarray) -> float:
    """Cosine of two unit vectors, rounded; 0 when either is a zero row."""
    return round(float(np.dot(left, right)), _COSINE_DECIMALS)
