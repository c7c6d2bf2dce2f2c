"""Queue search: stemmed words, "phrases" and prefix*, on both databases, whatever is typed."""

import sqlite3

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation import queue, search_syntax
from moderation.extensions import db
from moderation.models import Article, Comment
from moderation.queue import search_condition
from moderation.search_syntax import Term

BODIES = {
    "plural": "The sanctions on Russia were lifted.",
    "past": "He was sanctioned by the league last year.",
    "single": "A sanction nobody expected.",
    "phrase": "Read the exact phrase here, then leave.",
    "reversed": "The phrase was exact, and here it is.",
    "hyphen": "Send me an e-mail about the network deal.",
    "quoted": 'She said "NEAR (body:x) -y" AND left.',
    "other": "Nothing to see about football.",
}


def add_comments(bodies=BODIES):
    # Only the columns named (and those with defaults): this runs at older revisions too.
    article_id = db.session.execute(
        sa.insert(Article)
        .values(site="s", key="a", title="a", body="", content_hash="a")
        .returning(Article.id)
    ).scalar_one()
    for position, (key, body) in enumerate(bodies.items()):
        db.session.add(
            Comment(
                article_id=article_id,
                external_id=key,
                position=position,
                body=body,
                content_hash=key,
            )
        )
    db.session.commit()


def found(text):
    condition, _ = search_condition(db.session, text)
    return sorted(db.session.scalars(sa.select(Comment.external_id).where(condition)))


# The syntax, without a database ---------------------------------------------------------


def test_words_phrases_and_prefixes():
    assert search_syntax.parse('sanction "exact phrase" sanct* e-mai*') == [
        Term("sanction"),
        Term("exact phrase"),
        Term("sanct", prefix=True),
        Term("e-mai", prefix=True),
    ]


def test_odd_input_is_words_or_nothing():
    assert search_syntax.parse('"unclosed phrase') == [Term("unclosed phrase")]
    assert search_syntax.parse('a""b') == [Term("a"), Term("b")]
    assert search_syntax.parse("NEAR(a b) body:x -y") == [
        Term("NEAR(a"),
        Term("b)"),
        Term("body:x"),
        Term("-y"),
    ]
    assert search_syntax.parse(' ... "" * ** "*" _ \x00 ') == []
    # A star after too short a word, or after punctuation, is no prefix.
    assert search_syntax.parse("ab* abc.* abc**") == [
        Term("ab"),
        Term("abc."),
        Term("abc", prefix=True),
    ]
    assert len(search_syntax.parse("w " * 100)) == search_syntax.MAX_TERMS


def test_fts5_query_is_quoted_strings_only():
    terms = search_syntax.parse('say "hi there" NEAR x* body:"a""b" sanct*')
    assert search_syntax.fts5_query(terms) == '"say" "hi there" "NEAR" "x" "body:" "a" "b" "sanct"*'


@pytest.fixture(scope="module")
def fts5_table():
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='porter unicode61 remove_diacritics 2')"
    )
    connection.execute("INSERT INTO t (body) VALUES (?)", ['some "quoted" (body:x) NEAR'])
    yield connection
    connection.close()


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=80) | st.text(alphabet="\"*:()-^+{} NEARbody,.x'", max_size=40))
def test_every_fts5_query_is_valid_fts5(fts5_table, text):
    terms = search_syntax.parse(text)
    if terms:
        query = search_syntax.fts5_query(terms)
        fts5_table.execute("SELECT count(*) FROM t WHERE t MATCH ?", [query]).fetchone()


def test_decomposed_accents_are_composed_first():
    assert search_syntax.parse("nai\u0308ve") == [Term("naïve")]


# On the databases --------------------------------------------------------------------


def test_words_are_stemmed(app):
    add_comments()
    assert found("sanction") == ["past", "plural", "single"]
    assert found("sanctions") == ["past", "plural", "single"]
    assert found("SANCTIONED russia") == ["plural"]
    assert found("sanction football") == []


def test_a_phrase_must_appear_as_written(app):
    add_comments()
    assert found("exact phrase") == ["phrase", "reversed"]
    assert found('"exact phrase"') == ["phrase"]
    assert found('"phrase exact"') == []
    assert found('"the exact phrase" read') == ["phrase"]
    assert found('"exact phrase') == ["phrase"]  # an unclosed quote runs to the end


def test_a_star_makes_a_prefix(app):
    add_comments()
    assert found("sanct*") == ["past", "plural", "single"]
    assert found("foot*") == ["other"]
    assert found("foot") == []
    assert found("netw* dea*") == ["hyphen"]
    assert found("e-mai*") == ["hyphen"]


def test_query_syntax_typed_is_searched_as_words(app):
    add_comments()
    assert found("NEAR (body:x) -y") == ["quoted"]
    assert found('"near body x" AND') == ["quoted"]
    assert found("body:") == ["quoted"]


HOSTILE = [
    '"', '""', '"a', 'a"b"c', "AND OR NOT", "NEAR(a b, 3)", "NEAR/2", "*", "**a", "a**",
    "body:value", "{body}: x", "^start", "-x", "+x", "(", ")", "a) OR (b", "\\", "'", "''",
    "a:*", "x & y | !z", "<->", "a <2> b", "a\x00b", "💥", "  ", "'; drop table comments; --",
    "sanction:* | football",
]  # fmt: skip


def test_hostile_input_never_fails(app):
    add_comments()
    for text in HOSTILE:
        found(text)  # none raises; what they find is checked below for some
    assert found("a\x00b") == []
    assert found("sanction:* | football") == []  # 'sanction', '*' and 'football': all needed
    assert found("x & y | !z") == []


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(
        alphabet=st.sampled_from(list("\"*:()-^+{}<>!&|'\\ \tNEARORsanction_.,é\u0308💥")),
        max_size=40,
    )
    | st.text(max_size=40)
)
def test_any_text_is_a_valid_query(app, text):
    """Hypothesis reuses the database across examples: nothing is added, only read."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0:
        add_comments()
    matched = found(text)
    if not search_syntax.parse(text):
        assert matched == []


def migrate(step, **kwargs):
    db.session.remove()  # PostgreSQL: an open transaction would hold off DROP INDEX
    step(**kwargs)


def body_search_index() -> str:
    return db.session.scalar(
        sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_comments_body_search'")
    )


def search_vector_definition() -> str:
    """What PostgreSQL searches: the stored column's expression (0020 on), else the index's."""
    generated = db.session.scalar(
        sa.text(
            "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a"
            " ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
            " WHERE d.adrelid = 'comments'::regclass AND a.attname = 'body_search'"
        )
    )
    return generated or body_search_index()


def test_search_works_after_the_stemming_migration(app):
    """Comments added before 0008 are found, stemmed, after it (and back down)."""
    sqlite = db.engine.dialect.name == "sqlite"
    migrate(downgrade, revision="0007")
    add_comments({"before": "They imposed sanctions.", "other": "Football."})
    if sqlite:
        assert found("sanctions") == ["before"]
        assert found("sanction") == []  # 0007's index: no stemming
    else:  # the queue's query reads the column of 0020, not there yet
        assert "'simple'" in body_search_index()
    migrate(upgrade)
    assert found("sanction") == ["before"]
    assert found("sanctioned") == ["before"]
    assert found("sanct*") == ["before"]
    # Comments added after it are indexed by the triggers as before.
    db.session.add(
        Comment(
            article_id=db.session.scalar(sa.select(Article.id)),
            external_id="after",
            position=9,
            body="Sanctioning again.",
            content_hash="after",
        )
    )
    db.session.commit()
    assert found("sanction") == ["after", "before"]
    if sqlite:
        db.session.execute(
            sa.text("INSERT INTO comments_fts (comments_fts) VALUES ('integrity-check')")
        )
        setting = "SELECT v FROM comments_fts_config WHERE k = 'hashsize'"
        assert db.session.scalar(sa.text(setting)) == 16 * 1024 * 1024
    else:
        assert "'english'" in search_vector_definition()
    migrate(downgrade, revision="0007")
    if sqlite:
        assert found("sanction") == []
        assert found("sanctioning") == ["after"]
    else:
        assert "'simple'" in body_search_index()
    migrate(upgrade)


def test_postgresql_searches_through_the_index(app):
    """The query's vector must be the one the index is built on, or it is not used."""
    if db.engine.dialect.name != "postgresql":
        return  # SQLite always reads comments_fts; test_words_are_stemmed covers it
    add_comments()
    # The condition counts use; a page asks the same of the index for its ids first.
    condition, _ = search_condition(db.session, '"exact phrase" sanct* deal', sample=100)
    query = sa.select(Comment.id).where(condition)
    db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = db.session.execute(sa.text(f"EXPLAIN {compiled}")).scalars().all()
    assert any("ix_comments_body_search" in line for line in plan), plan


def test_postgresql_pages_start_from_few_matches_and_walk_through_many(app, monkeypatch):
    """Few matches: the page is picked from their ids, as a set the planner joins by
    primary key (it would otherwise walk the queue index, reading every row it passes);
    many: the index walk."""
    if db.engine.dialect.name != "postgresql":
        return  # SQLite's choice: test_search_starts_from_few_matches above
    add_comments()
    text = "sanct*"
    expected = sorted(db.session.scalars(sa.select(Comment.id).where(
        search_condition(db.session, text, sample=100)[0])))  # fmt: skip
    assert expected
    few, _ = search_condition(db.session, text)
    # A set of ids joined by primary key: "id = ANY(array)" was a filter on the walk.
    assert "body_search" not in str(few.compile(db.engine))
    assert "IN (SELECT unnest(" in str(few.compile(db.engine))
    assert sorted(db.session.scalars(sa.select(Comment.id).where(few))) == expected
    monkeypatch.setattr(queue, "POSTGRES_FROM_MATCHES_UP_TO", len(expected) - 1)
    many, _ = search_condition(db.session, text)
    assert "body_search" in str(many.compile(db.engine))
    assert sorted(db.session.scalars(sa.select(Comment.id).where(many))) == expected


def test_postgresql_counts_matches_within_the_view(app, monkeypatch):
    """A search in a view (a tab, an article) takes its matches within it: few there,
    the page is picked from their ids, however many match elsewhere."""
    if db.engine.dialect.name != "postgresql":
        return  # SQLite's FTS5 table knows nothing of the other columns
    add_comments()
    approved = ["past", "plural"]
    db.session.execute(
        sa.update(Comment).where(Comment.external_id.in_(approved)).values(status="approved")
    )
    db.session.commit()
    monkeypatch.setattr(queue, "POSTGRES_FROM_MATCHES_UP_TO", 2)  # "sanct*" matches 3
    everywhere, _ = search_condition(db.session, "sanct*")
    assert "body_search" in str(everywhere.compile(db.engine))
    view = queue.QueueFilter(tab="approved", q="sanct*")
    within = queue._conditions(db.session, view)[0]
    assert "unnest" in " ".join(str(c.compile(db.engine)) for c in within)
    page = queue.queue_page(db.session, view)
    assert sorted(item.comment.external_id for item in page.items) == approved
    pending = queue.queue_page(db.session, queue.QueueFilter(q="sanct*"))
    assert [item.comment.external_id for item in pending.items] == ["single"]


def test_postgresql_stores_each_body_vector_and_keeps_it_in_step(app):
    """The vector is stored in the row (0020), not recomputed per read, and follows an
    edit of the body, as a later import's edit makes it; other updates leave it be."""
    if db.engine.dialect.name != "postgresql":
        return  # SQLite's FTS5 triggers: test_search_works_after_the_stemming_migration
    add_comments({"edited": "They imposed sanctions.", "other": "Football."})
    assert "to_tsvector" not in body_search_index()
    assert "'english'" in search_vector_definition()
    comment = db.session.scalar(sa.select(Comment).where(Comment.external_id == "edited"))
    comment.body = "Cricket all afternoon."
    db.session.commit()
    assert found("sanction") == []
    assert found("cricket") == ["edited"]
    stored = "SELECT body_search::text FROM comments WHERE id = :id"
    before = db.session.scalar(sa.text(stored), {"id": comment.id})
    comment.status = "approved"
    db.session.commit()
    assert db.session.scalar(sa.text(stored), {"id": comment.id}) == before
    assert found("cricket") == ["edited"]


def test_stored_vector_migration_up_and_down(app):
    """0020 fills the column for comments already there; its downgrade puts back the
    expression index of 0008, which finds the same comments."""
    if db.engine.dialect.name != "postgresql":
        migrate(downgrade, revision="0019")  # nothing to do on SQLite, both ways
        migrate(upgrade)
        return
    migrate(downgrade, revision="0019")
    add_comments({"before": "They imposed sanctions.", "other": "Football."})
    columns = "SELECT count(*) FROM information_schema.columns WHERE column_name = 'body_search'"
    assert db.session.scalar(sa.text(columns)) == 0
    assert "to_tsvector('english'" in body_search_index()
    old_way = "SELECT external_id FROM comments WHERE to_tsvector('english', body) @@ 'sanction'"
    assert db.session.scalars(sa.text(old_way)).all() == ["before"]
    migrate(upgrade)
    assert found("sanction") == ["before"]
    assert found("footbal*") == ["other"]
    assert "body_search" in body_search_index()
    migrate(downgrade, revision="0019")
    assert db.session.scalar(sa.text(columns)) == 0
    assert db.session.scalars(sa.text(old_way)).all() == ["before"]
    migrate(upgrade)
