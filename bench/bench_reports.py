"""Speed of the sentiment reports on a million comments: the queries, and the pages.

Run: ``python bench/bench_reports.py`` (from the repository root, venv active).
Options: ``--comments N`` (default 1,000,000), ``--articles N`` (5,000),
``--db PATH`` to keep (and reuse) the filled database, ``--repeats N`` per case,
``--only authors,moderators`` for the cases with those words in their names.

It fills a fresh SQLite database through the migrations (so the triggers on
``comments`` run as in production) with scored comments over articles spread
over a year, replies, pingbacks and decisions (a few of them undone), inserted
with executemany rather than the ORM. Then it times the report query functions
directly, and the report pages through a signed-in Flask test client (routing,
session, templates and, for the chart images, Vega-Altair rendering), and prints
the median and the worst time of each case.

Targets: under 200 ms for one article's report, under 2 s for the site-wide view, under
500 ms for the authors and moderators pages (read from their summaries). Times are
wall-clock; ``cpu ms`` is this process's CPU time (SQLite's work included, PostgreSQL's
not). ``--database-url`` runs it all on another database (PostgreSQL), filled if empty.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from filled_database import open_filled, timed_with_cpu, weighted  # noqa: E402

from moderation.accounts import start_session  # noqa: E402
from moderation.extensions import db  # noqa: E402
from moderation.models import Comment, Decision, User  # noqa: E402
from moderation.web.access import Account  # noqa: E402

SITES = ["news.example", "sport.example", "culture.example"]
STATUSES = [("pending", 0.55), ("approved", 0.30), ("rejected", 0.08), ("spam", 0.05),
            ("escalated", 0.02)]  # fmt: skip
LABELS = [("negative", 0.35), ("neutral", 0.35), ("positive", 0.30)]
MODERATORS = 8
BATCH = 20_000
TARGETS_MS = {"article": 200, "site": 2000, "summary": 500}


def text(moment: datetime) -> str:
    """How UTCDateTime stores a moment in SQLite: naive UTC text."""
    return moment.replace(tzinfo=None).isoformat(" ")


def fill(engine, comments: int, articles: int, seed: int = 11) -> None:
    """Users, articles, comments, scores, decisions and thread summaries, in batches."""
    rng = random.Random(seed)
    year_start = datetime(2024, 1, 1, tzinfo=UTC)
    now = text(datetime.now(UTC))
    published = {
        i: year_start + timedelta(seconds=rng.randrange(365 * 86400))
        for i in range(1, articles + 1)
    }
    postgresql = engine.dialect.name == "postgresql"

    def run(connection, statement: str, rows) -> None:
        """One statement for many rows, in the driver's own placeholders."""
        connection.exec_driver_sql(statement.replace("?", "%s") if postgresql else statement, rows)

    with engine.begin() as connection:
        run(
            connection,
            "INSERT INTO users (id, username, password_hash, role, active, created_at)"
            " VALUES (?, ?, 'x', 'moderator', true, ?)",
            [(i, f"mod{i}", now) for i in range(1, MODERATORS + 1)],
        )
        run(
            connection,
            "INSERT INTO articles (id, site, key, title, body, content_hash, published_at,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'x', ?, ?, ?)",
            [
                (
                    i,
                    SITES[i % len(SITES)],
                    f"a{i}",
                    f"Article {i}",
                    f"Body of article {i}.",
                    text(published[i]),
                    now,
                    now,
                )
                for i in range(1, articles + 1)
            ],  # fmt: skip
        )
    thread_ids: dict[int, list[int]] = {}
    made = decision_id = 0
    while made < comments:
        size = min(BATCH, comments - made)
        comment_rows, score_rows, decision_rows, undone = [], [], [], []
        for offset in range(size):
            comment_id = made + offset + 1
            article_id = rng.randint(1, articles)
            earlier = thread_ids.setdefault(article_id, [])
            parent = rng.choice(earlier) if earlier and rng.random() < 0.3 else None
            earlier.append(comment_id)
            # Most comments come in the first hours after publication, a few weeks later.
            posted = published[article_id] + timedelta(hours=rng.expovariate(1 / 20))
            kind = "pingback" if rng.random() < 0.02 else "comment"
            status = weighted(rng, STATUSES)
            label = weighted(rng, LABELS)
            compound = {
                "negative": -rng.uniform(0.05, 1),
                "neutral": rng.uniform(-0.049, 0.049),
                "positive": rng.uniform(0.05, 1),
            }[label]
            priority = round(rng.random(), 6)
            comment_rows.append((
                comment_id, article_id, f"c{comment_id}", len(earlier), parent,
                f"author{rng.randint(1, 50_000)}", text(posted), f"comment {comment_id}", kind,
                status, priority, "x", now, now,
            ))  # fmt: skip
            score_rows.append((
                comment_id, compound, max(compound, 0), 1 - abs(compound), max(-compound, 0),
                label, round(rng.random(), 4), priority, now,
            ))  # fmt: skip
            if status != "pending":
                decided = posted + timedelta(minutes=rng.expovariate(1 / 90))
                moderator = rng.randint(1, MODERATORS)
                if rng.random() < 0.02:  # a decision undone, then decided again
                    decision_rows.append((decision_id + 1, comment_id, moderator, "pending",
                                          "rejected", None, text(decided)))  # fmt: skip
                    decision_rows.append((decision_id + 2, comment_id, moderator, "rejected",
                                          "pending", decision_id + 1,
                                          text(decided + timedelta(minutes=1))))  # fmt: skip
                    undone.append((decision_id + 2, decision_id + 1))
                    decision_id += 2
                    decided += timedelta(minutes=5)
                decision_id += 1
                decision_rows.append(
                    (decision_id, comment_id, moderator, "pending", status, None, text(decided))
                )
        with engine.begin() as connection:
            run(
                connection,
                "INSERT INTO comments (id, article_id, external_id, position, parent_id,"
                " author_name, posted_at, body, kind, status, priority, content_hash,"
                " created_at, updated_at, version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                comment_rows,
            )
            run(
                connection,
                "INSERT INTO comment_scores (comment_id, scorer_version, config_hash,"
                " content_hash, compound, positive, neutral, negative, sentiment_label,"
                " sentiment_words, sentiment_truncated, drift, article_similarity,"
                " drift_reasons, shared_terms, missing_terms, flags, priority,"
                " priority_reasons, scored_at) VALUES (?, 'bench', 'bench', 'x', ?, ?, ?, ?, ?,"
                " '[]', false, ?, 0.5, '[]', '[]', '[]', '[]', ?, '[]', ?)",
                score_rows,
            )
            run(
                connection,
                "INSERT INTO decisions (id, comment_id, moderator_id, from_status, to_status,"
                " undoes_id, created_at, bulk) VALUES (?, ?, ?, ?, ?, ?, ?, false)",
                decision_rows,
            )
            # An undone decision points at its undo, inserted after it.
            if undone:
                run(connection, "UPDATE decisions SET undone_by_id = ? WHERE id = ?", undone)
        made += size
        print(f"\r  {made:,} comments", end="", flush=True)
    print()
    with engine.begin() as connection:
        run(
            connection,
            "INSERT INTO thread_summaries (article_id, derail_comment_id, mean_drift, scored_at)"
            " SELECT article_id, max(id), 0.4, ? FROM comments GROUP BY article_id",
            (now,),
        )
        if postgresql:  # ids were given: move the sequences past them
            for table in ("users", "articles", "comments", "decisions"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
        # What an operator's periodic `PRAGMA optimize` does: statistics for the planner.
        connection.exec_driver_sql("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--db", type=Path, help="database file to fill, or reuse if filled")
    parser.add_argument("--fill-only", action="store_true", help="fill the database and stop")
    parser.add_argument("--only", help="run the cases whose names have one of these words: "
                        "authors,moderators")  # fmt: skip
    parser.add_argument("--database-url", help="another database (PostgreSQL) instead of --db")
    options = parser.parse_args()

    app, workdir = open_filled(
        options.db, "bench-reports-", options.comments, options.articles, fill,
        options.database_url,
    )  # fmt: skip
    if not options.fill_only:
        with app.app_context():
            run_cases(app, options.repeats, options.only.split(",") if options.only else [])
    workdir.cleanup()


def run_cases(app, repeats: int, only: list[str]) -> None:
    """Time every case, or those whose name has one of the words in ``only``."""
    from moderation.reports import queries
    from moderation.reports.cache import ResultCache
    from moderation.reports.filters import ReportFilter, report_zone

    user = db.session.scalar(sa.select(User).where(User.username == "bench-analyst"))
    if user is None:
        user = User(username="bench-analyst", role="analyst", password_hash="x")
        db.session.add(user)
        db.session.commit()
    session_id = Account(user, start_session(db.session, user)).get_id()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Comment))
    # A busy article: the report's cost grows with its comments.
    article_id = db.session.execute(
        sa.select(Comment.article_id, sa.func.count())
        .group_by(Comment.article_id)
        .order_by(sa.func.count().desc())
        .limit(1)
    ).first()[0]
    everything = ReportFilter()
    one_month = ReportFilter.from_strings(since="2024-06-01", until="2024-06-30")
    zone = report_zone(app.config.get("REPORT_TIMEZONE"))

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True

    def get(url):
        def request():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return request

    def forget_results():
        """Cold: no cached report results (the page's own queries all run)."""
        app.extensions.get("reports_cache", ResultCache()).clear()

    session = db.session
    threshold = 0.5
    cases = [
        ("article", "query: article report", lambda: queries.article_report(
            session, article_id, threshold, zone)),
        ("article", "page: /reports/articles/ID", get(f"/reports/articles/{article_id}")),
        ("article", "chart: timeline.svg", get(f"/reports/articles/{article_id}/timeline.svg")),
        ("article", "chart: histogram.svg", get(f"/reports/articles/{article_id}/histogram.svg")),
        ("site", "query: site totals", lambda: queries.site_totals(session, everything, threshold)),
        ("site", "query: articles table", lambda: queries.article_rows(
            session, everything, threshold, sort="negativity", limit=50)),
        ("site", "query: site over time", lambda: queries.site_timeline(
            session, everything, zone, threshold)),
        ("summary", "query: authors", lambda: queries.author_rows(
            session, everything, threshold, limit=50)),
        ("summary", "query: moderators per day", lambda: queries.moderator_activity(
            session, everything, zone)),
        ("site", "page: /reports/", get("/reports/")),
        ("site", "page: /reports/ (one month)", get("/reports/?since=2024-06-01&until=2024-06-30")),
        ("site", "query: site totals (one month)", lambda: queries.site_totals(
            session, one_month, threshold, zone)),
        ("site", "chart: site timeline.svg", get("/reports/timeline.svg")),
        ("site", "page: /reports/articles", get("/reports/articles?sort=rejection")),
        ("summary", "page: /reports/authors", get("/reports/authors")),
        ("summary", "page: /reports/authors?site=", get("/reports/authors?site=news.example")),
        ("summary", "page: /reports/moderators", get("/reports/moderators")),
        ("site", "page: /reports/authors (one month)",
         get("/reports/authors?since=2024-06-01&until=2024-06-30")),
        ("site", "download: articles.csv", get("/reports/articles.csv")),
    ]  # fmt: skip
    warm = [
        ("site", "warm: /reports/ (results cached)", get("/reports/")),
        ("site", "warm: chart after its page", get("/reports/timeline.svg")),
        ("article", "warm: article page", get(f"/reports/articles/{article_id}")),
    ]
    from moderation.reports import rollup, summaries

    def recount_everything():
        session.execute(sa.delete(rollup.ReportRollupState))
        session.commit()
        rollup.refresh(session, threshold)

    def one_decision():
        """A decision in the audit log: a note for one moderator's day (the trigger)."""
        moderator = session.scalar(sa.select(User).where(User.role == "moderator").limit(1))
        session.add(Decision(comment_id=1, moderator_id=moderator.id, from_status="pending",
                             to_status="approved"))  # fmt: skip
        session.commit()

    def one_status_change():
        """What a decision does to the rollup: a note for one article (the trigger)."""
        session.execute(
            sa.update(Comment)
            .where(Comment.id == 1)
            .values(status=sa.case((Comment.status == "approved", "pending"), else_="approved"))
        )
        session.commit()

    def recount_summaries():
        session.execute(sa.delete(summaries.SummaryState))
        session.commit()
        summaries.refresh_authors(session, threshold, zone)
        summaries.refresh_moderators(session, zone)

    for name, recount in (
        ("rollup: full recount (first report, or a new threshold)", recount_everything),
        ("summaries: full recount of authors and moderators", recount_summaries),
    ):
        if only and not any(word in name for word in only):
            continue
        started, started_cpu = time.perf_counter(), time.process_time()
        recount()
        wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
        print(f"{name} {wall:.1f} s (cpu {cpu:.1f} s)")
    cases[0:0] = [
        ("article", "rollup: refresh after a decision", lambda: rollup.refresh(session, threshold)),
        ("article", "authors: refresh after a decision",
         lambda: summaries.refresh_authors(session, threshold, zone)),
        ("article", "moderators: refresh after a decision",
         lambda: summaries.refresh_moderators(session, zone)),
    ]  # fmt: skip
    before_refresh = {
        "rollup: refresh after a decision": one_status_change,
        "authors: refresh after a decision": one_status_change,
        "moderators: refresh after a decision": one_decision,
    }
    print(f"{total:,} comments; article #{article_id}; {repeats} runs each")
    print(f"{'case':36} {'median ms':>10} {'max ms':>8} {'cpu ms':>7} {'target':>8}")
    failed = False
    for kind, name, function in cases + warm:
        if only and not any(word in name for word in only):
            continue
        before = before_refresh.get(name, None if name.startswith("warm") else forget_results)
        times, cpu = timed_with_cpu(function, repeats, before=before)
        target = TARGETS_MS[kind]
        worst = max(times)
        verdict = "ok" if worst < target else "SLOW"
        failed |= worst >= target
        print(f"{name:36} {statistics.median(times):10.1f} {worst:8.1f} "
              f"{statistics.median(cpu):7.1f} {target:6d}ms {verdict}")  # fmt: skip
    db.session.remove()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
