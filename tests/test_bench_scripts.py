"""The bench scripts still run against today's code: each, on a tiny database, prints its
table and exits 0. Their figures are not judged here (bench/ is for that)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.parametrize(
    "script, options, expected",
    [
        ("bench_queue.py", ["--comments", "3000", "--articles", "30", "--requests", "2"],
         "decision POST"),
        ("bench_reports.py", ["--comments", "3000", "--articles", "30", "--repeats", "1"],
         "page: /reports/authors"),
    ],
)  # fmt: skip
def test_a_bench_script_runs_on_a_small_database(tmp_path, script, options, expected):
    run = subprocess.run(
        [sys.executable, str(BENCH / script), *options, "--db", str(tmp_path / "bench.sqlite")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert expected in run.stdout
