"""The audit log for admins: decisions per moderator and day, and the latest decisions."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa
from flask import render_template, request

from ...decisions import ACTIONS
from ...extensions import db
from ...models import Decision, ModerationStatus, User, utcnow
from ..access import ADMINS, requires
from . import bp

DEFAULT_DAYS = 30
RECENT_SHOWN = 100
COLUMNS = [status.value for status in ACTIONS.values()] + [ModerationStatus.PENDING.value]


def _day(column: sa.ColumnElement) -> sa.ColumnElement:
    """The calendar day (UTC) of a timestamp, in each database's own words."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.to_char(column, "YYYY-MM-DD")
    return sa.func.date(column)


@bp.route("/decisions")
@requires(ADMINS)
def decisions_report():
    try:
        days = min(max(int(request.args.get("days", DEFAULT_DAYS)), 1), 366)
    except ValueError:
        days = DEFAULT_DAYS
    since = utcnow() - timedelta(days=days)
    day = _day(Decision.created_at)
    grouped = db.session.execute(
        sa.select(
            day,
            User.username,
            Decision.to_status,
            Decision.undoes_id.is_not(None),
            Decision.bulk,
            sa.func.count(),
        )
        .join(User, User.id == Decision.moderator_id)
        .where(Decision.created_at >= since)
        .group_by(
            day, User.username, Decision.to_status, Decision.undoes_id.is_not(None), Decision.bulk
        )
    ).all()
    table: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day_text, username, to_status, is_undo, bulk, count in grouped:
        cell = table[(str(day_text), username)]
        cell["undo" if is_undo else to_status] += count
        cell["bulk"] += count if bulk and not is_undo else 0
        cell["total"] += count
    rows = sorted(table.items(), key=lambda item: (item[0][0], item[0][1]), reverse=True)
    recent = db.session.execute(
        sa.select(Decision, User.username)
        .join(User, User.id == Decision.moderator_id)
        .order_by(Decision.id.desc())
        .limit(RECENT_SHOWN)
    ).all()
    return render_template(
        "admin/decisions.html",
        rows=rows,
        columns=[s for s in COLUMNS if s != ModerationStatus.PENDING.value],
        days=days,
        recent=recent,
        recent_shown=RECENT_SHOWN,
    )
