"""SQLite's long writers take short turns: the next turn is sized to what the last took,
and the database is left free a while after each commit."""

from __future__ import annotations

import time

from moderation.write_turns import GAP_SECONDS, WRITE_SECONDS, WriteTurns


def test_a_slow_turn_makes_the_next_smaller_and_a_fast_one_bigger_within_bounds():
    turns = WriteTurns(sqlite=True, largest=5000, first=1000, smallest=200)
    turns.start()
    time.sleep(WRITE_SECONDS * 2)
    turns.committed()
    assert 400 <= turns.size <= 500  # twice as long as wanted: about half
    turns.start()
    turns.committed()
    assert turns.size == 5000  # instant: as big as allowed
    slow = WriteTurns(sqlite=True, largest=5000, first=1000, smallest=200)
    slow.start()
    time.sleep(WRITE_SECONDS * 6)
    slow.committed()
    assert slow.size == 200  # a sixth would be below the smallest


def test_the_next_turn_waits_for_the_gap_after_a_commit():
    turns = WriteTurns(sqlite=True, largest=5000)
    turns.start()
    turns.committed()
    started = time.perf_counter()
    turns.start()
    assert time.perf_counter() - started >= GAP_SECONDS * 0.9


def test_other_databases_write_whole_chunks_without_pauses():
    turns = WriteTurns(sqlite=False, largest=5000)
    assert turns.size == 5000
    turns.start()
    time.sleep(0.05)
    turns.committed()
    started = time.perf_counter()
    turns.start()
    assert time.perf_counter() - started < GAP_SECONDS / 2 and turns.size == 5000
