"""What ingest works out from a record alone, pinned: databases keep these values, so a
change would make every comment of a re-imported file look edited or new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from moderation.importers.records import ArticleRecord, CommentRecord
from moderation.prepare import PreparedComment, article_hash, comment_hash, prepare_comments

ARTICLE = ArticleRecord(
    key="wp:7",
    site="s",
    url="https://s/x",
    title="T",
    published_at=datetime(2021, 3, 1, tzinfo=UTC),
    body="B",
)
COMMENT = CommentRecord(
    article_key="wp:7",
    body="Fine words,\nbut late.",
    author_name="Ann",
    position=2,
    parent_external_id="5",
    kind="pingback",
    author_email="a@example.org",
    author_ip="10.0.0.1",
    posted_at=datetime(2021, 3, 2, 10, 0, tzinfo=UTC),
    source_status="1",
    line=9,
)


def test_hashes_are_stable():
    assert comment_hash(COMMENT) == (
        "f46f9178f0d12c7ded7fb053c4c69eb38afab1aa495da5c42912cf6ae62ee0df"
    )
    paris = timezone(timedelta(hours=1))
    others = [
        CommentRecord("wp:7", "x", posted_at=datetime(2021, 3, 2, 11, 0, tzinfo=paris)),
        CommentRecord("wp:7", "x", posted_at=datetime(2021, 3, 2, 11, 0, 0, 1500, tzinfo=UTC)),
        CommentRecord("wp:7", "x"),
    ]
    assert [comment_hash(comment) for comment in others] == [
        "de13b0d15e92c5aa49e20b08a1c5a203f6a0547bb050bf99c02d6aca63c2c347",
        "2f746dc885e1da6fbf0355f0d457b5a7077acf186d2ce3543fb92d162273f607",
        "a140875fe9457dd4f64a83feda515b7771cb077229cd3b2ab03fbbd9d2beb881",
    ]
    assert article_hash(ARTICLE) == (
        "9ae2467fc6ef9f2cd2acf054ff6b673843fb745873f1bbd4ffa74a9720af3db9"
    )


def test_a_comment_without_an_id_gets_one_per_copy_of_its_content():
    _, first, second = prepare_comments([ARTICLE, COMMENT, COMMENT])
    assert first == PreparedComment(
        article_key="wp:7",
        external_id="h:402ac8c7c2d240e45c6781be00d48e13",
        content_hash="f46f9178f0d12c7ded7fb053c4c69eb38afab1aa495da5c42912cf6ae62ee0df",
        parent_external_id="5",
        position=2,
        author_name="Ann",
        author_email="a@example.org",
        author_url=None,
        author_ip="10.0.0.1",
        posted_at=datetime(2021, 3, 2, 10, 0),
        body="Fine words,\nbut late.",
        kind="pingback",
        source_status="1",
        status="approved",
        line=9,
    )
    assert second.external_id == "h:2b1894110ec3aca702abd450596c3cc0"
    assert second[2:] == first[2:]


@pytest.mark.parametrize(
    ("source_status", "status"),
    [
        ("1", "approved"),
        (" Approved ", "approved"),
        ("0", "pending"),
        ("HOLD", "pending"),
        ("spam", "spam"),
        ("trash", "rejected"),
        ("deleted", "rejected"),
        ("something else", "pending"),
        (None, "pending"),
    ],
)
def test_initial_status_follows_the_source(source_status, status):
    comment = CommentRecord(article_key="wp:7", body="x", source_status=source_status)
    assert list(prepare_comments([ARTICLE, comment]))[1].status == status


def test_times_are_stored_as_naive_utc():
    paris = timezone(timedelta(hours=1))
    comment = CommentRecord(
        article_key="wp:7", body="x", posted_at=datetime(2021, 3, 2, 11, 0, tzinfo=paris)
    )
    prepared = list(prepare_comments([ARTICLE, comment]))[1]
    assert prepared.posted_at == datetime(2021, 3, 2, 10, 0)
    assert prepared.content_hash == comment_hash(comment)


def test_other_kinds_become_comments_and_unknown_articles_pass_through():
    odd = CommentRecord(article_key="wp:7", body="x", kind="linkback")
    stray = CommentRecord(article_key="wp:8", body="y")
    _, prepared, passed = prepare_comments([ARTICLE, odd, stray])
    assert prepared.kind == "comment"
    assert passed is stray
