"""API ingest on SQLite, scoring included, with the queue answering meanwhile.

    python bench/bench_api.py                        # 20,000 comments, batches of 100
    python bench/bench_api.py --comments 50000 --clients 2

The app runs as ``moderation serve`` runs it (waitress, 8 threads) in a child process
on a fresh SQLite database, with its embedded worker (moderation.worker: ``--worker
process``, the default, or ``thread``) on a SQLite job queue scoring what is posted.
Clients post batches of 100 records over HTTP; each batch carries 10 comments on each
of 10 articles, and each article gets 10 such batches in a row, so threads grow as
live threads do. Meanwhile a signed-in prober loads the queue page (/queue) and the
API listing, four times a second each. The rate "scoring included" counts from the
first post until the last comment is scored.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_wxr import WORDS  # noqa: E402
from signals_held import signals_held, stop_on_sigterm  # noqa: E402

BATCH = 100
ARTICLES_PER_BATCH = 10
PASSWORD = "bench password 1234"


def serve(database: Path, port: int, scoring_workers: int, worker_mode: str) -> None:
    """The child process: the app on waitress and its worker, as `moderation serve` runs them."""
    import waitress

    from moderation import create_app
    from moderation.worker import EmbeddedWorker

    app = create_app()
    app.config["JOB_SCORING_WORKERS"] = scoring_workers
    # The default (600 a minute) would cap one client at 1,000 comments/s in batches of 100.
    app.config["API_RATE_LIMIT"] = "100000 per minute"
    from moderation.web.api.core import init_rate_limit

    init_rate_limit(app)
    worker = EmbeddedWorker(app, worker_mode, app.config["JOB_WORKERS"])
    try:
        waitress.serve(app, host="127.0.0.1", port=port, threads=8, ident="bench")
    finally:
        worker.stop()


def prepare(database: Path) -> str:
    """A fresh database with an admin account; the API token's secret."""
    from moderation import api_tokens, create_app
    from moderation.accounts import create_user
    from moderation.database import ensure_schema
    from moderation.extensions import db

    app = create_app()
    with app.app_context():
        ensure_schema()
        create_user(db.session, "bench", "admin", PASSWORD)
        _, secret = api_tokens.create_token(db.session, "bench", "read,ingest")
        db.engine.dispose()
    return secret


def batches(total: int, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    bodies = []
    for number in range(total // BATCH):
        records = []
        for j in range(BATCH):
            article = number + j % ARTICLES_PER_BATCH  # each article in 10 batches in a row
            words = rng.randint(8, 60)
            records.append(
                {
                    "comment_id": f"{number}-{j}",
                    "article_id": f"a{article}",
                    "article_title": f"Council vote on the budget, part {article}",
                    "article_body": " ".join(WORDS[(article + k) % len(WORDS)] for k in range(80)),
                    "author": f"reader{rng.randint(1, 2000)}",
                    "posted": f"2024-03-{1 + article % 28:02d}T{j % 24:02d}:{j % 60:02d}:00Z",
                    "text": " ".join(rng.choices(WORDS, k=words)).capitalize() + ".",
                }
            )
        bodies.append(json.dumps(records).encode())
    return bodies


def post_all(
    port: int, secret: str, bodies: list[bytes], latencies: list[float], failures: list[str]
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    for body in bodies:
        started = time.perf_counter()
        connection.request("POST", "/api/v1/comments", body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        latencies.append(time.perf_counter() - started)
        if response.status != 200:
            failures.append(f"POST failed: {response.status} {answer[:300]!r}")
            return


def signed_in_opener(port: int) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = opener.open(f"http://127.0.0.1:{port}/sign-in").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {"username": "bench", "password": PASSWORD, "csrf_token": token}
    opener.open(f"http://127.0.0.1:{port}/sign-in", urllib.parse.urlencode(form).encode())
    return opener


def probe(port: int, secret: str, stop: threading.Event, times: dict[str, list[float]]) -> None:
    opener = signed_in_opener(port)
    api = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/comments?limit=50",
        headers={"Authorization": f"Bearer {secret}"},
    )
    while not stop.is_set():
        for name, target in (("queue page", f"http://127.0.0.1:{port}/queue"), ("API list", api)):
            started = time.perf_counter()
            with opener.open(target) as response:
                response.read()
                if response.status != 200 or (name == "queue page" and "sign-in" in response.url):
                    raise SystemExit(f"{name} did not answer: {response.status} {response.url}")
            times[name].append(time.perf_counter() - started)
        stop.wait(0.25)


def count(database: Path, sql: str) -> int:
    with sqlite3.connect(database, timeout=30) as connection:
        return connection.execute(sql).fetchone()[0]


def unscored(database: Path) -> int:
    return count(
        database,
        "SELECT count(*) FROM comments LEFT JOIN comment_scores"
        " ON comment_scores.comment_id = comments.id WHERE comment_scores.comment_id IS NULL",
    )


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of one process so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:  # the thread ended after the listing
            continue
    return found


def figures(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: no requests"
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return (
        f"{name}: {len(values)} requests, median {statistics.median(values) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {values[-1] * 1000:.0f} ms"
    )


def main() -> None:
    stop_on_sigterm()  # then the server it started is stopped
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--port", type=int, default=5391)
    parser.add_argument(
        "--scoring-workers", type=int, default=1, help="JOB_SCORING_WORKERS (processes per run)"
    )
    parser.add_argument(
        "--worker", choices=("process", "thread"), default="process", help="EMBEDDED_WORKER"
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        return serve(
            Path(arguments.serve), arguments.port, arguments.scoring_workers, arguments.worker
        )

    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder, "bench.sqlite")
        os.environ["MODERATION_DATABASE_URL"] = f"sqlite:///{database}"
        os.environ["MODERATION_JOB_QUEUE_URL"] = f"sqlite:///{folder}/jobs.sqlite"
        os.environ["MODERATION_SESSION_COOKIE_SECURE"] = "0"
        os.environ.setdefault("MODERATION_SECRET_KEY", "bench")
        secret = prepare(database)
        bodies = batches(arguments.comments)
        with signals_held():  # a server started is a server stopped (finally, below)
            command = [sys.executable, __file__, "--serve", str(database)]
            command += ["--port", str(arguments.port), "--worker", arguments.worker]
            command += ["--scoring-workers", str(arguments.scoring_workers)]
            server = subprocess.Popen(command)
        try:
            for _ in range(600):  # a minute at most, on a busy machine
                try:
                    http.client.HTTPConnection("127.0.0.1", arguments.port).connect()
                    break
                except OSError:
                    time.sleep(0.1)
            run(arguments, database, secret, bodies, server.pid)
        finally:
            server.terminate()
            server.wait()


def run(arguments, database: Path, secret: str, bodies: list[bytes], server: int) -> None:
    load_before = os.getloadavg()[0]
    times: dict[str, list[float]] = {"queue page": [], "API list": []}
    stop = threading.Event()
    prober = threading.Thread(target=probe, args=(arguments.port, secret, stop, times))
    prober.start()
    while len(times["API list"]) < 3:  # a few idle probes first, for comparison
        time.sleep(0.1)
    idle = {name: list(values) for name, values in times.items()}
    post_times: list[float] = []
    failures: list[str] = []
    shares = [bodies[i :: arguments.clients] for i in range(arguments.clients)]
    clients = [
        threading.Thread(
            target=post_all, args=(arguments.port, secret, share, post_times, failures)
        )
        for share in shares
    ]
    web_cpu_before = cpu_seconds(server)
    scorer_cpu_before = sum(cpu_seconds(pid) for pid in children(server))
    started = time.perf_counter()
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    stored = time.perf_counter() - started
    if failures:
        stop.set()
        raise SystemExit(failures[0])
    while unscored(database):
        time.sleep(0.05)
    scored = time.perf_counter() - started
    stop.set()
    prober.join()
    web_cpu = cpu_seconds(server) - web_cpu_before
    scorer_cpu = sum(cpu_seconds(pid) for pid in children(server)) - scorer_cpu_before

    total = len(bodies) * BATCH
    in_database = count(database, "SELECT count(*) FROM comments")
    if in_database != total:
        raise SystemExit(f"{in_database} comments stored, not {total}")
    print(
        f"{total:,} comments in {len(bodies)} batches of {BATCH}, {arguments.clients} client(s), "
        f"worker {arguments.worker}, scoring processes {arguments.scoring_workers}, "
        f"{os.cpu_count()} CPUs, "
        f"load average before {load_before:.1f} (other work on the machine slows every figure)"
    )
    print(f"stored (all posts answered): {stored:.1f} s, {total / stored:,.0f} comments/s")
    print(f"scoring included (last one scored): {scored:.1f} s, {total / scored:,.0f} comments/s")
    print(
        f"CPU per comment: web server process {web_cpu / total * 1000:.2f} ms"
        + (" (worker threads included)" if arguments.worker == "thread" else "")
        + f", worker process {scorer_cpu / total * 1000:.2f} ms; "
        "on two otherwise idle cores that is at most "
        f"{total / max(web_cpu, scorer_cpu):,.0f} comments/s"
    )
    print(figures("POST /api/v1/comments", post_times))
    for name, values in times.items():
        busy = values[len(idle[name]) :]
        print(figures(f"{name} while ingesting", busy) + f" (idle: {figures('', idle[name])[2:]})")


if __name__ == "__main__":
    main()
