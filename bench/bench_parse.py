"""Parse-only throughput and peak memory of the WXR and Disqus parsers.

    python bench/bench_parse.py                      # 1,000 articles x 200 comments each
    python bench/bench_parse.py --articles 100       # a tenth of that
    python bench/bench_parse.py --format wxr         # one format only
    python bench/bench_parse.py --format text        # the page-text lines only

Generates each export once in a temporary folder, then parses it in a child
process that only parses (records are counted and dropped: no database), so the
peak resident memory printed is that of parsing alone. Nothing is timed inside
the test suite; this script prints figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from generate_wxr import write_disqus, write_wxr  # noqa: E402

WRITERS = {"wxr": write_wxr, "disqus": write_disqus}
PAGE_LIMIT_SECONDS = 2.0
"""What a page must parse in: the 2 MB one-line page and the 10,000-comment page."""
SENTENCE = "The council voted on Tuesday to fund the new footbridge across the river. "


def one_line_page(size: int = 2_000_000) -> bytes:
    """A title, then the whole article on one line of ``size`` bytes (a page saved without
    line breaks)."""
    body = SENTENCE * (size // len(SENTENCE) + 1)
    return ("Council approves the bridge\n\n" + body[:size] + "\n").encode()


def many_comments_page(comments: int = 10_000) -> bytes:
    """An article with ``comments`` numbered "Name says" comments, as WordPress themes show."""
    parts = ["Council approves the bridge", "By Ann Writer", "March 3, 2020", "", SENTENCE * 5]
    parts += ["", f"{comments} Comments", ""]
    for number in range(1, comments + 1):
        parts += [
            f"  {number}. Reader {number} says",
            "",
            f"    March {number % 28 + 1}, 2020 at {number % 12 + 1}:{number % 60:02d} pm",
            "",
            f"    Comment number {number}: " + SENTENCE,
            "",
        ]
    return "\n".join(parts).encode()


def bench_pages() -> None:
    """Parse each page in this process, timing the best of three."""
    sys.path.insert(0, str(BENCH.parent))
    import io

    from moderation.importers import scraped_text
    from moderation.importers.records import ParsedSource

    pages = {
        "2 MB one-line page": one_line_page(),
        "10,000-comment page": many_comments_page(),
    }
    for name, raw in pages.items():
        timings, cpu_timings = [], []
        for _ in range(3):
            started, cpu_started = time.perf_counter(), time.process_time()
            parsed = ParsedSource.collect(scraped_text.parse(io.BytesIO(raw), name))
            timings.append(time.perf_counter() - started)
            cpu_timings.append(time.process_time() - cpu_started)
        seconds = min(timings)
        verdict = "ok" if seconds < PAGE_LIMIT_SECONDS else f"OVER {PAGE_LIMIT_SECONDS:.0f} s"
        print(
            f"parse text: {name}, {len(raw) / 1e6:.1f} MB, {len(parsed.comments):,} comments: "
            f"{seconds:.2f} s, cpu {min(cpu_timings):.2f} s "
            f"(best of 3; limit {PAGE_LIMIT_SECONDS:.0f} s: {verdict})"
        )


def parse_here(format_name: str, path: Path) -> None:
    """The child's side: parse ``path`` and print counts and timings as JSON."""
    sys.path.insert(0, str(BENCH.parent))
    from moderation.importers import disqus, wxr
    from moderation.importers.records import ArticleRecord, CommentRecord

    parse = {"wxr": wxr.parse, "disqus": disqus.parse}[format_name]
    comments = articles = others = 0
    rss_before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu_started = time.perf_counter(), time.process_time()
    with path.open("rb") as stream:
        for record in parse(stream, path.name):
            if isinstance(record, CommentRecord):
                comments += 1
            elif isinstance(record, ArticleRecord):
                articles += 1
            else:
                others += 1
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    report = {"comments": comments, "articles": articles, "problems": others}
    timings = {"seconds": seconds, "cpu_seconds": cpu_seconds}
    print(json.dumps({**report, **timings, "rss_before_kib": rss_before_kib}))


def parse_in_child(format_name: str, path: Path) -> tuple[dict, int]:
    """The child's report and its peak resident memory in KiB."""
    command = [sys.executable, __file__, "--child", format_name, str(path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.stdout.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"parsing {path} failed (exit {process.returncode})")
    return json.loads(output), usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--comments", type=int, default=200, help="comments per article")
    parser.add_argument("--format", choices=[*sorted(WRITERS), "text"], action="append")
    parser.add_argument("--child", nargs=2, metavar=("FORMAT", "PATH"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        parse_here(arguments.child[0], Path(arguments.child[1]))
        return
    formats = arguments.format or ["wxr", "disqus", "text"]
    with tempfile.TemporaryDirectory() as folder:
        for format_name in [name for name in formats if name != "text"]:
            path = Path(folder, f"{format_name}.xml")
            WRITERS[format_name](path, arguments.articles, arguments.comments, seed=0)
            size_mb = path.stat().st_size / 1e6
            report, peak_kib = parse_in_child(format_name, path)
            comments, seconds = report["comments"], report["seconds"]
            print(
                f"parse {format_name}: {report['articles']:,} articles, {comments:,} comments, "
                f"{size_mb:.0f} MB: {seconds:.1f} s ({report['cpu_seconds']:.1f} s CPU), "
                f"{comments / seconds:,.0f} comments/s, {size_mb / seconds:.1f} MB/s, "
                f"peak RSS {peak_kib / 1024:.0f} MB "
                f"({report['rss_before_kib'] / 1024:.0f} MB before parsing)"
            )
            path.unlink()
    if "text" in formats:  # last: a child started after it would inherit its peak memory
        bench_pages()


if __name__ == "__main__":
    main()
