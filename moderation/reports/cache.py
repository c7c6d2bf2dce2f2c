"""A small per-process cache of report results, dropped as soon as the data change.

A page and the chart images on it need the same aggregation; so do a page and
its download. Results are kept under their arguments plus
:func:`~moderation.reports.queries.data_version`, which changes with every
import, scoring run and decision, so a cached result is never older than the
data it counts (and never older than ``max_age`` seconds, whatever happens).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class ResultCache:
    def __init__(self, max_entries: int = 64, max_age: float = 300.0):
        self.max_entries = max_entries
        self.max_age = max_age
        self._entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached result for ``key`` if fresh, else ``compute()`` (and keep it)."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry[0] < self.max_age:
                self._entries.move_to_end(key)
                return entry[1]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            self._entries[key] = (now, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
