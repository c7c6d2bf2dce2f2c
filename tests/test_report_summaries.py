"""The author and moderator summaries stay right: after a random mix of imports,
decisions, undos, rescoring, moved decisions and deletions, refreshed incrementally
along the way, they hold what a full recount gives, and the reports read from them
equal the same reports counted from the comments and decisions."""

from __future__ import annotations

import contextlib
import io
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from moderation import decisions
from moderation.extensions import db
from moderation.ingest import import_stream
from moderation.models import Comment, CommentScore, Decision, User
from moderation.reports import queries, summaries
from moderation.reports.filters import ReportFilter
from moderation.scoring_runner import score_stale

THRESHOLD = 0.5
KATHMANDU = ZoneInfo("Asia/Kathmandu")  # +05:45: days fold from quarter hours
HEADER = "article_id,article_title,article_body,comment_id,author,text\n"
AUTHORS = ["ann", "bo", "cy", "dee", "ed", "flo"]
WORDS = "great awful fine terrible lovely bus tram council budget hate love".split()
STATUSES = ["approved", "rejected", "spam", "escalated"]


def import_rows(rng: random.Random, step: int) -> None:
    rows = []
    for n in range(rng.randint(1, 6)):
        article = rng.choice(["a1", "a2", "a3"])
        # Now and then the same comment again, perhaps under another author's name.
        external = f"{step}-{n}" if rng.random() < 0.8 else f"{rng.randint(0, step)}-0"
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8)))
        rows.append(f"{article},T {article},Body of {article}.,{external},"
                    f"{rng.choice(AUTHORS)},{text}\n")  # fmt: skip
    source = io.BytesIO((HEADER + "".join(rows)).encode())
    import_stream(db.session, source, f"step{step}.csv")


def decide_one(rng: random.Random, moderators: list[User]) -> None:
    comment = db.session.scalars(sa.select(Comment).order_by(sa.func.random()).limit(1)).first()
    if comment is None:
        return
    with contextlib.suppress(decisions.Conflict, decisions.DecisionError):
        decisions.decide(
            db.session, comment.id, comment.version, rng.choice(STATUSES), rng.choice(moderators)
        )


def undo_one(rng: random.Random, moderators: list[User]) -> None:
    moderator = rng.choice(moderators)
    last = db.session.scalar(
        sa.select(Decision.id)
        .where(Decision.moderator_id == moderator.id, Decision.undoes_id.is_(None))
        .where(Decision.undone_by_id.is_(None))
        .order_by(Decision.id.desc())
        .limit(1)
    )
    if last is None:
        return
    with contextlib.suppress(decisions.Conflict, decisions.DecisionError):
        decisions.undo(db.session, last, moderator)


def rescore(rng: random.Random) -> None:
    if rng.random() < 0.5:
        score_stale(db.session, workers=1)
        return
    score = db.session.scalars(sa.select(CommentScore).order_by(sa.func.random()).limit(1)).first()
    if score is not None:
        score.compound = rng.uniform(-1, 1)
        score.sentiment_label = rng.choice(["negative", "neutral", "positive"])
        score.drift = rng.random()
        db.session.commit()


def move_a_decision(rng: random.Random) -> None:
    """A decision's time moved back some days (an audit log repaired by hand)."""
    decision = db.session.scalars(sa.select(Decision).order_by(sa.func.random()).limit(1)).first()
    if decision is not None:
        decision.created_at = decision.created_at - timedelta(days=rng.randint(1, 3), hours=7)
        db.session.commit()


def move_a_comment(rng: random.Random) -> None:
    """A comment's time set some days back (a re-import that gives its date)."""
    comment = db.session.scalars(sa.select(Comment).order_by(sa.func.random()).limit(1)).first()
    if comment is not None:
        comment.posted_at = datetime.now(UTC) - timedelta(
            days=rng.randint(0, 6), hours=rng.random() * 24
        )
        db.session.commit()


def delete_a_comment() -> None:
    comment = db.session.scalars(sa.select(Comment).order_by(sa.func.random()).limit(1)).first()
    if comment is not None:
        db.session.delete(comment)
        db.session.commit()


def summary_rows() -> tuple[list, list]:
    authors = db.session.execute(
        sa.select(summaries.AuthorSummary).order_by(
            summaries.AuthorSummary.author_name, summaries.AuthorSummary.site
        )
    ).scalars()
    author_rows = [
        {c.key: getattr(row, c.key) for c in summaries.AuthorSummary.__table__.c} for row in authors
    ]
    author_days = db.session.execute(
        sa.select(summaries.AuthorDay).order_by(*summaries.AuthorDay.__table__.primary_key.columns)
    ).scalars()
    author_rows += [
        {c.key: getattr(row, c.key) for c in summaries.AuthorDay.__table__.c} for row in author_days
    ]
    days = db.session.execute(
        sa.select(
            summaries.ModeratorDay.moderator_id,
            summaries.ModeratorDay.day,
            summaries.ModeratorDay.to_status,
            summaries.ModeratorDay.undo,
            summaries.ModeratorDay.decisions,
        ).order_by(*summaries.ModeratorDay.__table__.primary_key.columns)
    ).all()
    return author_rows, [tuple(day) for day in days]


def by_author(query: sa.Select) -> dict[str, dict]:
    rows = db.session.execute(query).mappings().all()
    return {row["author"]: dict(row) for row in rows}


def assert_same_author_figures(summed: dict[str, dict], counted: dict[str, dict]) -> None:
    assert summed.keys() == counted.keys()
    for author, row in counted.items():
        mean = row.pop("mean_compound")
        other = summed[author]
        other_mean = other.pop("mean_compound")
        assert other == row, author
        assert (mean is None) == (other_mean is None)
        assert mean is None or other_mean == pytest.approx(mean, abs=1e-9)


def assert_same_authors(site: str | None) -> None:
    summed = by_author(queries.summed_authors(site))
    counted = by_author(queries.counted_authors(ReportFilter(site=site), THRESHOLD, KATHMANDU))
    assert_same_author_figures(summed, counted)


def assert_same_authors_in_days(rng: random.Random) -> None:
    """Over a range of days, the author days added up (and the articles counted for the
    authors) equal the figures counted from the comments."""
    today = datetime.now(UTC).astimezone(KATHMANDU).date()
    for _ in range(8):
        since = today - timedelta(days=rng.randint(0, 7))
        until = since + timedelta(days=rng.randint(0, 3))
        report_filter = ReportFilter(since, until, rng.choice([None, ""]))
        summed = by_author(queries.summed_author_days(report_filter))
        articles = queries.authors_articles(db.session, list(summed), report_filter, KATHMANDU)
        for author, row in summed.items():
            row["articles"] = articles[author]
        counted = by_author(queries.counted_authors(report_filter, THRESHOLD, KATHMANDU))
        assert_same_author_figures(summed, counted)


def assert_same_moderator_days() -> None:
    def totals(rows):
        counts = Counter()
        for day, username, to_status, undo, count in rows:
            counts[(day, username, to_status, bool(undo))] += count
        return counts

    summed = totals(queries.summed_moderator_days(ReportFilter())(db.session))
    counted = totals(queries.counted_moderator_days(ReportFilter(), KATHMANDU)(db.session))
    assert summed == counted


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_summaries_equal_a_full_recount(app, seed):
    rng = random.Random(seed)
    moderators = [User(username=f"m{i}", role="moderator", password_hash="x") for i in range(3)]
    db.session.add_all(moderators)
    db.session.commit()
    actions = [
        (0.3, lambda step: import_rows(rng, step)),
        (0.3, lambda step: decide_one(rng, moderators)),
        (0.15, lambda step: undo_one(rng, moderators)),
        (0.15, lambda step: rescore(rng)),
        (0.05, lambda step: move_a_decision(rng)),
        (0.1, lambda step: move_a_comment(rng)),
        (0.05, lambda step: delete_a_comment()),
    ]
    weights = [weight for weight, _ in actions]
    for step in range(40):
        rng.choices(actions, weights=weights)[0][1](step)
        if rng.random() < 0.4:
            summaries.refresh_authors(db.session, THRESHOLD, KATHMANDU)
            summaries.refresh_moderators(db.session, KATHMANDU)
    summaries.refresh_authors(db.session, THRESHOLD, KATHMANDU)
    summaries.refresh_moderators(db.session, KATHMANDU)
    incremental = summary_rows()
    assert incremental[0] and incremental[1]
    assert_same_authors_in_days(rng)

    db.session.execute(sa.delete(summaries.SummaryState))
    db.session.commit()
    assert summaries.refresh_authors(db.session, THRESHOLD, KATHMANDU) == -1
    assert summaries.refresh_moderators(db.session, KATHMANDU) == -1
    full = summary_rows()
    assert [{**row, "compound_sum": pytest.approx(row["compound_sum"])} for row in full[0]] == (
        incremental[0]
    )
    assert full[1] == incremental[1]
    assert_same_authors(None)
    assert_same_authors("")
    assert_same_moderator_days()


def test_a_decision_recounts_one_author_and_one_moderator_day(app):
    import_stream(
        db.session,
        io.BytesIO((HEADER + "a1,T,B,1,ann,Great\na1,T,B,2,bo,Awful\n").encode()),
        "two.csv",
    )
    moderator = User(username="m", role="moderator", password_hash="x")
    db.session.add(moderator)
    db.session.commit()
    summaries.refresh_authors(db.session, THRESHOLD, KATHMANDU)
    summaries.refresh_moderators(db.session, KATHMANDU)
    assert summaries.refresh_authors(db.session, THRESHOLD, KATHMANDU) == 0  # nothing noted since
    comment = db.session.scalar(sa.select(Comment).where(Comment.author_name == "bo"))
    decisions.decide(db.session, comment.id, comment.version, "rejected", moderator)
    assert summaries.refresh_authors(db.session, THRESHOLD, KATHMANDU) == 1
    assert summaries.refresh_moderators(db.session, KATHMANDU) == 1
    page = queries.author_rows(db.session, ReportFilter(), THRESHOLD)
    bo = next(row for row in page.table.rows if row["author"] == "bo")
    assert (bo["comments"], bo["rejected"], bo["rejection_rate"]) == (1, 1, 1.0)
    table = queries.moderator_activity(db.session, ReportFilter(), KATHMANDU)
    today = datetime.now(UTC).astimezone(KATHMANDU).date()
    assert [(r["day"], r["moderator"], r["rejected"]) for r in table.rows] == [(today, "m", 1)]
    # A new threshold changes off-topic counts: every author again.
    assert summaries.refresh_authors(db.session, 0.9, KATHMANDU) == -1


def test_a_comment_moved_in_time_recounts_its_author_days(app):
    import_stream(db.session, io.BytesIO((HEADER + "a1,T,B,1,ann,Great\n").encode()), "one.csv")
    summaries.refresh_authors(db.session, THRESHOLD, KATHMANDU)
    comment = db.session.scalar(sa.select(Comment))
    comment.posted_at = datetime(2024, 3, 1, 12, tzinfo=UTC)
    db.session.commit()
    assert summaries.refresh_authors(db.session, THRESHOLD, KATHMANDU) == 1
    march = ReportFilter(datetime(2024, 3, 1).date(), datetime(2024, 3, 31).date())
    page = queries.author_rows(db.session, march, THRESHOLD, zone=KATHMANDU)
    assert [(row["author"], row["comments"], row["articles"]) for row in page.table.rows] == [
        ("ann", 1, 1)
    ]
