"""Background work, off the request path: a job queue (Huey) and the jobs it runs.

A view that leaves work behind (comments posted to the API or uploaded, scoring
settings saved) calls :func:`request` with a job's name and returns. A worker runs
the job: ``moderation worker``, or the one ``moderation serve`` starts beside the
server unless told that a separate worker runs (:mod:`moderation.worker`).

Jobs are named runs over whatever is out of date, not one task per request: "score"
scores every stale comment (:func:`moderation.scoring_runner.score_stale`),
"refresh-reports" recounts the report summaries of every article changed
(:func:`moderation.reports.rollup.refresh`). Requests coalesce: a request while
one of the job is pending adds nothing, and one during a run asks for one more run
after it, so a thousand posts make a handful of runs. One run of a job at a time
(a lock), whatever the number of worker threads.

Nothing is lost when a worker is killed: what the jobs work on is in the database
(a stale score, a note in report_changes), not in the queue, and a worker starting
runs every job once and clears the locks a killed run left behind.

A job is a function of the app, registered at import of this module (which create_app
imports). Besides being requested (``jobs.request(app, "score")``, or with
``delay=30`` for a set time), one may run every few minutes: webhook delivery sweeps
the outbox every minute, which sends new events and the retries that have come due,
and every hour deliveries delivered long ago are pruned.

The queue is stored where ``JOB_QUEUE_URL`` says: by default a SQLite file in the
instance folder (``jobs.sqlite``), or ``redis://host:6379/0`` when one machine's
worker is not enough (the ``redis`` extra). ``JOB_QUEUE_IMMEDIATE`` runs each job
inside :func:`request` instead (the tests).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.exceptions import TaskLockedException

from .extensions import db

log = logging.getLogger(__name__)

QUEUE_FILE = "jobs.sqlite"
"""The queue's SQLite file in the instance folder, when JOB_QUEUE_URL names none."""


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Flask], object]
    """Does the work, in an application context; what it returns is logged, unless None."""
    every_minutes: int | None = None
    """Also run this often (a sweep for what no request asked for, e.g. retries)."""


JOBS: dict[str, Job] = {}


def job(name: str, *, every_minutes: int | None = None):
    """Register ``run(app)`` as the job ``name``; registered before a queue is built."""

    def register(run: Callable[[Flask], object]) -> Callable[[Flask], object]:
        JOBS[name] = Job(name, run, every_minutes)
        return run

    return register


def request(app: Flask, name: str, *, delay: float | None = None) -> None:
    """Ask for a run of the job ``name``; nothing if one is pending already.

    Call it after committing what the job is to see. With ``delay`` (seconds), a run
    then, whatever else is pending (a retry's back-off): delayed runs do not coalesce,
    so that a request for now never waits for one of them.
    """
    queue = job_queue(app)
    if delay is not None:
        queue.enqueue(name, forced=True, delay=delay)
    elif queue.huey.put_if_empty(_pending_key(name), "1"):
        queue.enqueue(name, forced=False)


def job_queue(app: Flask) -> JobQueue:
    """The application's queue, made on first use (the instance folder is known by then)."""
    queue = app.extensions.get("job_queue")
    if queue is None:
        queue = app.extensions["job_queue"] = JobQueue(app, _storage(app))
    return queue


def queue_description(app: Flask) -> str:
    """Where the queue is, for a worker's first line of output (no password)."""
    url = app.config.get("JOB_QUEUE_URL")
    if app.config.get("JOB_QUEUE_IMMEDIATE"):
        return "immediate (jobs run where they are requested)"
    if not url:
        return str(Path(app.instance_path) / QUEUE_FILE)
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"


class QueueConfigError(ValueError):
    """JOB_QUEUE_URL names a store this cannot use."""


def _storage(app: Flask) -> Huey:
    url = app.config.get("JOB_QUEUE_URL") or ""
    options = {"name": "moderation", "results": False}
    if app.config.get("JOB_QUEUE_IMMEDIATE"):
        return Huey(immediate=True, **options)
    if url.startswith(("redis://", "rediss://", "unix://")):
        try:
            import redis  # noqa: F401
        except ImportError:
            raise QueueConfigError(
                "JOB_QUEUE_URL is a Redis URL but the redis package is not installed: "
                'pip install "moderation[redis]"'
            ) from None
        return RedisHuey(url=url, **options)
    if not url or url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///") or str(Path(app.instance_path) / QUEUE_FILE)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(filename=path, **options)
    raise QueueConfigError(
        f"JOB_QUEUE_URL must be sqlite:///PATH or redis://HOST:PORT/DB, not {url.split(':')[0]}:…"
    )


class JobQueue:
    """A Huey queue with one task per registered job, each run under the job's lock."""

    def __init__(self, app: Flask, huey: Huey):
        self.app = app
        self.huey = huey
        self.tasks = {}
        for registered in JOBS.values():
            self.tasks[registered.name] = huey.task(name=_task_name(registered.name))(
                self._runner(registered)
            )
            if registered.every_minutes:
                huey.periodic_task(
                    crontab(minute=f"*/{registered.every_minutes}"),
                    name=_task_name(registered.name) + "_periodic",
                )(self._runner(registered, periodic=True))

    def enqueue(self, name: str, *, forced: bool, delay: float | None = None) -> None:
        # Immediate mode runs only what is due now: a delayed run would never come.
        delay = None if self.huey.immediate else delay
        self.huey.enqueue(self.tasks[name].s(forced=forced, delay=delay))

    def lock_names(self) -> list[str]:
        return [_lock_name(name) for name in self.tasks]

    def run_all(self) -> None:
        """Ask for a run of every job, pending or not: what a worker does as it starts."""
        for name in self.tasks:
            self.enqueue(name, forced=True)

    def _runner(self, registered: Job, periodic: bool = False) -> Callable[..., None]:
        def run(forced: bool = periodic) -> None:
            self._run(registered, forced)

        run.__name__ = _task_name(registered.name)
        return run

    def _run(self, registered: Job, forced: bool) -> None:
        huey = self.huey
        pending = _pending_key(registered.name)
        lock = huey.lock_task(_lock_name(registered.name))
        try:
            lock.acquire()
        except TaskLockedException:
            return  # a run is going on; it looks for requests again once it ends
        try:
            # Taken before the run: a request from now on asks for another one.
            asked = huey.get(pending) is not None
            if asked or forced:
                with self.app.app_context():
                    try:
                        outcome = registered.run(self.app)
                    finally:
                        db.session.remove()
                if outcome is not None:  # None: nothing was due (a sweep every minute)
                    log.info("job %s: %s", registered.name, outcome)
        finally:
            lock.release()
        # A request during the run found its lock held, and ran nothing.
        if huey.get(pending, peek=True) is not None:
            self.enqueue(registered.name, forced=False)


def _task_name(name: str) -> str:
    return name.replace("-", "_")


def _pending_key(name: str) -> str:
    return f"pending.{name}"


def _lock_name(name: str) -> str:
    return f"run.{name}"


# --- The jobs ------------------------------------------------------------------------------


@job("score")
def score_stale_comments(app: Flask) -> str:
    """Score every stale comment (posted, uploaded, or stale after a settings change)."""
    from .scoring_runner import describe_run, score_stale

    summary = score_stale(db.session, workers=app.config["JOB_SCORING_WORKERS"])
    if summary.comments_scored or summary.reprioritised:
        request(app, "refresh-reports")
    return describe_run(summary)


@job("refresh-reports")
def refresh_reports(app: Flask) -> str:
    """Recount the report summaries of the articles changed since the last refresh."""
    from .reports import rollup
    from .settings import current_scoring_config

    threshold = current_scoring_config(db.session).off_topic_threshold
    recounted = rollup.refresh(db.session, threshold)
    return "all articles recounted" if recounted < 0 else f"{recounted} articles recounted"


@job("deliver-webhooks", every_minutes=1)
def deliver_webhooks(app: Flask) -> str:
    """Send the webhook deliveries that are due: new events and retries whose time came."""
    from .webhooks.delivery import deliver_due

    summary = deliver_due(db.session)
    return str(summary) if summary.attempted else None


@job("prune-webhooks", every_minutes=60)
def prune_webhooks(app: Flask) -> str | None:
    """Forget deliveries delivered over WEBHOOK_KEEP_DAYS ago, so the outbox stays small."""
    from datetime import timedelta

    from .models import utcnow
    from .webhooks.endpoints import prune_delivered

    days = app.config["WEBHOOK_KEEP_DAYS"]
    if days is None:
        return None
    deleted = prune_delivered(db.session, utcnow() - timedelta(days=days))
    return f"{deleted} delivered webhook deliveries pruned" if deleted else None
