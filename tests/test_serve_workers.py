"""``moderation serve``'s default server, gunicorn: worker processes forked from the
set-up, sharing its secret key (so sessions and CSRF tokens), and one scorer for all."""

from __future__ import annotations

import logging
import os
import re
import signal
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
from gunicorn.sock import create_sockets
from live_server import CSRF_TOKEN_PATTERN, moderation_serve, request

from moderation.extensions import db
from moderation.models import Comment
from moderation.web import commands as web_commands
from moderation.web import gunicorn_server
from moderation.web.listen import bind_sockets

pytestmark = pytest.mark.skipif(
    not Path("/proc").is_dir(), reason="finds the worker processes in /proc (Linux)"
)


class Browser:
    """A client on fresh connections that keeps the session cookie, as a browser would."""

    def __init__(self, port: int):
        self.port = port
        self.cookie = ""

    def send(self, method, path, form=None):
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(form)
        status, answer_headers, html = request(self.port, method, path, headers, body)
        if "Set-Cookie" in answer_headers:
            self.cookie = answer_headers["Set-Cookie"].split(";")[0]
        return status, html

    def token(self, path):
        status, html = self.send("GET", path)
        assert status == 200, html
        return re.search(CSRF_TOKEN_PATTERN, html).group(1)

    def sign_in(self, username, password):
        form = {"username": username, "password": password, "csrf_token": self.token("/sign-in")}
        return self.send("POST", "/sign-in", form)[0]


def first_admin(output: list[str]) -> tuple[str, str]:
    text = "".join(output)
    return re.search(r"username: (\S+)", text).group(1), re.search(r"password: (\S+)", text)[1]


def worker_pids(master: int, count: int) -> list[int]:
    """The ``count`` workers' process ids, once gunicorn has forked them all: the children
    run the master's command line (the background worker is a fresh interpreter)."""
    command = Path(f"/proc/{master}/cmdline").read_bytes()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = [
            pid
            for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()
            if _command_line(pid) == command
        ]
        if len(children) == count:
            return sorted(int(pid) for pid in children)
        time.sleep(0.05)
    raise AssertionError(f"not {count} workers: {children}")


def _command_line(pid: str) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # gone meanwhile
        return None


@contextmanager
def only_served_by(pid: int, workers: list[int]):
    """Every other worker stopped (SIGSTOP): new connections are accepted by ``pid``."""
    others = [other for other in workers if other != pid]
    for other in others:
        os.kill(other, signal.SIGSTOP)
    try:
        yield
    finally:
        for other in others:
            os.kill(other, signal.SIGCONT)


def test_serve_runs_gunicorn_workers_and_the_first_admin_signs_in(app):
    with moderation_serve("--workers", "2", "--threads", "2") as served:
        username, password = first_admin(served.output)
        browser = Browser(served.port)
        assert browser.sign_in(username, password) == 302
        status, html = browser.send("GET", "/queue")
        assert status == 200 and username in html
        assert len(worker_pids(served.process.pid, 2)) == 2


def test_a_session_signed_in_on_one_worker_decides_on_another(app, scored_thread):
    comment = scored_thread.comments[0]
    assert comment.status == "pending"
    with moderation_serve("--workers", "2") as served:
        username, password = first_admin(served.output)
        first, second = worker_pids(served.process.pid, 2)
        browser = Browser(served.port)
        with only_served_by(first, [first, second]):
            assert browser.sign_in(username, password) == 302
            token = browser.token("/queue")
        with only_served_by(second, [first, second]):
            form = {"csrf_token": token, "version": str(comment.version)}
            status, html = browser.send("POST", f"/comments/{comment.id}/approve", form)
    assert status == 302, html
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).status == "approved"


def test_serve_defaults_to_one_gunicorn_worker_per_core(app, runner, monkeypatch):
    served = []

    def fake_serve(app, sockets, workers, threads):
        served.append((workers, threads, isinstance(app.wsgi_app, gunicorn_server.TrustedProxy)))
        for sock in sockets:
            sock.close()

    monkeypatch.setattr(gunicorn_server, "serve", fake_serve)
    monkeypatch.setattr(web_commands, "core_count", lambda: 6)
    assert runner.invoke(args=["serve", "--port", "0"]).exit_code == 0
    result = runner.invoke(args=["serve", "--port", "0", "--threads", "3", "--https-proxy"])
    assert result.exit_code == 0, result.output
    assert "(6 processes of 3 threads; Ctrl-C to stop)" in result.output
    # Behind the proxy its X-Forwarded headers are believed, and nobody else's.
    assert served == [(6, 8, False), (6, 3, True)]


# gunicorn's create_sockets leaves a socket of its own to the garbage collector.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_gunicorn_is_handed_the_listening_descriptors_not_lent_them(app):
    # gunicorn copies each descriptor it is given and closes the original. Had serve's
    # socket objects kept it too, closing them would close whatever file took the same
    # number since: here one put there on purpose.
    listening = bind_sockets("127.0.0.1", 0)
    numbers = [sock.fileno() for sock in listening]
    port = listening[0].getsockname()[1]
    server = gunicorn_server.GunicornServer(app, listening, {"workers": 1, "threads": 1})
    other_file = os.open(os.devnull, os.O_RDONLY)
    listeners = create_sockets(server.cfg, logging.getLogger("gunicorn.error"))  # the arbiter's
    try:
        for number in numbers:
            os.dup2(other_file, number)
        for sock in listening:
            sock.close()
        for number in numbers:
            os.fstat(number)  # still open: nobody closed it from under its new owner
            os.close(number)
        assert [listener.sock.getsockname()[1] for listener in listeners] == [port]
    finally:
        os.close(other_file)
        for listener in listeners:
            listener.close()
