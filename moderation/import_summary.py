"""The import summary as rows and lines of text, shared by ``moderation import`` and the
web upload page, and the plain-text table the command line prints them in."""

from __future__ import annotations

from .ingest import ImportOutcome

SUMMARY_COLUMNS = [
    ("file", None),
    ("format", "format"),
    ("status", "status"),
    ("art new", "articles_new"),
    ("art upd", "articles_updated"),
    ("com new", "comments_new"),
    ("com upd", "comments_updated"),
    ("unchanged", "comments_unchanged"),
    ("pingbacks", "pingbacks"),
    ("skipped", "skipped"),
]


def summary_rows(outcomes: list[ImportOutcome]) -> list[list[str]]:
    rows = []
    for outcome in outcomes:
        batch = outcome.batch
        row = [batch.source_name]
        row += [
            str(getattr(batch, attr) or "-")
            if attr in ("format", "status")
            else str(getattr(batch, attr))
            for _, attr in SUMMARY_COLUMNS[1:]
        ]
        rows.append(row)
    return rows


def format_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells):
        return "  ".join(
            cell.ljust(width) if i < 3 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def problem_lines(outcomes: list[ImportOutcome]) -> list[str]:
    lines = []
    for outcome in outcomes:
        batch = outcome.batch
        if batch.error:
            lines.append(f"error: {batch.error}")
        for problem in batch.problems or []:
            where = (
                f"{batch.source_name}:{problem['line']}"
                if problem.get("line")
                else batch.source_name
            )
            lines.append(f"{problem['kind']}: {where}: {problem['message']}")
        hidden = outcome.problems_total - len(batch.problems or [])
        if hidden > 0:
            lines.append(f"... and {hidden} more problems in {batch.source_name}")
    return lines
