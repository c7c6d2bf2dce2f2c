"""Imported comments are found by the full-text search, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import io

import sqlalchemy as sa

from moderation.extensions import db
from moderation.ingest import import_stream
from moderation.models import Comment
from moderation.queue import search_condition

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
