"""Where the drift swap test loses: its ROC AUC broken down by pair type, the comments that
cost most, and the score distributions.

    python bench/bench_swap.py              # the labelled evaluation set
    python bench/bench_swap.py --worst 20   # more of the costliest comments

The swap test (moderation.evaluation) ranks every comment scored under another article
(swapped) against every comment scored under its own (own), over all comments. A swapped score
at or below an own score is a lost pair (a tie is half lost). Pairs are grouped by the
human labels of the two comments: "swapped on vs own off" is a comment moved from its article
against off-topic chatter left under its own, and so on. Same scores and same method as
`moderation evaluate`; nothing here changes them.
"""

from __future__ import annotations

import argparse
import bisect
from collections import Counter
from pathlib import Path

from moderation.evaluation import (
    _swapped_context,
    _thread_order,
    paired_auc,
    parse_eval_lines,
    precision_recall,
    roc_auc,
)
from moderation.scoring.drift import (
    DEFAULT_OFF_TOPIC_THRESHOLD,
    ArticleProfile,
    CorpusStats,
    score_drift,
    score_thread,
)

EVAL_FILE = Path(__file__).resolve().parent.parent / "tests" / "data" / "offtopic_eval.jsonl"


def score_pairs(path: Path, offset: int = 1):
    """(comment, own result, swapped result, other article id) for every comment, the other
    article being the one ``offset`` places after its own in the file (wrapping round), as
    `moderation evaluate` does with offset 1."""
    with open(path, encoding="utf-8") as handle:
        data = parse_eval_lines(handle)
    stats = CorpusStats.from_articles([(article.title, article.body) for article in data.articles])
    profiles = {
        article.article_id: ArticleProfile.build(article.title, article.body, stats)
        for article in data.articles
    }
    rows = []
    for position, article in enumerate(data.articles):
        thread = data.comments_of(article.article_id)
        own = score_thread(_thread_order(thread), profiles[article.article_id], stats)
        other = data.articles[(position + offset) % len(data.articles)]
        other_thread = data.comments_of(other.article_id)
        for index, comment in enumerate(thread):
            context = _swapped_context(other_thread, index)
            swapped = score_drift(comment.text, profiles[other.article_id], context, stats)
            rows.append((comment, own[index], swapped, other.article_id))
    return rows


def lost_pairs(higher: list[float], lower: list[float]) -> tuple[float, int]:
    """Pairs where a score expected higher is not (ties count half), and the number of ties."""
    ordered = sorted(lower)
    lost = 0.0
    ties = 0
    for score in higher:
        below = bisect.bisect_left(ordered, score)
        equal = bisect.bisect_right(ordered, score) - below
        lost += len(ordered) - below - equal + 0.5 * equal
        ties += equal
    return lost, ties


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=EVAL_FILE)
    parser.add_argument("--worst", type=int, default=10, help="costliest comments to list")
    args = parser.parse_args()

    rows = score_pairs(args.data)
    own = [row[1].score for row in rows]
    swapped = [row[2].score for row in rows]
    labels = [row[0].off_topic for row in rows]
    counts = precision_recall(own, labels, DEFAULT_OFF_TOPIC_THRESHOLD)
    print(
        f"off-topic ROC AUC {roc_auc(own, labels):.4f}, F1 {counts.f1:.4f}; "
        f"swap test {paired_auc(swapped, own):.4f}"
    )
    # Whether the figure depends on which article each comment is swapped under.
    by_offset = [swapped]
    for offset in range(2, len({row[0].article_id for row in rows})):
        by_offset.append([row[2].score for row in score_pairs(args.data, offset)])
    per_offset = [paired_auc(scores, own) for scores in by_offset]
    every_other = paired_auc([score for scores in by_offset for score in scores], own)
    print(
        f"swap test under every other article in turn: {every_other:.4f} "
        f"(one article further on each time: {min(per_offset):.4f} to {max(per_offset):.4f})"
    )

    total = len(own) * len(swapped)
    print("\nlost share of all pairs, by pair type (labels of the swapped and the own comment)")
    for swapped_off in (False, True):
        for own_off in (False, True):
            higher = [row[2].score for row in rows if row[0].off_topic == swapped_off]
            lower = [row[1].score for row in rows if row[0].off_topic == own_off]
            lost, ties = lost_pairs(higher, lower)
            pairs = len(higher) * len(lower)
            name = f"swapped {'off' if swapped_off else 'on'} vs own {'off' if own_off else 'on'}"
            print(
                f"  {name:22s} {pairs:6d} pairs  AUC {1 - lost / pairs:.3f}  "
                f"lost {lost / total:.4f}  ties {ties}"
            )

    swapped_sorted = sorted(swapped)
    own_sorted = sorted(own)

    def own_cost(score: float) -> float:  # share of swapped scores it is not below
        below_or_equal = bisect.bisect_right(swapped_sorted, score)
        equal = below_or_equal - bisect.bisect_left(swapped_sorted, score)
        return (below_or_equal - 0.5 * equal) / len(swapped_sorted)

    def swapped_cost(score: float) -> float:  # share of own scores it is not above
        below = bisect.bisect_left(own_sorted, score)
        equal = bisect.bisect_right(own_sorted, score) - below
        return (len(own_sorted) - below - 0.5 * equal) / len(own_sorted)

    print("\nown comments that outrank most swapped ones (cost, score, label, article, text)")
    for row in sorted(rows, key=lambda row: -own_cost(row[1].score))[: args.worst]:
        comment, result = row[0], row[1]
        label = "off" if comment.off_topic else "on "
        print(f"  {own_cost(result.score):.3f} {result.score:.3f} {label} {comment.article_id}")
        print(f"      {comment.text[:100]!r}")
        print(f"      {'; '.join(result.reasons)}")
    print("\nswapped comments that fall below most own ones")
    for row in sorted(rows, key=lambda row: -swapped_cost(row[2].score))[: args.worst]:
        comment, result, other = row[0], row[2], row[3]
        label = "off" if comment.off_topic else "on "
        print(
            f"  {swapped_cost(result.score):.3f} {result.score:.3f} {label} "
            f"{comment.article_id} -> {other}"
        )
        print(f"      {comment.text[:100]!r}")
        print(f"      {'; '.join(result.reasons)}")

    print("\nscores in bins of 0.05:   own on  own off  swapped on  swapped off")
    histogram: Counter[tuple[str, bool, int]] = Counter()
    for comment, own_result, swapped_result, _ in rows:
        histogram["own", comment.off_topic, min(int(own_result.score * 20), 19)] += 1
        histogram["swapped", comment.off_topic, min(int(swapped_result.score * 20), 19)] += 1
    for bin_ in range(20):
        cells = [
            histogram[side, off, bin_]
            for side, off in (("own", False), ("own", True), ("swapped", False), ("swapped", True))
        ]
        print(f"  {bin_ / 20:.2f}-{(bin_ + 1) / 20:.2f}" + "".join(f"{n:10d}" for n in cells))
    repeated = Counter(own + swapped).most_common(3)
    print("most repeated scores:", ", ".join(f"{score} x{n}" for score, n in repeated))


if __name__ == "__main__":
    main()
