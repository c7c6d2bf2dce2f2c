"""The worker: Huey's consumer running the jobs of :mod:`moderation.jobs`.

``moderation worker`` runs one in the foreground. ``moderation serve`` starts one beside
the server unless ``--no-worker`` or ``EMBEDDED_WORKER = "off"`` says a separate worker
runs: by default in a process of its own (``"process"``), so that scoring, pure Python,
takes a core of its own instead of the server's; ``"thread"`` runs it in the server.

A worker starting clears the locks of runs that a killed worker left behind and asks
for a run of every job, which finds whatever a killed run left undone. So the embedded
worker simply ends with the server, in the middle of a run or not: the batches that run
committed stay, and the next start does the rest.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from multiprocessing.connection import Connection

from flask import Flask
from huey.consumer import Consumer

from .jobs import job_queue

EMBEDDED_MODES = ("process", "thread", "off")
POLL_SECONDS = (0.05, 0.5)
"""How often an idle worker looks at a SQLite queue: soon after work, then every half
second at most (Redis wakes it at once). The queue is its own file, so looking is cheap."""
STOP_SECONDS = 30
"""How long `moderation worker`, stopped with Ctrl-C, waits for the runs going on."""


def make_consumer(app: Flask, workers: int, consumer_class: type[Consumer] = Consumer) -> Consumer:
    """A consumer of the app's queue with ``workers`` threads; stale locks cleared, every
    job asked for once."""
    queue = job_queue(app)
    consumer = consumer_class(
        queue.huey,
        workers=workers,
        worker_type="thread",
        initial_delay=POLL_SECONDS[0],
        max_delay=POLL_SECONDS[1],
        extra_locks=",".join(queue.lock_names()),
        shutdown_timeout=STOP_SECONDS,
    )
    queue.run_all()
    return consumer


def run_worker(app: Flask, workers: int) -> None:
    """Run jobs until interrupted (Ctrl-C or SIGINT: the run going on finishes first)."""
    make_consumer(app, workers).run()


def configure_logging() -> None:
    """One line per job run on standard error; Huey's own lines only for trouble."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
    for name, level in (("moderation", logging.INFO), ("huey", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.addHandler(handler)


class _ServerOwnsSignals(Consumer):
    """A consumer in the server's process: the server keeps its own signal handling."""

    def _set_signal_handlers(self) -> None:
        pass


class EmbeddedWorker:
    """The worker ``moderation serve`` runs beside the server; :meth:`stop` ends it."""

    def __init__(self, app: Flask, mode: str, workers: int):
        if mode not in ("process", "thread"):
            raise ValueError(f"EMBEDDED_WORKER must be one of {', '.join(EMBEDDED_MODES)}")
        self.mode = mode
        self.process = self.connection = self.consumer = None
        if mode == "thread":
            self.consumer = make_consumer(app, workers, _ServerOwnsSignals)
            self.consumer.start()
            return
        # Spawned, not forked: a fork would copy the server's locks mid-use.
        context = multiprocessing.get_context("spawn")
        self.connection, child_end = context.Pipe()
        self.process = context.Process(
            target=_worker_process,
            args=(dict(app.config), app.instance_path, workers, child_end),
            name="moderation-worker",
            daemon=False,  # it ends itself when the server goes (see _worker_process)
        )
        self.process.start()
        child_end.close()
        # gunicorn forks its worker processes from this one: a fork must not count the
        # worker as its own child, or multiprocessing joins it when the fork exits (which
        # only its parent may). No public API says so; this is the set it joins at exit.
        os.register_at_fork(after_in_child=self._forget_in_fork)

    def _forget_in_fork(self) -> None:
        multiprocessing.process._children.discard(self.process)

    @property
    def pid(self) -> int:
        return self.process.pid if self.process else os.getpid()

    def stop(self) -> None:
        """End the worker now (see above: nothing is lost)."""
        if self.consumer is not None:
            self.consumer.stop()  # its threads end with the process
            return
        self.connection.close()  # the worker reads end-of-file and stops
        self.process.join(STOP_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def _worker_process(config: dict, instance_path: str, workers: int, server: Connection) -> None:
    """The embedded worker's process: the app on the same database and queue, until the
    server goes (its end of the pipe closes, whether it stopped or was killed)."""
    from . import create_app

    os.setpgrp()  # Ctrl-C stops the server, whose going stops this
    app = create_app(config)
    app.instance_path = instance_path
    configure_logging()

    def stop_when_the_server_goes() -> None:
        with contextlib.suppress(EOFError, OSError):
            server.recv()
        os.kill(os.getpid(), signal.SIGTERM)  # the consumer's immediate stop

    threading.Thread(target=stop_when_the_server_goes, daemon=True).start()
    run_worker(app, workers)
