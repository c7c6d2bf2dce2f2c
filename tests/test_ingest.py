"""Ingest on its own, fed by a stand-in format so that only ingest is under test."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from moderation.driver_insert import ROWS_PER_STATEMENT
from moderation.extensions import db
from moderation.importers import Format
from moderation.importers.records import (
    ArticleRecord,
    CommentRecord,
    ImportFormatError,
    Problem,
)
from moderation.ingest import _apart_from_parents, import_stream
from moderation.models import Article, Comment, CommentRevision, ImportBatch
from moderation.prepare import PreparedComment, prepare_comments
from moderation.queue import search_condition


def _parse_test_records(stream, source):
    """Each line: {"a": {...}} article, {"c": {...}} comment, {"p": msg} problem, {"fail": line}."""
    for number, line in enumerate(stream.read().decode().splitlines(), start=1):
        item = json.loads(line)
        if "a" in item:
            yield ArticleRecord(**item["a"])
        elif "c" in item:
            fields = item["c"]
            if fields.get("posted_at"):
                fields["posted_at"] = datetime.fromisoformat(fields["posted_at"])
            yield CommentRecord(**fields)
        elif "p" in item:
            yield Problem(item["p"], line=number)
        elif "boom" in item:
            raise RuntimeError("unexpected")
        else:
            raise ImportFormatError(source, "broken here", line=number)


RECORDS = Format("records", "test records", _parse_test_records, lambda head, name: 0)


def lines(*items) -> bytes:
    return "\n".join(json.dumps(item) for item in items).encode()


def run(data: bytes, name: str = "test.records"):
    return import_stream(db.session, io.BytesIO(data), name, format=RECORDS)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


ARTICLE = {
    "a": {"key": "post-1", "site": "example.org", "title": "Budget vote", "body": "The council..."}
}


def comment(external_id, body, parent=None, **extra):
    return {
        "c": {
            "article_key": "post-1",
            "external_id": external_id,
            "parent_external_id": parent,
            "body": body,
            "author_name": extra.pop("author", "Ann"),
            **extra,
        }
    }


def test_first_import_adds_articles_and_comments(app):
    outcome = run(lines(ARTICLE, comment("1", "First"), comment("2", "Reply", parent="1")))
    batch = outcome.batch
    assert outcome.succeeded
    assert (batch.articles_new, batch.comments_new, batch.comments_unchanged) == (1, 2, 0)
    assert batch.checksum and batch.size_bytes > 0 and batch.format == "records"
    reply = db.session.scalar(sa.select(Comment).where(Comment.external_id == "2"))
    assert reply.parent.external_id == "1"
    assert reply.article.title == "Budget vote"
    assert reply.status == "pending"


def test_importing_the_same_file_again_changes_nothing(app):
    data = lines(ARTICLE, comment("1", "First"), comment("2", "Reply", parent="1"))
    run(data)
    before = db.session.execute(sa.select(Comment.id, Comment.updated_at, Comment.body)).all()
    batch = run(data).batch
    assert (batch.articles_new, batch.articles_updated) == (0, 0)
    assert (batch.comments_new, batch.comments_updated, batch.comments_unchanged) == (0, 0, 2)
    assert (
        db.session.execute(sa.select(Comment.id, Comment.updated_at, Comment.body)).all() == before
    )
    assert count(CommentRevision) == 0


def test_newer_export_adds_new_comments_and_records_edits(app):
    run(lines(ARTICLE, comment("1", "First"), comment("2", "Reply")))
    batch = run(
        lines(ARTICLE, comment("1", "First, edited"), comment("2", "Reply"), comment("3", "New"))
    ).batch
    assert (batch.comments_new, batch.comments_updated, batch.comments_unchanged) == (1, 1, 1)
    edited = db.session.scalar(sa.select(Comment).where(Comment.external_id == "1"))
    assert edited.body == "First, edited"
    revision = db.session.scalar(sa.select(CommentRevision))
    assert revision.comment_id == edited.id and revision.previous_body == "First"
    assert count(Comment) == 3


def test_changed_article_counts_as_updated(app):
    run(lines(ARTICLE))
    changed = {"a": {**ARTICLE["a"], "body": "The council voted."}}
    assert run(lines(changed)).batch.articles_updated == 1
    assert db.session.scalar(sa.select(Article.body)) == "The council voted."


def test_comments_without_ids_are_found_again_by_content(app):
    same_twice = [comment(None, "+1"), comment(None, "+1"), comment(None, "Other", author="Bo")]
    first = run(lines(ARTICLE, *same_twice)).batch
    assert first.comments_new == 3
    again = run(lines(ARTICLE, comment(None, "Earlier one"), *same_twice)).batch
    assert (again.comments_new, again.comments_unchanged) == (1, 3)


def test_a_broken_source_leaves_no_data_and_a_failed_batch(app):
    outcome = run(lines(ARTICLE, comment("1", "First"), {"fail": True}), name="bad.records")
    assert not outcome.succeeded
    assert outcome.batch.error == "bad.records:3: broken here"
    assert count(Article) == 0 and count(Comment) == 0
    stored = db.session.scalar(sa.select(ImportBatch))
    assert stored.status == "failed" and "broken here" in stored.error


def test_an_unexpected_error_is_raised_after_recording_the_failure(app):
    with pytest.raises(RuntimeError):
        run(lines(ARTICLE, comment("1", "First"), {"boom": True}))
    assert count(Comment) == 0
    assert db.session.scalar(sa.select(ImportBatch.status)) == "failed"


def test_missing_parent_is_reported_and_comment_kept_top_level(app):
    outcome = run(lines(ARTICLE, comment("5", "Orphan", parent="404")))
    assert outcome.succeeded
    orphan = db.session.scalar(sa.select(Comment))
    assert orphan.parent_id is None
    assert any("parent 404 not found" in p["message"] for p in outcome.batch.problems)


def test_parent_arriving_in_a_later_file_is_linked(app):
    run(lines(ARTICLE, comment("2", "Reply", parent="1")))
    run(lines(ARTICLE, comment("1", "First")))
    reply = db.session.scalar(sa.select(Comment).where(Comment.external_id == "2"))
    assert reply.parent.external_id == "1"


def test_problems_and_unknown_articles_are_counted_as_skipped(app):
    stray = {"c": {"article_key": "nowhere", "external_id": "9", "body": "x"}}
    outcome = run(lines(ARTICLE, {"p": "post 7 has no thread"}, stray))
    assert outcome.batch.skipped == 2
    messages = [p["message"] for p in outcome.batch.problems]
    assert "post 7 has no thread" in messages
    assert any("unknown article 'nowhere'" in m for m in messages)


def test_source_status_sets_the_initial_moderation_status(app):
    run(
        lines(
            ARTICLE,
            comment("1", "a", source_status="1"),
            comment("2", "b", source_status="spam"),
            comment("3", "c", source_status="trash"),
            comment("4", "d", source_status="0"),
            comment("5", "e", source_status=None),
        )
    )
    statuses = dict(db.session.execute(sa.select(Comment.external_id, Comment.status)).all())
    assert statuses == {
        "1": "approved",
        "2": "spam",
        "3": "rejected",
        "4": "pending",
        "5": "pending",
    }


def test_pingbacks_are_counted_apart(app):
    batch = run(
        lines(ARTICLE, comment("1", "[…] x […]", kind="pingback"), comment("2", "hi"))
    ).batch
    assert (batch.comments_new, batch.pingbacks) == (2, 1)


def test_repeats_across_chunk_boundaries_are_not_duplicated(app):
    many = [comment(str(i), f"text {i}") for i in range(120)]
    batch = run(lines(ARTICLE, *many, comment("3", "text 3"), comment("3", "text 3 edited"))).batch
    assert batch.comments_new == 120
    assert count(Comment) == 120
    assert (
        db.session.scalar(sa.select(Comment.body).where(Comment.external_id == "3"))
        == "text 3 edited"
    )


def _known_comment_look_ups(statement: str) -> bool:
    return (
        statement.lstrip().startswith("SELECT")
        and "content_hash" in statement
        and ("FROM comments" in statement)
    )


def test_comments_of_an_article_new_in_their_chunk_are_not_looked_up(app):
    looked_up = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if _known_comment_look_ups(statement):
            looked_up.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        run(lines(ARTICLE, comment("1", "first"), comment("2", "second")))
        assert looked_up == []
        # Known now: the same file again looks its comments up, and adds nothing.
        batch = run(lines(ARTICLE, comment("1", "first"), comment("2", "second"))).batch
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert len(looked_up) == 1
    assert (batch.comments_new, batch.comments_unchanged) == (0, 2)
    assert count(Comment) == 2


def test_a_new_comment_on_a_known_thread_is_added_beside_the_stored_ones(app):
    run(lines(ARTICLE, comment("1", "first")))
    batch = run(lines(ARTICLE, comment("1", "first"), comment("2", "later reply"))).batch
    assert (batch.comments_new, batch.comments_unchanged, batch.articles_new) == (1, 1, 0)
    assert count(Comment) == 2


def test_dates_are_stored_and_returned_in_utc(app):
    posted = datetime(2024, 3, 1, 23, 30, tzinfo=UTC)
    run(lines(ARTICLE, comment("1", "late")))
    db.session.execute(sa.update(Comment).values(posted_at=posted))
    db.session.commit()
    assert db.session.scalar(sa.select(Comment.posted_at)) == posted


def test_an_edit_later_in_the_same_file_reaches_the_search_index(app):
    many = [comment(f"f{i}", f"filler {i}") for i in range(5)]
    outcome = run(
        lines(
            ARTICLE,
            comment("1", "the tram is late"),
            *many,
            comment("1", "the ferry is late", line=8),
        )
    )
    assert outcome.batch.problems == [
        {
            "line": 8,
            "kind": "notice",
            "message": "comment 1 appears again in this file with other content: "
            "the later one is kept, the earlier as an earlier version",
        }
    ]

    def found(words):
        condition, _ = search_condition(db.session, words)
        return list(db.session.scalars(sa.select(Comment.external_id).where(condition)))

    assert found("ferry") == ["1"]
    assert found("tram") == []
    assert sorted(found("filler")) == [f"f{i}" for i in range(5)]
    if db.session.get_bind().dialect.name == "sqlite":
        # An FTS 'delete' of a row never indexed would leave the index inconsistent.
        check = "INSERT INTO comments_fts (comments_fts) VALUES ('integrity-check')"
        db.session.execute(sa.text(check))


def test_imported_rows_are_stored_as_the_orm_stores_them(app):
    posted = datetime(2024, 3, 1, 23, 30, 5, tzinfo=UTC)
    run(lines(ARTICLE, comment("1", "imported", posted_at=posted.isoformat())))
    article_id = db.session.scalar(sa.select(Article.id))
    db.session.add(
        Comment(
            article_id=article_id,
            external_id="orm",
            body="by hand",
            content_hash="x",
            posted_at=posted,
        )
    )
    db.session.commit()
    stored_as_text = sa.select(
        sa.cast(Comment.posted_at, sa.String), Comment.version, Comment.kind, Comment.status
    ).order_by(Comment.id)
    imported, by_hand = db.session.execute(stored_as_text).all()
    assert imported == by_hand
    row = db.session.execute(sa.select(Comment).where(Comment.external_id == "1")).scalar_one()
    assert row.posted_at == posted
    assert row.created_at.tzinfo is UTC and row.created_at == row.updated_at
    assert abs((datetime.now(UTC) - row.created_at).total_seconds()) < 60


def test_preparing_is_idempotent_and_numbers_copies_of_the_same_text():
    records = [
        ArticleRecord(key="post-1"),
        CommentRecord(article_key="post-1", body="same", author_name="Ann"),
        CommentRecord(article_key="post-1", body="same", author_name="Ann"),
        CommentRecord(article_key="elsewhere", body="orphan"),
    ]
    once = list(prepare_comments(records))
    assert list(prepare_comments(once)) == once
    first, second = once[1], once[2]
    assert isinstance(first, PreparedComment) and isinstance(second, PreparedComment)
    assert first.external_id != second.external_id and first.external_id.startswith("h:")
    assert first.content_hash == second.content_hash
    assert once[3] is records[3]  # an unknown article's comment is left for ingest to report


def test_replies_are_linked_to_parents_earlier_in_the_file_and_later_in_it(app):
    outcome = run(
        lines(
            ARTICLE,
            comment("1", "First"),
            comment("2", "Reply", parent="1"),
            comment("4", "Reply to a later one", parent="3"),
            comment("3", "Reply to the reply", parent="2"),
        )
    )
    assert outcome.succeeded and outcome.batch.problems == []
    parents = db.session.execute(
        sa.select(Comment.external_id, Comment.parent_id).order_by(Comment.external_id)
    ).all()
    ids = {
        external_id: id_
        for external_id, id_ in db.session.execute(sa.select(Comment.external_id, Comment.id))
    }
    assert dict(parents) == {"1": None, "2": ids["1"], "3": ids["2"], "4": ids["3"]}


def test_a_long_reply_chain_is_linked_across_statements(app):
    chain = [comment("1", "Start")] + [
        comment(str(n), f"Reply {n}", parent=str(n - 1)) for n in range(2, 302)
    ]
    outcome = run(lines(ARTICLE, *chain))
    assert outcome.succeeded and outcome.batch.problems == []
    child, parent = sa.orm.aliased(Comment), sa.orm.aliased(Comment)
    pairs = db.session.execute(
        sa.select(child.external_id, parent.external_id).join(parent, child.parent_id == parent.id)
    ).all()
    assert sorted(pairs) == sorted((str(n), str(n - 1)) for n in range(2, 302))


row_keys = st.tuples(st.integers(1, 3), st.sampled_from("abcdefgh"))


@given(st.lists(st.tuples(row_keys, st.none() | st.sampled_from("abcdefgh")), max_size=300))
def test_statements_never_hold_a_reply_after_its_parent(rows_spec):
    rows = [(article_id, external_id, parent) for (article_id, external_id), parent in rows_spec]
    statements = list(_apart_from_parents(rows))
    assert [row for statement in statements for row in statement] == rows
    for statement in statements:
        assert 0 < len(statement) <= ROWS_PER_STATEMENT
        for position, (article_id, _, parent) in enumerate(statement):
            earlier = {(row[0], row[1]) for row in statement[:position]}
            assert (article_id, parent) not in earlier


def test_a_comment_that_is_its_own_parent_is_cut_loose_with_a_notice(app):
    outcome = run(lines(ARTICLE, comment("1", "Me, myself", parent="1")))
    assert outcome.succeeded
    only = db.session.scalars(sa.select(Comment)).one()
    assert only.parent_id is None and only.parent_external_id is None
    assert [p["message"] for p in outcome.batch.problems] == [
        "comment 1 names itself as its parent; kept as a top-level comment"
    ]


def test_a_loop_of_replies_is_cut_once_and_reimporting_changes_nothing(app):
    data = lines(
        ARTICLE,
        comment("1", "Top"),
        comment("2", "Loop start", parent="4"),
        comment("3", "In the loop", parent="2"),
        comment("4", "Closes it", parent="3"),
        comment("5", "Under the loop", parent="3"),
    )
    outcome = run(data)
    parents = dict(
        db.session.execute(
            sa.select(Comment.external_id, Comment.parent_external_id).order_by(Comment.id)
        ).all()
    )
    # 2 came before its parent 4, so its link was the last one made, closing the loop.
    assert parents == {"1": None, "2": None, "3": "2", "4": "3", "5": "3"}
    assert [p["message"] for p in outcome.batch.problems] == [
        "comment 2: its parent 4 is one of its own replies (a loop of replies); "
        "kept as a top-level comment"
    ]
    again = run(data)
    assert again.batch.problems == [] and again.batch.comments_unchanged == 5
    assert again.batch.comments_new == again.batch.comments_updated == 0


def test_a_loop_closed_across_two_files_is_cut(app):
    run(lines(ARTICLE, comment("1", "First", parent="2")))  # its parent is not there yet
    outcome = run(lines(ARTICLE, comment("2", "Second", parent="1")))
    rows = db.session.execute(sa.select(Comment.external_id, Comment.parent_id)).all()
    assert sum(parent is None for _, parent in rows) == 1
    assert (
        len(outcome.batch.problems) == 1
        and "loop of replies" in outcome.batch.problems[0]["message"]
    )


def test_a_long_chain_of_replies_in_reverse_order_is_no_loop(app):
    chain = [comment(str(n), f"Reply {n}", parent=str(n - 1)) for n in range(600, 1, -1)]
    outcome = run(lines(ARTICLE, *chain, comment("1", "Top")))
    assert outcome.batch.problems == []
    linked = db.session.scalar(
        sa.select(sa.func.count()).select_from(Comment).where(Comment.parent_id.is_not(None))
    )
    assert linked == 599
