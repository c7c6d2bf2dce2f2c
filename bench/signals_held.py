"""What the benches that start a server share: a SIGTERM unwinds like Ctrl-C, and the
server they start is never left running, even when the signal comes while it starts."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

STOPPING = (signal.SIGINT, signal.SIGTERM)


def stop_on_sigterm() -> None:
    """A SIGTERM (a timeout, kill) raises KeyboardInterrupt, as Ctrl-C does."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block is done, then raise KeyboardInterrupt.

    Around ``subprocess.Popen``: interrupted inside it, after the fork, the child runs on
    and its Popen object is lost, so nothing is left to stop it (bench_load's test hit it).
    """
    caught = []
    previous = {number: signal.signal(number, lambda n, _: caught.append(n)) for number in STOPPING}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if caught:
        raise KeyboardInterrupt
