"""Throughput of bare vaderSentiment vs moderation.scoring.sentiment, single core.

Run: ``python bench/bench_vader.py`` (from the repository root, venv active;
``--rounds N``: best of N rounds, 9 by default).

For comments of 20, 60, 150, 200 and 1,000 words, an emoji-heavy 4 KB comment and
a 20,000-character comment it prints comments/s for the bare library's
``polarity_scores``, for our ``polarity_scores`` (same four numbers), for our lean
``score(with_sentences=False)`` (also label and contributing words) and for our full
``score`` (also each sentence's share of the comment's score), with speed-ups over
the bare library, and how much more a full score costs than a lean one. Then the
slowest single ``score`` call on 20,000-character texts, plain and emoji-heavy
(including a worst case: the emoji with the longest description, repeated). Texts
are generated deterministically, so runs are comparable.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vaderSentiment import vaderSentiment as vader  # noqa: E402

from moderation.scoring.sentiment import MAX_CHARS, SentimentScorer  # noqa: E402

FILLER_TEXT = """
the a an of to in and is it that this was for on with as at by from people government article
they we you he she would could about just more their there what when which who will one all
would year new time other said think know
"""
FILLER = FILLER_TEXT.split()
MODIFIERS = ["not", "never", "very", "really", "extremely", "kind of", "but", "no", "least"]
ENDINGS = [".", ".", ".", "!", "?", "!!", "...", ","]
ROUNDS = 9
"""Interleaved timing rounds per case (see :func:`best_rates`)."""


def make_comment(rng: random.Random, n_words: int, lexicon: list[str]) -> str:
    """A comment-like text: mostly filler, ~15% sentiment words, some modifiers."""
    words: list[str] = []
    for position in range(n_words):
        roll = rng.random()
        if roll < 0.15:
            word = rng.choice(lexicon)
        elif roll < 0.20:
            word = rng.choice(MODIFIERS)
        else:
            word = rng.choice(FILLER)
        if rng.random() < 0.03:
            word = word.upper()
        if position % 12 == 11:
            word += rng.choice(ENDINGS)
        words.append(word)
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def make_emoji_comment(rng: random.Random, n_chars: int, emojis: list[str]) -> str:
    """Text of about ``n_chars`` characters: runs of emoji between short phrases."""
    pieces: list[str] = []
    size = 0
    while size < n_chars:
        if rng.random() < 0.7:
            piece = "".join(rng.choice(emojis) for _ in range(rng.randint(1, 6)))
        else:
            piece = rng.choice(["love it", "so sad", "lol", "NOT funny", "great!!", "meh"])
        pieces.append(piece)
        size += len(piece) + 1
    return " ".join(pieces)[:n_chars]


def per_second(function: Callable[[str], object], texts: list[str], min_seconds: float) -> float:
    """Comments per CPU second for ``function`` over ``texts``, run >= min_seconds."""
    done = 0
    start = time.process_time()
    while True:
        for text in texts:
            function(text)
        done += len(texts)
        elapsed = time.process_time() - start
        if elapsed >= min_seconds:
            return done / elapsed


def best_rates(
    functions: list[Callable[[str], object]], texts: list[str], min_seconds: float, rounds: int
) -> list[float]:
    """Best of ``rounds`` interleaved rounds per function, so load drift hits all alike.

    On a shared, loaded machine many short rounds beat few long ones: each function
    gets more chances to run through a quiet spell.
    """
    best = [0.0] * len(functions)
    for _ in range(rounds):
        for index, function in enumerate(functions):
            best[index] = max(best[index], per_second(function, texts, min_seconds))
    return best


def slowest(function: Callable[[str], object], texts: list[str]) -> float:
    """Longest CPU time of one call, in ms (per text the median of three calls)."""
    worst = 0.0
    for text in texts:
        times = []
        for _ in range(3):
            start = time.process_time()
            function(text)
            times.append(time.process_time() - start)
        worst = max(worst, sorted(times)[1])
    return worst * 1000


def worst_emojis(bare: vader.SentimentIntensityAnalyzer) -> list[str]:
    """Emoji whose descriptions give the most tokens and sentiment words (costliest)."""

    def cost(char: str) -> tuple[int, int]:
        words = [word.lower() for word in bare.emojis[char].split()]
        return sum(word in bare.lexicon for word in words), len(words)

    return sorted((key for key in bare.emojis if len(key) == 1), key=cost, reverse=True)[:8]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="best of this many")
    rounds = parser.parse_args().rounds
    rng = random.Random(20240611)
    bare = vader.SentimentIntensityAnalyzer()
    ours = SentimentScorer()
    lexicon = sorted(bare.lexicon)
    emojis = sorted(key for key in bare.emojis if len(key) == 1)

    def lean(text: str) -> object:
        return ours.score(text, with_sentences=False)

    cases = [
        ("20 words", [make_comment(rng, 20, lexicon) for _ in range(400)], 0.2),
        ("60 words", [make_comment(rng, 60, lexicon) for _ in range(200)], 0.2),
        ("150 words", [make_comment(rng, 150, lexicon) for _ in range(80)], 0.2),
        ("200 words", [make_comment(rng, 200, lexicon) for _ in range(60)], 0.2),
        ("1,000 words", [make_comment(rng, 1000, lexicon) for _ in range(8)], 0.2),
        ("emoji 4 KB", [make_emoji_comment(rng, 4096, emojis) for _ in range(2)], 0.0),
        ("20,000 chars", [make_comment(rng, 3300, lexicon)[:MAX_CHARS] for _ in range(2)], 0.0),
    ]
    print(f"Python {sys.version.split()[0]}; load average {os.getloadavg()[0]:.1f} on")
    print(f"{os.cpu_count()} CPUs; single process; comments per CPU second (best of {rounds})")
    print("  scores = polarity_scores() equivalent; lean = score(with_sentences=False);")
    print("  full = score() with per-sentence scores; full/lean = cost of full over lean")
    header = (
        f"{'case':<14}{'bare':>9}{'scores':>10}{'×':>6}{'lean':>10}{'×':>6}{'full':>10}{'×':>6}"
        f"{'full/lean':>11}"
    )
    print(header)
    print("-" * len(header))
    for name, texts, min_seconds in cases:
        for text in texts:  # the equivalence the speed-up is worth having for
            assert ours.polarity_scores(text) == bare.polarity_scores(text), name
        functions = [bare.polarity_scores, ours.polarity_scores, lean, ours.score]
        bare_rate, *rates = best_rates(functions, texts, min_seconds, rounds)
        cells = "".join(f"{rate:>10.1f}{rate / bare_rate:>6.1f}" for rate in rates)
        lean_rate, full_rate = rates[1], rates[2]
        print(f"{name:<14}{bare_rate:>9.1f}{cells}{lean_rate / full_rate:>11.2f}")

    costly = worst_emojis(bare)
    plain_20k = [make_comment(rng, 3400, lexicon)[:MAX_CHARS] for _ in range(20)]
    emoji_20k = [make_emoji_comment(rng, MAX_CHARS, emojis) for _ in range(20)]
    emoji_20k.append("".join(rng.choice(emojis) for _ in range(MAX_CHARS)))
    floods = [costly[0] * MAX_CHARS, "".join(rng.choice(costly) for _ in range(MAX_CHARS))]
    floods.append(("but " + floods[1])[:MAX_CHARS])
    print()
    print("slowest ours.score() on one 20,000-character text, CPU ms:")
    print(f"  plain, {len(plain_20k)} texts:            {slowest(ours.score, plain_20k):7.1f}")
    print(f"  emoji-heavy, {len(emoji_20k)} texts:      {slowest(ours.score, emoji_20k):7.1f}")
    print(f"  costliest emoji floods, {len(floods)}:  {slowest(ours.score, floods):7.1f}")
    print(f"    ({costly[0]} = {bare.emojis[costly[0]]!r}, alone and mixed with 7 others)")


if __name__ == "__main__":
    main()
