"""Evaluation metrics (moderation.evaluation) and the labelled evaluation data."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.evaluation import (
    EvalArticle,
    EvalComment,
    EvalData,
    evaluate,
    evaluate_file,
    format_side_by_side,
    mean_average_precision,
    paired_auc,
    parse_eval_lines,
    parse_labels,
    precision_recall,
    read_labelled_source,
    roc_auc,
)
from moderation.scoring.drift import DEFAULT_OFF_TOPIC_THRESHOLD
from moderation.scoring.sentiment import default_scorer

DATA = Path(__file__).resolve().parent / "data"
EVAL_FILE = DATA / "offtopic_eval.jsonl"
# SemEval-2016 Task 3, subtask A train part 2 (Qatar Living), labelled by others.
SHARED_FILE = DATA / "semeval2016-ql-train2.wxr.xml.gz"
SHARED_LABELS = DATA / "semeval2016-ql-train2.labels.json"
# Measured on it with scorer version 8 (the logistic combination and the ranking trees):
# ROC AUC 0.890, MAP 0.881. The trees were fitted on this set too, so these are figures on
# comments they saw: what they do on threads they have not seen is measured by
# bench/fit_drift.py's cross-validation over threads (AUC 0.859, MAP 0.803; docs/scoring.md).
# The floors guard the shipped model against a change, not its worth. Version 6 (logistic
# only): 0.835 and 0.769; version 4 (lexical only): 0.550 and 0.531.
SHARED_AUC_FLOOR = 0.88
SHARED_MAP_FLOOR = 0.87
# Measured on the file with scorer version 8: off-topic ROC AUC 0.956 (0.964 logistic only,
# 0.914 lexical alone); swap test over all comments 0.765 and over on-topic comments 0.890
# (0.770 and 0.913 logistic only, 0.9005 and 0.965 lexical alone). The swap test moves only
# the comment's topic; the signals of its form, which the shared set needs, count the same
# under either article, so the more they weigh the lower it falls (docs/scoring.md shows
# the trade-off, bench/fit_drift.py).
OFF_TOPIC_AUC_FLOOR = 0.95
SWAP_AUC_FLOOR = 0.76
SWAP_AUC_ON_TOPIC_FLOOR = 0.88


# --------------------------------------------------------------------------- ROC AUC


@pytest.mark.parametrize(
    ("scores", "labels", "expected"),
    [
        ([0.1, 0.2, 0.8, 0.9], [False, False, True, True], 1.0),
        ([0.1, 0.2, 0.8, 0.9], [True, True, False, False], 0.0),
        # 3 of the 4 positive-negative pairs are ordered correctly.
        ([0.1, 0.4, 0.35, 0.8], [False, False, True, True], 0.75),
        # Ties count half: the 0.5/0.5 pair gives 0.5, the other three pairs are right.
        ([0.5, 0.5, 0.2, 0.9], [True, False, False, True], 0.875),
        ([0.3, 0.3, 0.3, 0.3], [True, False, True, False], 0.5),
        ([1, 2, 3], [False, True, False], 0.5),
    ],
)
def test_roc_auc_hand_computed(scores, labels, expected):
    assert roc_auc(scores, labels) == pytest.approx(expected)


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=5), st.booleans()), min_size=2, max_size=40
    ).filter(lambda pairs: len({label for _, label in pairs}) == 2)
)
def test_roc_auc_equals_the_pairwise_definition(pairs):
    scores = [score for score, _ in pairs]
    labels = [label for _, label in pairs]
    positives = [score for score, label in pairs if label]
    negatives = [score for score, label in pairs if not label]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
    assert roc_auc(scores, labels) == pytest.approx(wins / (len(positives) * len(negatives)))


def test_roc_auc_needs_both_classes_and_equal_lengths():
    with pytest.raises(ValueError):
        roc_auc([0.1, 0.2], [True, True])
    with pytest.raises(ValueError):
        roc_auc([0.1, 0.2], [True])


def test_paired_auc_ranks_the_first_group_above_the_second():
    assert paired_auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert paired_auc([0.5], [0.5]) == 0.5


def test_mean_average_precision_hand_computed():
    # Ranked by drift: relevant at ranks 1 and 3 -> (1/1 + 2/3) / 2; the second thread has
    # its one relevant comment at rank 2 -> 1/2; the third has none and is left out.
    threads = [
        ([0.1, 0.5, 0.3], [True, True, False]),
        ([0.9, 0.2], [True, False]),
        ([0.4], [False]),
    ]
    assert mean_average_precision(threads) == pytest.approx(((1 + 2 / 3) / 2 + 1 / 2) / 2)
    assert mean_average_precision([([0.1], [False])]) is None


def test_precision_recall_counts():
    counts = precision_recall(
        [0.9, 0.7, 0.6, 0.2, 0.1], [True, False, True, True, False], threshold=0.6
    )
    assert (counts.true_positives, counts.false_positives, counts.false_negatives) == (2, 1, 1)
    assert counts.precision == pytest.approx(2 / 3)
    assert counts.recall == pytest.approx(2 / 3)
    assert counts.f1 == pytest.approx(2 / 3)
    nothing = precision_recall([0.1], [True], threshold=0.5)
    assert (nothing.precision, nothing.recall, nothing.f1) == (0.0, 0.0, 0.0)


def test_sentiment_labels_use_the_conventional_thresholds():
    def label(text: str) -> str:
        return default_scorer().score(text, with_sentences=False).label

    assert label("I love this, wonderful news") == "positive"
    assert label("I hate this, terrible news") == "negative"
    assert label("The meeting is on Tuesday") == "neutral"


# --------------------------------------------------------------------------- parsing


def test_parse_eval_lines_reports_the_line_of_a_bad_entry():
    article = json.dumps({"type": "article", "article_id": "a", "title": "T", "body": "B"})
    comment = {
        "type": "comment",
        "article_id": "a",
        "comment_id": "c1",
        "parent_id": None,
        "author": "x",
        "text": "hi",
        "off_topic": False,
        "sentiment": "neutral",
    }
    assert len(parse_eval_lines([article, json.dumps(comment)]).comments) == 1
    bad_cases = [
        [json.dumps(comment)],  # comment before its article
        [article, json.dumps({**comment, "sentiment": "angry"})],
        [article, "{not json"],
        [article, json.dumps({"type": "poll"})],
    ]
    for lines in bad_cases:
        with pytest.raises(ValueError, match=r"line \d"):
            parse_eval_lines(lines)


def test_evaluate_on_a_tiny_hand_made_set():
    data = EvalData(
        articles=(
            EvalArticle("x", "Sanctions on Russian oil", "Sanctions target oil tankers " * 20),
            EvalArticle("y", "Heatwave alert", "Temperatures and heat alerts " * 20),
        ),
        comments=(
            EvalComment("x", "x1", None, "More oil sanctions please", False, "positive"),
            EvalComment("x", "x2", None, "OT: lovely heatwave today", True, "positive"),
            EvalComment("y", "y1", None, "The heat is terrible", False, "negative"),
            EvalComment("y", "y2", None, "Sanctions on tankers now", True, "neutral"),
        ),
    )
    report = evaluate(data)
    assert (report.article_count, report.comment_count, report.off_topic_count) == (2, 4, 2)
    assert report.off_topic_auc == 1.0
    assert report.swap_auc_on_topic == 1.0
    assert sum(report.sentiment_confusion.values()) == 4


# --------------------------------------------------------------------------- the real file


def _entries() -> list[dict]:
    return [json.loads(line) for line in EVAL_FILE.read_text(encoding="utf-8").splitlines()]


def test_eval_file_is_large_varied_and_well_formed():
    entries = _entries()
    articles = [entry for entry in entries if entry["type"] == "article"]
    comments = [entry for entry in entries if entry["type"] == "comment"]
    assert len(articles) >= 10
    assert len(comments) >= 220
    # Written articles are 250-500 words; the seed-000 article is included as published.
    written = [article for article in articles if article["article_id"] != "a01-huawei-russia"]
    assert all(250 <= len(article["body"].split()) <= 500 for article in written)
    off_share = sum(comment["off_topic"] for comment in comments) / len(comments)
    assert 0.25 <= off_share <= 0.35
    assert set(Counter(comment["sentiment"] for comment in comments)) == {
        "positive",
        "neutral",
        "negative",
    }
    seen: set[str] = set()
    for comment in comments:
        # Parents are earlier comments on the same article.
        if comment["parent_id"] is not None:
            assert comment["parent_id"] in seen
            assert comment["parent_id"].split("-")[0] == comment["comment_id"].split("-")[0]
        seen.add(comment["comment_id"])
    seed_thread = [c for c in comments if c["article_id"] == "a01-huawei-russia"]
    assert len(seed_thread) == 5
    assert [c["off_topic"] for c in seed_thread] == [False, False, False, True, False]


def test_report_on_the_real_file():
    report = evaluate_file(EVAL_FILE)
    assert report.article_count == 12
    assert report.comment_count == 236
    assert report.off_topic_count == 63
    assert report.threshold == DEFAULT_OFF_TOPIC_THRESHOLD
    assert report.off_topic_auc >= OFF_TOPIC_AUC_FLOOR
    assert report.swap_auc >= SWAP_AUC_FLOOR
    assert report.swap_auc_on_topic >= SWAP_AUC_ON_TOPIC_FLOOR
    assert 0.0 < report.precision <= 1.0 and 0.0 < report.recall <= 1.0
    assert 0.0 < report.f1 <= 1.0
    assert 0.0 <= report.sentiment_agreement <= 1.0
    assert sum(report.sentiment_confusion.values()) == report.comment_count
    text = report.format()
    assert f"{report.off_topic_auc:.3f}" in text
    assert f"{report.swap_auc:.3f}" in text
    assert f"{report.sentiment_agreement:.3f}" in text
    assert "precision" in text and "recall" in text


def test_swap_headline_covers_every_comment():
    # Off-topic comments stay in the headline: an off-topic comment that scores higher under
    # its own article than under another one must lower `swap_auc` but not the on-topic figure.
    data = EvalData(
        articles=(
            EvalArticle("x", "Sanctions on Russian oil", "Sanctions target oil tankers " * 20),
            EvalArticle("y", "Heatwave alert", "Temperatures and heat alerts " * 20),
        ),
        comments=(
            EvalComment("x", "x1", None, "More oil sanctions please", False, "positive"),
            EvalComment("x", "x2", None, "OT: the heatwave and its temperatures", True, "neutral"),
            EvalComment("y", "y1", None, "The heat is terrible", False, "negative"),
        ),
    )
    report = evaluate(data)
    assert report.swap_auc_on_topic == 1.0
    assert report.swap_auc < 1.0
    swap_lines = [line for line in report.format().splitlines() if "swap test" in line]
    assert len(swap_lines) == 1 and "all comments" in swap_lines[0]
    assert f"{report.swap_auc:.3f}" in swap_lines[0]
    secondary = [line for line in report.format().splitlines() if "on-topic comments only" in line]
    assert len(secondary) == 1 and f"{report.swap_auc_on_topic:.3f}" in secondary[0]


# --------------------------------------------------------------------------- labelled sources

WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:wp="http://wordpress.org/export/1.2/">
<channel><link>https://eval.test</link>
<item><title>Sanctions on Russian oil</title><wp:post_id>1</wp:post_id>
<content:encoded>Sanctions target oil tankers and Russian oil exports.</content:encoded>
<wp:post_type>post</wp:post_type>
<wp:comment><wp:comment_id>11</wp:comment_id>
  <wp:comment_content>More oil sanctions on the tankers please</wp:comment_content></wp:comment>
<wp:comment><wp:comment_id>12</wp:comment_id>
  <wp:comment_content>Lovely sourdough at the bakery</wp:comment_content></wp:comment>
<wp:comment><wp:comment_id>13</wp:comment_id>
  <wp:comment_content>Oil prices may rise</wp:comment_content></wp:comment>
<wp:comment><wp:comment_id>14</wp:comment_id>
  <wp:comment_content>Unlabelled context</wp:comment_content></wp:comment>
</item></channel></rss>
"""


def test_a_labelled_wxr_gzipped_or_not_is_evaluated(tmp_path):
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"11": "Good", "12": "Bad", "13": "PotentiallyUseful"}))
    plain = tmp_path / "set.xml"
    plain.write_text(WXR)
    packed = tmp_path / "set.xml.gz"
    packed.write_bytes(gzip.compress(WXR.encode()))
    assert read_labelled_source(plain, labels) == read_labelled_source(packed, labels)
    data = read_labelled_source(packed, labels)
    assert [c.off_topic for c in data.comments] == [False, True, None, None]
    report = evaluate_file(packed, labels)
    # "PotentiallyUseful" and unlabelled comments count in neither class.
    assert (report.off_topic_count, report.on_topic_count, report.comment_count) == (1, 1, 4)
    assert report.off_topic_auc == 1.0
    assert report.swap_auc is None and report.sentiment_agreement is None
    assert "swap test" not in report.format() and "Sentiment" not in report.format()


def test_labels_that_cannot_be_read_are_named(tmp_path):
    with pytest.raises(ValueError, match=r"labels.json: comment '7': unknown label 'Meh'"):
        parse_labels(json.dumps({"7": "Meh"}), "labels.json")
    with pytest.raises(ValueError, match="labels.json: not JSON"):
        parse_labels("{", "labels.json")
    source = tmp_path / "set.xml"
    source.write_text(WXR)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"999": "Good"}))
    with pytest.raises(ValueError, match="no comment of the source has a label"):
        read_labelled_source(source, other)


def test_both_sets_reach_their_targets():
    """The regression guard of issue #16: drift on the set labelled here and on a public set
    no one here labelled, with the figures `moderation evaluate` prints."""
    here = evaluate_file(EVAL_FILE)
    shared = evaluate_file(SHARED_FILE, SHARED_LABELS)
    assert (shared.article_count, shared.comment_count) == (670, 6700)
    assert (shared.off_topic_count, shared.on_topic_count) == (3058, 2483)
    assert shared.off_topic_auc >= SHARED_AUC_FLOOR
    assert shared.mean_average_precision >= SHARED_MAP_FLOOR
    assert here.off_topic_auc >= OFF_TOPIC_AUC_FLOOR
    table = format_side_by_side([("here", here), ("SemEval", shared)])
    assert f"{shared.off_topic_auc:.3f}" in table and f"{here.off_topic_auc:.3f}" in table
    assert f"{shared.mean_average_precision:.3f}" in table
