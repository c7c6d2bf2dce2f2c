"""The pre-counted buckets stay right: after imports, scoring, decisions and threshold changes,
site-wide figures from the rollup equal the same figures counted from the comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_reports import THRESHOLD, add_comment, data  # noqa: F401  (the fixture)

from moderation import decisions
from moderation.extensions import db
from moderation.models import Article, Comment, CommentScore
from moderation.reports import queries, rollup
from moderation.reports.figures import Figures, figure_columns
from moderation.reports.filters import ReportFilter


def raw_figures(threshold: float = THRESHOLD) -> Figures:
    """The site's figures counted straight from comments and scores (no rollup)."""
    query = (
        sa.select(*figure_columns(threshold))
        .select_from(Comment)
        .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
    )
    return Figures.from_row(db.session.execute(query).mappings().one())


def rollup_figures(threshold: float = THRESHOLD) -> Figures:
    return queries.site_totals(db.session, ReportFilter(), threshold).figures


def same(a: Figures, b: Figures) -> bool:
    mean_a, mean_b = a.mean_compound, b.mean_compound
    if (mean_a is None) != (mean_b is None):
        return False
    close = mean_a is None or abs(mean_a - mean_b) < 1e-9
    a.mean_compound = b.mean_compound = None
    return a == b and close


def test_rollup_matches_the_comments(data):  # noqa: F811
    assert same(rollup_figures(), raw_figures())


def test_a_decision_is_counted_at_the_next_report(data):  # noqa: F811
    before = rollup_figures()
    decisions.decide(db.session, data.c5.id, data.c5.version, "approved", data.mod)
    after = rollup_figures()
    assert (after.pending, after.approved) == (before.pending - 1, before.approved + 1)
    assert same(after, raw_figures())


def test_new_comments_scores_and_rescoring_are_counted(data):  # noqa: F811
    rollup_figures()
    comment = add_comment(data.b, "d9", "pending", "2024-03-12 08:00", 0.7, 0.8)
    db.session.commit()
    after = rollup_figures()
    assert after.comments == 10 and after.positive == 3 and after.off_topic == 5
    score = db.session.get(CommentScore, comment.id)
    score.compound, score.sentiment_label, score.drift = -0.6, "negative", 0.1
    db.session.commit()
    rescored = rollup_figures()
    assert (rescored.positive, rescored.negative, rescored.off_topic) == (2, 5, 4)
    assert same(rescored, raw_figures())
    db.session.delete(score)
    db.session.commit()
    assert rollup_figures().scored == 7 and same(rollup_figures(), raw_figures())


def test_changes_of_time_and_deletions_are_counted(data):  # noqa: F811
    rollup_figures()
    data.c8.posted_at = datetime(2024, 4, 2, 12, 0, tzinfo=UTC)
    db.session.commit()
    april = ReportFilter.from_strings(since="2024-04-01")
    assert queries.site_totals(db.session, april, THRESHOLD).figures.comments == 1
    db.session.delete(data.c8)
    db.session.commit()
    assert queries.site_totals(db.session, april, THRESHOLD).figures.comments == 0
    assert same(rollup_figures(), raw_figures())


def test_a_new_threshold_recounts_off_topic(data):  # noqa: F811
    assert rollup_figures(0.5).off_topic == 4
    assert rollup_figures(0.8).off_topic == 1  # only c3 (0.90): c4 (0.95) is spam
    assert same(rollup_figures(0.8), raw_figures(0.8))


def test_refresh_reads_notes_once(data):  # noqa: F811
    rollup.refresh(db.session, THRESHOLD)
    assert rollup.refresh(db.session, THRESHOLD) == 0
    assert not rollup.pending_changes(db.session)
    add_comment(data.a, "c9", "pending", "2024-03-12 11:00", 0.1)
    add_comment(data.a, "c10", "pending", "2024-03-12 11:05", 0.1)
    db.session.commit()
    assert rollup.pending_changes(db.session)
    assert rollup.refresh(db.session, THRESHOLD) == 1  # one article, however many comments
    assert not rollup.pending_changes(db.session)


moments = st.datetimes(min_value=datetime(2023, 12, 30), max_value=datetime(2024, 1, 3)).map(
    lambda moment: moment.replace(tzinfo=UTC)
)
comment_specs = st.lists(
    st.tuples(
        st.integers(0, 2),  # article
        st.sampled_from(["pending", "approved", "rejected", "spam", "escalated"]),
        st.sampled_from(["comment", "comment", "pingback"]),
        st.none() | st.floats(-1, 1, allow_nan=False),  # compound (None: unscored)
        st.floats(0, 1, allow_nan=False),  # drift
        moments,
    ),
    max_size=25,
)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(specs=comment_specs, since_day=st.integers(30, 33))
def test_rollup_days_match_raw_counts_in_any_zone(app, specs, since_day):
    db.session.execute(sa.delete(Article))
    db.session.commit()
    articles = [Article(site=f"s{i % 2}", key=f"k{i}", title="t", content_hash="h")
                for i in range(3)]  # fmt: skip
    db.session.add_all(articles)
    db.session.flush()
    for n, (article, status, kind, compound, drift, posted) in enumerate(specs):
        add_comment(articles[article], f"h{n}", status, posted.strftime("%Y-%m-%d %H:%M:%S"),
                    compound, drift, kind=kind)  # fmt: skip
    db.session.commit()
    start = datetime(2023, 12, 1) + timedelta(days=since_day)
    for zone_name in ("UTC", "Europe/Berlin", "Asia/Kathmandu", "America/St_Johns"):
        zone = ZoneInfo(zone_name)
        report_filter = ReportFilter(since=start.date(), until=start.date() + timedelta(days=1))
        low, high = report_filter.utc_bounds(zone)
        moment = sa.func.coalesce(Comment.posted_at, Comment.created_at)
        raw = Figures.from_row(db.session.execute(
            sa.select(*figure_columns(THRESHOLD)).select_from(Comment)
            .outerjoin(CommentScore, CommentScore.comment_id == Comment.id)
            .where(moment >= low, moment < high)
        ).mappings().one())  # fmt: skip
        counted = queries.site_totals(db.session, report_filter, THRESHOLD, zone).figures
        assert same(counted, raw), zone_name
