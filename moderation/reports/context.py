"""The settings every report depends on: the zone it is shown in, and the off-topic line."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy.orm as so
from flask import current_app

from ..settings import current_scoring_config
from .filters import report_zone

DEFAULT_TIMEZONE = "UTC"


@dataclass(frozen=True)
class ReportContext:
    zone: ZoneInfo
    """Config ``REPORT_TIMEZONE`` (default UTC): days and hours are this zone's."""
    off_topic_threshold: float
    """Drift at or above this counts as off topic (the scoring settings in force)."""


def current_context(session: so.Session) -> ReportContext:
    """The context from the app's config and the scoring settings in the database."""
    return ReportContext(
        zone=report_zone(current_app.config.get("REPORT_TIMEZONE", DEFAULT_TIMEZONE)),
        off_topic_threshold=current_scoring_config(session).off_topic_threshold,
    )
