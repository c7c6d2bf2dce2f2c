"""Imports commit a chunk at a time: moderators decide meanwhile, see nothing of an
import until it succeeds, and a failed one leaves nothing of itself."""

from __future__ import annotations

import contextlib
import csv
import io

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

from moderation.copy_comments import CopyComments
from moderation.decisions import decide
from moderation.extensions import db
from moderation.importers.records import ImportFormatError
from moderation.ingest import comment_writer, import_parsed, import_stream
from moderation.models import Article, Comment, CommentRevision, ImportBatch
from moderation.prepare import StreamParse
from moderation.queue import QueueFilter, queue_page, search_condition, status_counts

HEADER = ["article_id", "article_title", "article_body", "comment_id", "author", "text"]


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


def thread(article: str, first: int, count: int, word: str) -> list[list[str]]:
    return [
        [article, f"Title {article}", "Body", str(n), f"author{n % 3}", f"{word} comment {n}"]
        for n in range(first, first + count)
    ]


class FailingParse(StreamParse):
    """A CSV parse that fails after ``after`` records, as a file broken half-way does."""

    def __init__(self, data: bytes, after: int):
        super().__init__(io.BytesIO(data), "broken.csv")
        self.after = after

    def records(self):
        for number, record in enumerate(super().records()):
            if number == self.after:
                raise ImportFormatError("broken.csv", "the file ends in a broken row", 99)
            yield record


def snapshot() -> dict:
    """Everything an import could leave behind, as moderators and reports see it."""
    db.session.expire_all()
    return {
        "comments": sorted(
            db.session.execute(sa.select(Comment.external_id, Comment.body, Comment.status)).all()
        ),
        "articles": sorted(db.session.scalars(sa.select(Article.key))),
        "revisions": db.session.scalar(sa.select(sa.func.count()).select_from(CommentRevision)),
        "counts": status_counts(db.session),
        "found": found("tram"),
    }


def found(word: str) -> list[str]:
    condition, _ = search_condition(db.session, word)
    return sorted(db.session.scalars(sa.select(Comment.external_id).where(condition)))


def test_a_failed_import_midway_leaves_nothing_of_itself(app):
    assert import_stream(db.session, io.BytesIO(csv_bytes(thread("a1", 1, 5, "bus"))), "first.csv")
    before = snapshot()
    # An edit of a known comment, a new article and 60 new comments, in chunks of 10.
    edited = [["a1", "Title a1", "Body", "1", "author1", "tram edited"]]
    rows = edited + thread("a1", 6, 30, "tram") + thread("a2", 100, 30, "tram")
    outcome = import_parsed(
        db.session, "broken.csv", lambda: FailingParse(csv_bytes(rows), after=55), chunk_size=10
    )
    assert not outcome.succeeded and "broken row" in outcome.batch.error
    assert outcome.batch.chunks_committed >= 4  # chunks were committed before it failed
    assert outcome.batch.comments_new == 0
    assert snapshot() == before


def test_an_interrupted_import_is_removed_on_the_next_start(app):
    from moderation.interrupted_imports import mark_interrupted_imports

    assert import_stream(db.session, io.BytesIO(csv_bytes(thread("a1", 1, 3, "bus"))), "a.csv")
    before = snapshot()
    stopped: list[int] = []

    def die_after_two_chunks(batch: ImportBatch) -> None:
        if batch.chunks_committed == 2:
            stopped.append(batch.id)
            raise KeyboardInterrupt  # stands for the process being killed: nobody cleans up

    rows = thread("a2", 10, 40, "tram")
    with contextlib.suppress(KeyboardInterrupt):
        import_parsed(
            db.session,
            "killed.csv",
            lambda: StreamParse(io.BytesIO(csv_bytes(rows)), "killed.csv"),
            chunk_size=10,
            on_chunk=die_after_two_chunks,
        )
    # Stopped by an exception, the import's own clean-up ran: nothing is left of it.
    db.session.rollback()
    batch = db.session.get(ImportBatch, stopped[0])
    assert batch.status == "failed" and snapshot() == before
    # ...and without the clean-up: the next start removes what two chunks committed.
    rows = thread("a3", 100, 40, "tram")
    killed = _import_left_running(rows, chunks=2)
    assert db.session.scalar(sa.select(sa.func.count()).where(Comment.import_batch_id == killed))
    [interrupted] = mark_interrupted_imports(db.session)
    assert interrupted.id == killed
    after = snapshot()
    assert after == before
    assert db.session.get(ImportBatch, killed).status == "failed"


def _import_left_running(rows: list[list[str]], chunks: int) -> int:
    """Commit ``chunks`` chunks of an import, then leave it as a killed process would."""
    from moderation.interrupted_imports import this_process

    host, _ = this_process()
    seen: list[int] = []

    class Killed(BaseException):
        pass

    def kill(batch: ImportBatch) -> None:
        if batch.chunks_committed == chunks:
            seen.append(batch.id)
            raise Killed

    import moderation.ingest as ingest

    original, ingest.remove_batch_rows = ingest.remove_batch_rows, lambda session, batch_id: 0
    try:
        import_parsed(
            db.session,
            "killed.csv",
            lambda: StreamParse(io.BytesIO(csv_bytes(rows)), "killed.csv"),
            chunk_size=10,
            on_chunk=kill,
        )
    except Killed:
        pass
    finally:
        ingest.remove_batch_rows = original
    db.session.execute(
        sa.update(ImportBatch)
        .where(ImportBatch.id == seen[0])
        .values(status="running", runner_host=host, runner_pid=2**22 + 12345, error=None)
    )
    db.session.commit()
    return seen[0]


def test_a_decision_succeeds_between_chunks_and_the_import_stays_hidden_until_it_ends(app, users):
    assert import_stream(db.session, io.BytesIO(csv_bytes(thread("a1", 1, 3, "bus"))), "a.csv")
    known = db.session.scalars(sa.select(Comment).order_by(Comment.id)).first()
    before = snapshot()
    moderator_id = users["moderator"].id
    during: list[dict] = []

    def moderate(batch: ImportBatch) -> None:
        # Another moderator, on a connection of their own, while the import runs.
        with so.Session(db.engine) as other:
            moderator = other.get(type(users["moderator"]), moderator_id)
            if not during:
                decision = decide(other, known.id, known.version, "approved", moderator)
                assert decision.to_status == "approved"
            page = queue_page(other, QueueFilter.from_args({"tab": "all"}))
            search = queue_page(other, QueueFilter.from_args({"tab": "all", "q": "tram"}))
            during.append(
                {
                    "batch": (batch.status, batch.comments_new),
                    "queue": sorted(item.comment.external_id for item in page.items),
                    "found": search.items,
                    "total": sum(status_counts(other).values()),
                }
            )

    rows = thread("a2", 10, 35, "tram")
    outcome = import_parsed(
        db.session,
        "big.csv",
        lambda: StreamParse(io.BytesIO(csv_bytes(rows)), "big.csv"),
        chunk_size=10,
        on_chunk=moderate,
    )
    assert outcome.succeeded and outcome.batch.chunks_committed == 4
    assert [d["batch"] for d in during] == [("running", n) for n in (10, 20, 30, 35)]
    for seen in during:
        assert seen["queue"] == sorted(c[0] for c in before["comments"])
        assert seen["found"] == [] and seen["total"] == 3
    db.session.expire_all()
    assert db.session.get(Comment, known.id).status == "approved"
    assert len(found("tram")) == 35 and sum(status_counts(db.session).values()) == 38


HOSTILE = [
    "tab\there and\ttwo",
    "line one\nline two\n\n  line three",
    "back\\slash \\N \\. \\t \\\\ end\\",
    "\\.",
    "quotes \" ' , ; | and a trailing tab\t",
    "unicode: café 東京 🚋 עברית \u200b zero width, \u00a0 nbsp",
]


def test_hostile_text_round_trips_exactly_through_the_bulk_writer(app):
    rows = [["a1", "Title", "Body", str(n), f"author {n}", text] for n, text in enumerate(HOSTILE)]
    # A reply to the first, to see the parent found within the chunk (COPY) or by subquery.
    data = csv_bytes(rows).decode()
    assert import_stream(db.session, io.BytesIO(data.encode()), "hostile.csv").succeeded
    stored = dict(db.session.execute(sa.select(Comment.external_id, Comment.body)).all())
    assert stored == {str(n): text.strip() for n, text in enumerate(HOSTILE)}
    assert found("café") == ["5"]
    is_copy = isinstance(comment_writer(db.engine.dialect), CopyComments)
    assert is_copy == (db.engine.dialect.name == "postgresql")


def test_site_reports_leave_out_a_running_import_and_count_it_once_it_ends(app):
    from test_reports_rollup import THRESHOLD, rollup_figures

    from moderation.reports import queries
    from moderation.reports.filters import ReportFilter

    assert import_stream(db.session, io.BytesIO(csv_bytes(thread("a1", 1, 3, "bus"))), "a.csv")
    during: list[int] = []

    def refresh_reports(batch: ImportBatch) -> None:
        with so.Session(db.engine) as other:
            during.append(queries.site_totals(other, ReportFilter(), THRESHOLD).figures.comments)
            other.commit()

    rows = thread("a1", 10, 25, "tram") + thread("a2", 50, 10, "tram")
    outcome = import_parsed(
        db.session,
        "more.csv",
        lambda: StreamParse(io.BytesIO(csv_bytes(rows)), "more.csv"),
        chunk_size=10,
        on_chunk=refresh_reports,
    )
    assert outcome.succeeded and during == [3, 3, 3, 3]
    assert rollup_figures().comments == 38


def test_on_postgresql_chunks_are_written_by_a_thread_of_their_own_one_at_a_time(app):
    """So that the server's work on one chunk overlaps the gathering of the next; SQLite,
    with one writer at a time, writes them in the importing thread."""
    import threading

    writers: list[str] = []
    progress: list[int] = []

    def note(batch: ImportBatch) -> None:
        writers.append(threading.current_thread().name)
        progress.append(batch.chunks_committed)

    outcome = import_parsed(
        db.session,
        "threads.csv",
        lambda: StreamParse(io.BytesIO(csv_bytes(thread("a1", 1, 25, "tram"))), "threads.csv"),
        chunk_size=10,
        on_chunk=note,
    )
    assert outcome.succeeded and progress == [1, 2, 3]
    in_own_thread = [name != threading.current_thread().name for name in writers]
    assert in_own_thread == [db.engine.dialect.name == "postgresql"] * 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 25


@pytest.mark.parametrize("many_authors", [False, True])
def test_author_reports_leave_out_a_running_import_and_count_it_once_it_ends(
    app, monkeypatch, many_authors
):
    from datetime import UTC, datetime

    from moderation.reports import queries, summaries
    from moderation.reports.filters import ReportFilter

    if many_authors:  # so many that the import's end asks for a full recount
        monkeypatch.setattr(summaries, "FULL_RECOUNT_ABOVE", 1)

    assert import_stream(db.session, io.BytesIO(csv_bytes(thread("a1", 1, 3, "bus"))), "a.csv")
    today = datetime.now(UTC).date()
    in_days, undated = ReportFilter(today, today), ReportFilter()
    during: list[tuple[int, int]] = []

    def total(session, report_filter) -> int:
        page = queries.author_rows(session, report_filter, 0.5)
        return sum(row["comments"] for row in page.table.rows)

    def refresh_reports(batch: ImportBatch) -> None:
        with so.Session(db.engine) as other:
            during.append((total(other, undated), total(other, in_days)))
            other.commit()

    outcome = import_parsed(
        db.session,
        "more.csv",
        lambda: StreamParse(io.BytesIO(csv_bytes(thread("a1", 10, 25, "tram"))), "more.csv"),
        chunk_size=10,
        on_chunk=refresh_reports,
    )
    assert outcome.succeeded and during == [(3, 3)] * 3
    recounted = summaries.refresh_authors(db.session, 0.5, queries.UTC_ZONE)
    assert recounted == (-1 if many_authors else 3)
    assert (total(db.session, undated), total(db.session, in_days)) == (28, 28)


def test_one_article_report_and_the_author_page_leave_out_a_running_import(app, auth):
    from moderation.reports import queries
    from moderation.reports.queries import UTC_ZONE

    assert import_stream(db.session, io.BytesIO(csv_bytes(thread("a1", 1, 3, "bus"))), "a.csv")
    later = import_stream(db.session, io.BytesIO(csv_bytes(thread("a1", 10, 6, "tram"))), "b.csv")
    article_id = db.session.scalar(sa.select(Article.id))
    auth.login_as("analyst")

    def seen() -> tuple[int, str]:
        report = queries.article_report(db.session, article_id, 0.5, UTC_ZONE)
        page = auth.client.get("/author?name=author1").get_data(as_text=True)
        return report.figures.comments, page.split("<dt>Comments</dt><dd>")[1].split(" ")[0]

    assert seen() == (9, "3")
    # The later import still running, as one whose chunks are committed is.
    db.session.execute(
        sa.update(ImportBatch).where(ImportBatch.id == later.batch.id).values(status="running")
    )
    db.session.commit()
    assert seen() == (3, "1")
