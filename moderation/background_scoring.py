"""Scoring what the API brings in, out of the request's way.

The API stores posted comments and returns; :func:`request_scoring` then asks for a
run of the ordinary batch runner (:func:`moderation.scoring_runner.score_stale`),
which scores every stale comment. Requests arriving during a run ask for one more
run, not one each: while scoring keeps up, each run takes what came in meanwhile.

``API_SCORING = "process"`` (the default) runs the batch runner in one long-lived
child process, so that scoring, which is pure Python, takes a core of its own
instead of the web server's: requests and queue pages are not slowed by it and
ingest and scoring go on side by side. ``"thread"`` runs it in a thread of the
server process (simpler; what the tests use); ``"off"`` leaves it to
``moderation score``. One thread per application at most hands the runs out, and
ends when there is nothing left to do.

Nothing is lost when the server stops mid-run: the comments are stored already, a
batch not committed is simply stale still, and the next run (or ``moderation
score``) scores it. Unscored comments are in the queue meanwhile, after the scored ones.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.synchronize
import os
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from flask import Flask

from .extensions import db
from .scoring_runner import ScoreRunSummary, score_stale

log = logging.getLogger(__name__)
MODES = ("process", "thread", "off")


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    thread: threading.Thread | None = None
    wanted: bool = False
    scorer: multiprocessing.Process | None = None
    connection: Connection | None = None
    runs: list[ScoreRunSummary] = field(default_factory=list)
    """The last few runs' summaries, newest last (for the bench and tests)."""
    asked: multiprocessing.synchronize.Event | None = None
    """Set by forked workers to ask process ``owner`` for a run."""
    owner: int | None = None


def _state(app: Flask) -> _State:
    return app.extensions.setdefault("background_scoring", _State())


def request_scoring(app: Flask) -> None:
    """Ask for a scoring run; starts the thread unless one is running (it will run again)."""
    state = _state(app)
    if state.asked is not None and os.getpid() != state.owner:
        state.asked.set()
        return
    with state.lock:
        state.wanted = True
        if state.thread is None:
            state.thread = threading.Thread(
                target=_run, args=(app, state), name="background-scoring", daemon=True
            )
            state.thread.start()


def share_with_forked_workers(app: Flask) -> None:
    """Before forking server workers: their requests for runs come to this process,
    which alone scores (in its scoring process or thread, as API_SCORING says)."""
    state = _state(app)
    state.asked = multiprocessing.get_context("fork").Event()
    state.owner = os.getpid()
    threading.Thread(
        target=_pass_on_asked_runs, args=(app, state), name="scoring-requests", daemon=True
    ).start()


def _pass_on_asked_runs(app: Flask, state: _State) -> None:
    while True:
        state.asked.wait()
        # Cleared before the run is asked for: a worker asking meanwhile is served by it.
        state.asked.clear()
        request_scoring(app)


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


def stop(app: Flask, timeout: float = 60.0) -> None:
    """Finish the runs asked for, then end the scoring process (it would end with the server)."""
    wait_until_idle(app, timeout)
    state = _state(app)
    if state.connection is not None:
        state.connection.close()  # the process reads end-of-file and returns
        state.scorer.join(timeout)
        state.connection = state.scorer = None


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
            if app.config["API_SCORING"] == "process":
                summary = _run_in_scorer(app, state)
            else:
                summary = _score(app)
            state.runs = [*state.runs[-9:], summary]
        except Exception:
            # The comments stay stale and the next run scores them; the thread must go on.
            log.exception("background scoring failed; the next run will try again")


def _score(app: Flask) -> ScoreRunSummary:
    with app.app_context():
        try:
            return score_stale(db.session, workers=app.config["API_SCORING_WORKERS"])
        finally:
            db.session.remove()


def _run_in_scorer(app: Flask, state: _State) -> ScoreRunSummary:
    if state.scorer is None or not state.scorer.is_alive():
        # Spawned, not forked: a fork would copy the server's threads' locks mid-use.
        context = multiprocessing.get_context("spawn")
        state.connection, child_end = context.Pipe()
        state.scorer = context.Process(
            target=_scorer_main,
            args=(dict(app.config), child_end),
            name="moderation-scorer",
            daemon=True,
        )
        state.scorer.start()
        child_end.close()
    state.connection.send("score")
    return state.connection.recv()


def _scorer_main(config: dict, connection: Connection) -> None:
    """The scoring process: an app on the same database, one run per message."""
    from . import create_app

    app = create_app({**config, "API_SCORING": "thread"})
    while True:
        try:
            connection.recv()
            summary = _score(app)
            connection.send(summary)
        except (EOFError, OSError):
            return  # the server has gone: what this run committed stays
