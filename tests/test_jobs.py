"""The job queue (moderation.jobs), its worker (moderation.worker) and `moderation worker`."""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from moderation import api_tokens, jobs
from moderation.extensions import db
from moderation.models import Comment, CommentScore
from moderation.worker import make_consumer

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture
def queued(app, tmp_path, monkeypatch):
    """The app on a real SQLite queue file, no worker: jobs wait until run by hand; one
    extra job, "probe", records its runs."""
    app.config |= {"JOB_QUEUE_IMMEDIATE": False, "JOB_QUEUE_URL": f"sqlite:///{tmp_path}/q.db"}
    runs = []
    gate = threading.Event()
    gate.set()

    def probe(app):
        runs.append(len(runs) + 1)
        if len(runs) == 1 and not queue.blocking:  # a request while the first run goes on
            jobs.request(app, "probe")
        gate.wait(30)
        return f"run {len(runs)}"

    monkeypatch.setitem(jobs.JOBS, "probe", jobs.Job("probe", probe))
    app.extensions.pop("job_queue", None)
    queue = jobs.job_queue(app)
    queue.runs, queue.gate, queue.blocking = runs, gate, False
    return queue


def run_queued(queue) -> int:
    """Run what the queue holds, as a worker would, until it is empty; how many tasks."""
    count = 0
    while (task := queue.huey.dequeue()) is not None:
        queue.huey.execute(task)
        count += 1
    return count


def test_many_requests_make_one_pending_run(app, queued):
    for _ in range(50):
        jobs.request(app, "probe")
    assert queued.huey.pending_count() == 1


def test_a_request_during_a_run_gets_one_more_run_after_it(app, queued):
    jobs.request(app, "probe")
    run_queued(queued)
    assert queued.runs == [1, 2]
    jobs.request(app, "probe")  # nothing pending any more: a new request is a new run
    run_queued(queued)
    assert queued.runs == [1, 2, 3]


def test_a_run_of_a_job_waits_for_the_one_going_on_in_another_thread(app, queued):
    queued.blocking = True
    queued.gate.clear()
    jobs.request(app, "probe")
    first = threading.Thread(target=run_queued, args=(queued,))
    first.start()
    while not queued.runs:
        time.sleep(0.01)
    jobs.request(app, "probe")  # during the first run, in another worker thread
    run_queued(queued)
    assert queued.runs == [1]  # not at the same time as the first
    queued.gate.set()
    first.join()
    run_queued(queued)  # the first run, ending, found the request and asked for a run
    assert queued.runs == [1, 2]


def test_a_starting_worker_clears_a_killed_runs_lock_and_runs_every_job(app, queued):
    queued.huey.lock_task("run.probe").acquire()  # left by a killed worker
    make_consumer(app, workers=1)
    assert not queued.huey.is_locked("run.probe")
    assert sorted(t.name for t in queued.huey.pending()) == sorted(
        jobs._task_name(name) for name in jobs.JOBS
    )
    run_queued(queued)
    assert queued.runs == [1, 2]


def test_the_score_job_scores_and_then_asks_for_a_report_refresh(app, queued, scored_thread):
    jobs.request(app, "score")
    queued.huey.execute(queued.huey.dequeue())
    assert db.session.get(CommentScore, scored_thread.unscored.id) is not None
    assert [t.name for t in queued.huey.pending()] == ["refresh_reports"]


def test_a_redis_url_selects_the_redis_queue(app):
    from huey import RedisHuey

    app.config["JOB_QUEUE_IMMEDIATE"] = False
    app.config["JOB_QUEUE_URL"] = "redis://:secret@queue.example:6380/2"
    queue = jobs.job_queue(app)
    assert isinstance(queue.huey, RedisHuey)
    connection = queue.huey.storage.pool.connection_kwargs
    assert (connection["host"], connection["port"], connection["db"]) == ("queue.example", 6380, 2)
    assert jobs.queue_description(app) == "redis://queue.example:6380/2"  # no password


def test_an_unknown_queue_url_is_refused(app):
    app.config["JOB_QUEUE_IMMEDIATE"] = False
    app.config["JOB_QUEUE_URL"] = "amqp://rabbit"
    with pytest.raises(jobs.QueueConfigError, match="sqlite:///PATH or redis://"):
        jobs.job_queue(app)


# The real `moderation worker` command on a real queue file ----------------------------------


def start_worker(environment: dict) -> subprocess.Popen:
    worker = subprocess.Popen(
        [sys.executable, "-m", "moderation.cli", "worker", "--workers", "2"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert worker.stdout.readline().startswith("worker: 2 thread(s) on the queue ")
    return worker


def wait_until_scored(expected: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh look at what the worker committed
        if db.session.scalar(sa.select(sa.func.count()).select_from(CommentScore)) == expected:
            return
        time.sleep(0.1)
    raise AssertionError(f"not all {expected} comments were scored within {timeout} s")


def post(client, secret: str, first: int, count: int):
    records = [
        {
            "comment_id": f"c{number}",
            "article_url": "https://example.org/rain",
            "article_title": "Rain all week",
            "text": f"The rain this week is terrible, comment number {number}.",
        }
        for number in range(first, first + count)
    ]
    response = client.post(
        "/api/v1/comments", json=records, headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200 and response.get_json()["scoring"] == "queued"


@pytest.mark.slow
def test_the_worker_command_scores_what_is_posted_and_a_killed_worker_loses_nothing(
    app, client, tmp_path
):
    queue_url = f"sqlite:///{tmp_path}/jobs.sqlite"
    app.config |= {"JOB_QUEUE_IMMEDIATE": False, "JOB_QUEUE_URL": queue_url}
    _, secret = api_tokens.create_token(db.session, "site", "ingest")
    environment = {
        "PATH": os.environ["PATH"],
        "MODERATION_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MODERATION_JOB_QUEUE_URL": queue_url,
        "MODERATION_SECRET_KEY": "test",
        "PYTHONUNBUFFERED": "1",
    }
    worker = start_worker(environment)
    try:
        post(client, secret, 1, 30)
        wait_until_scored(30)
        worker.kill()  # no chance to finish anything
        worker.communicate()
        post(client, secret, 31, 20)  # queued with no worker running
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 50
        worker = start_worker(environment)
        wait_until_scored(50)
        worker.send_signal(signal.SIGINT)  # Ctrl-C: a graceful stop
        worker.communicate(timeout=60)
        assert worker.returncode == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()


def test_serve_alone_scores_what_arrives_and_its_worker_ends_with_it(tmp_path):
    """README command 1: `moderation serve`, no second command, and comments get scored."""
    seed = sorted(SEEDS.glob("*.txt"))[0]
    environment = {
        "PATH": os.environ["PATH"],
        "MODERATION_DATABASE_URL": f"sqlite:///{tmp_path}/serve.sqlite",
        "MODERATION_JOB_QUEUE_URL": f"sqlite:///{tmp_path}/jobs.sqlite",
        "MODERATION_SECRET_KEY": "test",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "moderation.cli"]
    imported = subprocess.run(
        [*command, "import", "--no-score", str(seed)], env=environment, capture_output=True
    )
    assert imported.returncode == 0, imported.stderr
    server = subprocess.Popen(
        [*command, "serve", "--port", "0"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        for line in server.stdout:
            if line.startswith("background jobs: a worker process (pid "):
                worker_pid = int(line.split("(pid ")[1].split(")")[0])
            if line.startswith("serving on "):
                break
        with sqlite3.connect(tmp_path / "serve.sqlite") as database:
            comments = database.execute("SELECT count(*) FROM comments").fetchone()[0]
            deadline = time.monotonic() + 90
            scored = 0
            while scored < comments and time.monotonic() < deadline:
                time.sleep(0.1)
                scored = database.execute("SELECT count(*) FROM comment_scores").fetchone()[0]
        assert scored == comments > 0
    finally:
        server.terminate()  # SIGTERM: the server ends at once, its worker then stops
        server.communicate(timeout=60)
    deadline = time.monotonic() + 60
    while Path(f"/proc/{worker_pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{worker_pid}").exists()


def test_a_delayed_request_is_a_run_of_its_own_at_its_time(app, queued):
    queued.blocking = True  # no request from within the run
    jobs.request(app, "probe", delay=60)  # a retry in a minute
    jobs.request(app, "probe")  # a request for now does not wait for it
    assert queued.huey.pending_count() == 2
    run_queued(queued)  # the one for now runs; the delayed one waits in the schedule
    assert queued.runs == [1] and queued.huey.scheduled_count() == 1
