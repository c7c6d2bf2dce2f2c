"""Speed of re-prioritising after a weight change, on a million scored comments.

Run: ``python bench/bench_reprioritise.py --db PATH`` (from the repository root, venv
active). Options: ``--comments N`` (default 1,000,000), ``--articles N``, ``--db PATH``
to keep (and reuse) the filled database (the same one ``bench_reports.py`` fills),
``--repeats N`` weight changes, ``--database-url`` another database (PostgreSQL).

Makes every score current under the settings in force (with flags and drift reasons
on some comments, as a scoring run leaves them), then changes one priority weight
at a time and times :func:`~moderation.scoring_runner.score_stale`, which then
recomputes priorities only. Prints wall-clock and CPU seconds of this process
(SQLite's work included, PostgreSQL's not). Target: under 30 s at 1M comments.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from bench_reports import fill  # noqa: E402
from filled_database import open_filled  # noqa: E402

from moderation.extensions import db  # noqa: E402
from moderation.models import CommentScore  # noqa: E402
from moderation.scoring_runner import SCORER_VERSION, score_stale  # noqa: E402
from moderation.settings import current_scoring_config, update_scoring_settings  # noqa: E402

TARGET_SECONDS = 30
LINKS = json.dumps([{"code": "links", "reason": "3 links (limit 2)", "weight_key": "links"}])
DRIFT_REASONS = json.dumps(["shares no terms with the article"])
CHANGES = [
    {"negative_sentiment": 4.5},
    {"off_topic": 3.0},
    {"links": 2.5},
    {"negative_sentiment": 3.0, "off_topic": 2.0, "links": 1.5},
]


def json_literal(text: str):
    """JSON text as a value for a JSON column (SQLite's CAST AS JSON would make it 0)."""
    value = sa.literal(text)
    return sa.cast(value, sa.JSON) if db.engine.dialect.name == "postgresql" else value


def make_current(session) -> None:
    """Every score current under the settings in force, fully scored but for its priority
    (the filled database's priorities are random), which the caller's run then sets."""
    config = current_scoring_config(session)
    s = CommentScore
    session.execute(
        sa.update(s).values(
            scorer_version=SCORER_VERSION,
            analysis_hash=config.analysis_hash(),
            config_hash="stale",
            flags=sa.case((s.comment_id % 20 == 0, json_literal(LINKS)), else_=json_literal("[]")),
            drift_reasons=sa.case(
                (s.drift > config.off_topic_threshold, json_literal(DRIFT_REASONS)),
                else_=json_literal("[]"),
            ),
        )
    )
    session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--db", type=Path, help="database file to fill, or reuse if filled")
    parser.add_argument("--database-url", help="another database (PostgreSQL) instead of --db")
    options = parser.parse_args()
    app, workdir = open_filled(
        options.db, "bench-reprioritise-", options.comments, options.articles, fill,
        options.database_url,
    )  # fmt: skip
    with app.app_context():
        session = db.session
        update_scoring_settings(session, {"weights": CHANGES[-1]})
        make_current(session)
        score_stale(session)
        total = session.scalar(sa.select(sa.func.count()).select_from(CommentScore))
        print(f"{total:,} scored comments; {options.repeats} weight changes")
        print(f"{'weight change':44} {'wall s':>8} {'cpu s':>8} {'comments':>10}")
        for change in CHANGES[: options.repeats]:
            update_scoring_settings(session, {"weights": change})
            wall, cpu = time.perf_counter(), time.process_time()
            summary = score_stale(session)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            verdict = "ok" if wall < TARGET_SECONDS else "SLOW"
            assert summary.comments_scored == 0, "a weight change scored comments again"
            print(
                f"{json.dumps(change):44} {wall:8.1f} {cpu:8.1f} {summary.reprioritised:10,}"
                f"  target {TARGET_SECONDS} s {verdict}"
            )
        update_scoring_settings(session, {"weights": CHANGES[-1]})
        score_stale(session)
    workdir.cleanup()


if __name__ == "__main__":
    main()
