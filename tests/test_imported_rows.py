"""What triggers keep for single comments stays right for imported ones, on both databases:
the full-text search index, the queue's status counts and the reports' figures."""

from __future__ import annotations

import io

import sqlalchemy as sa
from test_reports_rollup import raw_figures, rollup_figures, same

from moderation import create_app
from moderation.database import ensure_schema
from moderation.extensions import db
from moderation.ingest import import_stream
from moderation.models import Comment
from moderation.queue import search_condition, status_counts

HEADER = "article_id,article_title,article_body,comment_id,author,text\n"


def import_csv(rows: str, name: str = "c.csv") -> None:
    assert import_stream(db.session, io.BytesIO((HEADER + rows).encode()), name).succeeded


def found(words: str) -> list[str]:
    condition, _ = search_condition(db.session, words)
    return sorted(db.session.scalars(sa.select(Comment.external_id).where(condition)))


def test_imported_comments_are_searchable(app):
    import_csv("a1,Bus lanes,Body.,1,Ann,The tram is late again\na1,Bus lanes,Body.,2,Bo,Buses\n")
    assert found("tram") == ["1"]
    assert found("late tram") == ["1"]
    assert found("bicycle") == []


def test_a_second_import_indexes_only_its_own_comments(app):
    import_csv("a1,Bus lanes,Body.,1,Ann,The tram is late again\n")
    import_csv("a1,Bus lanes,Body.,1,Ann,The tram is late again\na1,B,B,2,Bo,Tram fares\n", "d.csv")
    assert found("tram") == ["1", "2"]  # each once: nothing indexed twice


def test_an_edited_comment_is_found_by_its_new_text_only(app):
    import_csv("a1,Bus lanes,Body.,1,Ann,The tram is late again\n")
    import_csv("a1,Bus lanes,Body.,1,Ann,The ferry is late again\n", "edited.csv")
    assert found("ferry") == ["1"]
    assert found("tram") == []


def test_comments_added_outside_an_import_are_indexed_too(app):
    import_csv("a1,Bus lanes,Body.,1,Ann,Hello\n")
    article_id = db.session.scalar(sa.select(Comment.article_id))
    db.session.add(
        Comment(article_id=article_id, external_id="m1", body="hand made note", content_hash="x")
    )
    db.session.commit()
    assert found("note") == ["m1"]


def counted_by_status() -> dict[str, int]:
    query = sa.select(Comment.status, sa.func.count()).group_by(Comment.status)
    return dict(db.session.execute(query).all())


def test_imported_comments_are_counted_by_status(app):
    rows = "a1,T,B,1,Ann,One,approved\na1,T,B,2,Bo,Two,spam\na1,T,B,3,Cy,Three,\n"
    header = "article_id,article_title,article_body,comment_id,author,text,status\n"
    assert import_stream(db.session, io.BytesIO((header + rows).encode()), "s.csv").succeeded
    assert (
        status_counts(db.session) == counted_by_status() == {"approved": 1, "spam": 1, "pending": 1}
    )
    more = "a2,U,B,4,Di,Four,approved\na1,T,B,1,Ann,One,approved\n"
    assert import_stream(db.session, io.BytesIO((header + more).encode()), "t.csv").succeeded
    article_id = db.session.scalar(sa.select(Comment.article_id))
    db.session.add(
        Comment(article_id=article_id, external_id="m1", body="by hand", content_hash="x")
    )
    db.session.commit()
    assert (
        status_counts(db.session) == counted_by_status() == {"approved": 2, "spam": 1, "pending": 2}
    )


def test_reports_count_imported_comments(app):
    import_csv("a1,Bus lanes,Body.,1,Ann,The tram is late again\n")
    assert same(rollup_figures(), raw_figures())  # the rollup is now current
    import_csv("a1,Bus lanes,Body.,2,Bo,Buses\na2,Fares,Body.,3,Cy,Too dear\n", "more.csv")
    figures = rollup_figures()
    assert figures.comments == 3
    assert same(figures, raw_figures())


def test_a_large_import_accounted_for_along_the_way_counts_each_comment_once(app):
    # Written and committed 50 at a time, each chunk accounted for as it is written.
    statuses = ["approved", "spam", ""]
    rows = "".join(
        f"a{n % 3},T{n % 3},B,{n},Ann,Tram number {n},{statuses[n % 3]}\n" for n in range(180)
    )
    header = "article_id,article_title,article_body,comment_id,author,text,status\n"
    source = io.BytesIO((header + rows).encode())
    assert import_stream(db.session, source, "big.csv", chunk_size=50).succeeded
    assert found("tram") == sorted(str(n) for n in range(180))
    assert found("number 7") == ["7"]
    expected = {"approved": 60, "spam": 60, "pending": 60}
    assert status_counts(db.session) == counted_by_status() == expected


def test_sqlite_search_index_writes_large_segments(tmp_path):
    # Migration 0007: fewer, larger segments for the 40,000-comment index statements of an
    # import. SQLite only: PostgreSQL's search index is an expression index.
    sqlite_app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/s.sqlite"})
    with sqlite_app.app_context():
        ensure_schema()
        setting = "SELECT v FROM comments_fts_config WHERE k = 'hashsize'"
        assert db.session.execute(sa.text(setting)).scalar() == 16 * 1024 * 1024
