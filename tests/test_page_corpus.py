"""The page-text reader over real pages: recall and precision against the hand annotations.

The figures per split and layout family: ``python tests/page_corpus.py``.
"""

from __future__ import annotations

import pytest

from tests.page_corpus import (
    Counts,
    Found,
    annotations,
    found_comments,
    measure,
    report,
    score_page,
)

RECALL_TARGET = 0.90
PRECISION_TARGET = 0.95


@pytest.fixture(scope="module")
def table() -> dict[tuple[str, str], Counts]:
    return measure()


def test_corpus_is_big_and_varied_enough():
    pages = annotations()
    assert len(pages) >= 40
    assert len({entry["source"].split("/")[2] for entry in pages.values()}) >= 30
    assert sum(1 for entry in pages.values() if not entry["comments"]) >= 5
    assert sum(1 for entry in pages.values() if entry["split"] == "held_out") >= 10


def test_recall_and_precision_over_the_whole_corpus(table):
    whole = table[("all", "all")]
    print("\n" + report(table))
    assert whole.recall >= RECALL_TARGET, report(table)
    assert whole.precision >= PRECISION_TARGET, report(table)


def test_nothing_is_invented_on_pages_without_comments(table):
    assert table[("all", "all")].invented_on_empty_pages == 0, report(table)


def test_replies_keep_the_parent_the_text_shows(table):
    whole = table[("all", "all")]
    assert whole.parents_expected and whole.parents_right / whole.parents_expected >= 0.8


def test_the_scoring_counts_a_wrong_author_and_an_invented_comment():
    entry = {"comments": [{"author": "Ann", "starts": "I agree", "parent": None}]}
    assert score_page(entry, [], []).recall == 0.0
    wrong_author = Found("Bob", "I agree with this.", False, None)
    right = Found("Ann", "I agree with this.", False, None)
    invented = Found(None, "Share this page", False, None)
    assert score_page(entry, [wrong_author], []).matched == 0
    counts = score_page(entry, [right, invented], [])
    assert (counts.matched, counts.found, counts.precision) == (1, 2, 0.5)


@pytest.mark.parametrize("name", sorted(annotations()))
def test_every_page_parses(name: str):
    found, _ = found_comments(name)
    assert all(comment.body for comment in found)
