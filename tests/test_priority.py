"""Priority: the sum of sentiment, off-topic drift and flags, with reasons in words."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.scoring.flags import Flag, FlagConfig
from moderation.scoring.priority import (
    Priority,
    PriorityWeights,
    adds_nothing,
    compute_priority,
    config_hash,
    weights_from_mapping,
)
from moderation.scoring.watchwords import WatchWord, compile_watchwords

WEIGHTS = PriorityWeights()
LINKS = Flag("links", "3 links (limit 2)", "links")
SHOUTING = Flag("shouting", "mostly capitals (82% of letters)", "shouting")
HOLD = Flag("watchword", "watch-word 'idiot' (hold)", "watchword_hold")


def priority(compound=0.0, label="neutral", drift=0.0, reasons=(), flags=(), weights=WEIGHTS):
    return compute_priority(compound, label, drift, list(reasons), list(flags), weights)


def test_negative_off_topic_comment_with_links_outranks_a_neutral_one():
    angry = priority(-0.92, "negative", 0.81, ["shares no key terms with the article"], [LINKS])
    calm = priority(0.1, "neutral", 0.2)
    assert angry.score > calm.score
    assert calm == Priority(score=0.0, reasons=[])


def test_reasons_are_worded_and_ordered_by_contribution():
    result = priority(-0.92, "negative", 0.81, ["shares no key terms with the article"], [LINKS])
    # 3.0 × 0.92 = 2.76; links 1.5; off topic 2.0 × (0.81 - 0.6) / 0.4 = 1.05
    assert result == Priority(
        score=5.31,
        reasons=[
            "very negative (-0.92)",
            "3 links (limit 2)",
            "off topic (0.81): shares no key terms with the article",
        ],
    )


def test_negative_wording_and_thresholds():
    assert priority(-0.3, "negative").reasons == ["negative (-0.30)"]
    assert priority(-0.6, "negative").reasons == ["very negative (-0.60)"]
    assert priority(-0.03, "neutral").reasons == []  # above VADER's -0.05 cut-off
    assert priority(-0.03, "negative").reasons == ["negative (-0.03)"]  # labelled negative
    assert priority(0.9, "positive").score == 0.0


def test_off_topic_only_above_the_threshold():
    assert priority(drift=0.6).reasons == []
    assert priority(drift=0.7).reasons == ["off topic (0.70)"]
    assert priority(drift=1.0).score == WEIGHTS.off_topic
    lower = compute_priority(0, "neutral", 0.5, [], [], WEIGHTS, off_topic_threshold=0.4)
    assert lower.reasons == ["off topic (0.50)"]


def test_flag_weights_and_unknown_flags():
    assert priority(flags=[HOLD]).score == WEIGHTS.watchword_hold
    new_kind = Flag("emoji_flood", "many emoji", "emoji_flood")
    assert priority(flags=[new_kind]).score == WEIGHTS.other_flag
    zero_links = dataclasses.replace(WEIGHTS, links=0.0)
    assert priority(flags=[LINKS], weights=zero_links) == Priority(0.0, [])


def test_score_is_rounded_to_three_decimals():
    assert priority(-1 / 3, "negative").score == 1.0
    assert priority(-0.12345, "negative").score == 0.37


def test_result_does_not_depend_on_flag_order():
    flags = [LINKS, SHOUTING, HOLD, Flag("char_run", "character run '!!!!!!' (6×)", "char_run")]
    first = priority(-0.5, "negative", 0.9, ["x"], flags)
    assert priority(-0.5, "negative", 0.9, ["x"], flags[::-1]) == first
    assert first.reasons[0] == "watch-word 'idiot' (hold)"


def test_odd_numbers_are_clamped_not_raised():
    assert priority(float("nan"), "negative", float("nan")).score == 0.0
    assert priority(-5.0, "negative").score == WEIGHTS.negative_sentiment
    assert priority(drift=float("inf")).score == WEIGHTS.off_topic


# --- configuration ----------------------------------------------------------------


def test_weights_from_mapping_round_trips_with_asdict():
    weights = weights_from_mapping({"links": 2, "off_topic": 2.5, "watchword_reject": 10})
    assert weights.links == 2.0 and isinstance(weights.links, float)
    assert weights.off_topic == 2.5
    assert weights_from_mapping(dataclasses.asdict(weights)) == weights


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"linkz": 1}, "linkz"),
        ({"links": -1}, "links"),
        ({"links": float("inf")}, "links"),
        ({"links": True}, "links"),
        # The label decides what is negative; there is no second cut-off here.
        ({"negative_below": -0.1}, "negative_below"),
    ],
)
def test_weights_from_mapping_rejects_bad_values(mapping, message):
    with pytest.raises(ValueError, match=message):
        weights_from_mapping(mapping)


WATCHWORDS = [WatchWord("idiot", "word", "hold"), WatchWord(r"buy\s+now", "pattern", "reject")]


DEFAULT_FLAG_CONFIG = FlagConfig()


def full_hash(
    weights=WEIGHTS, flag_config=DEFAULT_FLAG_CONFIG, watchwords=WATCHWORDS, threshold=0.6
):
    return config_hash(weights, flag_config, watchwords, {"off_topic_threshold": threshold})


def test_config_hash_changes_when_any_weight_changes():
    base = full_hash()
    for field in dataclasses.fields(PriorityWeights):
        value = getattr(WEIGHTS, field.name)
        changed = dataclasses.replace(WEIGHTS, **{field.name: value - 0.01 if value else 0.5})
        assert full_hash(weights=changed) != base, field.name


def test_config_hash_changes_with_flag_config_watchwords_and_thresholds():
    base = full_hash()
    assert full_hash(flag_config=FlagConfig(max_links=3)) != base
    assert full_hash(watchwords=WATCHWORDS[:1]) != base
    assert full_hash(watchwords=[WatchWord("idiot", "word", "reject"), WATCHWORDS[1]]) != base
    assert full_hash(threshold=0.65) != base


def test_config_hash_ignores_order_and_number_spelling():
    base = full_hash()
    assert len(base) == 64 and int(base, 16) >= 0
    assert full_hash(watchwords=WATCHWORDS[::-1]) == base
    assert full_hash(watchwords=compile_watchwords(WATCHWORDS)) == base
    assert full_hash(threshold=0.6) == config_hash(
        WEIGHTS, FlagConfig(), WATCHWORDS, {"off_topic_threshold": 0.6}
    )
    assert config_hash({"a": 1, "b": 2.0}) == config_hash({"b": 2, "a": 1.0})
    assert config_hash(weights_from_mapping({"links": 2})) == config_hash(
        weights_from_mapping({"links": 2.0})
    )


def test_config_hash_is_stable_across_processes():
    code = (
        "from moderation.scoring.priority import config_hash, PriorityWeights;"
        "from moderation.scoring.flags import FlagConfig;"
        "from moderation.scoring.watchwords import WatchWord;"
        "print(config_hash(PriorityWeights(), FlagConfig(), [WatchWord('idiot', 'word', 'hold'),"
        " WatchWord(r'buy\\s+now', 'pattern', 'reject')], {'off_topic_threshold': 0.6}))"
    )
    root = Path(__file__).resolve().parents[1]
    hashes = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)}
        output = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        hashes.add(output.stdout.strip())
    assert hashes == {full_hash()}


# --- properties -------------------------------------------------------------------

FLAGS = st.builds(
    Flag,
    code=st.sampled_from(["links", "shouting", "duplicate", "watchword", "new"]),
    reason=st.text(min_size=1, max_size=20),
    weight_key=st.sampled_from(
        ["links", "shouting", "char_run", "duplicate", "watchword_reject", "unknown_key"]
    ),
)
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)
UNIT = st.floats(-1.0, 1.0)
LABELS = st.sampled_from(["negative", "neutral", "positive", ""])


@settings(max_examples=300, deadline=None)
@given(
    compound=ANY_FLOAT,
    label=st.text(max_size=10) | LABELS,
    drift=ANY_FLOAT,
    reasons=st.lists(st.text(max_size=30), max_size=3),
    flags=st.lists(FLAGS, max_size=5),
    threshold=ANY_FLOAT,
)
def test_compute_priority_never_crashes(compound, label, drift, reasons, flags, threshold):
    result = compute_priority(compound, label, drift, reasons, flags, WEIGHTS, threshold)
    assert result.score >= 0
    assert len(result.reasons) <= len(flags) + 2


@settings(max_examples=300, deadline=None)
@given(a=UNIT, b=UNIT, label=LABELS, drift=st.floats(0, 1), flags=st.lists(FLAGS, max_size=3))
def test_more_negative_never_lowers_priority(a, b, label, drift, flags):
    more_negative, less_negative = min(a, b), max(a, b)
    low = compute_priority(less_negative, label, drift, [], flags, WEIGHTS).score
    assert compute_priority(more_negative, label, drift, [], flags, WEIGHTS).score >= low


@settings(max_examples=300, deadline=None)
@given(a=st.floats(0, 1), b=st.floats(0, 1), compound=UNIT, label=LABELS, threshold=st.floats(0, 1))
def test_more_drift_never_lowers_priority(a, b, compound, label, threshold):
    def score(drift):
        return compute_priority(compound, label, drift, ["r"], [], WEIGHTS, threshold).score

    assert score(max(a, b)) >= score(min(a, b))


@settings(max_examples=300, deadline=None)
@given(compound=UNIT, label=LABELS, drift=st.floats(0, 1), flags=st.lists(FLAGS), extra=FLAGS)
def test_adding_a_flag_never_lowers_priority(compound, label, drift, flags, extra):
    before = compute_priority(compound, label, drift, [], flags, WEIGHTS).score
    after = compute_priority(compound, label, drift, [], [*flags, extra], WEIGHTS).score
    assert after >= before


ODD_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.none(), st.integers(-2, 2), st.just("0.5")
)


@settings(max_examples=500, deadline=None)
@given(
    compound=ODD_NUMBERS,
    label=st.sampled_from(["negative", "neutral", "positive", ""]),
    drift=ODD_NUMBERS,
    threshold=st.one_of(st.floats(-1, 2), st.just(float("nan"))),
)
def test_adds_nothing_only_when_the_full_sum_gives_nothing(compound, label, drift, threshold):
    full = compute_priority(compound, label, drift, ["far off"], [], WEIGHTS, threshold)
    if adds_nothing(compound, label, drift, threshold):
        assert full == Priority(0.0, [])


def test_adds_nothing_spots_the_ordinary_comment_and_not_the_others():
    assert adds_nothing(0.4, "positive", 0.2, 0.6)
    assert adds_nothing(0.0, "negative", 0.6, 0.6)  # at the threshold is not over it
    assert not adds_nothing(-0.3, "negative", 0.2, 0.6)
    assert not adds_nothing(0.4, "positive", 0.61, 0.6)
    assert not adds_nothing(None, "positive", 0.2, 0.6)  # odd values take the full path
