"""Choose the drift model's weights by cross-validation over threads, on both labelled sets.

    python bench/fit_drift.py            # 5 folds; prints held-out figures and the weights
    python bench/fit_drift.py --folds 10

The signals are those `moderation.scoring.drift_model` computes, on the set labelled here
(tests/data/offtopic_eval.jsonl) and on SemEval-2016 Task 3's Qatar Living set
(tests/data/semeval2016-ql-train2.*), labelled by others. Each set weighs the same in
total, so neither is fitted alone and the small one is not drowned. Folds hold out whole
threads: a thread is never in training and test at once. The model is L2-regularised
logistic regression on standardised signals (Newton's method, a few lines of numpy).

Then the ranking trees (`moderation.scoring.drift_trees`): gradient-boosted trees over the
same signals, fitted with LightGBM's LambdaRank objective to put each thread's on-topic
comments first (each thread of both sets a group), added to the logistic logit with
TREES_WEIGHT. They are held out over the same folds, and ``--trees`` writes the trees
fitted on everything to drift_model's file. LightGBM is needed here only:
``pip install -e ".[fit]"``.

Prints, for each set, the figures of the held-out scores (what the weights can be expected
to do on threads they have not seen), then the weights fitted on everything, as Python to
paste into drift_model.py; `moderation evaluate` then measures them.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from moderation.evaluation import (
    mean_average_precision,
    paired_auc,
    parse_eval_lines,
    precision_recall,
    read_labelled_source,
    roc_auc,
    score_threads,
    swapped_signals,
)
from moderation.scoring.drift import DEFAULT_OFF_TOPIC_THRESHOLD, CorpusStats
from moderation.scoring.drift_trees import RankingTrees

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
L2 = 1.0
# Comments moved under the article this many further on are off-topic examples, weighing
# SWAP_WEIGHT times a set's labelled comments (the swap test's pairing, 1, is not used).
TRAINING_OFFSET = 5
SWAP_WEIGHT = 0.3
# Pairs of an off-topic and an on-topic comment of the same thread, as examples of which of
# two ranks higher (what MAP measures), weighing PAIR_WEIGHT times a set's labelled comments.
PAIR_WEIGHT = 3.0
# Comments labelled neither on nor off topic (SemEval's "PotentiallyUseful") are not
# relevant for MAP either: pairs of one and an on-topic comment of its thread take this
# share of the pairs' weight.
NEITHER_SHARE = 0.0
# The ranking trees, chosen by the held-out figures over folds of whole threads
# (docs/scoring.md): their size and learning rate, and the weight of their score in the
# drift's logit (its sign turned: the trees score on-topic comments higher).
TREES = {
    "objective": "lambdarank",
    "num_leaves": 15,
    "learning_rate": 0.1,
    "min_data_in_leaf": 20,
    "verbose": -1,
    "deterministic": True,
    "num_threads": 1,
    "seed": 0,
}
TREES_ROUNDS = 100
TREES_WEIGHT = 2.0
# One in this many of the comments moved under another article joins that thread's group.
TREES_MOVED_EVERY = 4


def signal_rows(name: str, data, swap_offsets: tuple[int, ...]) -> tuple[list, list]:
    """(set, thread, off topic?, signals) for every comment, and for every comment scored
    under another article (`swap_offsets` articles further on, wrapping round), each such
    row keyed by the thread the comment came from, the offset and the thread it was moved
    into: (set, thread, offset, other thread, signals)."""
    rows, swapped = [], []
    threads = score_threads(data)
    stats = CorpusStats.from_articles([(a.title, a.body) for a in data.articles])
    for position, thread in enumerate(threads):
        key = f"{name}:{thread.article.article_id}"
        for index, (comment, signals) in enumerate(
            zip(thread.comments, thread.signals, strict=True)
        ):
            rows.append((name, key, comment.off_topic, signals))
            for offset in swap_offsets:
                other = threads[(position + offset) % len(threads)]
                _, values = swapped_signals(comment, thread.vectors[index], other, index, stats)
                other_key = f"{name}:{other.article.article_id}"
                swapped.append((name, key, offset, other_key, values))
    return rows, swapped


def within_thread_pairs(
    rows, total: float, neither_share: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(comment that should rank higher, on-topic comment of the same thread, weight) for
    every off-topic and on-topic pair, and every pair of a comment labelled neither
    (SemEval's "PotentiallyUseful": not relevant for MAP) and an on-topic one; each set's
    pairs weighing `total` together, `neither_share` of it the second kind."""
    by_thread = defaultdict(list)
    for index, row in enumerate(rows):
        by_thread[row[1]].append(index)
    first, second, kind = [], [], []
    for indexes in by_thread.values():
        on_topic = [i for i in indexes if rows[i][2] is False]
        for higher in indexes:
            if rows[higher][2] is False:
                continue
            for on in on_topic:
                first.append(higher)
                second.append(on)
                kind.append((rows[higher][0], rows[higher][2] is None))
    count = defaultdict(int)
    for key in kind:
        count[key] += 1
    weight = []
    for name, neither in kind:
        share = neither_share if neither else 1.0 - neither_share
        if not count[(name, not neither)]:
            share = 1.0
        weight.append(total * share / count[(name, neither)])
    return np.array(first, dtype=int), np.array(second, dtype=int), np.array(weight)


def fit(x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted L2 logistic regression; x has a leading column of ones (not penalised)."""
    beta = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], L2)
    penalty[0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        gradient = x.T @ (weight * (p - y)) + penalty * beta
        hessian = (x * (weight * p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-10:
            break
    return beta


def figures(rows, scores) -> dict[str, tuple[float, float, float]]:
    out = {}
    for name in dict.fromkeys(row[0] for row in rows):
        known = [
            (s, r[2])
            for s, r in zip(scores, rows, strict=True)
            if r[0] == name and r[2] is not None
        ]
        threads = defaultdict(lambda: ([], []))
        for score, row in zip(scores, rows, strict=True):
            if row[0] == name:
                threads[row[1]][0].append(score)
                threads[row[1]][1].append(row[2] is False)
        values = [s for s, _ in known]
        labels = [bool(label) for _, label in known]
        f1 = precision_recall(values, labels, DEFAULT_OFF_TOPIC_THRESHOLD).f1
        out[name] = (roc_auc(values, labels), mean_average_precision(threads.values()), f1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--without", nargs="*", default=[], help="signals to leave out")
    parser.add_argument(
        "--pair-weight", type=float, default=PAIR_WEIGHT, help="weight of within-thread pairs"
    )
    parser.add_argument(
        "--swap-weight",
        type=float,
        default=SWAP_WEIGHT,
        help="weight of comments moved under another article, as off-topic examples",
    )
    parser.add_argument(
        "--neither-share",
        type=float,
        default=NEITHER_SHARE,
        help="share of the pairs' weight given to pairs of a 'neither' and an on-topic comment",
    )
    parser.add_argument("--trees", type=Path, help="write the trees fitted on everything here")
    arguments = parser.parse_args()
    with open(DATA / "offtopic_eval.jsonl", encoding="utf-8") as handle:
        here = parse_eval_lines(handle)
    shared = read_labelled_source(
        DATA / "semeval2016-ql-train2.wxr.xml.gz", DATA / "semeval2016-ql-train2.labels.json"
    )
    # Offset 1 is the swap test's own pairing: measured, never trained on.
    rows, swapped = signal_rows("labelled here", here, (1, TRAINING_OFFSET))
    more_rows, more_swapped = signal_rows("SemEval-2016", shared, (1, TRAINING_OFFSET))
    rows += more_rows
    swapped += more_swapped
    names = [name for name in rows[0][3] if name not in arguments.without]
    raw = np.array([[values[name] for name in names] for *_, values in rows + swapped])
    known = np.array([row[2] is not None for row in rows] + [False] * len(swapped))
    moved = np.array([False] * len(rows) + [row[2] == TRAINING_OFFSET for row in swapped])
    trains = known | moved
    y = np.array([1.0 if row[2] else 0.0 for row in rows] + [1.0] * len(swapped))
    per_set, moved_per_set = defaultdict(int), defaultdict(int)
    for row in rows:
        per_set[row[0]] += row[2] is not None
    for row in swapped:
        moved_per_set[row[0]] += row[2] == TRAINING_OFFSET
    # Each set's labelled comments weigh the same in total; its moved comments swap_weight
    # times that.
    weight = np.array(
        [1.0 / per_set[row[0]] if row[2] is not None else 0.0 for row in rows]
        + [
            arguments.swap_weight / moved_per_set[row[0]] if row[2] == TRAINING_OFFSET else 0.0
            for row in swapped
        ]
    )
    weight *= known.sum() / weight[known].sum()
    typical = (raw[known] * weight[known, None]).sum(0) / weight[known].sum()
    spread = np.sqrt(
        ((raw[known] - typical) ** 2 * weight[known, None]).sum(0) / weight[known].sum()
    )
    spread[spread == 0] = 1.0
    x = np.hstack([np.ones((len(raw), 1)), (raw - typical) / spread])

    pairs = within_thread_pairs(
        rows, arguments.pair_weight * known.sum() / len(per_set), arguments.neither_share
    )

    def fit_with_pairs(train: np.ndarray, pair_train: np.ndarray) -> np.ndarray:
        """The fit on the comments in `train` and the pairs in `pair_train`: each pair is
        the difference of its two comments' signals (the intercept cancels), both ways."""
        first, second, pair_weight = (part[pair_train] for part in pairs)
        difference = x[first] - x[second]
        return fit(
            np.vstack([x[train], difference, -difference]),
            np.concatenate([y[train], np.ones(len(first)), np.zeros(len(first))]),
            np.concatenate([weight[train], pair_weight / 2, pair_weight / 2]),
        )

    threads = sorted({row[1] for row in rows})
    order = np.random.RandomState(arguments.seed).permutation(len(threads))
    fold_of = {thread: order[i] % arguments.folds for i, thread in enumerate(threads)}
    folds = np.array([fold_of[row[1]] for row in rows + swapped])
    held_out = np.zeros(len(raw))
    for fold in range(arguments.folds):
        train = (folds != fold) & trains
        beta = fit_with_pairs(train, folds[pairs[0]] != fold)
        held_out[folds == fold] = 1.0 / (1.0 + np.exp(-(x[folds == fold] @ beta)))
    print(f"held-out figures, {arguments.folds} folds over {len(threads)} threads:")
    report(rows, swapped, held_out)

    # The ranking trees: each thread a group, its on-topic comments the relevant ones, and
    # the comments moved into it (as for the logistic fit) among the others.
    relevant = np.array([row[2] is False for row in rows] + [False] * len(swapped))
    groups = [row[1] for row in rows] + [row[3] for row in swapped]
    own = np.arange(len(raw)) < len(rows)
    # A share of them only: with all, the trees learn the move more than the thread's order.
    moved_for_trees = moved & (np.cumsum(moved) % TREES_MOVED_EVERY == 0)
    tree_scores = np.zeros(len(raw))
    for fold in range(arguments.folds):
        train = (folds != fold) & (own | moved_for_trees)
        trees = fit_trees(raw, relevant, groups, train, names)
        tree_scores[folds == fold] = trees.scores(raw[folds == fold])
    print("held out, with the ranking trees:")
    typical_score = float(np.average(tree_scores[known], weights=weight[known]))
    drift = with_trees(held_out, tree_scores, typical_score, 0.0)
    shift = calibration(drift[known], y[known], weight[known])
    report(rows, swapped, with_trees(held_out, tree_scores, typical_score, shift))

    beta = fit_with_pairs(trains, np.ones(len(pairs[0]), dtype=bool))
    slopes = beta[1:] / spread
    intercept = beta[0] - float((slopes * typical).sum())
    print("fitted on everything (what `moderation evaluate` should show, before rounding):")
    report(rows, swapped, 1.0 / (1.0 + np.exp(-(x @ beta))))
    print(f"\nINTERCEPT = {intercept:.4f}")
    print("WEIGHTS: Mapping[str, float] = {")
    for name, slope in zip(names, slopes, strict=True):
        print(f'    "{name}": {slope:.4f},')
    print("}")
    print("TYPICAL: Mapping[str, float] = {")
    for name, value in zip(names, typical, strict=True):
        print(f'    "{name}": {value:.4f},')
    print("}")
    assert all(math.isfinite(value) for value in slopes)
    if arguments.trees is not None:
        trees = fit_trees(raw, relevant, groups, own | moved_for_trees, names)
        scores = trees.scores(raw)
        typical_score = float(np.average(scores[known], weights=weight[known]))
        logistic = 1.0 / (1.0 + np.exp(-(x @ beta)))
        drift = with_trees(logistic, scores, typical_score, 0.0)
        shift = calibration(drift[known], y[known], weight[known])
        trees = dataclasses.replace(trees, typical=typical_score, shift=shift)
        arguments.trees.write_text(json.dumps(trees.to_dict()), encoding="utf-8")
        print(f"ranking trees written to {arguments.trees}")


def fit_trees(raw, relevant, groups, train, names) -> RankingTrees:
    """Ranking trees fitted on the rows in ``train``, grouped by ``groups`` (thread keys)."""
    import lightgbm  # only to fit them

    order = sorted(np.flatnonzero(train), key=lambda index: groups[index])
    sizes = [len(list(run)) for _, run in itertools.groupby(groups[i] for i in order)]
    data = lightgbm.Dataset(
        raw[order], relevant[order].astype(int), group=sizes, feature_name=list(names)
    )
    booster = lightgbm.train(TREES, data, num_boost_round=TREES_ROUNDS)
    return RankingTrees.from_lightgbm(booster.dump_model(), weight=TREES_WEIGHT)


def with_trees(logistic, tree_scores, typical_score: float, shift: float) -> np.ndarray:
    """The drift with the trees' score (measured from the typical one) and ``shift`` in the
    logit."""
    logit = np.log(logistic / (1.0 - logistic)) - TREES_WEIGHT * (tree_scores - typical_score)
    return 1.0 / (1.0 + np.exp(-(logit + shift)))


def calibration(drift, labels, weight) -> float:
    """The log-odds to add so that the drift is a calibrated probability again over the
    labelled comments (both sets weighing the same): adding the trees' score moves the
    scores as a whole, and 0.5 is the threshold (Newton's method on one value)."""
    logit = np.log(drift / (1.0 - drift))
    shift = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(logit + shift)))
        step = np.sum(weight * (p - labels)) / np.sum(weight * p * (1.0 - p))
        shift -= step
        if abs(step) < 1e-12:
            break
    return float(shift)


def report(rows, swapped, scores) -> None:
    """Each set's figures, and its swap test (every comment, own against moved one on)."""
    own, moved = scores[: len(rows)], scores[len(rows) :]
    for name, (auc, map_, f1) in figures(rows, list(own)).items():
        own_scores = [s for s, row in zip(own, rows, strict=True) if row[0] == name]
        swap_scores = [
            s for s, row in zip(moved, swapped, strict=True) if row[0] == name and row[2] == 1
        ]
        swap = paired_auc(swap_scores, own_scores)
        print(
            f"  {name:<15} ROC AUC {auc:.3f}  MAP {map_:.3f}  F1 at 0.5 {f1:.3f}  swap {swap:.3f}"
        )


if __name__ == "__main__":
    main()
