"""Recall and precision of the page-text reader over the hand-annotated real pages.

    python tests/page_corpus.py          # the figures per split and layout family

tests/data/pages/annotations.json gives, per saved page, its comments as a reader
sees them: author (None when the saved text lost the name) and the first words.
A comment found by the parser counts as right when its author and its first words
both match an annotated comment of the same page, in page order; a comment that
matches none is invented. The test in test_page_corpus.py holds the figures to
their targets; this module only measures.
"""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

if __name__ == "__main__":  # run as a script from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from moderation.importers.records import ParsedSource  # noqa: E402
from moderation.importers.scraped_text import parse  # noqa: E402
from moderation.prepare import PreparedComment, prepare_comments  # noqa: E402

PAGES = Path(__file__).resolve().parent / "data" / "pages"
ANNOTATIONS = PAGES / "annotations.json"
START_WINDOW = 120
"""The annotated first words must appear this early in the comment's text (a forum
post may keep a line of its header, such as the post's own title, above them)."""


def normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass
class Found:
    author: str | None
    body: str
    pingback: bool
    parent: int | None


@dataclass
class Counts:
    expected: int = 0
    found: int = 0
    matched: int = 0
    invented_on_empty_pages: int = 0
    parents_expected: int = 0
    parents_right: int = 0
    pages: int = 0
    notices: list[str] = field(default_factory=list)

    def add(self, other: Counts) -> None:
        for name in ("expected", "found", "matched", "invented_on_empty_pages"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.parents_expected += other.parents_expected
        self.parents_right += other.parents_right
        self.pages += other.pages
        self.notices += other.notices

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 1.0


def annotations() -> dict[str, dict]:
    return json.loads(ANNOTATIONS.read_text(encoding="utf-8"))["pages"]


def found_comments(name: str) -> tuple[list[Found], list[str]]:
    """The comments the parser finds on the page (parents as indices), and its notices."""
    raw = (PAGES / name).read_bytes()
    parsed = ParsedSource.collect(parse(io.BytesIO(raw), name))
    prepared = [r for r in prepare_comments(parsed.articles + parsed.comments)]
    comments = [r for r in prepared if isinstance(r, PreparedComment)]
    index_of = {c.external_id: i for i, c in enumerate(comments)}
    found = [
        Found(
            author=c.author_name or None,
            body=c.body,
            pingback=c.kind != "comment",
            parent=index_of.get(c.parent_external_id) if c.parent_external_id else None,
        )
        for c in comments
    ]
    return found, [p.message for p in parsed.problems]


def _same(expected: dict, found: Found) -> bool:
    author = expected["author"]
    if (author is None) != (found.author is None):
        return False
    if author is not None and normalised(author) != normalised(found.author):
        return False
    words = normalised(expected["starts"])
    return words in normalised(found.body)[: START_WINDOW + len(words)]


def score_page(entry: dict, found: list[Found], notices: list[str]) -> Counts:
    expected = entry["comments"]
    counts = Counts(expected=len(expected), found=len(found), pages=1, notices=notices)
    if not expected:
        counts.invented_on_empty_pages = len(found)
    # In page order: each found comment may match the next annotated ones only.
    match_of: dict[int, int] = {}  # annotated index -> found index
    next_found = 0
    for index, want in enumerate(expected):
        for candidate in range(next_found, len(found)):
            if _same(want, found[candidate]):
                match_of[index] = candidate
                next_found = candidate + 1
                break
    counts.matched = len(match_of)
    for index, want in enumerate(expected):
        if want["parent"] is None:
            continue
        counts.parents_expected += 1
        mine = match_of.get(index)
        if mine is not None and found[mine].parent == match_of.get(want["parent"]):
            counts.parents_right += 1
    return counts


def measure() -> dict[tuple[str, str], Counts]:
    """Counts by (split, family), plus ("all", family), (split, "all") and ("all", "all")."""
    table: dict[tuple[str, str], Counts] = {}
    for name, entry in annotations().items():
        found, notices = found_comments(name)
        counts = score_page(entry, found, notices)
        for key in (
            (entry["split"], entry["family"]),
            ("all", entry["family"]),
            (entry["split"], "all"),
            ("all", "all"),
        ):
            table.setdefault(key, Counts()).add(counts)
    return table


def report(table: dict[tuple[str, str], Counts]) -> str:
    rows = [f"{'split':9} {'family':13} {'pages':>5} {'want':>5} {'found':>5} {'right':>5} "
            f"{'recall':>7} {'precis.':>7} {'invented':>8} {'parents':>8}"]  # fmt: skip
    for (split, family), c in sorted(table.items()):
        parents = f"{c.parents_right}/{c.parents_expected}"
        rows.append(
            f"{split:9} {family:13} {c.pages:5} {c.expected:5} {c.found:5} {c.matched:5} "
            f"{c.recall:7.2f} {c.precision:7.2f} {c.invented_on_empty_pages:8} {parents:>8}"
        )
    return "\n".join(rows)


def page_report(split: str | None = None) -> str:
    """One line per page: what was wanted, found and matched (for tuning the reader)."""
    rows = []
    for name, entry in annotations().items():
        if split and entry["split"] != split:
            continue
        found, notices = found_comments(name)
        c = score_page(entry, found, notices)
        mark = "" if c.matched == c.expected == c.found else "  <--"
        rows.append(f"{name:38} want {c.expected:2} found {c.found:2} right {c.matched:2}{mark}")
        rows += ["    notice: " + " ".join(n.split())[:90] for n in notices]
    return "\n".join(rows)


if __name__ == "__main__":
    if "--pages" in sys.argv:
        print(page_report("dev"))
    print(report(measure()))
