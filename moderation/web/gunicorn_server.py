"""``moderation serve``'s multi-process server on Linux and macOS: gunicorn, embedded.

Pages are rendered in Python, which runs one thread at a time per process: waitress's
threads share one core, so a second moderator's page waits for the first one's. Here
the app is served by ``workers`` processes (one per core by default), each with
``threads`` threads for requests waiting on the database.

The workers are forked from the process that ran ``serve``'s set-up (schema, secret
key, first admin, sockets), so they share its secret key: a session signed in one
worker, and its CSRF token, are good in every other. Each worker opens its own
database connections (the inherited pool is dropped after the fork, unused).
"""

from __future__ import annotations

import socket

from flask import Flask
from gunicorn.app.base import BaseApplication
from werkzeug.middleware.proxy_fix import ProxyFix

from ..extensions import db

FORWARDED_ENVIRON_KEYS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO",
                          "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT",
                          "HTTP_X_FORWARDED_PREFIX")  # fmt: skip


class TrustedProxy:
    """X-Forwarded headers believed from the one proxy address only, dropped from
    anyone else: gunicorn passes them through from every peer, and a client that
    could name its own address would dodge the sign-in rate limit (or lock others out).

    From the proxy, the last address it appended is the client's (ProxyFix, one hop)."""

    def __init__(self, wsgi_app, proxy_address: str):
        self.wsgi_app = wsgi_app
        self.proxy_address = proxy_address
        self.behind_proxy = ProxyFix(wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1)

    def __call__(self, environ, start_response):
        if environ.get("REMOTE_ADDR") == self.proxy_address:
            return self.behind_proxy(environ, start_response)
        for key in FORWARDED_ENVIRON_KEYS:
            environ.pop(key, None)
        return self.wsgi_app(environ, start_response)


class GunicornServer(BaseApplication):
    """gunicorn's master and workers serving ``app`` on sockets already listening."""

    def __init__(self, app: Flask, sockets: list[socket.socket], options: dict):
        self.application = app
        # gunicorn duplicates each descriptor it is given and closes the original: handed
        # over, not shared, or closing these socket objects (or their garbage collection)
        # would close whatever descriptor took the same number since (a pipe of gunicorn's
        # own, a worker's file).
        self.descriptors = [sock.detach() for sock in sockets]
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        settings = {
            **self.options,
            "bind": [f"fd://{descriptor}" for descriptor in self.descriptors],
            "worker_class": "gthread",
            "proc_name": "moderation",
            # The app's own access log (--access-log) has the bytes really sent; gunicorn
            # says only what goes wrong.
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            # Nobody's X-Forwarded headers change the scheme behind the app's back:
            # TrustedProxy decides whose to believe.
            "forwarded_allow_ips": "",
            "secure_scheme_headers": {},
            "post_fork": _after_fork,
            # Its control socket lives at one path per user (~/.gunicorn): a second
            # server would take it over. Stop with a signal instead.
            "control_socket_disable": True,
        }
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def serve(app: Flask, sockets: list[socket.socket], workers: int, threads: int) -> None:
    """Serve until stopped (Ctrl-C or SIGTERM; gunicorn's own signals work too)."""
    with app.app_context():
        # No connection of this process may be used by two after the fork.
        db.engine.dispose()
    GunicornServer(app, sockets, {"workers": workers, "threads": threads}).run()


def _after_fork(arbiter, worker) -> None:
    with worker.app.wsgi().app_context():
        # Connections the master might still hold belong to it: forget them, unclosed.
        db.engine.dispose(close=False)
