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

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit row per text (a text without tokens gives a zero row)."""
        if not texts:
            return np.zeros((0, MODEL_DIMENSIONS), dtype=np.float32)
        vectors = self._model.embed(list(texts), norm=False)
        lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.divide(vectors, lengths, out=np.zeros_like(vectors), where=lengths > 0)


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """The process's embedder, loaded on first use (a third of a second)."""
    return Embedder()


def cosine(left: np.ndarray, right: np.ndarray) -> float:
    """Cosine of two unit vectors, rounded; 0 when either is a zero row."""
    return round(float(np.dot(left, right)), _COSINE_DECIMALS)
