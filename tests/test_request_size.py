"""Request bodies too large are refused on their Content-Length, before being read:
by waitress beyond the largest any view takes, by the app beyond what the view takes."""

from __future__ import annotations

import socket

import pytest
from live_server import serving_with

MB = 1024 * 1024


class UnreadableBody:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = readlines = read


def _post_unread(client, path, content_length):
    return client.post(
        path,
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input": UnreadableBody(), "CONTENT_LENGTH": str(content_length)},
    )


@pytest.mark.parametrize("path", ["/sign-in", "/queue/bulk", "/admin/import"])
def test_a_body_beyond_the_views_limit_is_refused_unread(app, client, path):
    response = _post_unread(client, path, app.config["MAX_CONTENT_LENGTH"] + 1)
    assert response.status_code == 413


def test_only_the_upload_takes_more_than_a_form(app, client):
    form_limit = app.config["MAX_FORM_CONTENT_LENGTH"]
    assert form_limit < 2 * MB < app.config["MAX_CONTENT_LENGTH"]
    response = _post_unread(client, "/sign-in", 2 * MB)
    assert response.status_code == 413
    assert "This page accepts at most 1 MB" in response.get_data(as_text=True)
    # The upload is not refused for its size: it is read, and then refused for want of
    # a CSRF token.
    response = client.post("/admin/import", data=b"x" * (2 * MB), content_type="text/plain")
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)


@pytest.mark.parametrize("server", ["waitress", "gunicorn"])
def test_the_server_answers_413_before_a_200_mb_body_is_sent(app, server):
    request = (
        "POST /sign-in HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {200 * MB}\r\n\r\n"
    )
    with (
        serving_with(server, app) as port,
        socket.create_connection(("127.0.0.1", port), timeout=5) as sock,
    ):
        sock.sendall(request.encode())  # the headers only: not one byte of the body
        answer = sock.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 413 ")
