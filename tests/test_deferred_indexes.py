"""A large import into a small SQLite table drops the per-author index and builds it
again at its end; anything else keeps it throughout."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from moderation import create_app, deferred_indexes
from moderation.database import ensure_schema
from moderation.extensions import db
from moderation.ingest import import_parsed
from moderation.models import Comment
from moderation.prepare import StreamParse

HEADER = "article_id,article_title,article_body,comment_id,parent_id,author,text\n"


def comment_indexes() -> dict[str, str]:
    rows = db.session.execute(
        sa.text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'comments'"
        )
    )
    return dict(rows.all())


def import_csv(text: str | bytes, name: str, file_bytes: int | None):
    data = text.encode() if isinstance(text, str) else text
    return import_parsed(
        db.session,
        name,
        lambda: StreamParse(io.BytesIO(data), name),
        chunk_size=50,
        file_bytes=file_bytes,
    )


@pytest.fixture
def sqlite_app(tmp_path):
    """SQLite alone, whatever databases the run has: PostgreSQL never drops indexes."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/d.db"})
    with app.app_context():
        ensure_schema()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def statements(sqlite_app):
    """Every SQL statement run from here on."""
    seen: list[str] = []
    sa.event.listen(db.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def dropped(statements: list[str]) -> list[str]:
    return [s for s in statements if s.startswith("DROP INDEX")]


def thread(count: int) -> str:
    # Each comment after the first replies to the one before: parents must all be found.
    rows = [
        f"a1,Buses,Body,{n},{n - 1 if n > 1 else ''},Ann{n % 7},Tram {n}\n"
        for n in range(1, count + 1)
    ]
    return HEADER + "".join(rows)


def test_the_decision(app):
    big = 40_000 * deferred_indexes.BYTES_PER_COMMENT
    sqlite = db.engine.dialect.name == "sqlite"
    assert deferred_indexes.worth_deferring(db.session, big, highest_id=0) is sqlite
    assert not deferred_indexes.worth_deferring(db.session, big, highest_id=40_000)
    assert not deferred_indexes.worth_deferring(db.session, None, highest_id=0)
    small = (deferred_indexes.MIN_COMMENTS - 1) * deferred_indexes.BYTES_PER_COMMENT
    assert not deferred_indexes.worth_deferring(db.session, small, highest_id=0)


def test_a_large_import_into_an_empty_table_builds_the_same_index_at_its_end(
    statements, monkeypatch
):
    monkeypatch.setattr(deferred_indexes, "MIN_COMMENTS", 10)
    before = comment_indexes()
    outcome = import_csv(
        thread(120), "big.csv", file_bytes=100 * deferred_indexes.BYTES_PER_COMMENT
    )
    assert outcome.succeeded
    assert dropped(statements) == ['DROP INDEX "ix_comments_author_queue"']
    assert comment_indexes() == before
    parents = db.session.execute(
        sa.select(Comment.external_id, Comment.parent_id).order_by(Comment.id)
    ).all()
    ids = {external_id: n for n, (external_id, _) in enumerate(parents, start=1)}
    assert [parent for _, parent in parents] == [None] + [ids[str(n)] for n in range(1, 120)]
    assert db.session.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"


def test_a_failed_import_leaves_the_indexes_as_they_were(statements, monkeypatch):
    monkeypatch.setattr(deferred_indexes, "MIN_COMMENTS", 10)
    before = comment_indexes()
    # Not UTF-8, far enough in that thousands of comments are written before it is found.
    broken = thread(3000).encode().replace(b"Tram 2900\n", b"Tram \xff\n")
    outcome = import_csv(broken, "broken.csv", file_bytes=100 * deferred_indexes.BYTES_PER_COMMENT)
    assert not outcome.succeeded
    assert dropped(statements)
    assert comment_indexes() == before
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


def test_an_import_smaller_than_the_table_keeps_the_indexes(statements, monkeypatch):
    monkeypatch.setattr(deferred_indexes, "MIN_COMMENTS", 10)
    assert import_csv(thread(120), "first.csv", file_bytes=None).succeeded
    assert dropped(statements) == []  # size unknown: nothing dropped
    more = thread(140)
    assert import_csv(
        more, "more.csv", file_bytes=100 * deferred_indexes.BYTES_PER_COMMENT
    ).succeeded
    assert dropped(statements) == []  # 100 expected, the table already holds 120
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 140
