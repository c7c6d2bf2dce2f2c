"""A killed import's batch does not stay "running": the next import marks it failed."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from moderation.extensions import db
from moderation.ingest import import_stream
from moderation.interrupted_imports import this_process
from moderation.models import Comment, ImportBatch

MODERATION = str(Path(sys.executable).parent / "moderation")
HEADER = "article_id,article_title,article_body,comment_id,author,text\n"


def _small_csv() -> io.BytesIO:
    return io.BytesIO((HEADER + "a1,T,B,1,Ann,A fair point about the toll\n").encode())


def _gone_pid() -> int:
    """The id of a process of ours that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _batches() -> dict[str, ImportBatch]:
    db.session.expire_all()
    return {b.source_name: b for b in db.session.scalars(sa.select(ImportBatch))}


def test_the_next_import_fails_batches_whose_process_is_gone_and_no_others(app):
    host, pid = this_process()
    db.session.add_all(
        [
            ImportBatch(source_name="killed", runner_host=host, runner_pid=_gone_pid()),
            ImportBatch(source_name="from before 0010"),
            ImportBatch(source_name="alive", runner_host=host, runner_pid=pid),
            ImportBatch(source_name="elsewhere", runner_host="other-host", runner_pid=1),
        ]
    )
    db.session.commit()
    assert import_stream(db.session, _small_csv(), "next.csv").succeeded
    batches = _batches()
    for name in ("killed", "from before 0010"):
        assert batches[name].status == "failed"
        assert batches[name].error.startswith("Interrupted: the import's process")
        assert "nothing of this file was kept" in batches[name].error
        assert batches[name].finished_at is not None
    assert f"process {batches['killed'].runner_pid} on {host}" in batches["killed"].error
    assert batches["alive"].status == batches["elsewhere"].status == "running"
    assert (batches["next.csv"].runner_host, batches["next.csv"].runner_pid) == (host, pid)


def test_an_import_killed_midway_leaves_nothing_and_is_failed_by_the_next(app, tmp_path):
    big = tmp_path / "big.csv"
    with big.open("w") as file:
        file.write(HEADER)
        for n in range(150_000):
            file.write(f"a{n // 50},Title {n // 50},Body,{n},author{n % 97},Comment number {n}\n")
    environment = os.environ | {
        "MODERATION_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MODERATION_SECRET_KEY": "test",
    }
    process = subprocess.Popen(
        [MODERATION, "import", "--no-score", str(big)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not _batches() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.kill()  # mid-import: its batch row is committed, its rows are not
        process.wait()
    [killed] = _batches().values()
    assert (killed.status, killed.runner_pid) == ("running", process.pid)

    assert import_stream(db.session, _small_csv(), "next.csv").succeeded
    killed = _batches()[killed.source_name]
    assert killed.status == "failed" and killed.error.startswith("Interrupted")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 1


def test_serve_marks_interrupted_imports_failed_on_start(app, runner, monkeypatch):
    import waitress

    monkeypatch.setattr(
        waitress, "serve", lambda wsgi, sockets, **options: [s.close() for s in sockets]
    )
    host, _ = this_process()
    db.session.add(ImportBatch(source_name="killed", runner_host=host, runner_pid=_gone_pid()))
    db.session.commit()
    result = runner.invoke(args=["serve", "--server", "waitress", "--port", "0"])
    assert result.exit_code == 0, result.output
    assert "import #1 of killed was interrupted: marked failed" in result.output
    assert _batches()["killed"].status == "failed"
