"""Real servers on loopback, for tests of what only a real server does (proxy headers,
refusing bodies early, worker processes): waitress in a thread, set up as ``moderation
serve --server waitress`` sets it up, or the real ``moderation serve`` in a process."""

from __future__ import annotations

import http.client
import re
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

import waitress
from waitress import wasyncore

from moderation.extensions import db
from moderation.web.commands import server_options

CSRF_TOKEN_PATTERN = r'name="csrf_token"[^>]*value="([^"]+)"'


@contextmanager
def serving(app, proxy_address: str | None = None):
    """Serve ``app`` on a free loopback port in a thread; yields the port."""
    options = server_options(app, 4, proxy_address)
    server = waitress.create_server(app, host="127.0.0.1", port=0, **options)
    stop = threading.Event()

    def run() -> None:
        # waitress's own loop, a short poll at a time, so that it can be told to stop
        # without its trigger pipe; then every socket is closed by this thread, the only
        # one polling them (close_all lets one already closed pass).
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, use_poll=True, count=1)
        server.task_dispatcher.shutdown()
        wasyncore.close_all(server._map)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        stop.set()
        thread.join(timeout=10)
        assert not thread.is_alive()


@dataclass
class ServeProcess:
    process: subprocess.Popen
    port: int
    output: list[str]
    """What it printed before it said it was serving (the first admin's password)."""


@contextmanager
def moderation_serve(*options: str):
    """``moderation serve --port 0 OPTIONS`` in a new process, on the current app's
    database; yields a ServeProcess once it serves, stops it after (as Ctrl-C does: the
    workers are not given gunicorn's graceful seconds to finish kept-alive connections)."""
    environment = {
        "PATH": "/usr/bin:/bin",
        "MODERATION_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        "MODERATION_SECRET_KEY": "test",
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "moderation.cli", "serve", "--port", "0", *options],
        env=environment,
        text=True,
        stdout=subprocess.PIPE,
    )
    try:
        output = []
        for line in process.stdout:
            if line.startswith("serving on "):
                port = int(line.split()[2].rstrip("/").rsplit(":", 1)[1])
                break
            output.append(line)
        else:
            raise AssertionError(f"serve ended without serving: {output}")
        yield ServeProcess(process, port, output)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)


@contextmanager
def serving_with(server: str, app, proxy_address: str | None = None):
    """A port where ``server`` (waitress or gunicorn) serves ``app``'s database, as
    ``moderation serve --server SERVER [--https-proxy --proxy-address ADDRESS]`` would."""
    if server == "waitress":
        with serving(app, proxy_address) as port:
            yield port
        return
    proxy = ["--https-proxy", "--proxy-address", proxy_address] if proxy_address else []
    with moderation_serve("--server", server, "--workers", "2", *proxy) as served:
        yield served.port


def request(port, method, path, headers=None, body=None) -> tuple[int, dict, str]:
    """One request on a fresh connection: (status, headers, text)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def failed_sign_in(port, headers: dict) -> int:
    """Sign in with a wrong password as a browser would (page, cookie, CSRF token),
    sending ``headers`` with both requests; the status of the attempt."""
    status, page_headers, html = request(port, "GET", "/sign-in", headers)
    assert status == 200, html
    cookie = page_headers["Set-Cookie"].split(";")[0]
    token = re.search(CSRF_TOKEN_PATTERN, html).group(1)
    host = headers.get("X-Forwarded-Host", f"127.0.0.1:{port}")
    scheme = headers.get("X-Forwarded-Proto", "http")
    form = {"username": "nobody", "password": "wrong password", "csrf_token": token}
    status, _, _ = request(
        port,
        "POST",
        "/sign-in",
        headers
        | {
            "Cookie": cookie,
            "Referer": f"{scheme}://{host}/sign-in",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        urlencode(form),
    )
    return status
