"""CPU time per queue request, in-process: what one server process spends on a page.

Run: ``python bench/bench_page_cpu.py --db PATH`` (from the repository root, venv active)
on a SQLite database filled as bench/bench_load.py fills it (filled first, with
``--comments N``, default 1,000,000, if it has no comments yet). It signs in through the
sign-in form with Flask's test client, then sends each case ``--requests`` times and prints
the CPU milliseconds per request (``time.process_time``: on SQLite it includes the
database engine's work) beside the wall milliseconds, both as the median of ``--rounds``
rounds. Cases: the queue's first page, one article filtered to negative comments, a
free-text search, and (with ``--decisions``, which writes: use a copy of the database)
decision POSTs. ``--profile CASE`` prints where that case's time goes instead (cProfile).

No HTTP, no server: the figure is the one that limits how many requests two cores serve,
without the socket and the WSGI server's share (see bench_load.py for those).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from bench_queue import fill  # noqa: E402
from filled_database import open_filled, pending_article_and_undecided  # noqa: E402

import moderation  # noqa: E402
from moderation.accounts import hash_password  # noqa: E402
from moderation.extensions import db  # noqa: E402
from moderation.models import User  # noqa: E402

USERNAME = "bench-page-cpu"
PASSWORD = "bench page cpu password"
CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SEARCH_TERM = "w00900"


def signed_in_client(app):
    with app.app_context():
        if db.session.scalar(sa.select(User).where(User.username == USERNAME)) is None:
            db.session.add(
                User(username=USERNAME, role="admin", password_hash=hash_password(PASSWORD))
            )
            db.session.commit()
        db.session.remove()
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    form = {"username": USERNAME, "password": PASSWORD, "csrf_token": CSRF_TOKEN.search(page)[1]}
    assert client.post("/sign-in", data=form).status_code == 302
    page = client.get("/queue").get_data(as_text=True)
    return client, CSRF_TOKEN.search(page)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="SQLite file to fill or reuse")
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=200, help="per case and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--decisions", action="store_true", help="also POST decisions (writes)")
    parser.add_argument("--cases", help="comma-separated case names to run (default: all)")
    parser.add_argument("--profile", help="profile this case instead of timing it")
    options = parser.parse_args()

    app, _ = open_filled(options.db, "bench-page-cpu-", options.comments, options.articles, fill)
    print(f"code: {Path(moderation.__file__).parent}")
    with app.app_context():
        needed = options.requests * options.rounds + 1 if options.decisions else 0
        article, to_decide = pending_article_and_undecided(needed)
        undecided = iter(to_decide)
        db.session.remove()
    client, token = signed_in_client(app)

    def get(path):
        def send():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        return send

    def decide():
        response = client.post(
            f"/comments/{next(undecided)}/approve",
            data={"csrf_token": token, "version": "1"},
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 200, response.get_data(as_text=True)

    cases = {
        "queue": get("/queue"),
        "article": get(f"/queue?article={article}&sentiment=negative"),
        "search": get(f"/queue?q={SEARCH_TERM}"),
    }
    if options.decisions:
        cases["decision"] = decide
    if options.cases:
        cases = {name: cases[name] for name in options.cases.split(",")}

    if options.profile:
        send = cases[options.profile]
        send()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(options.requests):
            send()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        return

    for send in cases.values():
        send()  # templates compiled, the database's pages read
    print(f"{'case':10} {'cpu ms':>8} {'wall ms':>8}   (median of {options.rounds} rounds "
          f"of {options.requests})")  # fmt: skip
    for name, send in cases.items():
        cpu, wall = [], []
        for _ in range(options.rounds):
            started, started_cpu = time.perf_counter(), time.process_time()
            for _ in range(options.requests):
                send()
            cpu.append((time.process_time() - started_cpu) * 1000 / options.requests)
            wall.append((time.perf_counter() - started) * 1000 / options.requests)
        print(f"{name:10} {statistics.median(cpu):8.2f} {statistics.median(wall):8.2f}")


if __name__ == "__main__":
    main()
