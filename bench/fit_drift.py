"""Choose the drift model's weights by cross-validation over threads, on both labelled sets.

    python bench/fit_drift.py            # 5 folds; prints held-out figures and the weights
    python bench/fit_drift.py --folds 10

The signals are those `moderation.scoring.drift_model` computes, on the set labelled here
(tests/data/offtopic_eval.jsonl) and on SemEval-2016 Task 3's Qatar Living set
(tests/data/semeval2016-ql-train2.*), labelled by others. Each set weighs the same in
total, so neither is fitted alone and the small one is not drowned. Folds hold out whole
threads: a thread is never in training and test at once. The model is L2-regularised
logistic regression on standardised signals (Newton's method, a few lines of numpy).

Prints, for each set, the figures of the held-out scores (what the weights can be expected
to do on threads they have not seen), then the weights fitted on everything, as Python to
paste into drift_model.py; `moderation evaluate` then measures them.
"""

from __future__ import annotations

import argparse
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from moderation.evaluation import (
    mean_average_precision,
    parse_eval_lines,
    precision_recall,
    read_labelled_source,
    roc_auc,
    score_threads,
)
from moderation.scoring.drift import DEFAULT_OFF_TOPIC_THRESHOLD
from moderation.scoring.drift_model import SIGNALS

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
L2 = 1.0


def signal_rows(name: str, data) -> list[tuple[str, str, bool | None, list[float]]]:
    """(set, thread, off topic?, signals) for every comment."""
    rows = []
    for thread in score_threads(data):
        for comment, signals in zip(thread.comments, thread.signals, strict=True):
            key = f"{name}:{thread.article.article_id}"
            rows.append((name, key, comment.off_topic, [signals[s] for s in SIGNALS]))
    return rows


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
    parser.add_argument(
        "--without", nargs="*", default=[], choices=SIGNALS, help="signals to leave out"
    )
    arguments = parser.parse_args()
    with open(DATA / "offtopic_eval.jsonl", encoding="utf-8") as handle:
        here = parse_eval_lines(handle)
    shared = read_labelled_source(
        DATA / "semeval2016-ql-train2.wxr.xml.gz", DATA / "semeval2016-ql-train2.labels.json"
    )
    rows = signal_rows("labelled here", here) + signal_rows("SemEval-2016", shared)
    kept = [index for index, name in enumerate(SIGNALS) if name not in arguments.without]
    raw = np.array([[row[3][index] for index in kept] for row in rows])
    known = np.array([row[2] is not None for row in rows])
    y = np.array([1.0 if row[2] else 0.0 for row in rows])
    per_set = defaultdict(int)
    for row in rows:
        per_set[row[0]] += row[2] is not None
    weight = np.array([1.0 / per_set[row[0]] if row[2] is not None else 0.0 for row in rows])
    weight *= known.sum() / weight.sum()
    typical = (raw[known] * weight[known, None]).sum(0) / weight[known].sum()
    spread = np.sqrt(
        ((raw[known] - typical) ** 2 * weight[known, None]).sum(0) / weight[known].sum()
    )
    spread[spread == 0] = 1.0
    x = np.hstack([np.ones((len(rows), 1)), (raw - typical) / spread])

    threads = sorted({row[1] for row in rows})
    order = np.random.RandomState(arguments.seed).permutation(len(threads))
    fold_of = {thread: order[i] % arguments.folds for i, thread in enumerate(threads)}
    folds = np.array([fold_of[row[1]] for row in rows])
    held_out = np.zeros(len(rows))
    for fold in range(arguments.folds):
        train = (folds != fold) & known
        beta = fit(x[train], y[train], weight[train])
        held_out[folds == fold] = 1.0 / (1.0 + np.exp(-(x[folds == fold] @ beta)))
    print(f"held-out figures, {arguments.folds} folds over {len(threads)} threads:")
    for name, (auc, map_, f1) in figures(rows, list(held_out)).items():
        print(f"  {name:<15} ROC AUC {auc:.3f}  MAP {map_:.3f}  F1 at 0.5 {f1:.3f}")

    beta = fit(x[known], y[known], weight[known])
    slopes = beta[1:] / spread
    intercept = beta[0] - float((slopes * typical).sum())
    fitted = 1.0 / (1.0 + np.exp(-(x @ beta)))
    print("fitted on everything (what `moderation evaluate` should show, before rounding):")
    for name, (auc, map_, f1) in figures(rows, list(fitted)).items():
        print(f"  {name:<15} ROC AUC {auc:.3f}  MAP {map_:.3f}  F1 at 0.5 {f1:.3f}")
    names = [SIGNALS[index] for index in kept]
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


if __name__ == "__main__":
    main()
