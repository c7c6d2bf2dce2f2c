"""The ``moderation`` command line: thin commands over the library functions."""

from __future__ import annotations

import gc
import os
import sys
import tempfile
from contextlib import nullcontext
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from tqdm import tqdm

from . import decision_export
from .database import ensure_schema
from .extensions import db
from .import_summary import SUMMARY_COLUMNS, format_table, problem_lines, summary_rows
from .importers import format_names, get_format
from .ingest import ImportOutcome, import_parsed
from .parse_worker import ChildParse
from .prepare import StreamParse
from .reports import summaries
from .reports.context import current_context
from .reports.filters import FilterError, report_zone
from .scoring_runner import ScoreRunSummary, score_stale
from .sources import Source, SourceNotFound, expand_sources
from .webhooks import commands as webhook_commands

EVALUATION_FOLDER = Path(__file__).resolve().parent.parent / "tests" / "data"
EVALUATION_DATA = EVALUATION_FOLDER / "offtopic_eval.jsonl"
# SemEval-2016 Task 3 (Qatar Living), labelled by others: the check that drift generalises.
SHARED_EVALUATION_DATA = EVALUATION_FOLDER / "semeval2016-ql-train2.wxr.xml.gz"
SHARED_EVALUATION_LABELS = EVALUATION_FOLDER / "semeval2016-ql-train2.labels.json"

# Files smaller than this import too fast for a progress bar to help.
PROGRESS_MIN_BYTES = 5 * 1024 * 1024
# Files at least this large are parsed in a second process while this one writes;
# below it, starting that process costs more than it saves.
PARSE_IN_CHILD_MIN_BYTES = 16 * 1024 * 1024


def import_one(source: Source, format_name: str | None, site: str) -> ImportOutcome:
    size = source.size
    show_progress = size is not None and size >= PROGRESS_MIN_BYTES
    bar = (
        tqdm(total=size, unit="B", unit_scale=True, desc=source.path.name, leave=False)
        if show_progress
        else nullcontext()
    )
    on_read = bar.update if show_progress else None
    options = {
        "default_site": site,
        "chunk_size": current_app.config["IMPORT_CHUNK_SIZE"],
        "format_name": format_name,
        "on_chunk": _show_progress(bar) if show_progress else None,
    }
    with bar:
        if size is not None and size >= PARSE_IN_CHILD_MIN_BYTES:
            return import_parsed(
                db.session,
                source.name,
                lambda: ChildParse(source.path, source.name, format_name, on_read),
                **options,
            )
        fmt = get_format(format_name) if format_name else None
        with open(source.path, "rb") if source.path else nullcontext(sys.stdin.buffer) as stream:
            return import_parsed(
                db.session,
                source.name,
                lambda: StreamParse(
                    stream, source.name, fmt, on_read, standard_input=source.path is None
                ),
                **options,
            )


def _show_progress(bar: tqdm):
    """After each committed chunk, the batch's progress beside the bytes read."""

    def show(batch) -> None:
        stored = f"{batch.comments_new:,} comments stored, {batch.chunks_committed} chunks"
        bar.set_postfix_str(stored)

    return show


@click.command("import")
@with_appcontext
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "format_name", help="Skip detection: text, wxr, disqus, csv or jsonl.")
@click.option("--site", default=None, help="Site name for articles whose source names none.")
@click.option("--strict", is_flag=True, help="Exit non-zero when any record was skipped.")
@click.option("--no-score", is_flag=True, help="Import only; score later with `moderation score`.")
def import_command(
    paths: tuple[str, ...], format_name: str | None, site: str | None, strict: bool, no_score: bool
):
    """Import comment threads from files, folders, globs or - (standard input)."""
    if format_name and format_name not in format_names():
        raise click.BadParameter(
            f"choose one of {', '.join(format_names())}", param_hint="--format"
        )
    ensure_schema()
    try:
        sources = list(expand_sources(list(paths)))
    except SourceNotFound as error:
        raise click.ClickException(str(error)) from None
    site = current_app.config["DEFAULT_SITE"] if site is None else site
    # What is loaded now outlives the import; frozen, the garbage collector stops
    # rescanning it while the import allocates millions of short-lived objects.
    gc.freeze()
    try:
        outcomes = [import_one(source, format_name, site) for source in sources]
    finally:
        gc.unfreeze()  # collectable again, for whatever runs in this process next

    header = [title for title, _ in SUMMARY_COLUMNS]
    click.echo(format_table(header, summary_rows(outcomes)))
    for line in problem_lines(outcomes):
        click.echo(line, err=True)
    failed = [o for o in outcomes if not o.succeeded]
    skipped = sum(o.batch.skipped for o in outcomes)
    click.echo(
        f"{len(outcomes) - len(failed)} of {len(outcomes)} files imported"
        + (f", {len(failed)} failed" if failed else "")
        + (f", {skipped} records skipped" if skipped else "")
    )
    if not no_score and any(o.succeeded for o in outcomes):
        run_scoring(rescore_all=False, workers=None)
    if failed or (strict and skipped):
        sys.exit(1)


def run_scoring(rescore_all: bool, workers: int | None) -> ScoreRunSummary:
    bar = tqdm(unit=" comments", desc="scoring", leave=False, disable=None)

    def advance(scored: int, total: int) -> None:
        bar.total = total
        bar.update(scored)

    with bar:
        summary = score_stale(
            db.session, rescore_all=rescore_all, workers=workers, progress=advance
        )
    if summary.reprioritised:
        click.echo(f"re-prioritised {summary.reprioritised} comments for new weights")
    if summary.total == 0:
        if not summary.reprioritised:
            click.echo("scores: all up to date")
        return summary
    rate = summary.comments_scored / summary.seconds if summary.seconds else 0
    click.echo(
        f"scored {summary.comments_scored} comments in {summary.threads} threads "
        f"({summary.seconds:.1f} s, {rate:,.0f}/s, {summary.workers} process"
        f"{'es' if summary.workers > 1 else ''}); "
        f"{summary.duplicates_flagged} flagged as duplicates, "
        f"{summary.near_duplicates_flagged} as near-duplicate campaigns, "
        f"{summary.watchword_decisions} rejected or held by watch-words, "
        f"{summary.author_decisions} decided by author rules"
    )
    if summary.interrupted:
        click.echo("interrupted: finished batches are saved; run `moderation score` to go on")
        sys.exit(130)
    # Recount the report summaries now, so the first report opened after an import is quick.
    context = current_context(db.session)
    summaries.refresh(db.session, context.off_topic_threshold, context.zone)
    return summary


@click.command("score")
@with_appcontext
@click.option(
    "--all", "rescore_all", is_flag=True, help="Rescore every comment, not only stale ones."
)
@click.option("--workers", type=click.IntRange(1, 64), help="Processes to use (default: by size).")
def score_command(rescore_all: bool, workers: int | None):
    """Score comments whose scores are missing or stale (config, text or scorer changed)."""
    ensure_schema()
    run_scoring(rescore_all, workers)


@click.command("worker")
@with_appcontext
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Jobs run at once (threads; one run of each job at a time). Default: JOB_WORKERS.",
)
def worker_command(workers: int | None):
    """Run background jobs (scoring, report refreshes) until stopped with Ctrl-C."""
    from .jobs import QueueConfigError, queue_description
    from .worker import configure_logging, run_worker

    ensure_schema()
    app = current_app._get_current_object()
    if app.config.get("JOB_QUEUE_IMMEDIATE"):
        raise click.ClickException("JOB_QUEUE_IMMEDIATE is set: jobs run where requested")
    workers = workers or app.config["JOB_WORKERS"]
    try:
        description = queue_description(app)
        configure_logging()
        click.echo(f"worker: {workers} thread(s) on the queue {description} (Ctrl-C to stop)")
        run_worker(app, workers)
    except QueueConfigError as error:
        raise click.ClickException(str(error)) from None


@click.command("evaluate")
@click.argument(
    "path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--labels",
    "labels_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Labels of PATH's comments, {id: Good|PotentiallyUseful|Bad}; PATH is then any "
    "file `import` reads (.gz too).",
)
def evaluate_command(path: Path | None, labels_path: Path | None):
    """Measure drift and sentiment against labelled comments, beside the set labelled here.

    Without PATH: the set labelled here and the bundled SemEval-2016 set, side by side.
    """
    from .evaluation import evaluate_file, format_side_by_side

    if labels_path is not None and path is None:
        raise click.UsageError("--labels needs the PATH of the file it labels")
    if path is None:
        sets = [
            ("labelled here", EVALUATION_DATA, None),
            ("SemEval-2016", SHARED_EVALUATION_DATA, SHARED_EVALUATION_LABELS),
        ]
    else:
        sets = [("labelled here", EVALUATION_DATA, None), (path.name, path, labels_path)]
        if path.resolve() == EVALUATION_DATA.resolve() and labels_path is None:
            sets = sets[:1]
    reports = []
    for name, data, labels in sets:
        try:
            report = evaluate_file(data, labels)
        except ValueError as error:
            raise click.ClickException(f"{data}: {error}") from error
        reports.append((name, report))
        click.echo(f"== {name}: {data.name}" + (f" with {labels.name}" if labels else ""))
        click.echo(report.format())
        click.echo("")
    if len(reports) > 1:
        click.echo("== side by side")
        click.echo(format_side_by_side(reports))


@click.command("init")
@with_appcontext
def init_command():
    """Create the database or bring it up to the current schema."""
    ensure_schema()
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("export-decisions")
@with_appcontext
@click.option(
    "--format", "fmt", type=click.Choice(decision_export.FORMATS), default="csv", show_default=True
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (whole or not at all) instead of standard output.",
)  # fmt: skip
@click.option("--since", help="First day (YYYY-MM-DD, in REPORT_TIMEZONE).")
@click.option("--until", help="Last day, included.")
@click.option("--action", type=click.Choice(decision_export.EXPORT_ACTIONS))
@click.option("--moderator", help="Only this account's decisions (its username).")
@click.option("--article", type=click.IntRange(1, 2**31 - 1), help="Only this article's (id).")
@click.option("--site", help="Only comments on this site's articles.")
def export_decisions_command(fmt, output, since, until, action, moderator, article, site):
    """Export decisions (the audit log) as CSV or JSON, oldest first."""
    ensure_schema()
    try:
        wanted = decision_export.DecisionFilter.from_strings(
            since, until, action, moderator, str(article) if article else None, site
        )
        zone = report_zone(current_app.config.get("REPORT_TIMEZONE"))
        pieces = decision_export.export_decisions(db.session, wanted, fmt, zone)
    except FilterError as error:
        raise click.BadParameter(str(error)) from None
    if output is None:
        for piece in pieces:
            sys.stdout.write(piece)
        return
    _write_whole(output, pieces)
    click.echo(f"wrote {output}", err=True)


def _write_whole(path: Path, pieces) -> None:
    """Into a temporary file beside ``path``, renamed over it once complete: an export
    that fails half-way leaves the earlier file, or none, never half of one."""
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.")
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as file:
            file.writelines(pieces)
        os.replace(temporary, path)
    except BaseException as error:
        os.unlink(temporary)
        if isinstance(error, OSError):
            raise click.ClickException(f"cannot write {path}: {error.strerror or error}") from None
        raise


def init_app(app: Flask) -> None:
    app.cli.add_command(import_command)
    app.cli.add_command(init_command)
    app.cli.add_command(score_command)
    app.cli.add_command(evaluate_command)
    app.cli.add_command(export_decisions_command)
    app.cli.add_command(worker_command)
    webhook_commands.init_app(app)
