"""Priority: one number saying how urgently a moderator should look at a comment.

The priority is a sum of non-negative contributions, each with a reason in words:

* negative sentiment: ``negative_sentiment × -compound`` for a comment labelled
  "negative" (the label's threshold is a scoring setting, so there is one cut-off);
* off-topic drift: ``off_topic × (drift - threshold) / (1 - threshold)`` above the
  off-topic threshold, so it grows from 0 at the threshold to the full weight at 1;
* every flag: the weight named by its ``weight_key`` (``other_flag`` if unknown).

Because every weight is >= 0 and every contribution grows with its signal, a
more negative, more off-topic or more flagged comment never ranks lower.
Reasons are listed biggest contribution first.

:func:`config_hash` digests every setting that influences scores so stored
scores can be marked stale when an admin changes the configuration.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from moderation.scoring.flags import Flag, numeric_config_from_mapping
from moderation.scoring.watchwords import WatchList, WatchWord

VERY_NEGATIVE_AT = -0.6  # compound at or below this reads "very negative"


@dataclass(frozen=True)
class PriorityWeights:
    """How much each signal adds to the priority. All weights must be >= 0."""

    # Sentiment: weight × -compound, so a compound of -1.0 adds the full 3.0.
    negative_sentiment: float = 3.0
    # Off-topic drift above the threshold, scaled to 0..1, times this.
    off_topic: float = 2.0
    # One weight per flag ``weight_key`` (see moderation.scoring.flags).
    links: float = 1.5
    shouting: float = 0.5
    char_run: float = 0.3
    near_empty: float = 0.2
    pingback: float = 0.5
    duplicate: float = 2.0
    near_duplicate: float = 2.0
    watchword_flag: float = 1.0
    watchword_hold: float = 4.0
    watchword_reject: float = 8.0
    # Flags whose weight_key is none of the above (new flag kinds).
    other_flag: float = 0.5

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"PriorityWeights.{field.name} must be a finite number >= 0")

    def flag_weight(self, weight_key: str) -> float:
        """Weight for a flag's ``weight_key``; ``other_flag`` for unknown keys."""
        if weight_key in _FLAG_WEIGHT_KEYS:
            return getattr(self, weight_key)
        return self.other_flag


_NOT_FLAG_WEIGHTS = {"negative_sentiment", "off_topic", "other_flag"}
_FLAG_WEIGHT_KEYS = frozenset(
    f.name for f in dataclasses.fields(PriorityWeights) if f.name not in _NOT_FLAG_WEIGHTS
)


@dataclass(frozen=True)
class Priority:
    """A comment's priority (rounded to 3 decimals) and the reasons, biggest first."""

    score: float
    reasons: list[str]


def weights_from_mapping(mapping: Mapping[str, Any]) -> PriorityWeights:
    """:class:`PriorityWeights` from a config mapping (e.g. a TOML table).

    Missing keys keep their defaults; unknown keys and negative or non-numeric
    values raise :class:`ValueError`. ``dataclasses.asdict`` gives the reverse.
    """
    return numeric_config_from_mapping(PriorityWeights, mapping)


def _number(value: float, default: float) -> float:
    """``value`` as a float; NaN and non-numbers become ``default`` (infinities are kept
    so the caller's clamping turns them into the end of the range)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return default
    return default if math.isnan(value) else value


def _clamped(value: Any, low: float, high: float, default: float) -> float:
    """``value`` as a float in low..high (see :func:`_number` for odd values)."""
    if type(value) is float and low <= value <= high:
        return value  # the usual case, without the conversions (re-prioritising 1M scores)
    return min(high, max(low, _number(value, default)))


def compute_priority(
    compound: float,
    sentiment_label: str,
    drift: float,
    drift_reasons: Sequence[str],
    flags: Sequence[Flag],
    weights: PriorityWeights,
    off_topic_threshold: float = 0.6,
) -> Priority:
    """Sum the contributions of sentiment, off-topic drift and flags.

    ``compound`` is VADER's -1..1 score, ``sentiment_label`` its label, ``drift``
    the 0..1 off-topic score with ``drift_reasons`` in words. Out-of-range or
    infinite numbers are clamped (NaN counts as 0), so this never raises on
    odd scores. Equal contributions are ordered by reason text, so the result
    does not depend on the order of ``flags``.
    """
    compound = _clamped(compound, -1.0, 1.0, 0.0)
    drift = _clamped(drift, 0.0, 1.0, 0.0)
    threshold = _clamped(off_topic_threshold, 0.0, 1.0, 0.6)
    contributions: list[tuple[float, str]] = []

    if sentiment_label == "negative" and compound < 0:
        wording = "very negative" if compound <= VERY_NEGATIVE_AT else "negative"
        contributions.append(
            (weights.negative_sentiment * -compound, f"{wording} ({compound:.2f})")
        )

    if drift > threshold:
        share_above = (drift - threshold) / (1.0 - threshold)
        reason = f"off topic ({drift:.2f})"
        explained = [str(r) for r in drift_reasons if str(r).strip()]
        if explained:
            reason += ": " + "; ".join(explained)
        contributions.append((weights.off_topic * share_above, reason))

    for flag in flags:
        contributions.append((weights.flag_weight(flag.weight_key), flag.reason))

    contributions = [(amount, reason) for amount, reason in contributions if amount > 0]
    contributions.sort(key=lambda item: (-item[0], item[1]))
    score = math.fsum(amount for amount, _ in contributions)
    return Priority(score=round(score, 3), reasons=[reason for _, reason in contributions])


def adds_nothing(
    compound: Any, sentiment_label: str, drift: Any, off_topic_threshold: float
) -> bool:
    """True when, without flags, :func:`compute_priority` would certainly give 0 and no
    reason: the sentiment is not negative and the drift is not over the threshold.

    A shortcut for re-prioritising a million stored scores, many of which have nothing to
    add; False means only "compute it" (odd values such as None or NaN always take the full
    path), so the two never disagree.
    """
    if type(compound) is not float or type(drift) is not float:
        return False
    threshold = _clamped(off_topic_threshold, 0.0, 1.0, 0.6)
    return (sentiment_label != "negative" or compound >= 0) and drift <= threshold


def config_hash(*configs: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of every configuration passed.

    Accepts dataclasses (weights, flag config), watch-word lists or a
    :class:`WatchList`, mappings and plain numbers/strings (e.g. thresholds).
    Mapping key order and watch-word order do not matter; anything else that
    changes a setting changes the hash.
    """
    canonical = json.dumps(
        [_canonical(config) for config in configs],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, WatchList):
        value = value.entries
    if isinstance(value, WatchWord):
        return {"phrase": value.phrase, "match": value.match, "action": value.action}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__config__": type(value).__name__, **fields}
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_canonical(item) for item in value]
        if isinstance(value, set | frozenset) or all(isinstance(v, WatchWord) for v in value):
            # Order carries no meaning here: sort for a stable hash.
            items.sort(key=lambda item: json.dumps(item, sort_keys=True))
        return items
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)  # 2 and 2.0 are the same setting
    raise TypeError(f"config_hash cannot digest {type(value).__name__}")
