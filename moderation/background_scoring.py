"""Scoring what the API brings in, in a thread of its own, so requests do not wait for it.

The API stores posted comments and returns; :func:`request_scoring` then asks for a
run of the ordinary batch runner (:func:`moderation.scoring_runner.score_stale`),
which scores every stale comment. Requests arriving during a run ask for one more
run, not one each: while scoring keeps up, each run takes what came in meanwhile.

One thread per application at most, which ends when there is nothing left to do.
Nothing is lost when the process stops mid-run: the comments are stored already,
a batch not committed is simply stale still, and the next run (or
``moderation score``) scores it. Unscored comments are in the queue meanwhile,
after the scored ones.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from flask import Flask

from .extensions import db
from .scoring_runner import ScoreRunSummary, score_stale

log = logging.getLogger(__name__)


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    thread: threading.Thread | None = None
    wanted: bool = False
    runs: list[ScoreRunSummary] = field(default_factory=list)
    """The last few runs' summaries, newest last (for the bench and tests)."""


def _state(app: Flask) -> _State:
    return app.extensions.setdefault("background_scoring", _State())


def request_scoring(app: Flask) -> None:
    """Ask for a scoring run; starts the thread unless one is running (it will run again)."""
    state = _state(app)
    with state.lock:
        state.wanted = True
        if state.thread is None:
            state.thread = threading.Thread(
                target=_run, args=(app, state), name="background-scoring", daemon=True
            )
            state.thread.start()


def wait_until_idle(app: Flask, timeout: float = 60.0) -> bool:
    """Wait until no run is asked for or running; False if ``timeout`` passed first."""
    state = _state(app)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with state.lock:
            if state.thread is None:
                return True
        time.sleep(0.01)
    return False


def last_runs(app: Flask) -> list[ScoreRunSummary]:
    return list(_state(app).runs)


def _run(app: Flask, state: _State) -> None:
    while True:
        with state.lock:
            if not state.wanted:
                state.thread = None
                return
            state.wanted = False
        try:
            with app.app_context():
                summary = score_stale(db.session, workers=app.config["API_SCORING_WORKERS"])
                db.session.remove()
            state.runs = [*state.runs[-9:], summary]
        except Exception:
            # The comments stay stale and the next run scores them; the thread must go on.
            log.exception("background scoring failed; the next run will try again")
