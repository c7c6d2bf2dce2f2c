"""The combined drift (moderation.scoring.drift_model) and its embeddings (semantic)."""

from __future__ import annotations

import dataclasses
import re
import socket
from pathlib import Path

import numpy as np
import pytest
import wordllama

from moderation.scoring import drift_model
from moderation.scoring.drift import ArticleProfile, CorpusStats
from moderation.scoring.drift import score_thread as score_thread_lexically
from moderation.scoring.semantic import Embedder, cosine, default_embedder

TITLE = "Bus lanes approved"
BODY = "The council approved new bus lanes on High Street after a long consultation."
STATS = CorpusStats.from_articles(
    [
        (TITLE, BODY),
        ("Heatwave warning", "Temperatures soar across the region; water use warnings issued."),
        ("Striker signs", "The club signed a striker from Lisbon for a record fee."),
    ]
)
PROFILE = ArticleProfile.build(TITLE, BODY, STATS)


def score(texts, authors=()):
    comments = [(text, None) for text in texts]
    return drift_model.score_thread(comments, TITLE, BODY, PROFILE, STATS, authors=authors)


def test_the_model_loads_from_the_package_without_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the embedder tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    vectors = Embedder().embed(["buses and lanes", "a bus lane", "sourdough recipes", ""])
    assert vectors.shape == (4, 256)
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2])
    # A text without tokens is a zero row, not NaN.
    assert cosine(vectors[0], vectors[3]) == 0.0


def test_the_same_text_gets_the_same_vector_in_any_batch():
    embedder = default_embedder()
    alone = embedder.embed(["The consultation was fair"])[0]
    batched = embedder.embed(["x " * 300, "The consultation was fair", "hi"])[1]
    assert cosine(alone, alone) == cosine(batched, alone) == 1.0


def test_on_topic_comments_score_below_unrelated_chatter():
    results = score(
        [
            "The bus lanes on High Street will help",
            "Anyone watch the snooker final last night? What a comeback",
        ]
    )
    assert results[0].score < 0.5 <= results[1].score
    assert results[0].meaning_similarity > results[1].meaning_similarity


def test_every_signal_explains_itself_in_the_reasons():
    results = score(
        [
            "The bus lanes will help on High Street",
            "Thanks! Does anyone know the snooker results?",
            "Details at https://council.example/bus-lanes and 0123 456 789",
        ],
        authors=["ann", "bob", "ann"],
    )
    chatter = results[1].reasons
    assert "shares no key terms with the article" in chatter  # the lexical reasons stay
    assert has_reason(chatter, "asks a question rather than adds to the article", "+")
    assert has_reason(chatter, "thanks or acknowledges rather than adds", "+")
    assert has_reason(chatter, "its meaning is far from the article's", "+")
    details = results[2].reasons
    assert has_reason(details, "gives a link, an address or a number", "-")
    assert has_reason(details, "its author is back in the thread: a conversation", "+")


def has_reason(reasons, start, sign):
    """A signal's reason is there, with its contribution in log-odds of that sign."""
    return any(
        reason.startswith(start) and re.search(rf"\({re.escape(sign)}\d+\.\d\)$", reason)
        for reason in reasons
    )


def test_form_and_thread_signals_explain_themselves():
    results = score(
        [
            "The bus lanes on High Street were approved after the consultation",
            "lol :) ann you crack me up",
            "You should contact the council about the bus lanes on High Street",
        ],
        authors=["ann", "bob", "cat"],
    )
    assert has_reason(results[1].reasons, "laughs or jokes", "+")
    assert has_reason(results[1].reasons, "replies to another commenter", "+")
    assert has_reason(results[2].reasons, "advises or answers", "-")


def test_a_comment_keeps_its_score_when_later_comments_arrive():
    first = score(["Bus lanes will help", "Snooker last night? Brilliant"])
    more = score(["Bus lanes will help", "Snooker last night? Brilliant", "Cats! Dogs! " * 20])
    assert [r.score for r in first] == [r.score for r in more[:2]]
    assert [r.reasons for r in first] == [r.reasons for r in more[:2]]


def test_a_self_labelled_comment_scores_at_least_the_floor():
    result = score(["A bit off topic, but the bus lanes on High Street were approved"])[0]
    assert result.self_label is not None and result.score >= drift_model.SELF_LABEL_FLOOR


def test_weights_and_typical_values_cover_the_same_signals():
    assert set(drift_model.WEIGHTS) == set(drift_model.TYPICAL) == set(drift_model.SIGNALS)
    signals = drift_model.comment_signals(
        [("x", None)],
        [""],
        score(["x"]),
        drift_model.ArticleVectors.from_rows(default_embedder().embed(["a", "b", "a b"])),
        default_embedder().embed(["x"]),
    )
    assert set(signals[0]) == set(drift_model.SIGNALS)
    (shares,) = drift_model.tree_shares(signals)
    assert set(shares) == set(drift_model.SIGNALS)
    assert 0.0 < drift_model.combined_drift(signals[0], shares) < 1.0


def test_combining_keeps_every_other_field_of_the_lexical_result():
    texts = ["Bus lanes will help", "A bit off topic, but did anyone see the snooker? lol"]
    lexical = score_thread_lexically([(text, None) for text in texts], PROFILE, STATS)
    for result, combined in zip(lexical, score(texts), strict=True):
        replaced = {"score", "reasons", "meaning_similarity"}
        for field in dataclasses.fields(result):
            if field.name not in replaced:
                assert getattr(combined, field.name) == getattr(result, field.name), field.name
        assert combined.reasons[: len(result.reasons)] == result.reasons
        assert combined.meaning_similarity is not None


def test_a_lone_surrogate_is_embedded_not_refused():
    # No UTF-8 input holds one, but a Python string can; it must not fail the batch.
    vectors = default_embedder().embed(["caf\ud800 lanes", "buses and lanes"])
    assert np.isfinite(vectors).all()
    assert cosine(vectors[0], vectors[0]) == 1.0
    assert cosine(vectors[0], vectors[1]) > 0


@pytest.mark.parametrize("texts", [[], ["+1"], [""]])
def test_degenerate_threads_score(texts):
    results = score(texts)
    assert len(results) == len(texts)
    assert all(0.0 <= result.score <= 1.0 for result in results)


def test_word_by_word_vectors_are_wordllamas_own(monkeypatch):
    import numpy as np
    from wordllama import WordLlama

    from moderation.scoring import semantic

    texts = ["The council approved new bus lanes, at last!", "Thanks :) see www.x.org", "+1"]
    own = WordLlama.load(
        config=semantic.MODEL_CONFIG,
        dim=semantic.MODEL_DIMENSIONS,
        cache_dir=Path(wordllama.__file__).resolve().parent,
        disable_download=True,
    ).embed(texts, norm=True)
    # A cache smaller than one call's words is emptied and widened, with the same vectors.
    monkeypatch.setattr(semantic, "_WORD_CACHE", 4)
    ours = Embedder().embed(texts)
    assert np.allclose(ours, own, atol=1e-5)
    assert np.allclose(Embedder().embed(texts[:1])[0], ours[0], atol=1e-6)


def test_thread_signals_at_once_equal_their_definitions_comment_by_comment():
    """Ranks, running means and cosines with the thread so far, computed for the whole
    thread with numpy, are what each comment's definition gives."""
    texts = [
        "Bus lanes will help",
        "Snooker last night? Brilliant",
        "The council should have consulted more on High Street",
        "Bus lanes will help",  # ties the first comment's meaning and lexical score
        "lol",
    ]
    vectors = default_embedder().embed(texts)
    article = drift_model.ArticleVectors.from_rows(
        default_embedder().embed(drift_model.ArticleVectors.texts(TITLE, BODY))
    )
    lexical = score(texts)
    signals = drift_model.comment_signals(
        [(text, None) for text in texts], [""] * len(texts), lexical, article, vectors
    )

    def rank(value, earlier):
        if not earlier:
            return 0.5
        return sum(1.0 if e < value else 0.5 if e == value else 0.0 for e in earlier) / len(earlier)

    meanings = [cosine(article.whole, vector) for vector in vectors]
    for index, values in enumerate(signals):
        assert values["meaning"] == meanings[index]
        assert values["meaning_title"] == cosine(article.title, vectors[index])
        assert values["meaning_rank"] == rank(meanings[index], meanings[:index])
        drifts = [values["lexical_drift"] for values in signals]
        assert values["lexical_rank"] == rank(drifts[index], drifts[:index])
        mean = sum(meanings[: index + 1]) / (index + 1)
        assert values["meaning_vs_thread"] == pytest.approx(meanings[index] - mean)
        so_far = vectors[:index].sum(axis=0)
        expected = cosine(vectors[index], so_far / np.linalg.norm(so_far)) if index else 0.0
        assert values["meaning_to_thread"] == pytest.approx(expected, abs=1e-4)
    assert meanings[3] == meanings[0]  # the tie was there to be counted half


def test_a_reason_names_its_signals_weight_and_trees_share_together():
    signals = {name: drift_model.TYPICAL[name] for name in drift_model.SIGNALS}
    signals["question"] = 1.0  # asks: its weight pushes towards drift
    logistic_only = drift_model.WEIGHTS["question"] * (1.0 - drift_model.TYPICAL["question"])
    no_shares = dict.fromkeys(drift_model.SIGNALS, 0.0)
    assert drift_model.explain(signals, no_shares) == [
        f"asks a question rather than adds to the article ({logistic_only:+.1f})"
    ]
    # The trees' part of a signal adds to its weight's: here it pulls against drift.
    shares = {**no_shares, "question": -0.5}
    assert drift_model.explain(signals, shares) == [
        f"asks a question rather than adds to the article ({logistic_only - 0.5:+.1f})"
    ]
    assert drift_model.combined_drift(signals, shares) < drift_model.combined_drift(
        signals, no_shares
    )
