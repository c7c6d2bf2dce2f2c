"""The drift's ranking trees, read from LightGBM's dump and evaluated with numpy."""

import math

import numpy as np
import pytest

from moderation.scoring import drift_model
from moderation.scoring.drift_trees import RankingTrees, default_trees

# Two trees over two signals, as Booster.dump_model() writes them (the fields read).
DUMP = {
    "feature_names": ["meaning", "question"],
    "tree_info": [
        {
            "tree_structure": {
                "split_feature": 0,
                "threshold": 0.3,
                "decision_type": "<=",
                "internal_value": 0.1,
                "left_child": {"leaf_value": -0.5},
                "right_child": {
                    "split_feature": 1,
                    "threshold": 0.5,
                    "decision_type": "<=",
                    "internal_value": 0.4,
                    "left_child": {"leaf_value": 0.7},
                    "right_child": {"leaf_value": 0.2},
                },
            }
        },
        {"tree_structure": {"leaf_value": 0.05}},  # a tree of one leaf
    ],
}


def test_scores_are_the_leaves_each_row_reaches():
    trees = RankingTrees.from_lightgbm(DUMP, weight=2.0, typical=0.1)
    rows = np.array([[0.1, 1.0], [0.3, 0.0], [0.9, 0.0], [0.9, 1.0]])
    # A value equal to the threshold goes left, as LightGBM's "<=" sends it.
    assert trees.scores(rows).tolist() == pytest.approx([-0.45, -0.45, 0.75, 0.25])
    assert trees.base == pytest.approx(0.15)


def test_each_rows_parts_add_up_to_its_score_less_the_base():
    trees = RankingTrees.from_lightgbm(DUMP, weight=2.0)
    rows = np.array([[0.9, 0.0], [0.1, 0.0]])
    parts = trees.parts(rows)
    # Root 0.1 -> right 0.4 (meaning +0.3) -> left 0.7 (question +0.3).
    assert parts[0].tolist() == pytest.approx([0.3, 0.3])
    assert parts[1].tolist() == pytest.approx([-0.6, 0.0])
    assert (parts.sum(axis=1) + trees.base).tolist() == pytest.approx(trees.scores(rows).tolist())


def test_shares_count_against_drift_by_the_weight():
    trees = RankingTrees.from_lightgbm(DUMP, weight=2.0, typical=0.1)
    (shares,) = trees.shares([{"meaning": 0.9, "question": 0.0, "ignored": 5.0}])
    assert shares == pytest.approx({"meaning": -0.6, "question": -0.6})
    assert trees.offset == pytest.approx(-2.0 * (0.15 - 0.1))
    # The calibration's shift adds to it as it is.
    shifted = RankingTrees.from_dict({**trees.to_dict(), "shift": -1.0})
    assert shifted.offset == pytest.approx(-2.0 * (0.15 - 0.1) - 1.0)
    assert trees.shares([]) == []


def test_only_numerical_splits_are_read():
    dump = {
        "feature_names": ["meaning"],
        "tree_info": [
            {"tree_structure": {**DUMP["tree_info"][0]["tree_structure"], "decision_type": "=="}}
        ],
    }
    with pytest.raises(ValueError, match="unsupported split"):
        RankingTrees.from_lightgbm(dump, weight=1.0)


def test_the_shipped_trees_read_the_drift_models_signals():
    trees = default_trees()
    assert set(trees.signals) == set(drift_model.SIGNALS)
    assert trees.weight > 0 and math.isfinite(trees.typical)
    assert RankingTrees.from_dict(trees.to_dict()).to_dict() == trees.to_dict()
