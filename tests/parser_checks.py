"""What the parser tests share: UTC dates, the bench's export generator, a memory probe
and damaged copies of an export."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import strategies as st

REPO = Path(__file__).resolve().parent.parent

# A child process: the parsed tree lives in libxml2's memory, which tracemalloc
# does not see, so the resident set size is what tells.
MEMORY_PROBE = """
import resource, sys
from moderation.importers import {module}
from moderation.importers.records import CommentRecord
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open(sys.argv[1], "rb") as stream:
    comments = sum(isinstance(record, CommentRecord) for record in {module}.parse(stream, "big"))
print(comments, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def load_generator():
    """bench/generate_wxr.py, which writes WXR and Disqus exports of any size."""
    spec = importlib.util.spec_from_file_location(
        "generate_wxr", REPO / "bench" / "generate_wxr.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_in_child(module: str, path: Path) -> tuple[int, int]:
    """(comments, growth of peak RSS in KiB while parsing) of ``path`` by
    ``moderation.importers.<module>``, in a fresh process."""
    finished = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE.format(module=module), str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    comments, growth = finished.stdout.split()
    return int(comments), int(growth)


def damaged(data: st.DataObject, raw: bytes) -> bytes:
    """``raw`` with a few bytes replaced, dropped or added, and maybe cut short."""
    copy = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 5))):
        position = data.draw(st.integers(0, len(copy) - 1))
        copy[position : position + 1] = data.draw(st.binary(max_size=3))
    return bytes(copy[: data.draw(st.integers(0, len(copy)))])
