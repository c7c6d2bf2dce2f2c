"""Latency of the moderation queue on a million comments, through the real WSGI app.

Run: ``python bench/bench_queue.py`` (from the repository root, venv active).
Options: ``--comments N`` (default 1,000,000), ``--articles N`` (5,000),
``--db PATH`` to keep (and reuse) the filled database, ``--requests N`` per case.

It fills a fresh SQLite database through the migrations (so the triggers that keep
the tab counts and the full-text index run as they would in production) with
scored comments over articles, inserted with executemany rather than the ORM.
Then, with a signed-in Flask test client (the whole WSGI stack: routing, session,
Flask-Login, CSRF, templates), it times each case and prints the median and the
95th percentile: the queue's first page, a page 10,000 items deep, one article
filtered to negative comments, free-text searches (a term in ~1% and one in ~10%
of comments, two prefixes and a phrase), the tab counts, and a decision POST.

Targets: p95 under 50 ms for each, under 200 ms for the free-text search.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from filled_database import open_filled, timed, weighted  # noqa: E402

from moderation.accounts import hash_password, start_session  # noqa: E402
from moderation.extensions import db  # noqa: E402
from moderation.models import Comment, User  # noqa: E402
from moderation.web.access import Account  # noqa: E402

STATUSES = [("pending", 0.60), ("approved", 0.25), ("rejected", 0.08), ("spam", 0.05),
            ("escalated", 0.02)]  # fmt: skip
LABELS = [("negative", 0.35), ("neutral", 0.35), ("positive", 0.30)]
FLAG_CODES = ["links", "shouting", "repeated_chars", "near_empty", "watchword", "duplicate"]
VOCABULARY_SIZE = 20_000
# Searched for: words at fixed frequency ranks of the Zipf-like vocabulary.
SEARCH_TERMS = {
    "~1% of comments": "w00900",
    "~10% of comments": "w00020",
    "prefix, ~10 words": "w0090*",
    "prefix, ~100 words": "w009*",
    "phrase": '"w00020 w00021"',
}
BATCH = 20_000
TARGETS_MS = {"search": 200}
DEFAULT_TARGET_MS = 50


def fill(engine, comments: int, articles: int, seed: int = 7) -> None:
    """Articles, comments, scores and flags, inserted in batches with executemany."""
    rng = random.Random(seed)
    vocabulary = [f"w{i:05d}" for i in range(VOCABULARY_SIZE)]
    cumulative, total = [], 0.0
    for rank in range(1, VOCABULARY_SIZE + 1):
        total += 1 / rank
        cumulative.append(total)
    start = datetime(2024, 1, 1)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO articles (id, site, key, title, body, content_hash, created_at,"
            " updated_at) VALUES (?, 'bench', ?, ?, ?, 'x', ?, ?)",
            [
                (i, f"a{i}", f"Article {i}", f"Body of article {i}.", now, now)
                for i in range(1, articles + 1)
            ],  # fmt: skip
        )
    made = 0
    while made < comments:
        size = min(BATCH, comments - made)
        comment_rows, score_rows, flag_rows = [], [], []
        for offset in range(size):
            comment_id = made + offset + 1
            words = rng.choices(vocabulary, cum_weights=cumulative, k=rng.randint(8, 40))
            status = weighted(rng, STATUSES)
            priority = round(rng.random(), 6)
            label = weighted(rng, LABELS)
            posted = (start + timedelta(seconds=comment_id * 30)).isoformat(" ")
            comment_rows.append((
                comment_id, rng.randint(1, articles), f"c{comment_id}", comment_id % 200,
                f"author{rng.randint(1, 50_000)}", posted, " ".join(words), "comment", status,
                priority, "x", now, now,
            ))  # fmt: skip
            compound = {"negative": -0.5, "neutral": 0.0, "positive": 0.5}[label]
            flags = [code for code in FLAG_CODES if rng.random() < 0.03]
            score_rows.append((
                comment_id, "bench", "bench", "x", compound, max(compound, 0), 0.5,
                max(-compound, 0), label, "[]", 0, round(rng.random(), 4), 0.5, None,
                "[]", "[]", "[]", None, json.dumps([{"code": c, "reason": c} for c in flags]),
                None, priority, "[]", now,
            ))  # fmt: skip
            flag_rows += [(comment_id, code) for code in flags]
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO comments (id, article_id, external_id, position, author_name,"
                " posted_at, body, kind, status, priority, content_hash, created_at,"
                " updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                comment_rows,
            )
            connection.exec_driver_sql(
                "INSERT INTO comment_scores (comment_id, scorer_version, config_hash,"
                " content_hash, compound, positive, neutral, negative, sentiment_label,"
                " sentiment_words, sentiment_truncated, drift, article_similarity,"
                " thread_similarity, drift_reasons, shared_terms, missing_terms, self_label,"
                " flags, fingerprint, priority, priority_reasons, scored_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                score_rows,
            )
            if flag_rows:
                connection.exec_driver_sql(
                    "INSERT INTO comment_flags (comment_id, code) VALUES (?, ?)", flag_rows
                )
        made += size
        print(f"\r  {made:,} comments", end="", flush=True)
    print()
    with engine.begin() as connection:
        # What an operator's periodic `PRAGMA optimize` does: statistics for the planner.
        connection.exec_driver_sql("ANALYZE")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--db", type=Path, help="database file to fill, or reuse if filled")
    options = parser.parse_args()

    app, workdir = open_filled(options.db, "bench-queue-", options.comments, options.articles, fill)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "bench"))
        if user is None:
            user = User(username="bench", role="admin", password_hash=hash_password("x" * 12))
            db.session.add(user)
            db.session.commit()
        session_id = Account(user, start_session(db.session, user)).get_id()
        pending = db.session.scalar(sa.select(sa.func.count()).where(Comment.status == "pending"))
        deep = db.session.execute(
            sa.select(Comment.priority, Comment.id)
            .where(Comment.status == "pending", Comment.priority.is_not(None))
            .order_by(Comment.priority.desc(), Comment.id)
            .offset(min(10_000, pending // 2))  # deep in the queue (a small --comments too)
            .limit(1)
        ).one()
        article = db.session.scalar(
            sa.select(Comment.article_id).where(Comment.status == "pending").limit(1)
        )
        to_decide = list(
            db.session.scalars(
                sa.select(Comment.id)
                .where(Comment.status == "pending", Comment.version == 1)
                .order_by(Comment.id.desc())
                .limit(options.requests + 1)
            )
        )
        db.session.remove()

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    page = client.get("/queue").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert "Pending" in page

    def get(url):
        def request():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return request

    decisions = iter(to_decide)

    def decide():
        response = client.post(
            f"/comments/{next(decisions)}/approve",
            data={"csrf_token": token, "version": "1"},
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 200, response.get_data(as_text=True)

    cases = [
        ("queue page 1", "page", get("/queue")),
        ("page 10,000 items deep", "page", get(f"/queue?after={deep.priority!r}_{deep.id}")),
        (
            "one article, negative only",
            "filter",
            get(f"/queue?article={article}&sentiment=negative"),
        ),
        *[
            (f"search: {label}", "search", get(f"/queue?q={quote(term)}"))
            for label, term in SEARCH_TERMS.items()
        ],
        ("tab counts", "counts", get("/queue/counts")),
        ("decision POST", "decision", decide),
    ]
    print(f"{options.comments:,} comments, {pending:,} pending; {options.requests} requests each")
    print(f"{'case':32} {'median ms':>10} {'p95 ms':>8} {'target':>8}")
    failed = False
    for name, kind, function in cases:
        times = timed(function, options.requests)
        target = TARGETS_MS.get(kind, DEFAULT_TARGET_MS)
        p95 = percentile(times, 0.95)
        verdict = "ok" if p95 < target else "SLOW"
        failed |= p95 >= target
        print(f"{name:32} {statistics.median(times):10.1f} {p95:8.1f} {target:6d}ms {verdict}")
    workdir.cleanup()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
