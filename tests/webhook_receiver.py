"""A real webhook receiver on loopback for the tests: a threaded HTTP server that keeps every
request it is sent and answers what the test tells it to, or is down for a while."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes


class Receiver:
    """Listens on 127.0.0.1 at a fixed port across :meth:`stop` and :meth:`start`.

    ``answers`` are the status codes of the next requests, in turn (then 204);
    ``hang`` makes it take requests and never answer, until :meth:`release`.
    """

    def __init__(self):
        self.received: list[Received] = []
        self.answers: list[int] = []
        self.hang = threading.Event()
        self.got_request = threading.Event()
        self._released = threading.Event()
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.received.append(Received(headers, body))
                receiver.got_request.set()
                if receiver.hang.is_set():
                    receiver._released.wait(30)
                    return
                status = receiver.answers.pop(0) if receiver.answers else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Down: connections to the port are refused until :meth:`start`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def release(self) -> None:
        self._released.set()
