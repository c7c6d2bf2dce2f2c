"""The report aggregations against figures worked out by hand, on SQLite and PostgreSQL.

The fixture inserts rows directly. Article A's thread (threshold 0.5):

====  ======  ==========  =========  ========  =====  ======================
id    parent  status      kind       compound  drift  posted (UTC)
====  ======  ==========  =========  ========  =====  ======================
c1    -       approved    comment    +0.62     0.10   2024-03-10 22:30
c2    c1      approved    comment    -0.43     0.70   2024-03-10 22:50
c3    c2      rejected    comment    -0.81     0.90   2024-03-10 23:30
c4    -       spam        comment     0.00     0.95   2024-03-10 23:40
c5    -       pending     comment    unscored         none (created 03-11 05:10)
c6    -       pending     pingback   unscored         2024-03-11 12:00
c7    -       approved    comment     0.00     0.50   2024-03-12 10:00
c8    c7      escalated   comment    +0.25     0.20   2024-03-15 09:00
====  ======  ==========  =========  ========  =====  ======================

Sentiment covers scored reader comments that are not spam: c1 c2 c3 c7 c8.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from moderation.extensions import db
from moderation.models import (
    Article,
    Comment,
    CommentScore,
    Decision,
    ThreadSummary,
    User,
)
from moderation.reports import queries
from moderation.reports.filters import ReportFilter
from moderation.reports.sql import median_of

THRESHOLD = 0.5
UTC_ZONE = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def add_comment(article, external_id, status, posted, compound=None, drift=0.0, parent=None,
                kind="comment", author="someone", created=None, body=None):  # fmt: skip
    comment = Comment(
        article_id=article.id,
        external_id=external_id,
        position=int(external_id[1:]) if external_id[1:].isdigit() else 0,
        parent_id=parent.id if parent else None,
        author_name=author,
        posted_at=at(posted) if posted else None,
        body=body or f"Comment {external_id} text.",
        kind=kind,
        status=status,
        content_hash=external_id,
        created_at=at(created) if created else at("2024-03-20 00:00"),
    )
    db.session.add(comment)
    db.session.flush()
    if compound is not None:
        label = "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
        db.session.add(
            CommentScore(
                comment_id=comment.id, scorer_version="t", config_hash="t",
                content_hash=external_id, compound=compound, positive=max(compound, 0),
                neutral=1 - abs(compound), negative=max(-compound, 0), sentiment_label=label,
                drift=drift, article_similarity=1 - drift, priority=0.5,
            )
        )  # fmt: skip
    return comment


def add_decision(comment, moderator, to_status, when, from_status="pending", undoes=None):
    decision = Decision(
        comment_id=comment.id,
        moderator_id=moderator.id,
        from_status=from_status,
        to_status=to_status,
        created_at=at(when),
        undoes_id=undoes.id if undoes else None,
    )
    db.session.add(decision)
    db.session.flush()
    if undoes is not None:
        undoes.undone_by_id = decision.id
    return decision


@pytest.fixture
def data(app):
    mod = User(username="mod", role="moderator", password_hash="x")
    mod2 = User(username="mod2", role="moderator", password_hash="x")
    a = Article(site="a.example", key="a", title="Article A", content_hash="a",
                published_at=at("2024-03-10 22:00"))  # fmt: skip
    b = Article(site="b.example", key="b", title="Article B", content_hash="b",
                published_at=at("2024-03-11 08:00"))  # fmt: skip
    c = Article(site="a.example", key="c", title="Article C (no comments)", content_hash="c",
                published_at=at("2024-04-01 08:00"))  # fmt: skip
    db.session.add_all([mod, mod2, a, b, c])
    db.session.flush()
    c1 = add_comment(a, "c1", "approved", "2024-03-10 22:30", 0.62, 0.10, author="alice")
    c2 = add_comment(a, "c2", "approved", "2024-03-10 22:50", -0.43, 0.70, parent=c1)
    c3 = add_comment(a, "c3", "rejected", "2024-03-10 23:30", -0.81, 0.90, parent=c2)
    c4 = add_comment(a, "c4", "spam", "2024-03-10 23:40", 0.0, 0.95)
    c5 = add_comment(a, "c5", "pending", None, created="2024-03-11 05:10")
    c6 = add_comment(a, "c6", "pending", "2024-03-11 12:00", kind="pingback")
    c7 = add_comment(a, "c7", "approved", "2024-03-12 10:00", 0.0, 0.50)
    c8 = add_comment(a, "c8", "escalated", "2024-03-15 09:00", 0.25, 0.20, parent=c7)
    d1 = add_comment(b, "d1", "approved", "2024-03-11 09:00", -0.9, 0.1, author="alice")
    d2 = add_comment(b, "d2", "rejected", "2024-03-11 09:30", -0.2, 0.6, author="bob")
    # Decisions: c2's first one is undone, so its time to decision is the later approval.
    add_decision(c1, mod, "approved", "2024-03-10 22:40")
    rejected = add_decision(c2, mod, "rejected", "2024-03-10 22:55")
    add_decision(c2, mod, "pending", "2024-03-10 22:56", from_status="rejected", undoes=rejected)
    add_decision(c2, mod2, "approved", "2024-03-10 23:10")
    add_decision(c3, mod2, "rejected", "2024-03-11 00:30")
    add_decision(c4, mod, "spam", "2024-03-10 23:42")
    add_decision(c6, mod, "approved", "2024-03-12 04:40")  # a pingback: not in the median
    add_decision(c7, mod, "approved", "2024-03-12 11:00")
    add_decision(c8, mod2, "escalated", "2024-03-15 09:30")
    db.session.add(ThreadSummary(article_id=a.id, derail_comment_id=c3.id, mean_drift=0.55))
    db.session.commit()
    return SimpleNamespace(a=a, b=b, c=c, mod=mod, mod2=mod2, c1=c1, c2=c2, c3=c3, c4=c4,
                           c5=c5, c6=c6, c7=c7, c8=c8, d1=d1, d2=d2)  # fmt: skip


def report_a(data, zone=UTC_ZONE):
    return queries.article_report(db.session, data.a.id, THRESHOLD, zone)


# --- One article ------------------------------------------------------------------------


def test_article_counts_shares_and_means(data):
    report = report_a(data)
    f = report.figures
    assert (f.comments, f.approved, f.pingbacks) == (7, 3, 1)
    assert (f.pending, f.rejected, f.spam, f.escalated) == (1, 1, 1, 1)
    assert (f.scored, f.negative, f.neutral, f.positive) == (5, 2, 1, 2)
    assert f.negative_share == pytest.approx(2 / 5)
    assert f.positive_share == pytest.approx(2 / 5)
    assert f.mean_compound == pytest.approx((0.62 - 0.43 - 0.81 + 0.0 + 0.25) / 5)
    assert report.median_compound == pytest.approx(0.0)
    # Drift >= 0.5 among the five: c2 (0.70), c3 (0.90) and c7 (exactly 0.50).
    assert f.off_topic == 3 and f.off_topic_share == pytest.approx(3 / 5)
    assert f.rejection_rate == pytest.approx((1 + 1) / (3 + 1 + 1))


def test_article_derail_point_and_outcomes(data):
    report = report_a(data)
    assert report.derail.comment_id == data.c3.id
    assert report.mean_drift == pytest.approx(0.55)
    outcomes = {row["status"]: row["comments"] for row in report.outcomes.rows}
    assert outcomes == {"approved": 3, "rejected": 1, "spam": 1, "pending": 1, "escalated": 1}


def test_median_time_to_decision_uses_first_standing_decision(data):
    report = report_a(data)
    # Minutes from posting: c1 10, c2 20 (its undone rejection ignored), c3 60, c4 2,
    # c7 60, c8 30; the pingback c6 is not a reader comment. Median of six: (20+30)/2.
    assert report.decided_comments == 6 and report.timed_decisions == 6
    assert report.median_decision_seconds == pytest.approx(25 * 60, abs=0.01)
    assert report.decision_time == (
        "median 25 min from posting to the first decision that stood, over 6 decided comments"
    )


def test_time_to_decision_leaves_out_comments_without_a_posting_time(app):
    mod = User(username="mod", role="moderator", password_hash="x")
    article = Article(site="", key="x", title="x", content_hash="x")
    db.session.add_all([mod, article])
    db.session.flush()
    # Imported at 10:00 with no posting time, decided 4 minutes later: not a wait of 4 min.
    for number in (1, 2):
        untimed = add_comment(article, f"u{number}", "approved", None, created="2024-01-01 10:00")
        add_decision(untimed, mod, "approved", "2024-01-01 10:04")
    db.session.commit()
    report = queries.article_report(db.session, article.id, THRESHOLD, UTC_ZONE)
    assert (report.decided_comments, report.timed_decisions) == (2, 0)
    assert report.median_decision_seconds is None
    assert report.decision_time == (
        "not known: none of the 2 decided comments has a posting time in its source"
    )

    timed = add_comment(article, "t1", "approved", "2024-01-01 09:00")
    add_decision(timed, mod, "approved", "2024-01-01 11:00")
    db.session.commit()
    report = queries.article_report(db.session, article.id, THRESHOLD, UTC_ZONE)
    assert (report.decided_comments, report.timed_decisions) == (3, 1)
    assert report.median_decision_seconds == pytest.approx(2 * 3600)
    assert report.decision_time.endswith(
        "over 1 decided comment (2 without a posting time left out)"
    )


def test_histogram_bins(data):
    report = report_a(data)
    counts = {row["bin_start"]: row["comments"] for row in report.histogram.rows}
    assert len(report.histogram.rows) == 20
    assert counts == {
        **{round(-1 + i / 10, 2): 0 for i in range(20)},
        -0.9: 1,  # -0.81
        -0.5: 1,  # -0.43
        0.0: 1,  # 0.00 (c7; c4 is spam)
        0.2: 1,  # +0.25
        0.6: 1,  # +0.62
    }


def test_histogram_puts_the_extremes_in_the_end_bins(app):
    article = Article(site="", key="x", title="x", content_hash="x")
    db.session.add(article)
    db.session.flush()
    add_comment(article, "e1", "approved", "2024-01-01 10:00", 1.0)
    add_comment(article, "e2", "approved", "2024-01-01 10:00", -1.0)
    add_comment(article, "e3", "approved", "2024-01-01 10:00", -0.05)
    db.session.commit()
    rows = queries.article_report(db.session, article.id, THRESHOLD, UTC_ZONE).histogram.rows
    assert rows[0]["comments"] == 1 and rows[19]["comments"] == 1
    assert rows[9]["comments"] == 1  # -0.05 falls in [-0.1, 0.0)


def test_most_negative_and_positive_approved_comments(data):
    report = report_a(data)
    # Approved: c1 +0.62, c2 -0.43, c7 0.00 (neither), d1 is on article B.
    assert report.most_negative.column("comment_id") == [data.c2.id]
    assert report.most_positive.column("comment_id") == [data.c1.id]
    assert report.most_negative.rows[0]["compound"] == pytest.approx(-0.43)


def test_most_negative_approved_lists_no_positive_comment(app):
    article = Article(site="", key="x", title="x", content_hash="x")
    db.session.add(article)
    db.session.flush()
    for number, (status, compound) in enumerate(
        [("approved", 0.84), ("approved", -0.2), ("approved", -0.7), ("approved", 0.0),
         ("rejected", -0.9), ("approved", 0.3), ("approved", -0.05)], start=1
    ):  # fmt: skip
        add_comment(article, f"x{number}", status, "2024-01-01 10:00", compound)
    db.session.commit()
    report = queries.article_report(db.session, article.id, THRESHOLD, UTC_ZONE)
    assert report.most_negative.column("compound") == [-0.7, -0.2, -0.05]
    assert report.most_positive.column("compound") == [0.84, 0.3]


def test_most_negative_subthreads_include_nested_replies(data):
    rows = report_a(data).subthreads.rows
    # c1's thread holds c2 and (nested) c3; c7's holds c8; lone c4 and c5 are no threads.
    assert [row["comment_id"] for row in rows] == [data.c1.id, data.c7.id]
    assert rows[0]["comments"] == 3
    assert rows[0]["mean_compound"] == pytest.approx((0.62 - 0.43 - 0.81) / 3)
    assert rows[1]["mean_compound"] == pytest.approx(0.125)


def test_article_timeline_hourly_then_daily_in_utc(data):
    rows = report_a(data).timeline.rows
    assert [(row["start"].isoformat(), row["resolution"], row["comments"]) for row in rows] == [
        ("2024-03-10T22:00:00+00:00", "hour", 2),
        ("2024-03-10T23:00:00+00:00", "hour", 2),  # c3 and the spam c4
        ("2024-03-11T05:00:00+00:00", "hour", 1),  # c5: no posting time, so its import time
        ("2024-03-12T10:00:00+00:00", "hour", 1),
        ("2024-03-15T00:00:00+00:00", "day", 1),  # after the first three days: daily
    ]
    assert rows[0]["mean_compound"] == pytest.approx((0.62 - 0.43) / 2)
    assert rows[1]["mean_compound"] == pytest.approx(-0.81) and rows[1]["scored"] == 1
    assert rows[2]["mean_compound"] is None
    assert rows[0]["hours_after_publication"] == pytest.approx(0)


def test_article_timeline_in_berlin_moves_late_comments_to_the_next_day(data):
    rows = report_a(data, BERLIN).timeline.rows
    starts = [row["start"].isoformat() for row in rows]
    # 23:30 UTC on 10 March is 00:30 on 11 March in Berlin (UTC+1).
    assert starts[:2] == ["2024-03-10T23:00:00+01:00", "2024-03-11T00:00:00+01:00"]
    assert starts[-1] == "2024-03-15T00:00:00+01:00"


def test_article_without_comments_has_an_empty_report(data):
    report = queries.article_report(db.session, data.c.id, THRESHOLD, UTC_ZONE)
    assert report.figures.comments == 0 and report.figures.mean_compound is None
    assert report.median_compound is None and report.median_decision_seconds is None
    assert report.timeline.rows == [] and report.subthreads.rows == []
    assert sum(report.histogram.column("comments")) == 0
    assert report.derail is None


def test_unknown_article_is_none(app):
    assert queries.article_report(db.session, 12345, THRESHOLD, UTC_ZONE) is None


def test_median_of_even_and_odd_counts(app):
    values = sa.union_all(*[sa.select(sa.literal(v).label("v")) for v in (4.0, 1.0, 3.0, 2.0)])
    assert db.session.scalar(median_of(sa.select(values.subquery().c.v))) == pytest.approx(2.5)
    odd = sa.union_all(*[sa.select(sa.literal(v).label("v")) for v in (5.0, 1.0, 3.0)])
    assert db.session.scalar(median_of(sa.select(odd.subquery().c.v))) == pytest.approx(3.0)


# --- Across the site ------------------------------------------------------------------


def test_site_totals_add_up_every_article(data):
    totals = queries.site_totals(db.session, ReportFilter(), THRESHOLD, UTC_ZONE)
    f = totals.figures
    assert totals.articles == 2
    assert (f.comments, f.approved, f.pingbacks, f.scored) == (9, 4, 1, 7)
    assert (f.negative, f.neutral, f.positive) == (4, 1, 2)
    assert f.mean_compound == pytest.approx((0.62 - 0.43 - 0.81 + 0 + 0.25 - 0.9 - 0.2) / 7)
    assert f.off_topic == 4  # c2, c3, c7 and d2
    assert f.rejection_rate == pytest.approx(3 / 7)  # c3, d2 and spam c4 of seven decided
    assert (totals.first_day, totals.last_day) == (date(2024, 3, 10), date(2024, 3, 15))


def test_site_filter_and_date_range(data):
    only_b = queries.site_totals(db.session, ReportFilter(site="b.example"), THRESHOLD)
    assert (only_b.figures.comments, only_b.articles) == (2, 1)
    # 11 March UTC: c5 (by its import time), c6 (pingback), d1, d2.
    one_day = ReportFilter(since=date(2024, 3, 11), until=date(2024, 3, 11))
    totals = queries.site_totals(db.session, one_day, THRESHOLD, UTC_ZONE)
    assert (totals.figures.comments, totals.figures.pingbacks) == (3, 1)
    # In Berlin, 11 March starts at 23:00 UTC on the 10th: c3 and c4 come in too.
    berlin = queries.site_totals(db.session, one_day, THRESHOLD, BERLIN)
    assert berlin.figures.comments == 5


def test_articles_table_sorts_and_keeps_uncommented_articles(data):
    page = queries.article_rows(db.session, ReportFilter(), THRESHOLD, sort="negativity")
    assert page.total == 3
    assert page.table.column("article_id") == [data.b.id, data.a.id, data.c.id]
    b, a, c = page.table.rows
    assert b["negative_share"] == pytest.approx(1.0) and a["negative_share"] == pytest.approx(0.4)
    assert c["comments"] == 0 and c["negative_share"] is None
    by_volume = queries.article_rows(db.session, ReportFilter(), THRESHOLD, sort="volume")
    assert by_volume.table.column("article_id") == [data.a.id, data.b.id, data.c.id]
    by_rejection = queries.article_rows(db.session, ReportFilter(), THRESHOLD, sort="rejection")
    # B: 1 of 2 decided refused (0.5); A: 2 of 5 (0.4).
    assert by_rejection.table.column("rejection_rate")[:2] == [pytest.approx(0.5),
                                                               pytest.approx(0.4)]  # fmt: skip
    off_topic = queries.article_rows(db.session, ReportFilter(), THRESHOLD, sort="off_topic")
    assert off_topic.table.column("article_id")[:2] == [data.a.id, data.b.id]  # 0.6 vs 0.5


def test_articles_table_with_dates_lists_articles_commented_or_published_then(data):
    march = ReportFilter(since=date(2024, 3, 12), until=date(2024, 3, 31))
    page = queries.article_rows(db.session, march, THRESHOLD, zone=UTC_ZONE)
    assert page.table.column("article_id") == [data.a.id]
    assert page.table.rows[0]["comments"] == 2  # c7 and c8
    april = ReportFilter(since=date(2024, 4, 1))
    assert queries.article_rows(db.session, april, THRESHOLD).table.column("article_id") == [
        data.c.id
    ]


def test_articles_table_pages(data):
    first = queries.article_rows(db.session, ReportFilter(), THRESHOLD, limit=2)
    second = queries.article_rows(db.session, ReportFilter(), THRESHOLD, limit=2, offset=2)
    assert (first.total, len(first.table.rows), len(second.table.rows)) == (3, 2, 1)
    assert second.total == 3


def test_author_rows(data):
    page = queries.author_rows(db.session, ReportFilter(), THRESHOLD)
    rows = {row["author"]: row for row in page.table.rows}
    alice = rows["alice"]
    assert (alice["comments"], alice["articles"], alice["scored"]) == (2, 2, 2)
    assert alice["mean_compound"] == pytest.approx((0.62 - 0.9) / 2)
    assert alice["negative_share"] == pytest.approx(0.5)
    bob = rows["bob"]
    assert bob["rejection_rate"] == pytest.approx(1.0) and bob["off_topic_share"] == 1.0
    someone = rows["someone"]  # c2..c5, c7, c8 (the pingback is not a reader comment)
    assert someone["comments"] == 6 and someone["spam"] == 1
    assert page.table.column("author")[0] == "someone"  # most comments first


def test_site_timeline_per_local_day(data):
    utc_rows = queries.site_timeline(db.session, ReportFilter(), UTC_ZONE, THRESHOLD).rows
    assert [(row["day"], row["comments"]) for row in utc_rows] == [
        (date(2024, 3, 10), 4), (date(2024, 3, 11), 3), (date(2024, 3, 12), 1),
        (date(2024, 3, 15), 1),
    ]  # fmt: skip
    berlin_rows = queries.site_timeline(db.session, ReportFilter(), BERLIN, THRESHOLD).rows
    assert [(row["day"], row["comments"]) for row in berlin_rows][:2] == [
        (date(2024, 3, 10), 2), (date(2024, 3, 11), 5),
    ]  # fmt: skip
    assert berlin_rows[0]["mean_compound"] == pytest.approx((0.62 - 0.43) / 2)


def test_site_timeline_across_daylight_saving_changes(app):
    article = Article(site="", key="dst", title="DST", content_hash="d")
    db.session.add(article)
    db.session.flush()
    for n, moment in enumerate([
        "2024-03-30 23:30",  # 00:30 CET on 31 March
        "2024-03-31 21:59",  # 23:59 CEST on 31 March (a 23-hour day)
        "2024-03-31 22:00",  # 00:00 CEST on 1 April
        "2024-10-26 22:00",  # 00:00 CEST on 27 October
        "2024-10-27 22:59",  # 23:59 CET on 27 October (a 25-hour day)
        "2024-10-27 23:00",  # 00:00 CET on 28 October
    ]):  # fmt: skip
        add_comment(article, f"x{n}", "approved", moment, 0.1)
    db.session.commit()
    rows = queries.site_timeline(db.session, ReportFilter(), BERLIN, THRESHOLD).rows
    assert [(row["day"].isoformat(), row["comments"]) for row in rows] == [
        ("2024-03-31", 2), ("2024-04-01", 1), ("2024-10-27", 2), ("2024-10-28", 1),
    ]  # fmt: skip


def test_article_timeline_keeps_the_repeated_hour_of_a_dst_change_apart(app):
    article = Article(site="", key="fall", title="Fall back", content_hash="f",
                      published_at=at("2024-10-26 20:00"))  # fmt: skip
    db.session.add(article)
    db.session.flush()
    add_comment(article, "f1", "approved", "2024-10-27 00:30", 0.1)  # 02:30 CEST
    add_comment(article, "f2", "approved", "2024-10-27 01:30", 0.1)  # 02:30 CET
    db.session.commit()
    rows = queries.article_report(db.session, article.id, THRESHOLD, BERLIN).timeline.rows
    assert [row["start"].isoformat() for row in rows] == [
        "2024-10-27T02:00:00+02:00",
        "2024-10-27T02:00:00+01:00",
    ]


def test_quarter_hour_zone_days(app):
    article = Article(site="", key="np", title="Nepal", content_hash="n")
    db.session.add(article)
    db.session.flush()
    add_comment(article, "n1", "approved", "2024-05-01 18:14", 0.1)  # 23:59 in Kathmandu
    add_comment(article, "n2", "approved", "2024-05-01 18:15", 0.1)  # 00:00 on 2 May
    db.session.commit()
    rows = queries.site_timeline(
        db.session, ReportFilter(), ZoneInfo("Asia/Kathmandu"), THRESHOLD
    ).rows
    assert [(row["day"].isoformat(), row["comments"]) for row in rows] == [
        ("2024-05-01", 1), ("2024-05-02", 1),
    ]  # fmt: skip


def test_moderator_activity_per_day(data):
    rows = queries.moderator_activity(db.session, ReportFilter(), UTC_ZONE).rows
    cells = {(row["day"].isoformat(), row["moderator"]): row for row in rows}
    assert set(cells) == {
        ("2024-03-10", "mod"), ("2024-03-10", "mod2"), ("2024-03-11", "mod2"),
        ("2024-03-12", "mod"), ("2024-03-15", "mod2"),
    }  # fmt: skip
    mod_day = cells[("2024-03-10", "mod")]
    assert (mod_day["approved"], mod_day["rejected"], mod_day["spam"], mod_day["undos"]) == (
        1, 1, 1, 1,
    )  # fmt: skip
    assert mod_day["decisions"] == 4
    assert cells[("2024-03-12", "mod")]["approved"] == 2
    assert rows[0]["day"] == date(2024, 3, 15)  # newest first
    berlin = queries.moderator_activity(db.session, ReportFilter(), BERLIN).rows
    moved = {(row["day"].isoformat(), row["moderator"]): row for row in berlin}
    # mod2's approval at 23:10 UTC on the 10th is on the 11th in Berlin.
    assert moved[("2024-03-11", "mod2")]["approved"] == 1
    assert ("2024-03-10", "mod2") not in moved


def test_moderator_activity_filtered_by_site(data):
    only_b = ReportFilter(site="b.example")
    assert queries.moderator_activity(db.session, only_b, UTC_ZONE).rows == []


def test_empty_site(app):
    totals = queries.site_totals(db.session, ReportFilter(), THRESHOLD, UTC_ZONE)
    assert totals.articles == 0 and totals.figures.comments == 0
    assert totals.figures.negative_share is None and totals.first_day is None
    assert queries.article_rows(db.session, ReportFilter(), THRESHOLD).table.rows == []
    assert queries.author_rows(db.session, ReportFilter(), THRESHOLD).total == 0
    assert queries.site_timeline(db.session, ReportFilter(), UTC_ZONE, THRESHOLD).rows == []
    assert queries.moderator_activity(db.session, ReportFilter(), UTC_ZONE).rows == []


def test_data_version_changes_with_decisions_and_new_comments(data):
    before = queries.data_version(db.session)
    add_decision(data.c5, data.mod, "approved", "2024-03-20 10:00")
    db.session.commit()
    after_decision = queries.data_version(db.session)
    assert after_decision != before
    add_comment(data.b, "d3", "pending", "2024-03-20 11:00", 0.3)
    db.session.commit()
    assert queries.data_version(db.session) != after_decision
    assert queries.data_version(db.session) == queries.data_version(db.session)
