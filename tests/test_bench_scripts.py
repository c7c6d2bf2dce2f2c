"""The bench scripts still run against today's code: each, on a tiny data set, prints its
table and exits 0. Their figures are not judged here (bench/ is for that)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SMALL = ["--comments", "3000", "--articles", "30"]

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "script, options, expected",
    [
        ("bench_queue.py", [*SMALL, "--requests", "2", "--db", "{tmp}/q.sqlite"],
         "decision POST"),
        ("bench_reports.py", [*SMALL, "--repeats", "1", "--db", "{tmp}/r.sqlite"],
         "page: /reports/authors"),
        ("bench_reprioritise.py", [*SMALL, "--repeats", "1", "--db", "{tmp}/p.sqlite"],
         "target 30 s"),
        ("bench_export.py", [*SMALL, "--db", "{tmp}/e.sqlite"], "export one month csv"),
        ("bench_page_cpu.py", [*SMALL, "--requests", "2", "--rounds", "1", "--decisions",
                               "--db", "{tmp}/c.sqlite"], "decision"),
        ("bench_parse.py", ["--articles", "5", "--comments", "10"], "10,000-comment page"),
        ("bench_api.py", ["--comments", "200", "--port", "{port}"], "API list while ingesting"),
        ("bench_neardup.py", ["--articles", "6"], "planted variants grouped"),
        ("bench_scoring.py", ["--comments", "300", "--articles", "3", "--workers", "1"],
         "after a weight change"),
        ("cpu_scoring.py", ["--comments", "300", "--articles", "3", "--profile", "5"],
         "ms CPU a comment"),
        ("bench_vader.py", ["--rounds", "1"], "costliest emoji floods"),
        ("bench_import.py", ["--scale", "0.01", "--decide"], "decisions during the import"),
        ("bench_webhooks.py", ["--articles", "3", "--rounds", "1"], "delivery of 1,000 events"),
        ("bench_swap.py", ["--worst", "2"], "most repeated scores"),
    ],
)  # fmt: skip
def test_a_bench_script_runs_on_a_small_data_set(tmp_path, script, options, expected):
    values = {"tmp": tmp_path, "port": _free_port()}
    run = _run(script, [option.format(**values) for option in options], tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert expected in run.stdout


def test_bench_load_measures_every_case_without_a_server_error(tmp_path):
    # Exit 1 means a latency target was missed, which a busy test machine may do; a crash
    # or a 5xx is what must not happen.
    options = [*SMALL, "--clients", "2", "--requests", "3", "--db", str(tmp_path / "l.sqlite")]
    run = _run("bench_load.py", options, tmp_path)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    rows = [line.split() for line in run.stdout.splitlines() if line.startswith("gunicorn ")]
    assert len(rows) == 4, run.stdout
    assert "other statuses" not in run.stdout
    # The 5xx column, counted from the right (case names have spaces): after it come cpu
    # ms, db ms, the target and the verdict, a word each.
    assert all(row[-5] == "0" for row in rows), run.stdout


def _run(script: str, options: list[str], folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(BENCH / script), *options],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=folder,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("stage", ["starting", "measuring"])
def test_bench_load_stops_its_server_when_terminated(tmp_path, stage):
    # A bench killed by a timeout must not leave a server holding the port and the database,
    # whether it was still starting the server or already measuring.
    options = [*SMALL, "--clients", "2", "--requests", "200", "--db", str(tmp_path / "t.sqlite")]
    bench = subprocess.Popen(
        [sys.executable, str(BENCH / "bench_load.py"), *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path,
    )  # fmt: skip
    try:
        server = _server_of(bench.pid)
        if stage == "measuring":
            workers = _wait_for(lambda: _children(server), "the server's workers")
            time.sleep(1)
        else:
            workers = []
        bench.send_signal(signal.SIGTERM)
        bench.wait(timeout=60)
    finally:
        bench.kill()
    for pid in [server, *workers]:
        assert _gone(pid), f"process {pid} of the server left running"


def _server_of(bench: int) -> int:
    def server():
        for child in _children(bench):
            try:
                if b"serve" in Path(f"/proc/{child}/cmdline").read_bytes():
                    return child
            except FileNotFoundError:
                continue
        return None

    return _wait_for(server, "a server")


def _children(pid: int) -> list[int]:
    """Children the process's main thread started (both the bench's server and gunicorn's
    workers are started by one)."""
    try:
        return [
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ]
    except FileNotFoundError:  # it has ended
        return []


def _wait_for(found, what: str, timeout: float = 240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := found():
            return value
        time.sleep(0.05)
    raise AssertionError(f"bench_load never started {what}")


def _gone(pid: int) -> bool:
    """Ended (a zombie not yet reaped by its parent counts as ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except FileNotFoundError:
        return True
