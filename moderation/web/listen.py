"""The sockets ``moderation serve`` listens on, bound before waitress starts.

Binding them here, not inside waitress, lets a busy or forbidden port be told in
one line: waitress would raise from inside its server with its worker threads
already started and its sockets left open.
"""

from __future__ import annotations

import errno
import socket


class CannotListen(Exception):
    """The address or port cannot be listened on; the message says why and what to do."""


def bind_sockets(host: str, port: int) -> list[socket.socket]:
    """Sockets listening on every address ``host`` resolves to, for waitress's
    ``sockets=``; raises CannotListen with a one-line explanation.

    They listen at once, so a request sent as soon as ``serve`` says it is serving
    waits in the queue instead of being refused while waitress starts."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise CannotListen(f"cannot listen on {host!r}: {error.strerror}") from None
    bound: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(addresses):
            sock = socket.socket(family, kind, proto)
            bound.append(sock)
            # As waitress does: a port whose last server just stopped can be reused at once.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if port == 0 and len(bound) > 1:
                # Every address of the host on the one port the system chose first.
                address = (address[0], bound[0].getsockname()[1], *address[2:])
            sock.bind(address)
            sock.listen(1024)  # waitress's default backlog
    except OSError as error:
        for sock in bound:
            sock.close()
        raise CannotListen(_explain(error, host, port)) from None
    return bound


def _explain(error: OSError, host: str, port: int) -> str:
    another = "choose another with --port, e.g. --port " + str(port + 1 if port < 65535 else 8000)
    if error.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use by another program; {another}"
    if error.errno == errno.EACCES:
        return f"not allowed to listen on port {port} (below 1024 needs root); {another}"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine; choose another with --host"
    return f"cannot listen on {host}:{port}: {error.strerror}"
