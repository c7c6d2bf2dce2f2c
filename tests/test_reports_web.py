"""The report pages, charts and downloads: who may see them, what they show, what they send."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from test_reports import THRESHOLD, add_comment, at, data  # noqa: F401  (the fixture)

from moderation.extensions import db
from moderation.models import Article
from moderation.reports import queries
from moderation.reports.filters import ReportFilter

TEMPLATES = Path(__file__).resolve().parent.parent / "moderation" / "templates" / "reports"
HOSTILE_TITLE = '<script>alert("t")</script><img src=x onerror=alert(1)>'
HOSTILE_AUTHOR = '=HYPERLINK("http://evil.example","x")<b>'


def site_urls(article_id: int) -> list[str]:
    return [
        "/reports/",
        "/reports/articles",
        "/reports/authors",
        "/reports/moderators",
        f"/reports/articles/{article_id}",
        "/reports/timeline.svg",
        "/reports/shares.svg",
        "/reports/moderators.svg",
        f"/reports/articles/{article_id}/histogram.svg",
        f"/reports/articles/{article_id}/timeline.svg",
        "/reports/articles.csv",
        "/reports/summary.json",
        f"/reports/articles/{article_id}/subthreads.csv",
    ]


def test_every_report_route_needs_a_signed_in_user(client, data):  # noqa: F811
    for url in site_urls(data.a.id):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/sign-in" in response.headers["Location"], url


@pytest.mark.parametrize("role", ["analyst", "moderator", "admin"])
def test_every_role_reads_reports(client, auth, data, role):  # noqa: F811
    auth.login_as(role)
    for url in site_urls(data.a.id):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)


def test_every_report_route_is_covered_here(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    reports = {e for e in endpoints if e.startswith("reports.") and e != "reports.static"}
    assert len(reports) == 9
    assert all(app.view_functions[e].allowed_roles for e in reports)


def test_site_page_shows_the_figures(client, auth, data):  # noqa: F811
    auth.login_as("analyst")
    html = client.get("/reports/").get_data(as_text=True)
    assert "4 approved of 9" in html
    assert "57.1%" in html  # negative: 4 of 7 scored
    assert 'src="/reports/timeline.svg"' in html
    assert "Article A" in html and "Article B" in html


def test_site_page_filters_by_site_and_dates(client, auth, data):  # noqa: F811
    auth.login_as("analyst")
    html = client.get("/reports/?site=b.example").get_data(as_text=True)
    assert "1 approved of 2" in html and "Article A" not in html
    html = client.get("/reports/?since=2024-03-12&until=2024-03-31").get_data(as_text=True)
    assert "1 approved of 2" in html  # c7 (approved) and c8 (escalated)
    assert "since=2024-03-12" in html  # charts and downloads keep the filter


def test_malformed_filter_is_a_400_with_a_message(client, auth, data):  # noqa: F811
    auth.login_as("analyst")
    response = client.get("/reports/?since=31.12.2024")
    assert response.status_code == 400
    assert "since must be a date" in response.get_data(as_text=True)
    download = client.get("/reports/articles.csv?until=nope")
    assert download.status_code == 400 and download.mimetype == "text/plain"
    assert "until must be a date like 2024-03-31, not 'nope'" in download.get_data(as_text=True)
    chart = client.get("/reports/timeline.svg?until=9999-12-31")
    assert chart.status_code == 400
    assert "until must be a date in the years 1970 to 2999" in chart.get_data(as_text=True)
    assert client.get("/reports/?since=2024-05-01&until=2024-04-01").status_code == 400


def test_article_page(client, auth, data):  # noqa: F811
    auth.login_as("analyst")
    html = client.get(f"/reports/articles/{data.a.id}").get_data(as_text=True)
    assert "3 approved of 7" in html
    assert "median +0.000" in html
    assert "25 min" in html  # median time to decision
    assert f"comment #{data.c3.id}" in html  # where it derails
    assert f'src="/reports/articles/{data.a.id}/histogram.svg"' in html
    assert client.get("/reports/articles/99999").status_code == 404


def test_pages_have_empty_states(client, auth, app):
    auth.login_as("analyst")
    for url in ["/reports/", "/reports/articles", "/reports/authors", "/reports/moderators"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "empty-state" in response.get_data(as_text=True), url
    for url in ["/reports/timeline.svg", "/reports/shares.svg", "/reports/moderators.svg"]:
        response = client.get(url)
        assert response.status_code == 200 and b"<svg" in response.data, url
    article = Article(site="", key="quiet", title="Quiet", content_hash="q")
    db.session.add(article)
    db.session.commit()
    html = client.get(f"/reports/articles/{article.id}").get_data(as_text=True)
    assert "No comments on this article yet" in html
    for name in ("histogram", "timeline", "shares", "outcomes"):
        assert client.get(f"/reports/articles/{article.id}/{name}.svg").status_code == 200


def test_charts_are_svg_images_with_a_text_alternative(client, auth, data):  # noqa: F811
    auth.login_as("analyst")
    response = client.get(f"/reports/articles/{data.a.id}/histogram.svg")
    assert response.content_type.startswith("image/svg+xml")
    svg = response.get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", svg).group(1)
    assert "5 comments" in title
    assert 'role="img"' in svg and "aria-label=" in svg
    html = client.get(f"/reports/articles/{data.a.id}").get_data(as_text=True)
    assert "<figcaption>" + title.replace("+", "&#43;") in html or title in html


def test_hostile_text_stays_text(client, auth, data):  # noqa: F811
    article = Article(site="a.example", key="evil", title=HOSTILE_TITLE, content_hash="e",
                      published_at=at("2024-03-11 00:00"))  # fmt: skip
    db.session.add(article)
    db.session.flush()
    add_comment(article, "h1", "approved", "2024-03-11 01:00", -0.9, author=HOSTILE_AUTHOR)
    db.session.commit()
    auth.login_as("analyst")
    for url in ["/reports/?sort=negativity", "/reports/articles?sort=negativity",
                "/reports/authors", f"/reports/articles/{article.id}"]:  # fmt: skip
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;" in html or "&lt;b&gt;" in html, url
        assert client.get(url).headers["Content-Security-Policy"].startswith("default-src")
    for url in ["/reports/moderators.svg", f"/reports/articles/{article.id}/timeline.svg"]:
        svg = client.get(url).get_data(as_text=True)
        assert "<script" not in svg and "onerror=" not in svg.replace("onerror=alert", "")


def test_templates_never_mark_text_safe():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"\|\s*safe", text) and "Markup(" not in text, template.name


def test_csv_round_trip_gives_the_same_figures(client, auth, data):  # noqa: F811
    auth.login_as("analyst")
    response = client.get("/reports/articles.csv?sort=negativity")
    assert response.content_type.startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    expected = queries.article_rows(db.session, ReportFilter(), THRESHOLD, "negativity").table
    assert [int(row["article_id"]) for row in rows] == expected.column("article_id")
    for row, want in zip(rows, expected.rows, strict=True):
        assert int(row["comments"]) == want["comments"]
        assert row["title"] == want["title"]
        for key in ("negative_share", "mean_compound", "rejection_rate"):
            assert (float(row[key]) if row[key] else None) == want[key]


def test_downloads_keep_the_filter(client, auth, data):  # noqa: F811
    auth.login_as("analyst")
    rows = list(csv.DictReader(io.StringIO(
        client.get("/reports/articles.csv?site=b.example").get_data(as_text=True))))  # fmt: skip
    assert [row["title"] for row in rows] == ["Article B"]
    document = json.loads(client.get("/reports/timeline.json?site=b.example").data)
    assert document["filters"]["site"] == "b.example"
    assert [row["day"] for row in document["rows"]] == ["2024-03-11"]
    assert document["rows"][0]["comments"] == 2


def test_article_downloads(client, auth, data):  # noqa: F811
    auth.login_as("analyst")
    document = json.loads(client.get(f"/reports/articles/{data.a.id}/summary.json").data)
    values = {row["figure"]: row["value"] for row in document["rows"]}
    assert values["comments"] == 7 and values["median_decision_seconds"] == pytest.approx(1500)
    rows = list(csv.DictReader(io.StringIO(client.get(
        f"/reports/articles/{data.a.id}/most-negative.csv").get_data(as_text=True))))  # fmt: skip
    assert [int(row["comment_id"]) for row in rows] == [data.c2.id]
    assert client.get(f"/reports/articles/{data.a.id}/nothing.csv").status_code == 404


def test_csv_neutralises_formulas_in_text(client, auth, data):  # noqa: F811
    add_comment(data.b, "f1", "approved", "2024-03-11 10:00", 0.5, author=HOSTILE_AUTHOR)
    db.session.commit()
    auth.login_as("analyst")
    rows = list(csv.DictReader(io.StringIO(
        client.get("/reports/authors.csv").get_data(as_text=True))))  # fmt: skip
    authors = [row["author"] for row in rows]
    assert "'" + HOSTILE_AUTHOR in authors
    assert HOSTILE_AUTHOR not in authors


def test_pages_and_sorting_links(client, auth, data):  # noqa: F811
    auth.login_as("analyst")
    html = client.get("/reports/articles?sort=rejection").get_data(as_text=True)
    assert 'aria-sort="descending"' in html
    assert html.index("Article B") < html.index("Article A")
    assert client.get("/reports/articles?page=999").status_code == 200
    assert client.get("/reports/articles?sort=nonsense&page=x").status_code == 200
