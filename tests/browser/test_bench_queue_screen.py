"""bench/bench_queue_screen.py still runs against today's code (in Chromium, like the
other browser tests: skipped without it, except in CI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.slow
def test_bench_queue_screen_measures_both_screens(browser, tmp_path):
    # `browser` only says Chromium is there; the script launches its own.
    run = subprocess.run(
        [sys.executable, str(BENCH / "bench_queue_screen.py"), "--comments", "300",
         "--articles", "3", "--db", str(tmp_path / "screen.sqlite")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert "1366x900: 50 comments on the page" in run.stdout
    assert "375x812: 50 comments on the page" in run.stdout
    assert "exact count for a bulk action" in run.stdout
