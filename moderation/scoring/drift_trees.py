"""Off-topic drift's ranking trees: gradient-boosted trees that order a thread's comments.

The logistic combination of `moderation.scoring.drift_model` weighs each signal alone,
and ranks SemEval's threads to a MAP of 0.77. Trees over the same signals, trained with
LightGBM's LambdaRank objective to put each thread's on-topic comments first, reach about
0.80 held out (docs/scoring.md): the order within a thread is what MAP measures, and a
signal's worth there depends on the others (a question early in a thread is not a
question late in it). ``bench/fit_drift.py --trees`` fits them on both labelled sets and
writes ``drift_trees.json`` beside this module; they are evaluated here with numpy, so
LightGBM is needed only to fit them.

A comment's tree score is the sum of its leaves' values, one leaf a tree. It is split
among the signals along the comment's path through each tree: every split adds the change
of the node value (the average output below it) to the signal it split on, so the parts
add up to the score less the trees' base (their roots' values). Those parts are what
each signal's reason names, with its logistic share (`drift_model.explain`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import numpy as np

TREES_FILE = Path(__file__).with_name("drift_trees.json")


@dataclass(frozen=True)
class RankingTrees:
    """Every tree's nodes in flat arrays: a leaf has feature -1 and itself as children."""

    signals: tuple[str, ...]
    weight: float
    """How much the trees' score weighs in the drift's log-odds (against drift: the trees
    score on-topic comments higher)."""
    typical: float
    """The trees' average score over the labelled comments they were fitted on."""
    shift: float
    """Log-odds added with the trees, so that the drift stays a calibrated probability
    (fitted on the labelled comments: 0.5 is the off-topic threshold)."""
    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray

    def __post_init__(self) -> None:
        # Worked out when the trees are read (a few milliseconds), not on the first thread;
        # the offset is added to every comment's drift.
        derived = ("base", "offset", "_split_on", "_below", "_children", "_depth", "_leaf_parts")
        for name in derived:
            getattr(self, name)

    @cached_property
    def base(self) -> float:
        """The score of a comment no split moves: the sum of the roots' values."""
        return float(self.value[self.roots].sum())

    @cached_property
    def offset(self) -> float:
        """What the trees add to the drift's log-odds besides the signals' parts: their
        base measured from the typical score, and the calibration's shift."""
        return -self.weight * (self.base - self.typical) + self.shift

    def shares(self, signals: Sequence[Mapping[str, float]]) -> list[dict[str, float]]:
        """Each comment's part of the trees' score by signal, in the drift's log-odds."""
        if not signals:
            return []
        rows = np.array([[values[name] for name in self.signals] for values in signals])
        parts = self.parts(rows) * -self.weight
        return [dict(zip(self.signals, row.tolist(), strict=True)) for row in parts]

    def parts(self, rows: np.ndarray) -> np.ndarray:
        """Each row's score split among the signals: an array of rows by signals whose row
        sums are the rows' scores less :attr:`base`. ``rows`` hold the signals in
        :attr:`signals` order."""
        rows = np.asarray(rows, dtype=np.float64)
        leaves = self._leaves(rows)
        return self._leaf_parts[leaves].sum(axis=1)

    def _leaves(self, rows: np.ndarray) -> np.ndarray:
        """The leaf each row reaches in each tree (rows by trees)."""
        values = rows.ravel()
        starts = (np.arange(len(rows)) * len(self.signals))[:, None]
        nodes = np.tile(self.roots, (len(rows), 1))
        # A level of every tree at once. A leaf splits on the first signal at +inf and is
        # both its own children, so nodes that reached theirs stay put.
        for _ in range(self._depth):
            goes_right = values.take(starts + self._split_on.take(nodes)) > self._below.take(nodes)
            nodes = self._children.take(2 * nodes + goes_right)
        return nodes

    @cached_property
    def _children(self) -> np.ndarray:
        """Left and right child of each node, interleaved."""
        return np.column_stack([self.left, self.right]).ravel()

    @cached_property
    def _split_on(self) -> np.ndarray:
        return np.maximum(self.feature, 0)

    @cached_property
    def _below(self) -> np.ndarray:
        return np.where(self.feature >= 0, self.threshold, np.inf)

    @cached_property
    def _depth(self) -> int:
        depth = np.zeros(len(self.feature), dtype=np.int64)
        for node in range(len(self.feature) - 1, -1, -1):  # children come after parents
            if self.feature[node] >= 0:
                depth[node] = 1 + max(depth[self.left[node]], depth[self.right[node]])
        return int(depth[self.roots].max()) if len(self.roots) else 0

    @cached_property
    def _leaf_parts(self) -> np.ndarray:
        """Each node's path from its tree's root split among the signals (what a row that
        ends at it gets): every split adds its child's value less its own to the signal
        it splits on."""
        parts = np.zeros((len(self.feature), len(self.signals)))
        for node in range(len(self.feature)):  # parents come before their children
            if self.feature[node] >= 0:
                for child in (self.left[node], self.right[node]):
                    parts[child] = parts[node]
                    parts[child, self.feature[node]] += self.value[child] - self.value[node]
        return parts

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Each row's tree score (higher: more on topic)."""
        return self.base + self.parts(rows).sum(axis=1)

    def to_dict(self) -> dict:
        return {
            "signals": list(self.signals),
            "weight": self.weight,
            "typical": self.typical,
            "shift": self.shift,
            "roots": self.roots.tolist(),
            "feature": self.feature.tolist(),
            "threshold": self.threshold.tolist(),
            "left": self.left.tolist(),
            "right": self.right.tolist(),
            "value": self.value.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> RankingTrees:
        return cls(
            signals=tuple(data["signals"]),
            weight=float(data["weight"]),
            typical=float(data["typical"]),
            shift=float(data["shift"]),
            roots=np.array(data["roots"], dtype=np.int64),
            feature=np.array(data["feature"], dtype=np.int64),
            threshold=np.array(data["threshold"], dtype=np.float64),
            left=np.array(data["left"], dtype=np.int64),
            right=np.array(data["right"], dtype=np.int64),
            value=np.array(data["value"], dtype=np.float64),
        )

    @classmethod
    def from_lightgbm(cls, dump: dict, weight: float, typical: float = 0.0) -> RankingTrees:
        """The trees of ``Booster.dump_model()``: numerical "<=" splits only, as the
        signals are numbers that are never missing."""
        feature, threshold, left, right, value, roots = [], [], [], [], [], []

        def add(node: dict) -> int:
            index = len(feature)
            feature.append(-1)
            threshold.append(0.0)
            left.append(index)
            right.append(index)
            if "leaf_value" in node:
                value.append(float(node["leaf_value"]))
                return index
            if node["decision_type"] != "<=":
                raise ValueError(f"unsupported split: {node['decision_type']}")
            value.append(float(node["internal_value"]))
            feature[index] = int(node["split_feature"])
            threshold[index] = float(node["threshold"])
            left[index] = add(node["left_child"])
            right[index] = add(node["right_child"])
            return index

        for tree in dump["tree_info"]:
            roots.append(add(tree["tree_structure"]))
        return cls.from_dict(
            {
                "signals": dump["feature_names"],
                "weight": weight,
                "typical": typical,
                "shift": 0.0,
                "roots": roots,
                "feature": feature,
                "threshold": threshold,
                "left": left,
                "right": right,
                "value": value,
            }
        )


@cache
def default_trees() -> RankingTrees:
    """The trees shipped with the package (read once per process)."""
    with TREES_FILE.open(encoding="utf-8") as handle:
        return RankingTrees.from_dict(json.load(handle))
