"""The scoring configuration in force: defaults, then the config file, then admins' edits.

``instance/config.py`` may set ``SCORING = {...}`` with any of the keys of
:class:`ScoringConfig` (``flags`` and ``weights`` as nested mappings); admins'
edits in the browser are stored in the ``settings`` table under the key
``scoring`` in the same shape, and win. Watch-words come from their own table.
The configuration's hash is stored with every score, so any change makes the
scores computed under the old configuration stale; a change of priority weights
alone only makes their priorities stale (see :mod:`moderation.scoring_runner`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from .models import Setting, WatchWordEntry
from .scoring.drift import DEFAULT_OFF_TOPIC_THRESHOLD
from .scoring.flags import FlagConfig, flag_config_from_mapping
from .scoring.priority import PriorityWeights, config_hash, weights_from_mapping
from .scoring.watchwords import WatchWord

SCORING_SETTING_KEY = "scoring"


@dataclass(frozen=True)
class ScoringConfig:
    positive_threshold: float = 0.05
    """Compound at or above this reads as positive (VADER's own convention)."""
    negative_threshold: float = -0.05
    """Compound at or below this reads as negative."""
    off_topic_threshold: float = DEFAULT_OFF_TOPIC_THRESHOLD
    """Drift at or above this reads as off topic."""
    flags: FlagConfig = field(default_factory=FlagConfig)
    weights: PriorityWeights = field(default_factory=PriorityWeights)
    watchwords: tuple[WatchWord, ...] = ()

    def hash(self) -> str:
        """Of everything: a score computed under another configuration is out of date."""
        return config_hash(
            {
                "positive_threshold": self.positive_threshold,
                "negative_threshold": self.negative_threshold,
                "off_topic_threshold": self.off_topic_threshold,
            },
            self.flags,
            self.weights,
            [dataclasses.asdict(entry) for entry in self.watchwords],
        )

    def analysis_hash(self) -> str:
        """Of everything but the priority weights: what sentiment, drift and flags are
        computed under. A score that differs from the configuration only in its
        weights needs only its priority recomputed, from what it stores."""
        return config_hash(
            {
                "positive_threshold": self.positive_threshold,
                "negative_threshold": self.negative_threshold,
                "off_topic_threshold": self.off_topic_threshold,
            },
            self.flags,
            [dataclasses.asdict(entry) for entry in self.watchwords],
        )

    def as_mapping(self) -> dict[str, Any]:
        """The editable part (everything but watch-words), as stored in settings."""
        values = dataclasses.asdict(self)
        del values["watchwords"]
        return values


def scoring_config_from_mapping(
    values: Mapping[str, Any], watchwords: tuple[WatchWord, ...] = ()
) -> ScoringConfig:
    """A config from plain values; unknown keys and wrong types raise ValueError."""
    known = {"positive_threshold", "negative_threshold", "off_topic_threshold", "flags", "weights"}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown scoring settings: {', '.join(sorted(unknown))}")
    scalars = {}
    for name in ("positive_threshold", "negative_threshold", "off_topic_threshold"):
        if name in values:
            try:
                scalars[name] = float(values[name])
            except (TypeError, ValueError):
                raise ValueError(f"{name} must be a number, not {values[name]!r}") from None
    if scalars.get("negative_threshold", -0.05) > scalars.get("positive_threshold", 0.05):
        raise ValueError("negative_threshold must not be above positive_threshold")
    return ScoringConfig(
        **scalars,
        flags=flag_config_from_mapping(values.get("flags", {})),
        weights=weights_from_mapping(values.get("weights", {})),
        watchwords=watchwords,
    )


def _merged(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def load_watchwords(session: so.Session) -> tuple[WatchWord, ...]:
    rows = session.scalars(sa.select(WatchWordEntry).order_by(WatchWordEntry.id))
    return tuple(WatchWord(row.phrase, row.match, row.action) for row in rows)


def current_scoring_config(session: so.Session) -> ScoringConfig:
    stored = session.get(Setting, SCORING_SETTING_KEY)
    values = _merged(current_app.config.get("SCORING", {}), stored.value if stored else {})
    return scoring_config_from_mapping(values, load_watchwords(session))


def update_scoring_settings(session: so.Session, values: Mapping[str, Any]) -> ScoringConfig:
    """Store admins' edits (validated first); existing scores become stale by their hash."""
    stored = session.get(Setting, SCORING_SETTING_KEY)
    merged = _merged(stored.value if stored else {}, values)
    config = scoring_config_from_mapping(
        _merged(current_app.config.get("SCORING", {}), merged), load_watchwords(session)
    )
    if stored is None:
        session.add(Setting(key=SCORING_SETTING_KEY, value=merged))
    else:
        stored.value = merged
    session.commit()
    return config
