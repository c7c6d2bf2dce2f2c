"""Parsing a large file in a second process, so that parsing and database writes overlap.

Parsers are pure and ingest is the only writer, so the split is simple: the
child process reads, hashes and parses the file and sends the records in chunks
through a bounded queue (memory stays bounded however large the file); the
parent prepares them (:func:`moderation.prepare.prepare_comments`) and writes
them as they arrive. Where the line falls is a matter of balance: the
preparing is done between the writer's chunks, while the database is left to
others (see :mod:`moderation.ingest`).
Only :class:`ImportFormatError` crosses back as such; any other failure of the
child becomes a RuntimeError in the parent, so the import still rolls back.
"""

from __future__ import annotations

import dataclasses
import gc
import io
import multiprocessing
import operator
import queue as queue_module
from collections.abc import Callable, Iterator
from pathlib import Path

from .importers import detect_format, get_format, read_records
from .importers.decoding import SNIFF_BYTES
from .importers.records import CommentRecord, ImportFormatError, Record
from .prepare import HashingReader

CHUNK_RECORDS = 2000
QUEUE_CHUNKS = 8
"""At most this many chunks wait in the queue: the parser pauses when the writer lags."""
POLL_SECONDS = 1.0


class ChildParse:
    """Like :class:`moderation.prepare.StreamParse`, but the parsing runs in a child process."""

    def __init__(
        self,
        path: Path,
        source_name: str,
        format_name: str | None = None,
        on_read: Callable[[int], None] | None = None,
    ):
        with open(path, "rb") as stream:
            head = stream.read(SNIFF_BYTES)
        fmt = get_format(format_name) if format_name else detect_format(head, source_name)
        self.format_name = fmt.name
        self.path = path
        self.source_name = source_name
        self.on_read = on_read
        self.checksum: str | None = None
        self.size: int | None = None

    def records(self) -> Iterator[Record]:
        # spawn, not fork: the parent holds database connections and maybe threads.
        context = multiprocessing.get_context("spawn")
        messages = context.Queue(maxsize=QUEUE_CHUNKS)
        child = context.Process(
            target=_parse_into,
            args=(str(self.path), self.source_name, self.format_name, messages),
            daemon=True,
        )
        child.start()
        try:
            yield from self._receive(messages, child.is_alive)
        finally:
            if child.is_alive():
                child.terminate()
            child.join()
            messages.close()

    def _receive(self, messages, child_alive: Callable[[], bool]) -> Iterator[Record]:
        while True:
            try:
                kind, payload = messages.get(timeout=POLL_SECONDS)
            except queue_module.Empty:
                if not child_alive():
                    raise RuntimeError(
                        f"{self.source_name}: the parser process stopped unexpectedly"
                    ) from None
                continue
            if kind == "records":
                records, bytes_read = payload
                if self.on_read and bytes_read:
                    self.on_read(bytes_read)
                yield from _from_wire(records)
            elif kind == "done":
                self.checksum, self.size = payload
                return
            elif kind == "format-error":
                raise ImportFormatError(*payload)
            else:
                raise RuntimeError(f"{self.source_name}: parser failed: {payload}")


def _parse_into(path: str, source: str, format_name: str, messages) -> None:
    """The child's whole life: parse, send records in chunks, then say how it ended."""
    gc.freeze()  # as the import command does: see moderation.commands
    try:
        with open(path, "rb") as stream:
            read_since_last = 0

            def count(n: int) -> None:
                nonlocal read_since_last
                read_since_last += n

            reader = HashingReader(stream, count)
            buffered = io.BufferedReader(reader, buffer_size=SNIFF_BYTES)
            chunk: list[Record] = []
            for record in read_records(get_format(format_name), buffered, source):
                chunk.append(record)
                if len(chunk) >= CHUNK_RECORDS:
                    messages.put(("records", (_to_wire(chunk), read_since_last)))
                    chunk, read_since_last = [], 0
            while buffered.read(1 << 20):
                pass  # hash the whole file, even what the parser did not need
            messages.put(("records", (_to_wire(chunk), read_since_last)))
        messages.put(("done", (reader.sha256.hexdigest(), reader.size)))
    except ImportFormatError as error:
        messages.put(("format-error", (error.source, error.message, error.line)))
    except Exception as error:  # reported to the parent, which rolls the file back
        messages.put(("crash", repr(error)))


# Comments cross as plain tuples: a dataclass pickles through Python calls per object
# each way, several times slower, and comments are nearly all the traffic.

_comment_fields = operator.attrgetter(*[f.name for f in dataclasses.fields(CommentRecord)])


def _to_wire(chunk: list[Record]) -> list:
    return [_comment_fields(r) if type(r) is CommentRecord else r for r in chunk]


def _from_wire(chunk: list) -> list[Record]:
    return [CommentRecord(*r) if type(r) is tuple else r for r in chunk]
