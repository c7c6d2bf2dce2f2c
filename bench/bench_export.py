"""Speed and memory of the decisions export (``moderation export-decisions``).

Run: ``python bench/bench_export.py`` (from the repository root, venv active).
Options: ``--comments N`` (default 1,000,000: about 450,000 decisions), ``--articles N``,
``--db PATH`` to keep (and reuse) the database bench_reports.py fills.

It exports every decision, then one month's, as CSV and as JSON through the same
function the command and the web download use, writing to /dev/null, and prints
decisions per second and how much the process's peak memory grew: the export reads
the log a batch at a time, so the growth should not depend on how many decisions
there are.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from bench_reports import fill  # noqa: E402
from filled_database import open_filled  # noqa: E402

from moderation import decision_export  # noqa: E402
from moderation.decision_export import DecisionFilter, export_decisions  # noqa: E402
from moderation.extensions import db  # noqa: E402
from moderation.reports.filters import report_zone  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def count(wanted: DecisionFilter, zone) -> int:
    """How many decisions the filter matches (the export's own query, counted)."""
    query = decision_export._query(db.session, wanted, zone).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(query))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=5_000)
    parser.add_argument("--db", type=Path, help="database file to fill, or reuse if filled")
    options = parser.parse_args()
    app, workdir = open_filled(
        options.db, "bench-export-", options.comments, options.articles, fill
    )
    with app.app_context():
        zone = report_zone(app.config.get("REPORT_TIMEZONE"))
        cases = [
            ("all", DecisionFilter()),
            ("one month", DecisionFilter.from_strings(since="2024-06-01", until="2024-06-30")),
        ]
        with open("/dev/null", "w", encoding="utf-8") as sink:
            for name, wanted in cases:
                rows = count(wanted, zone)
                for fmt in ("json", "csv"):
                    before = peak_mb()
                    started = time.perf_counter()
                    for piece in export_decisions(db.session, wanted, fmt, zone):
                        sink.write(piece)
                    seconds = time.perf_counter() - started
                    print(
                        f"export {name:9} {fmt:4}: {rows:>9,} decisions in {seconds:6.2f} s "
                        f"({rows / seconds:,.0f}/s), peak memory +{peak_mb() - before:.0f} MB"
                    )
    workdir.cleanup()


if __name__ == "__main__":
    main()
