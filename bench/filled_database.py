"""What the million-comment benchmarks (queue, reports) share: a database filled once,
kept and reused with ``--db``, weighted random choices, and the timing loop."""

from __future__ import annotations

import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402

from moderation import create_app  # noqa: E402
from moderation.database import ensure_schema  # noqa: E402
from moderation.extensions import db  # noqa: E402
from moderation.models import Comment  # noqa: E402


def weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def open_filled(
    db_path: Path | None,
    prefix: str,
    comments: int,
    articles: int,
    fill: Callable,
    database_url: str | None = None,
) -> tuple[Flask, tempfile.TemporaryDirectory]:
    """The app on a database filled by ``fill(engine, comments, articles)``.

    ``db_path`` (SQLite) is filled on first use and reused after; without it the database
    lives in the temporary folder returned with the app, which the caller cleans up.
    ``database_url`` (e.g. PostgreSQL) is used instead: filled if it has no comments yet.
    """
    workdir = tempfile.TemporaryDirectory(prefix=prefix)
    path = db_path or Path(workdir.name) / "bench.sqlite"
    url = database_url or f"sqlite:///{path}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "SESSION_COOKIE_SECURE": False,
        }  # fmt: skip
    )
    with app.app_context():
        ensure_schema()
        reuse = db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) > 0
        db.session.remove()
        if not reuse:
            print(f"filling {database_url or path} with {comments:,} comments ...")
            started = time.perf_counter()
            fill(db.engine, comments, articles)
            print(f"  filled in {time.perf_counter() - started:.0f} s")
    return app, workdir


def pending_article_and_undecided(count: int) -> tuple[int | None, list[int]]:
    """An article with pending comments, and the newest ``count`` pending comments no one
    has decided yet (version 1): a bench decision takes one each, and never conflicts."""
    article = db.session.scalar(
        sa.select(Comment.article_id).where(Comment.status == "pending").limit(1)
    )
    undecided = db.session.scalars(
        sa.select(Comment.id)
        .where(Comment.status == "pending", Comment.version == 1)
        .order_by(Comment.id.desc())
        .limit(count)
    ).all()
    return article, list(undecided)


def timed_with_cpu(function, repeats: int, before=None) -> tuple[list[float], list[float]]:
    """Milliseconds per call (as :func:`timed`), and beside them this process's CPU
    milliseconds (on SQLite they include the database engine's work)."""
    function()
    times, cpu = [], []
    for _ in range(repeats):
        if before:
            before()
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return times, cpu


def timed(function, repeats: int, before=None) -> list[float]:
    """Milliseconds per call, after one call to warm the database pages (and, for charts,
    the per-process rendering engine); ``before`` runs untimed before each call."""
    return timed_with_cpu(function, repeats, before)[0]
