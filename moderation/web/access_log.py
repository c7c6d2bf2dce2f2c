"""The access log of ``moderation serve --access-log``: one line a request, in the
Common Log Format that log analysers and fail2ban read::

    127.0.0.1 - alice [06/Dec/2026:19:05:01 +0000] "GET /queue?status=held HTTP/1.1" 200 5120

A small WSGI middleware rather than Paste's TransLogger: Paste is in maintenance
mode, needs setuptools at run time, trusts any X-Forwarded-For header a client
sends, and logs the Content-Length header instead of the bytes sent. Here the
address is REMOTE_ADDR (behind ``--https-proxy``, the one the trusted proxy forwarded),
the user is the signed-in moderator's name (``-`` before sign-in), the bytes are
counted as they go, and the line is written when the response is closed, so a
download cut short logs what was really sent.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from urllib.parse import quote

CLF_TIME = "%d/%b/%Y:%H:%M:%S %z"


def access_logger(target: str) -> logging.Logger:
    """A logger writing bare lines to the file ``target``, or to standard output for "-".

    A file is reopened when logrotate moves it away (WatchedFileHandler).
    """
    logger = logging.Logger("moderation.access", logging.INFO)  # not registered globally
    handler = (
        logging.StreamHandler(sys.stdout)
        if target == "-"
        else logging.handlers.WatchedFileHandler(target, encoding="utf-8")
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    return logger


def log_line(environ: dict, when: datetime, status: str, sent: int | None) -> str:
    """One request in the Common Log Format; what the client chose is escaped, so a
    request cannot write a second line or a quote into the log."""
    uri = environ.get("REQUEST_URI") or _rebuilt_uri(environ)
    request = f"{environ.get('REQUEST_METHOD', '-')} {uri} {environ.get('SERVER_PROTOCOL', '-')}"
    user = environ.get("REMOTE_USER") or "-"
    return (
        f"{environ.get('REMOTE_ADDR') or '-'} - {_escaped(user)} [{when.strftime(CLF_TIME)}] "
        f'"{_escaped(request)}" {status} {sent if sent else "-"}'
    )


class AccessLog:
    """WSGI middleware: ``AccessLog(app, logger)`` logs each request ``app`` answers."""

    def __init__(self, app: Callable, logger: logging.Logger):
        self.app = app
        self.logger = logger

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        when = datetime.now(UTC)
        status = ["-"]

        def recording_start_response(status_line: str, headers, exc_info=None):
            status[0] = status_line.split(" ", 1)[0]
            return start_response(status_line, headers, exc_info)

        body = self.app(environ, recording_start_response)
        return _CountedBody(
            body, lambda sent: self.logger.info(log_line(environ, when, status[0], sent))
        )


class _CountedBody:
    """The response body, passed through while its bytes are counted; on close, the count."""

    def __init__(self, body: Iterable[bytes], on_close: Callable[[int], None]):
        self.body = body
        self.on_close = on_close
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.body:
            self.sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.on_close(self.sent)


def _rebuilt_uri(environ: dict) -> str:
    uri = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
    query = environ.get("QUERY_STRING")
    return f"{uri}?{query}" if query else uri


def _escaped(text: str) -> str:
    # As Apache writes them: printable ASCII as is, the rest (and " and \) as \xhh.
    return "".join(
        char if " " <= char <= "~" and char not in '"\\' else f"\\x{ord(char):02x}" for char in text
    )
