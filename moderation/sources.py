"""Turning what the operator typed (files, folders, globs, ``-``) into sources to import."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

STDIN = "-"


@dataclass(frozen=True)
class Source:
    name: str
    path: Path | None
    """None for standard input."""

    @property
    def size(self) -> int | None:
        return self.path.stat().st_size if self.path else None


class SourceNotFound(Exception):
    pass


def expand_sources(arguments: list[str]) -> Iterator[Source]:
    """Each argument as files, in a stable order; folders are walked, hidden files left out."""
    for argument in arguments:
        if argument == STDIN:
            yield Source("<stdin>", None)
        elif glob.has_magic(argument):
            matches = sorted(glob.glob(argument, recursive=True))
            if not matches:
                raise SourceNotFound(f"{argument}: no file matches")
            for match in matches:
                yield from _files_under(Path(match))
        else:
            path = Path(argument)
            if not path.exists():
                raise SourceNotFound(f"{argument}: no such file or folder")
            found = False
            for source in _files_under(path):
                found = True
                yield source
            if not found:
                raise SourceNotFound(f"{argument}: a folder with no files in it")


def _files_under(path: Path) -> Iterator[Source]:
    if path.is_file():
        yield Source(str(path), path)
        return
    for folder, subfolders, files in os.walk(path):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                file_path = Path(folder, name)
                yield Source(str(file_path), file_path)
