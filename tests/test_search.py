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


def test_search_works_after_the_stemming_migration(app):
    """Comments added before 0008 are found, stemmed, after it (and back down)."""
    sqlite = db.engine.dialect.name == "sqlite"
    migrate(downgrade, revision="0007")
    add_comments({"before": "They imposed sanctions.", "other": "Football."})
    assert found("sanctions") == ["before"]
    if sqlite:
        assert found("sanction") == []  # 0007's index: no stemming
    else:
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
        assert "'english'" in body_search_index()
    migrate(downgrade, revision="0007")
    if sqlite:
        assert found("sanction") == []
        assert found("sanctioning") == ["after"]
    else:
        assert "'simple'" in body_search_index()
    migrate(upgrade)


def test_postgresql_searches_through_the_index(app):
    """The query's to_tsvector must be the index's very expression, or it is not used."""
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
    """Few matches: the page is picked from their ids (the planner would otherwise walk
    the queue index computing every body's to_tsvector); many: the index walk."""
    if db.engine.dialect.name != "postgresql":
        return  # SQLite's choice: test_search_starts_from_few_matches above
    add_comments()
    text = "sanct*"
    expected = sorted(db.session.scalars(sa.select(Comment.id).where(
        search_condition(db.session, text, sample=100)[0])))  # fmt: skip
    assert expected
    few, _ = search_condition(db.session, text)
    assert "to_tsvector" not in str(few.compile(db.engine))
    assert sorted(db.session.scalars(sa.select(Comment.id).where(few))) == expected
    monkeypatch.setattr(queue, "POSTGRES_FROM_MATCHES_UP_TO", len(expected) - 1)
    many, _ = search_condition(db.session, text)
    assert "to_tsvector" in str(many.compile(db.engine))
    assert sorted(db.session.scalars(sa.select(Comment.id).where(many))) == expected
