"""The audit log as CSV or JSON, for sites with no API: which comment (by the source's
own id), which article, who decided what, when, and why.

One function, :func:`export_decisions`, serves ``moderation export-decisions`` and the
web download alike. It checks the filter first (so a bad one is refused before any
byte is sent), then yields the document in pieces, reading the log a thousand
decisions at a time in id order: an export of millions of decisions streams in
constant memory, on SQLite and PostgreSQL alike.

Comment text, names, titles and notes are hostile: in CSV a text cell that begins
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so
that a spreadsheet shows it instead of running it (see :mod:`.reports.export`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from .decisions import ACTIONS
from .models import Article, Comment, Decision, User
from .reports.export import csv_cell
from .reports.filters import FilterError, ReportFilter
from .reports.tables import Column

BATCH = 1000
UNDO = "undo"
EXPORT_ACTIONS = [*ACTIONS, UNDO]
FORMATS = ("csv", "json")

COLUMNS = [
    Column("decision_id", "Decision", "id"),
    Column("time", "Time (UTC)", "datetime"),
    Column("comment_id", "Comment", "id"),
    Column("source_id", "Id in the source"),
    Column("article_id", "Article", "id"),
    Column("article", "Article title"),
    Column("article_url", "Article URL"),
    Column("author", "Author"),
    Column("moderator", "Moderator"),
    Column("action", "Action"),
    Column("from_status", "From"),
    Column("to_status", "To"),
    Column("reason", "Reason"),
    Column("note", "Note"),
    Column("bulk", "Bulk", "count"),
    Column("undoes_decision_id", "Undoes", "id"),
    Column("undone_by_decision_id", "Undone by", "id"),
    Column("text", "Comment text"),
]
_ACTION_OF_STATUS = {status.value: action for action, status in ACTIONS.items()}


@dataclass(frozen=True)
class DecisionFilter:
    """Decisions made on the days of ``days`` (in the report time zone; on its site),
    of one action, by one moderator, on one article; None means any."""

    days: ReportFilter = ReportFilter()
    action: str | None = None
    moderator: str | None = None
    article_id: int | None = None

    @classmethod
    def from_strings(
        cls,
        since: str | None = None,
        until: str | None = None,
        action: str | None = None,
        moderator: str | None = None,
        article: str | None = None,
        site: str | None = None,
    ) -> DecisionFilter:
        """From a form or the command line; FilterError names the value it cannot use."""
        days = ReportFilter.from_strings(since, until, site)
        action = (action or "").strip() or None
        if action is not None and action not in EXPORT_ACTIONS:
            raise FilterError(f"action must be one of {', '.join(EXPORT_ACTIONS)}, not {action!r}")
        article = (article or "").strip() or None
        if article is not None and not (article.isdigit() and 0 < int(article) < 2**31):
            raise FilterError(f"article must be an article's id (a number), not {article[:40]!r}")
        moderator = (moderator or "").strip() or None
        return cls(days, action, moderator, int(article) if article else None)

    def as_dict(self) -> dict[str, str | int]:
        """The filters set, as written in a JSON export (and as URL query arguments)."""
        values = {
            **self.days.query_args(),
            "action": self.action,
            "moderator": self.moderator,
            "article": self.article_id,
        }
        return {key: value for key, value in values.items() if value is not None}


def export_decisions(
    session: so.Session, wanted: DecisionFilter, fmt: str, zone: ZoneInfo
) -> Iterator[str]:
    """The decisions ``wanted`` as ``fmt`` ("csv" or "json"), in pieces to write or send.

    Raises FilterError at once (not when iterated) for an unknown moderator or format.
    """
    if fmt not in FORMATS:
        raise FilterError(f"format must be csv or json, not {fmt!r}")
    query = _query(session, wanted, zone)
    rows = _rows(session, query)
    if fmt == "csv":
        return _csv(rows)
    return _json(rows, {**wanted.as_dict(), "timezone": zone.key})


def _query(session: so.Session, wanted: DecisionFilter, zone: ZoneInfo) -> sa.Select:
    # Columns, not ORM objects: millions of rows pass through without filling the session.
    query = (
        sa.select(
            Decision.id.label("decision_id"),
            Decision.created_at.label("time"),
            Decision.comment_id,
            Comment.external_id.label("source_id"),
            Comment.article_id,
            Article.title.label("article"),
            Article.url.label("article_url"),
            Comment.author_name.label("author"),
            User.username.label("moderator"),
            Decision.from_status,
            Decision.to_status,
            Decision.reason,
            Decision.note,
            Decision.bulk,
            Decision.undoes_id.label("undoes_decision_id"),
            Decision.undone_by_id.label("undone_by_decision_id"),
            Comment.body.label("text"),
        )
        .join(Comment, Comment.id == Decision.comment_id)
        .join(Article, Article.id == Comment.article_id)
        .join(User, User.id == Decision.moderator_id)
    )
    start, end = wanted.days.utc_bounds(zone)
    if start is not None:
        query = query.where(Decision.created_at >= start)
    if end is not None:
        query = query.where(Decision.created_at < end)
    if wanted.days.site is not None:
        query = query.where(Article.site == wanted.days.site)
    if wanted.action == UNDO:
        query = query.where(Decision.undoes_id.is_not(None))
    elif wanted.action is not None:
        status = ACTIONS[wanted.action].value
        query = query.where(Decision.to_status == status, Decision.undoes_id.is_(None))
    if wanted.moderator is not None:
        moderator_id = session.scalar(sa.select(User.id).where(User.username == wanted.moderator))
        if moderator_id is None:
            raise FilterError(f"there is no account named {wanted.moderator[:80]!r}")
        query = query.where(Decision.moderator_id == moderator_id)
    if wanted.article_id is not None:
        query = query.where(Comment.article_id == wanted.article_id)
    return query


def _rows(session: so.Session, query: sa.Select) -> Iterator[dict]:
    """The decisions as export rows, oldest first, a batch at a time (keyset paging)."""
    after = 0
    while True:
        batch = (
            session.execute(query.where(Decision.id > after).order_by(Decision.id).limit(BATCH))
            .mappings()
            .all()
        )
        for found in batch:
            row = dict(found)
            row["action"] = (
                UNDO
                if row["undoes_decision_id"] is not None
                else _ACTION_OF_STATUS.get(row["to_status"], row["to_status"])
            )
            row["bulk"] = int(row["bulk"])
            yield row
        if len(batch) < BATCH:
            return
        after = batch[-1]["decision_id"]


def _csv(rows: Iterator[dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.key for column in COLUMNS])
    for number, row in enumerate(rows, start=1):
        writer.writerow([csv_cell(row[column.key], column.kind) for column in COLUMNS])
        if number % 100 == 0:
            yield _drained(buffer)
    yield _drained(buffer)


def _drained(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _json(rows: Iterator[dict], filters: dict) -> Iterator[str]:
    """``{"filters": {...}, "columns": [...], "decisions": [...]}``, a row a line."""
    head = {"filters": filters, "columns": [column.key for column in COLUMNS]}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "decisions": ['
    separator = "\n"
    for row in rows:
        row["time"] = row["time"].isoformat()
        yield separator + json.dumps(row, ensure_ascii=False)
        separator = ",\n"
    yield "\n]}\n"
