"""SQLite has one writer at a time: a long job writes in short turns that others can
wait out (a decision waits for the lock up to its busy timeout).

A writer kept waiting retries on a timer, at most every 100 ms: given a gap of 100 ms, a
retry woken late on a busy machine misses it, and waits another turn (measured: waits of
1.5 s, several gaps missed in a row). So a job leaves the database free
:data:`GAP_SECONDS` after each commit, and sizes its next unit of work (comments
imported, comments removed) to take about :data:`WRITE_SECONDS`, however loaded the
machine. (The app's own writers now wait on a file lock that wakes them at once,
:mod:`moderation.sqlite_writer_lock`; the gap is kept: it is what lets them in.)
"""

from __future__ import annotations

import time

WRITE_SECONDS = 0.2
"""How long one turn's write transaction should take."""
GAP_SECONDS = 0.15
"""How long the database is left free between turns, at least: a retry's period and some."""


class WriteTurns:
    """The size of a job's next turn, and the pause before it (SQLite only: elsewhere the
    size stays ``largest`` and there is no pause)."""

    def __init__(self, sqlite: bool, largest: int, first: int = 1000, smallest: int = 200):
        self.sqlite = sqlite
        self.largest = largest
        self.smallest = min(smallest, largest)
        self.size = min(first, largest) if sqlite else largest
        self.committed_at = 0.0
        self.started_at = 0.0

    def start(self) -> None:
        """Before a turn's first write: wait for the gap after the last commit to pass."""
        if self.sqlite:
            free_for = time.perf_counter() - self.committed_at
            if free_for < GAP_SECONDS:
                time.sleep(GAP_SECONDS - free_for)
        self.started_at = time.perf_counter()

    def committed(self) -> None:
        """After a turn's commit: size the next one to what this one took."""
        self.committed_at = time.perf_counter()
        if self.sqlite:
            seconds = max(self.committed_at - self.started_at, 1e-3)
            wanted = self.size * WRITE_SECONDS / seconds
            self.size = int(min(self.largest, max(self.smallest, wanted)))
