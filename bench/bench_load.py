"""Moderators at once: the real ``moderation serve`` under concurrent clients over HTTP.

Run: ``python bench/bench_load.py`` (from the repository root, venv active).
Options: ``--comments N`` (default 1,000,000) on a SQLite database built once and kept
(``--db PATH``, by default in the temporary folder, named by its size) or on PostgreSQL
(``--database-url postgresql+psycopg://...``: when its comments table is empty, the
SQLite database of that size is copied into it);
``--clients 4,16``; ``--requests N`` per client and case; ``--server gunicorn,waitress``
to compare servers in the same run; ``--workers``/``--threads`` passed to ``serve``.

It fills the database as bench/bench_queue.py does (scored comments over articles),
starts ``moderation serve`` on a free loopback port, signs each client in through the
sign-in form (its own session and CSRF token, as a moderator's browser), and then, for
each number of clients, lets them all send the same case at once, each on its own
kept-alive connection: the queue's first page, one article filtered to negative
comments, a free-text search (a term in ~1% of comments), and decision POSTs (each
client approving pending comments of its own, as the page's script posts them).

Printed per case: p50, p95 and p99 latency (ms), requests per second, the number of
5xx answers, and the CPU time the server's processes spent per request (ms, from
/proc: the figure that holds when other programs share the machine). On a PostgreSQL
server on this machine, also the CPU time per request of the database's backend
processes (``db ms``, from /proc, of the backends connected to the bench's database).

The fill's scores are marked current first (see :func:`mark_scores_current`), so that
the worker beside the server has nothing to rescore while the requests are measured.

Targets: p95 under 50 ms for pages and decisions at 4 clients, under 150 ms at 16;
search under 200 ms; no 5xx.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from bench_queue import fill, percentile  # noqa: E402
from filled_database import open_filled, pending_article_and_undecided  # noqa: E402
from signals_held import signals_held, stop_on_sigterm  # noqa: E402

from moderation import create_app, queue  # noqa: E402
from moderation.accounts import hash_password  # noqa: E402
from moderation.database import ensure_schema  # noqa: E402
from moderation.extensions import db  # noqa: E402
from moderation.models import Comment, CommentScore, User  # noqa: E402
from moderation.scoring_runner import SCORER_VERSION  # noqa: E402
from moderation.settings import current_scoring_config  # noqa: E402

USERNAME = "bench-load"
PASSWORD = "bench load password"
CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SEARCH_TERM = "w00900"  # in ~1% of comments (see bench_queue.SEARCH_TERMS)
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Case:
    name: str
    kind: str  # page, search or decision: what target applies

    def target_ms(self, clients: int) -> int:
        if self.kind == "search":
            return 200
        return 50 if clients <= 4 else 150


COPIED_TABLES = ("articles", "comments", "comment_scores", "comment_flags")
COPY_BATCH = 10_000


def copy_to(source_engine, target_engine) -> None:
    """The filled tables, copied row by row from SQLite through SQLAlchemy's types (JSON,
    booleans, times), so that the target's own triggers keep its counts and search index."""
    tables = db.metadata.tables
    with source_engine.connect() as source, target_engine.begin() as target:
        for name in COPIED_TABLES:
            table = tables[name]
            result = source.execution_options(yield_per=COPY_BATCH).execute(sa.select(table))
            for rows in result.partitions():
                target.execute(table.insert(), [row._asdict() for row in rows])
            print(f"  copied {name}", flush=True)
            if "id" in table.c:
                target.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}"
                )
        # The copy leaves a counter row per comment. Folded before ANALYZE, or the planner
        # takes the table for a million rows until autovacuum looks again (a parallel scan:
        # 10 ms a queue page instead of 0.2).
        target.execute(queue.FOLD_STATUS_COUNTS)
        target.exec_driver_sql("ANALYZE")


def open_database(options) -> tuple[object, str]:
    """The app on the filled database, and that database's URL for ``serve``."""
    if options.database_url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": options.database_url, "SECRET_KEY": "b"})
        with app.app_context():
            ensure_schema()
            empty = db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
            db.session.remove()
            if empty:
                sqlite_app, _ = open_sqlite(options)
                print(f"copying {options.comments:,} comments to PostgreSQL ...")
                with sqlite_app.app_context():
                    source = db.engine
                with app.app_context():
                    copy_to(source, db.engine)
        return app, options.database_url
    return open_sqlite(options)


def open_sqlite(options):
    path = options.db or Path(tempfile.gettempdir()) / f"bench-load-{options.comments}.sqlite"
    app, _ = open_filled(path, "bench-load-", options.comments, options.articles, fill)
    return app, f"sqlite:///{path}"


def mark_scores_current(session) -> None:
    """The fill's made-up scores, marked as made by this scorer with these settings.

    Otherwise every comment is stale, and the worker that ``serve`` starts rescores the
    whole database beside the requests measured (minutes of both cores, and the write
    lock held per batch): a server with nothing to score is what is measured here."""
    config = current_scoring_config(session)
    current = CommentScore.scorer_version == SCORER_VERSION
    if session.scalar(sa.select(CommentScore.comment_id).where(~current).limit(1)) is None:
        return
    print("marking the filled scores current ...", flush=True)
    session.execute(
        sa.update(CommentScore)
        .where(~current)
        .values(
            scorer_version=SCORER_VERSION,
            analysis_hash=config.analysis_hash(),
            config_hash=config.hash(),
            content_hash=sa.select(Comment.content_hash)
            .where(Comment.id == CommentScore.comment_id)
            .scalar_subquery(),
        )
    )
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        vacuum(session.get_bind())  # the million rows just rewritten: now, not during a case


def prepare(app, decisions_needed: int) -> tuple[int, list[int]]:
    """The bench account (made once), an article with pending comments, and pending
    comments never decided, for the decision POSTs."""
    with app.app_context():
        mark_scores_current(db.session)
        if db.session.scalar(sa.select(User).where(User.username == USERNAME)) is None:
            db.session.add(
                User(username=USERNAME, role="admin", password_hash=hash_password(PASSWORD))
            )
            db.session.commit()
        article, undecided = pending_article_and_undecided(decisions_needed)
        db.session.remove()
    if len(undecided) < decisions_needed:
        raise SystemExit(f"only {len(undecided)} undecided pending comments left; use a new --db")
    return article, undecided


class Client:
    """One moderator's browser: a kept-alive connection, a session cookie, a CSRF token."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""
        self.token = ""

    def send(self, method: str, path: str, form: dict | None = None, json=False):
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(form)
        if json:
            headers["Accept"] = "application/json"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            # The server closed a kept-alive connection: once more, on a new one.
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        text = response.read().decode()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";")[0]
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return response.status, text

    def sign_in(self) -> None:
        _, page = self.send("GET", "/sign-in")
        form = {
            "username": USERNAME,
            "password": PASSWORD,
            "csrf_token": CSRF_TOKEN.search(page)[1],
        }
        status, _ = self.send("POST", "/sign-in", form)
        assert status == 302, f"sign-in answered {status}"
        status, page = self.send("GET", "/queue")
        assert status == 200, status
        self.token = CSRF_TOKEN.search(page)[1]


def server_cpu_seconds(master: int) -> float:
    """User and system CPU time of the server's processes, living and reaped."""
    total = 0.0
    pids = [master, *Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        # utime, stime, cutime, cstime: fields 14-17 of proc(5), counted after the name.
        total += sum(int(value) for value in fields[11:15]) / TICKS
    return total


def database_cpu_seconds(engine) -> float:
    """User and system CPU time of the backends connected to the engine's database, when
    the server runs on this machine (0 otherwise): its connections stay open in the
    server's pools, so the difference over a case is the CPU that case cost there."""
    if engine is None:
        return 0.0
    with engine.connect() as connection:
        pids = connection.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).scalars()
        total = 0.0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def wait_until_idle(
    master: int, database=None, quiet: float = 0.02, longest: float = 120, samples: int = 4
) -> None:
    """Until the server (and the worker beside it) and the database's backends spend under
    ``quiet`` CPU seconds in each of ``samples`` half seconds in a row: the jobs a worker
    runs once at its start do not count as requests. On PostgreSQL those jobs' work is the
    backends' (a recount of the report summaries ran for 16 s while the worker's own CPU
    stayed quiet). One quiet half second was not enough: the worker's stale count (a
    scan of a million comments and scores) began after it and ran into the first case."""

    def busy() -> float:
        return server_cpu_seconds(master) + database_cpu_seconds(database)

    deadline = time.monotonic() + longest
    before, streak = busy(), 0
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = busy()
        streak = streak + 1 if now - before < quiet else 0
        if streak == samples:
            return
        before = now
    print(f"  the server was still busy after {longest:.0f} s; measuring anyway")


def vacuum(engine) -> None:
    """PostgreSQL: dead rows cleared before the cases, not by autovacuum during one. The
    worker's start-up recount rewrites the report buckets of every article the last run's
    decisions touched, and autovacuum's pass over them (12 s) fell in whichever case was
    running a minute later: that case's database CPU a request doubled."""
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql("VACUUM ANALYZE")


def run_case(clients: list[Client], request, per_client: int, master: int, database=None):
    """Every client sends ``per_client`` requests at once; latencies, statuses, wall, CPU
    of the server and of the database's backends (see :func:`database_cpu_seconds`)."""
    latencies: list[float] = []
    statuses: list[int] = []
    start_together = threading.Barrier(len(clients) + 1)

    def drive(index: int, client: Client) -> None:
        start_together.wait()
        for n in range(per_client):
            started = time.perf_counter()
            status = request(client, index * per_client + n)
            latencies.append((time.perf_counter() - started) * 1000)
            statuses.append(status)

    threads = [
        threading.Thread(target=drive, args=(index, client)) for index, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    database_before = database_cpu_seconds(database)
    cpu_before = server_cpu_seconds(master)
    start_together.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cpu = server_cpu_seconds(master) - cpu_before
    database_cpu = database_cpu_seconds(database) - database_before
    return latencies, statuses, wall, cpu, database_cpu


@dataclass
class Server:
    process: subprocess.Popen
    port: int


def start_server(database_url: str, server: str, options) -> Server:
    command = [sys.executable, "-m", "moderation.cli", "serve", "--port", "0", "--server", server]
    if options.workers:
        command += ["--workers", str(options.workers)]
    if options.threads:
        command += ["--threads", str(options.threads)]
    environment = {
        **os.environ,
        "MODERATION_DATABASE_URL": database_url,
        "MODERATION_SECRET_KEY": "bench-load",
        "PYTHONUNBUFFERED": "1",
    }
    # Its warnings (waitress queue depth, tracebacks of 5xx) go to a file, not among the figures.
    log = Path(tempfile.gettempdir()) / f"bench-load-{server}.log"
    process = None
    try:
        with signals_held():
            process = subprocess.Popen(
                command, env=environment, text=True, stdout=subprocess.PIPE, stderr=log.open("w")
            )
        for line in process.stdout:
            if line.startswith("serving on "):
                print(f"  {server}: {line.strip()}; its errors in {log}")
                port = int(line.split()[2].rstrip("/").rsplit(":", 1)[1])
                return Server(process, port)
        raise SystemExit(f"moderation serve --server {server} did not start")
    except BaseException:  # stopped while it starts: it is not left running
        if process is not None:
            process.terminate()
            process.wait(timeout=60)
        raise


def main() -> None:
    stop_on_sigterm()  # then the server it started is stopped
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=5_000)
    parser.add_argument("--db", type=Path, help="SQLite file to fill, or reuse if filled")
    parser.add_argument(
        "--database-url", help="a PostgreSQL database instead (postgresql+psycopg://)"
    )
    parser.add_argument("--clients", default="4,16", help="numbers of concurrent clients")
    parser.add_argument("--requests", type=int, default=40, help="per client and case")
    parser.add_argument(
        "--server", default="gunicorn", help="servers to compare: gunicorn,waitress"
    )
    parser.add_argument("--workers", type=int, help="serve --workers (default: one per core)")
    parser.add_argument("--threads", type=int, help="serve --threads")
    options = parser.parse_args()
    client_counts = [int(n) for n in options.clients.split(",")]
    servers = options.server.split(",")

    app, database_url = open_database(options)
    decisions_per_server = sum(client_counts) * options.requests
    article, undecided = prepare(app, decisions_per_server * len(servers))
    backend = database_url.split(":", 1)[0]
    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Comment))
        db.session.remove()
    print(f"{total:,} comments on {backend}; {options.requests} requests per client and case")

    def get(path):
        return lambda client, n: client.send("GET", path)[0]

    def decide_from(ids):
        def decide(client, n):
            form = {"csrf_token": client.token, "version": "1"}
            return client.send("POST", f"/comments/{ids[n]}/approve", form, json=True)[0]

        return decide

    database = (
        sa.create_engine(database_url, poolclass=sa.pool.NullPool)
        if backend.startswith("postgresql")
        else None
    )
    header = (f"{'server':9} {'case':24} {'clients':>7} {'p50':>7} {'p95':>7} {'p99':>7} "
              f"{'req/s':>7} {'5xx':>4} {'cpu ms':>7} {'db ms':>7} {'target':>7}")  # fmt: skip
    failed = False
    print(header)
    for server_index, server in enumerate(servers):
        served = start_server(database_url, server, options)
        try:
            wait_until_idle(served.process.pid, database)
            if database is not None:
                vacuum(database)
                wait_until_idle(served.process.pid, database)
            ids = iter(undecided[server_index * decisions_per_server :])
            for count in client_counts:
                clients = [Client(served.port) for _ in range(count)]
                for client in clients:
                    client.sign_in()
                mine = [next(ids) for _ in range(count * options.requests)]
                cases = [
                    (Case("queue page 1", "page"), get("/queue")),
                    (
                        Case("article, negative only", "page"),
                        get(f"/queue?article={article}&sentiment=negative"),
                    ),
                    (Case("search ~1%", "search"), get(f"/queue?q={quote(SEARCH_TERM)}")),
                    (Case("decision POST", "decision"), decide_from(mine)),
                ]
                for case, request in cases:
                    if case.kind != "decision":
                        # Every process's templates compiled, the database pages read.
                        run_case(clients, request, 1, served.process.pid)
                    latencies, statuses, wall, cpu, database_cpu = run_case(
                        clients, request, options.requests, served.process.pid, database
                    )
                    errors = sum(status >= 500 for status in statuses)
                    unexpected = {s for s in statuses if s not in (200,) and s < 500}
                    target = case.target_ms(count)
                    p95 = percentile(latencies, 0.95)
                    verdict = "ok" if p95 < target and not errors and not unexpected else "MISS"
                    failed |= verdict != "ok"
                    line = (
                        f"{server:9} {case.name:24} {count:7d} {percentile(latencies, 0.5):7.1f} "
                        f"{p95:7.1f} {percentile(latencies, 0.99):7.1f} "
                        f"{len(latencies) / wall:7.1f} {errors:4d} "
                        f"{cpu * 1000 / len(latencies):7.2f} "
                        f"{database_cpu * 1000 / len(latencies):7.2f} {target:5d}ms {verdict}"
                        + (f" (other statuses: {sorted(unexpected)})" if unexpected else "")
                    )
                    print(line, flush=True)
        finally:
            served.process.terminate()
            served.process.communicate(timeout=60)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
