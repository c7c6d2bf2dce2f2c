"""The queue's queries: order, keyset pages, filters, search, counts."""

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from moderation import queue, running_imports
from moderation.extensions import db
from moderation.models import Article, Comment, CommentStatusCount, ImportBatch

T0 = datetime(2024, 5, 1, tzinfo=UTC)
EXTERNAL_IDS = itertools.count()


def add_article(key="a"):
    article = Article(site="s", key=key, title=key, body="", content_hash=key)
    db.session.add(article)
    db.session.flush()
    return article.id


def add_comments(article_id, priorities, status="pending", body="text"):
    rows = [
        {
            "article_id": article_id,
            "external_id": f"{next(EXTERNAL_IDS)}",
            "position": i,
            "author_name": f"author{i % 3}",
            "posted_at": T0 + timedelta(days=i),
            "body": body,
            "status": status,
            "priority": priority,
            "content_hash": "x",
        }
        for i, priority in enumerate(priorities)
    ]
    if rows:
        db.session.execute(sa.insert(Comment), rows)
        db.session.commit()


def expected_order(rows):
    """priority DESC, then id ASC; unscored (None) last, oldest first."""
    return [
        r.id for r in sorted(rows, key=lambda r: (r.priority is None, -(r.priority or 0), r.id))
    ]


def page_ids(view, cursor=None, limit=queue.PAGE_SIZE):
    """The ids of a page, and its next cursor: the same from the queue's objects and its
    rows (the web page's), or this fails."""
    page = queue.queue_page(db.session, view, cursor, limit=limit)
    rows = queue.queue_row_page(db.session, view, cursor, limit=limit)
    ids = [item.comment.id for item in page.items]
    assert [row.id for row in rows.items] == ids
    assert rows.next_cursor == page.next_cursor
    for item, row in zip(page.items, rows.items, strict=True):
        score = item.score
        assert row.scored == (score.comment_id if score else None)
        assert row.score_priority == (score.priority if score else None)
    return ids, page.next_cursor


def all_pages(view, limit):
    ids, cursor, pages = [], None, 0
    while True:
        page_of_ids, next_cursor = page_ids(view, cursor, limit=limit)
        ids += page_of_ids
        pages += 1
        assert pages < 1000
        if next_cursor is None:
            return ids
        cursor = queue.Cursor.decode(next_cursor.encode())


def test_pending_is_ordered_by_priority_then_age_with_unscored_last(app):
    article = add_article()
    add_comments(article, [0.5, None, 0.9, 0.5, None, 0.1])
    add_comments(article, [1.0], status="approved")
    rows = db.session.execute(sa.select(Comment).where(Comment.status == "pending")).scalars()
    page = queue.queue_page(db.session, queue.QueueFilter())
    assert [i.comment.id for i in page.items] == expected_order(list(rows))
    assert page.next_cursor is None


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    priorities=st.lists(
        st.one_of(st.none(), st.sampled_from([0.0, 0.25, 0.5, 1.0]), st.floats(0, 1)),
        max_size=40,
    ),
    limit=st.integers(1, 7),
)
def test_keyset_pages_list_every_comment_once_in_order(app, priorities, limit):
    db.session.execute(sa.delete(Comment))
    db.session.execute(sa.delete(Article))
    db.session.commit()
    add_comments(add_article(), priorities)
    rows = db.session.execute(sa.select(Comment)).scalars().all()
    assert all_pages(queue.QueueFilter(), limit) == expected_order(rows)
    assert all_pages(queue.QueueFilter(tab="all"), limit) == sorted(
        (r.id for r in rows), reverse=True
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    matching=st.lists(st.one_of(st.none(), st.sampled_from([0.0, 0.5, 1.0])), max_size=30),
    other=st.lists(st.one_of(st.none(), st.sampled_from([0.0, 0.5, 1.0])), max_size=10),
    limit=st.integers(1, 7),
)
def test_search_pages_list_every_match_once_in_order(app, matching, other, limit):
    # A search picks its page's ids before joining them to their scores (queue._page).
    db.session.execute(sa.delete(Comment))
    db.session.execute(sa.delete(Article))
    db.session.commit()
    article = add_article()
    add_comments(article, matching, body="the council budget")
    add_comments(article, other, body="a football match")
    rows = db.session.scalars(sa.select(Comment).where(Comment.body.contains("budget"))).all()
    assert all_pages(queue.QueueFilter(q="budget"), limit) == expected_order(rows)
    assert all_pages(queue.QueueFilter(tab="all", q="budget"), limit) == sorted(
        (r.id for r in rows), reverse=True
    )


def test_filters(app, scored_thread):
    ids = [c.id for c in scored_thread.comments]

    def listed(**args):
        view = queue.QueueFilter.from_args(MultiDict(args))
        return sorted(page_ids(view)[0])

    assert listed(article=str(scored_thread.other_article.id)) == [scored_thread.unscored.id]
    assert listed(sentiment="negative") == sorted([ids[1], ids[3]])
    assert listed(min_drift="0.85") == sorted([ids[2], ids[4]])
    assert listed(flag="links") == [ids[2]]
    assert listed(author="carol") == [ids[4]]
    assert listed(posted_from="2024-03-01", posted_to="2024-03-01") == ids
    assert listed(posted_from="2024-03-02") == []
    assert listed(q="network deal") == [ids[1]]
    assert listed(q="DEAL") == sorted([ids[0], ids[1]])
    assert listed(q="deal", sentiment="positive") == [ids[0]]
    assert listed(q="nothing-like-this") == []


@pytest.mark.parametrize(
    "text",
    ['"', "AND OR NOT", "NEAR(a b)", "*", "col:value", "(", "a\x00b", "💥", "  ", "-x", "'; drop"],
)
def test_search_never_fails_on_odd_input(app, scored_thread, text):
    view = queue.QueueFilter.from_args(MultiDict({"q": text}))
    queue.queue_page(db.session, view)  # must not raise
    queue.tab_counts(db.session, view)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=60))
def test_search_accepts_any_text(app, text):
    view = queue.QueueFilter.from_args(MultiDict({"q": text}))
    assert queue.queue_page(db.session, view).items == []


GARBAGE = {
    "tab": "nonsense",
    "article": "99999999999999999999",
    "sentiment": "angry",
    "min_drift": "nan",
    "flag": "x" * 31,
    "posted_from": "2024-13-45",
    "posted_to": "9999-12-31",
}


def test_garbage_in_the_url_is_left_out():
    view = queue.QueueFilter.from_args(MultiDict(GARBAGE))
    assert view == queue.QueueFilter()
    assert not view.narrowed
    for cursor in ["", "x", "1_", "_1", "inf_3", "0.5_-1", "0.5_99999999999", "n_abc"]:
        assert queue.Cursor.decode(cursor) is None


def test_each_unusable_value_is_a_problem_naming_it():
    view, problems = queue.QueueFilter.read(MultiDict(GARBAGE))
    assert view == queue.QueueFilter()
    assert [str(problem) for problem in problems] == [
        "tab='nonsense' is not a tab: use one of all, approved, escalated, pending, rejected,"
        " spam.",
        "article='99999999999999999999' is not an article id (a whole number from 1).",
        "sentiment='angry' is not a sentiment: use one of negative, neutral, positive.",
        "min_drift='nan' is not an off-topic score (a number from 0 to 1, like 0.5).",
        f"flag='{'x' * 31}' is longer than 30 characters.",
        "posted_from='2024-13-45' is not a date like 2024-03-31.",
        "posted_to='9999-12-31' is not a date in the years 1970 to 2999.",
    ]


@pytest.mark.parametrize(
    "name, value",
    [
        ("article", "0"), ("article", "-3"), ("article", "1.5"), ("article", "١٢"),
        ("article", "9" * 5000), ("min_drift", "abc"), ("min_drift", "-0.1"),
        ("min_drift", "1.01"), ("min_drift", "inf"), ("min_drift", "0,5"),
        ("posted_from", "yesterday"), ("posted_to", "1969-12-31"), ("author", "a" * 301),
        ("q", "q" * 501), ("tab", "PENDING"),
    ],
)  # fmt: skip
def test_values_out_of_range_are_problems(name, value):
    view, problems = queue.QueueFilter.read(MultiDict({name: value}))
    assert view == queue.QueueFilter()
    assert [(problem.name, problem.value) for problem in problems] == [(name, value)]


def test_good_values_and_empty_fields_are_no_problem():
    view, problems = queue.QueueFilter.read(
        MultiDict(
            {"tab": "spam", "article": "7", "sentiment": "", "min_drift": " 0.85 ",
             "flag": "links", "author": "", "posted_from": "2024-03-01", "q": "  "}
        ),
        flags=["links", "shouting"],
    )  # fmt: skip
    assert problems == []
    assert view == queue.QueueFilter(
        tab="spam", article=7, min_drift=0.85, flag="links", posted_from=date(2024, 3, 1)
    )


def test_a_flag_must_be_one_in_use_and_days_in_order():
    view, problems = queue.QueueFilter.read(
        MultiDict({"flag": "linx", "posted_from": "2024-03-02", "posted_to": "2024-03-01"}),
        flags=["links", "shouting"],
    )
    assert view == queue.QueueFilter(posted_from=date(2024, 3, 2))
    assert [str(problem) for problem in problems] == [
        "flag='linx' is not a flag in use: use one of links, shouting.",
        "posted_to='2024-03-01' is before posted_from.",
    ]
    _, problems = queue.QueueFilter.read(MultiDict({"flag": "links"}), flags=[])
    assert str(problems[0]) == "flag='links' is not a flag in use: none yet."


def test_filter_round_trips_through_the_url():
    view = queue.QueueFilter(
        tab="spam", article=3, sentiment="negative", min_drift=0.5, flag="links",
        author="bob", posted_from=date(2024, 1, 1), posted_to=date(2024, 2, 1), q="x y",
    )  # fmt: skip
    assert queue.QueueFilter.from_args(MultiDict(view.to_args())) == view
    assert queue.QueueFilter().to_args() == {}
    assert view.to_args(tab="pending", q=None) == {
        key: value for key, value in view.to_args().items() if key not in ("tab", "q")
    }
    with pytest.raises(TypeError):
        view.to_args(page=2)


def test_unfiltered_counts_come_from_the_trigger_kept_table(app):
    article = add_article()
    add_comments(article, [0.1, 0.2, 0.3])
    add_comments(article, [0.1], status="spam")
    counts = {c.tab: c.count for c in queue.tab_counts(db.session, queue.QueueFilter())}
    assert counts == {
        "pending": 3, "escalated": 0, "approved": 0, "rejected": 0, "spam": 1, "all": 4,
    }  # fmt: skip
    # They are read from the counter table, not counted: change it and they follow.
    db.session.add(CommentStatusCount(status="approved", delta=7))
    db.session.commit()
    counts = {c.tab: c.count for c in queue.tab_counts(db.session, queue.QueueFilter())}
    assert counts["approved"] == 7


def test_filtered_counts_are_exact_below_the_cap(app):
    article = add_article()
    add_comments(article, [0.1] * 5)
    add_comments(article, [0.1] * 2, status="rejected")
    add_comments(add_article("other"), [0.1] * 3)
    counts = {c.tab: c for c in queue.tab_counts(db.session, queue.QueueFilter(article=article))}
    assert {tab: (c.count, c.capped) for tab, c in counts.items()} == {
        "pending": (5, False), "escalated": (0, False), "approved": (0, False),
        "rejected": (2, False), "spam": (0, False), "all": (7, False),
    }  # fmt: skip


def test_filtered_counts_are_capped(app, monkeypatch):
    monkeypatch.setattr(queue, "COUNT_CAP", 3)
    article = add_article()
    add_comments(article, [0.1] * 5)
    add_comments(article, [0.1] * 2, status="rejected")
    counts = {c.tab: c for c in queue.tab_counts(db.session, queue.QueueFilter(article=article))}
    assert all(c.capped for c in counts.values())
    assert str(counts["all"]) == "3+"
    assert counts["pending"].count + counts["rejected"].count == 4  # looked at cap + 1
    assert str(counts["spam"]) == "0+"


@pytest.mark.parametrize("matches", [3, 30])
def test_search_counts_and_pages_both_ways(app, monkeypatch, matches):
    """Few matches start from the full-text index, many walk the queue: same answers."""
    monkeypatch.setattr(queue, "SEARCH_FROM_MATCHES_UP_TO", 10)
    monkeypatch.setattr(queue, "POSTGRES_FROM_MATCHES_UP_TO", 10)
    monkeypatch.setattr(queue, "SEARCH_COUNT_SAMPLE", 20)
    article = add_article()
    add_comments(article, [i / 100 for i in range(matches)], body="needle in text")
    add_comments(article, [0.5] * 5, body="hay only")
    view = queue.QueueFilter(q="needle")
    ids = all_pages(view, limit=4)
    rows = db.session.scalars(sa.select(Comment).where(Comment.body.contains("needle"))).all()
    assert ids == expected_order(rows)
    counts = {c.tab: c for c in queue.tab_counts(db.session, view)}
    sampled = db.engine.dialect.name == "sqlite"  # PostgreSQL counts without a sample
    if matches > queue.SEARCH_COUNT_SAMPLE and sampled:
        assert counts["pending"].capped and counts["pending"].count == queue.SEARCH_COUNT_SAMPLE
    else:
        assert (counts["pending"].count, counts["pending"].capped) == (matches, False)


def test_a_search_page_reads_its_matches_and_the_running_imports_once(app):
    """Its rows and its counts both ask how many comments match and which imports run:
    each is one statement, and a write between them makes the next asking read again."""
    article = add_article()
    add_comments(article, [0.2, 0.1], body="needle in text")
    db.session.commit()
    statements = []

    def record(connection, cursor, statement, *args):
        statements.append(statement)

    def asked(table: str) -> int:
        return sum(f"FROM {table}" in statement for statement in statements)

    view = queue.QueueFilter(q="needle")
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert len(queue.queue_row_page(db.session, view).items) == 2
        assert queue.tab_counts(db.session, view)[0].count == 2
        assert asked("import_batches") == 1
        if db.engine.dialect.name == "sqlite":  # PostgreSQL's search counts nothing first
            assert asked("comments_fts WHERE comments_fts MATCH ? LIMIT ?) AS") == 1
        add_comments(article, [0.3], body="needle again")  # writes, then commits
        assert len(queue.queue_row_page(db.session, view).items) == 3
        assert asked("import_batches") == 2
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def test_counts_survive_many_writes_and_compaction(app):
    article = add_article()
    for batch in range(queue.COMPACT_COUNTS_ABOVE + 5):
        add_comments(article, [0.1], status="pending" if batch % 2 else "approved")
    queue.status_counts(db.session)  # compacts on PostgreSQL
    queue.compact_status_counts(db.session)
    expected = dict(
        db.session.execute(
            sa.select(Comment.status, sa.func.count()).group_by(Comment.status)
        ).all()
    )
    assert queue.status_counts(db.session) == expected
    rows = db.session.scalar(sa.select(sa.func.count()).select_from(CommentStatusCount))
    assert rows <= queue.COMPACT_COUNTS_ABOVE


def test_matching_targets_follow_the_view(app, scored_thread):
    view = queue.QueueFilter(sentiment="negative")
    targets = queue.matching_targets(db.session, view, limit=10)
    assert targets == [(scored_thread.comments[3].id, 1), (scored_thread.comments[1].id, 1)]
    assert len(queue.matching_targets(db.session, queue.QueueFilter(), limit=2)) == 2


def test_autogenerate_ignores_the_hand_made_search_objects():
    for name in ["comments_fts", "comments_fts_data", "ix_comments_body_search"]:
        assert not queue.include_in_autogenerate(name, "table", {})
    assert not queue.include_in_autogenerate("body_search", "column", {"table_name": "comments"})
    for name in ["comments", "comment_status_counts", "ix_comments_queue"]:
        assert queue.include_in_autogenerate(name, "table", {})


def test_running_batches_are_read_once_per_transaction_until_it_writes(app):
    """A queue page asks for the running imports three times: one statement answers, and
    a write of the session (an import's batch starting or ending) or the transaction's
    end makes the next asking read them again."""
    statements = []

    def count(connection, cursor, statement, *args):
        if "FROM import_batches" in statement and "import_batches.status =" in statement:
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        batch = ImportBatch(source_name="running", status_counts={"pending": 2})
        db.session.add(batch)
        db.session.commit()
        assert running_imports.running_batch_ids(db.session) == [batch.id]
        assert running_imports.running_status_counts(db.session) == {"pending": 2}
        view = queue.QueueFilter(q=None, article=1)
        queue.queue_page(db.session, view)
        queue.tab_counts(db.session, view)
        assert len(statements) == 1
        batch.status = "succeeded"  # not flushed yet: the next asking must see it
        assert running_imports.running_batch_ids(db.session) == []
        assert len(statements) == 2
        db.session.execute(
            sa.update(ImportBatch).where(ImportBatch.id == batch.id).values(status="running")
        )
        assert running_imports.running_batch_ids(db.session) == [batch.id]
        db.session.commit()
        assert running_imports.running_batch_ids(db.session) == [batch.id]
        assert len(statements) == 4
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
