"""Import throughput, CPU time and peak memory for a generated WordPress export.

    python bench/bench_import.py                 # 1,000 articles x 200 comments, SQLite
    python bench/bench_import.py --scale 5       # the same, five times larger
    python bench/bench_import.py --scale 1 --scale 5
    python bench/bench_import.py --database-url postgresql+psycopg://...   # EMPTIED first
    python bench/bench_import.py --scale 5 --decide   # 1M comments while a moderator decides

With --decide, a moderator decides comments of an earlier import in a loop, each
decision on a connection of its own, for as long as the import runs; the script
prints how many, and the longest and 99th-percentile wait. The CPU time printed is
the import process's and its parser's (user + system), not the database server's:
on a shared machine it is the steadier figure. On a PostgreSQL server on this machine
the script also prints the server's CPU time for the import: that of the database's
backend processes (autovacuum's too; with --decide, the moderator's), read from /proc
while they run.

Each import runs as the real ``moderation import`` command in a child process
on a fresh database, so the peak resident memory printed is that of the import
alone. The package is byte-compiled first, as installing it does, so that an
environment which stops Python caching bytecode (PYTHONDONTWRITEBYTECODE) does
not add a compile to every run. Nothing is timed inside the test suite; this
script prints figures.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_wxr import write_wxr  # noqa: E402

ARTICLES = 1000
COMMENTS_PER_ARTICLE = 200


def run_import(export: Path, url: str, log: Path, while_running=None) -> tuple[float, float, int]:
    """Seconds, CPU seconds and peak resident KiB of one ``moderation import`` child process;
    ``while_running(process)`` runs meanwhile."""
    environment = {**os.environ, "MODERATION_DATABASE_URL": url}
    command = [sys.executable, "-m", "moderation.cli", "import", "--no-score", str(export)]
    started = time.perf_counter()
    with open(log, "w") as output:
        process = subprocess.Popen(command, env=environment, stdout=output, stderr=output)
        if while_running is not None:
            while_running(process)
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"import failed:\n{log.read_text()}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


class ServerCpu:
    """CPU seconds of the backends serving ``url``'s database while ``watch`` runs, from
    /proc (a server on this machine): sampled every 0.1 s, the last reading of each."""

    def __init__(self, url: str):
        import sqlalchemy as sa

        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.seconds: dict[int, float] = {}
        self.stop = threading.Event()

    def _sample(self, connection) -> None:
        pids = connection.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).scalars()
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile, or the server is not on this machine
            self.seconds[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> ServerCpu:
        def loop() -> None:
            with self.engine.connect() as connection:
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
                while not self.stop.wait(0.1):
                    self._sample(connection)

        self.thread = threading.Thread(target=loop, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        self.engine.dispose()

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


def fresh_database(url: str | None, folder: str) -> str:
    """SQLite in ``folder``, or the PostgreSQL database at ``url`` emptied."""
    if url is None:
        return f"sqlite:///{folder}/bench.sqlite"
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    return url


def decide_while_importing(url: str):
    """A loop of decisions for as long as the import process runs; fills ``waits``."""
    waits: list[float] = []
    busy: list[int] = []

    def loop(process: subprocess.Popen) -> None:
        import sqlalchemy as sa
        import sqlalchemy.orm as so

        from moderation import create_app
        from moderation.decisions import Conflict, decide
        from moderation.extensions import db
        from moderation.models import Comment, User

        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            moderator = db.session.scalar(sa.select(User).where(User.username == "bench"))
            ids = list(db.session.scalars(sa.select(Comment.id).order_by(Comment.id).limit(500)))
            db.session.remove()
            n = 0
            # Asked without reaping it, so that run_import still gets its resource usage.
            running = os.WEXITED | os.WNOHANG | os.WNOWAIT
            while os.waitid(os.P_PID, process.pid, running) is None:
                comment_id = ids[n % len(ids)]
                n += 1
                with so.Session(db.engine) as session:
                    started = time.perf_counter()
                    version, status = session.execute(
                        sa.select(Comment.version, Comment.status).where(Comment.id == comment_id)
                    ).one()
                    to_status = "rejected" if status == "approved" else "approved"
                    try:
                        decide(
                            session, comment_id, version, to_status, session.get(User, moderator.id)
                        )
                    except sa.exc.OperationalError:
                        busy.append(comment_id)  # gave up after the busy timeout
                    except Conflict:
                        # The import changed it after it was read (the seed's comments are
                        # in the export too): a moderator reads it again; no wait to count.
                        continue
                    waits.append(time.perf_counter() - started)
                time.sleep(0.01)
            db.engine.dispose()

    return waits, busy, loop


def seed_for_decisions(folder: str, url: str) -> None:
    """A small import to decide on, and a moderator to decide."""

    from moderation import create_app
    from moderation.extensions import db
    from moderation.models import User

    seed = Path(folder, "seed.xml")
    write_wxr(seed, 5, 100, seed=1)
    run_import(seed, url, Path(folder, "seed.log"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.session.add(User(username="bench", role="moderator", password_hash="!"))
        db.session.commit()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=float, action="append", help="multiple of 1,000 articles (0.01: 10)"
    )
    parser.add_argument("--database-url", help="PostgreSQL to import into: it is EMPTIED first")
    parser.add_argument("--decide", action="store_true", help="decide in a loop meanwhile")
    arguments = parser.parse_args()
    for folder in importlib.util.find_spec("moderation").submodule_search_locations:
        compileall.compile_dir(folder, quiet=1)  # the package the import command will run
    for scale in arguments.scale or [1]:
        with tempfile.TemporaryDirectory() as folder:
            export = Path(folder, "export.xml")
            articles = max(1, round(ARTICLES * scale))
            write_wxr(export, articles, COMMENTS_PER_ARTICLE, seed=0)
            comments = articles * COMMENTS_PER_ARTICLE
            size_mb = export.stat().st_size / 1e6
            url = fresh_database(arguments.database_url, folder)
            waits, busy, loop = [], [], None
            if arguments.decide:
                seed_for_decisions(folder, url)
                waits, busy, loop = decide_while_importing(url)
            postgresql = arguments.database_url is not None
            with ServerCpu(url) if postgresql else contextlib.nullcontext() as server:
                elapsed, cpu, peak_kib = run_import(export, url, Path(folder, "import.log"), loop)
            database = url.split(":", 1)[0]
            server_cpu = f"; server CPU {server.total:.1f} s" if postgresql else ""
            print(
                f"import wxr into {database}: {articles} articles x {COMMENTS_PER_ARTICLE} "
                f"comments ({comments} comments, {size_mb:.0f} MB): {elapsed:.1f} s, "
                f"{comments / elapsed:,.0f} comments/s; CPU {cpu:.1f} s, "
                f"{comments / cpu:,.0f} comments per CPU second; peak RSS {peak_kib / 1024:.0f} MB"
                f"{server_cpu}; load average {os.getloadavg()[0]:.1f}"
            )
            if waits:
                waits.sort()
                p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
                print(
                    f"  {len(waits)} decisions during the import: max {waits[-1] * 1000:.0f} ms, "
                    f"p99 {p99 * 1000:.0f} ms, median {waits[len(waits) // 2] * 1000:.1f} ms; "
                    f"{len(busy)} refused as busy"
                )


if __name__ == "__main__":
    main()
