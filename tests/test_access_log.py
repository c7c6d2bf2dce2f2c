"""The access log middleware: Common Log Format lines, hostile requests escaped."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

from moderation.web.access_log import AccessLog, access_logger, log_line


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def call(app, environ):
    """Serve one request as a WSGI server would: iterate the body, then close it."""
    statuses = []
    body = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    try:
        return statuses, b"".join(body)
    finally:
        body.close()


def logged(app):
    handler = Lines()
    logger = logging.Logger("test")
    logger.addHandler(handler)
    return AccessLog(app, logger), handler.lines


def streamed(environ, start_response):
    start_response("201 Created", [("Content-Type", "text/plain")])  # no Content-Length
    yield b"abc"
    yield b"defg"


ENVIRON = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/queue",
    "QUERY_STRING": "status=held",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "203.0.113.9",
}


def test_a_request_is_logged_with_the_bytes_really_sent():
    app, lines = logged(streamed)
    statuses, body = call(app, dict(ENVIRON))
    assert statuses == ["201 Created"] and body == b"abcdefg"
    (line,) = lines
    assert re.fullmatch(
        r"203\.0\.113\.9 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] "
        r'"GET /queue\?status=held HTTP/1\.1" 201 7',
        line,
    ), line


def test_a_hostile_request_line_cannot_forge_a_log_line():
    environ = dict(ENVIRON, REQUEST_URI='/x"\n127.0.0.1 - - [x] "GET / HTTP/1.1" 200 1\\')
    line = log_line(environ, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "404", 0)
    assert "\n" not in line
    assert line == (
        "203.0.113.9 - - [02/Jan/2026:03:04:05 +0000] "
        '"GET /x\\x22\\x0a127.0.0.1 - - [x] \\x22GET / HTTP/1.1\\x22 200 1\\x5c HTTP/1.1" 404 -'
    )


def test_access_logger_appends_to_a_file(tmp_path):
    path = tmp_path / "access.log"
    path.write_text("earlier line\n")
    logger = access_logger(str(path))
    call(AccessLog(streamed, logger), dict(ENVIRON))
    logger.handlers[0].close()
    earlier, line = path.read_text().splitlines()
    assert earlier == "earlier line" and line.endswith('"GET /queue?status=held HTTP/1.1" 201 7')


def test_the_signed_in_moderator_is_the_logged_user(app, auth):
    handler = Lines()
    logger = logging.Logger("test")
    logger.addHandler(handler)
    app.wsgi_app = AccessLog(app.wsgi_app, logger)
    auth.client.get("/sign-in").close()  # closing the body writes the line
    auth.login_as("moderator")
    auth.client.get("/queue").close()
    assert handler.lines[0].split(" ")[2] == "-"  # the sign-in form: nobody yet
    assert handler.lines[-1].split(" ")[2] == "moderator"
