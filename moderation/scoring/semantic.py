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

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_CONFIG = "l2_supercat"
MODEL_DIMENSIONS = 256
# Cosines are rounded so that the last bits of a float sum (which can depend on how texts
# were batched) never change a score.
_COSINE_DECIMALS = 4
# Texts tokenised at once: enough to amortise the call, few enough to keep memory small.
_BATCH = 256


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
        self._buffer = np.empty((1024, MODEL_DIMENSIONS), dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit row per text (a text without tokens gives a zero row)."""
        out = np.zeros((len(texts), MODEL_DIMENSIONS), dtype=np.float32)
        for start in range(0, len(texts), _BATCH):
            chunk = list(texts[start : start + _BATCH])
            encodings = self._tokenizer.encode_batch(chunk, add_special_tokens=False)
            for offset, encoding in enumerate(encodings):
                ids = encoding.ids
                if ids:
                    # The sum of the text's token vectors: its mean up to a length that the
                    # normalisation below removes. Gathered into a reused buffer, since a
                    # fresh array per text costs more than the sum.
                    rows = self._buffer_for(len(ids))
                    np.take(self._vectors, ids, axis=0, out=rows, mode="clip")
                    rows.sum(axis=0, out=out[start + offset])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)

    def _buffer_for(self, length: int) -> np.ndarray:
        if len(self._buffer) < length:
            self._buffer = np.empty(
                (max(length, 2 * len(self._buffer)), MODEL_DIMENSIONS), np.float32
            )
        return self._buffer[:length]


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """The process's embedder, loaded on first use (a third of a second)."""
    return Embedder()


def cosine(left: np.ndarray, right: np.ndarray) -> float:
    """Cosine of two unit vectors, rounded; 0 when either is a zero row."""
    return round(float(np.dot(left, right)), _COSINE_DECIMALS)
