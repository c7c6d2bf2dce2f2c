"""Import throughput and peak memory for a generated WordPress export, on SQLite.

    python bench/bench_import.py                 # 1,000 articles x 200 comments
    python bench/bench_import.py --scale 5       # the same, five times larger
    python bench/bench_import.py --scale 1 --scale 5

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
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_wxr import write_wxr  # noqa: E402

ARTICLES = 1000
COMMENTS_PER_ARTICLE = 200


def run_import(export: Path, database: Path) -> tuple[float, int, str]:
    """Seconds, peak resident KiB and output of one ``moderation import`` child process."""
    environment = {**os.environ, "MODERATION_DATABASE_URL": f"sqlite:///{database}"}
    command = [sys.executable, "-m", "moderation.cli", "import", "--no-score", str(export)]
    log = database.with_suffix(".log")
    started = time.perf_counter()
    with open(log, "w") as output:
        process = subprocess.Popen(command, env=environment, stdout=output, stderr=output)
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"import failed:\n{log.read_text()}")
    return elapsed, usage.ru_maxrss, log.read_text()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, action="append", help="multiple of 1,000 articles")
    arguments = parser.parse_args()
    for folder in importlib.util.find_spec("moderation").submodule_search_locations:
        compileall.compile_dir(folder, quiet=1)  # the package the import command will run
    for scale in arguments.scale or [1]:
        with tempfile.TemporaryDirectory() as folder:
            export = Path(folder, "export.xml")
            articles = ARTICLES * scale
            write_wxr(export, articles, COMMENTS_PER_ARTICLE, seed=0)
            comments = articles * COMMENTS_PER_ARTICLE
            size_mb = export.stat().st_size / 1e6
            elapsed, peak_kib, _ = run_import(export, Path(folder, "bench.sqlite"))
            print(
                f"import wxr: {articles} articles x {COMMENTS_PER_ARTICLE} comments "
                f"({comments} comments, {size_mb:.0f} MB): {elapsed:.1f} s, "
                f"{comments / elapsed:,.0f} comments/s, peak RSS {peak_kib / 1024:.0f} MB"
            )


if __name__ == "__main__":
    main()
