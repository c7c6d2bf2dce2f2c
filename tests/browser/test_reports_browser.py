"""The report pages in a real browser: charts load as images under the page's CSP, every
chart has its caption and data table, downloads work, and the README's screenshots."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from browser_support import save_screenshot, sign_in
from playwright.sync_api import expect

from moderation import accounts, decisions
from moderation.extensions import db
from moderation.models import Comment, User

pytestmark = pytest.mark.browser


@pytest.fixture
def decided(live_server):
    """Some decisions by two moderators, so the reports have outcomes to show."""
    with live_server.app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
        accounts.create_user(db.session, "analyst", "analyst", "browser test password")
        comments = db.session.scalars(sa.select(Comment).order_by(Comment.id)).all()
        moderator = db.session.scalar(sa.select(User).where(User.username == "mod"))
        for index, comment in enumerate(comments[:12]):
            status = ["approved", "approved", "rejected", "spam"][index % 4]
            who = admin if index % 2 else moderator
            decisions.decide(db.session, comment.id, comment.version, status, who)
        db.session.remove()


def watch_console(page) -> list[str]:
    """Script errors, CSP refusals and failed requests (the app has no favicon: not ours)."""
    problems: list[str] = []

    def console(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    def response(answer):
        if answer.status >= 400 and not answer.url.endswith("/favicon.ico"):
            problems.append(f"{answer.status} {answer.url}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", response)
    return problems


def expect_charts_loaded(page) -> int:
    images = page.locator("figure.chart img")
    count = images.count()
    assert count > 0
    for index in range(count):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0, image.get_attribute("src")
        caption = image.locator("xpath=following-sibling::figcaption")
        assert caption.inner_text().strip()
    return count


def test_site_report(page, live_server, decided):
    problems = watch_console(page)
    sign_in(page, live_server, "admin")
    page.get_by_role("link", name="Reports").click()
    page.wait_for_url("**/reports/")
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    assert expect_charts_loaded(page) == 2
    expect(page.locator("table[data-table=timeline] tbody tr").first).to_be_visible()
    with page.expect_download() as download:
        page.locator(".downloads a", has_text="CSV").first.click()
    with open(download.value.path(), encoding="utf-8") as saved:
        rows = list(csv.DictReader(io.StringIO(saved.read())))
    assert rows and {"figure", "value"} <= set(rows[0])
    page.evaluate("window.scrollTo(0, 0)")
    save_screenshot(page, "report_site", publish=True)

    page.get_by_role("link", name="Moderators").first.click()
    page.wait_for_url("**/reports/moderators")
    assert expect_charts_loaded(page) == 1
    expect(page.locator("table[data-table=moderators] tbody tr")).not_to_have_count(0)
    assert problems == []


def test_article_report(page, live_server, decided):
    problems = watch_console(page)
    sign_in(page, live_server, "analyst")
    page.goto(live_server.url + "/reports/articles")
    page.get_by_role("link", name="Comments").click()  # sort by volume
    first = page.locator("table[data-table=articles] tbody tr").first.locator("th a")
    title = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert expect_charts_loaded(page) == 4
    for name in ("histogram", "timeline", "outcomes"):
        expect(page.locator(f"table[data-table={name}]")).to_be_visible()
    # The hostile comment seeded by the fixture shows as text, nowhere as markup.
    assert page.locator('a[href^="javascript:"]').count() == 0
    page.wait_for_timeout(200)
    assert page.dialogs == []
    page.evaluate("window.scrollTo(0, 0)")
    save_screenshot(page, "report_article", publish=True)
    assert problems == []


@pytest.fixture
def many_articles(live_server):
    """Thirty more articles with long titles and a few scored comments each."""
    from moderation.models import Article, CommentScore
    from moderation.reports import rollup

    with live_server.app.app_context():
        for number in range(30):
            article = Article(
                site="news.example", key=f"long-{number}", content_hash=f"long-{number}",
                title=f"Council approves the long-delayed budget for the northern bypass, "
                f"part {number}",
            )  # fmt: skip
            db.session.add(article)
            db.session.flush()
            for position in range(number % 7 + 1):
                comment = Comment(
                    article_id=article.id, external_id=f"{number}-{position}", position=position,
                    author_name="reader", body="A comment.", content_hash=f"{number}-{position}",
                    status=["approved", "pending", "rejected"][position % 3],
                )  # fmt: skip
                db.session.add(comment)
                db.session.flush()
                compound = (position % 5 - 2) / 2.5
                db.session.add(
                    CommentScore(
                        comment_id=comment.id, scorer_version="t", config_hash="t",
                        content_hash=comment.content_hash, compound=compound,
                        positive=max(compound, 0), neutral=1 - abs(compound),
                        negative=max(-compound, 0), drift=0.3, article_similarity=0.7,
                        priority=0.5, sentiment_label="negative" if compound < 0 else "positive",
                    )
                )  # fmt: skip
        db.session.commit()
        rollup.refresh(db.session, 0.5)
        db.session.remove()


def test_articles_table_is_readable_at_1366_wide(browser, live_server, many_articles):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, "admin")
        page.goto(live_server.url + "/reports/articles")
        table = page.locator("table[data-table=articles]")
        expect(table).to_be_visible()
        page.evaluate("window.scrollTo(0, 0)")
        save_screenshot(page, "report_articles", publish=True)
        # At least ten rows wholly on the first screen, inside the table's own box too.
        rows_in_view = table.evaluate(
            """table => {
                const box = table.closest('.table-scroll').getBoundingClientRect();
                const bottom = Math.min(box.bottom, window.innerHeight);
                return [...table.tBodies[0].rows].filter(row => {
                    const r = row.getBoundingClientRect();
                    return r.top >= box.top && r.bottom <= bottom;
                }).length;
            }"""
        )
        assert rows_in_view >= 10
        # No heading is cut or squeezed below its text: each column is as wide as its label.
        squeezed = table.evaluate(
            """table => [...table.tHead.querySelectorAll('th')].filter(th => {
                const text = document.createRange();
                text.selectNodeContents(th);
                return th.scrollWidth > th.clientWidth
                    || text.getBoundingClientRect().height > th.clientHeight;
            }).map(th => th.textContent.trim())"""
        )
        assert squeezed == []
        # Whatever does not fit scrolls sideways with the article's title kept in view.
        scroller = page.locator(".table-scroll").first
        scroller.evaluate("box => { box.scrollLeft = box.scrollWidth; }")
        title_cell = table.locator("tbody tr").first.locator("th, td").first
        box = scroller.bounding_box()
        cell = title_cell.bounding_box()
        assert cell["x"] >= box["x"] - 1 and cell["x"] < box["x"] + 10
    finally:
        context.close()


def test_moderator_downloads_the_decisions_from_the_moderators_report(page, live_server, decided):
    sign_in(page, live_server, "mod")
    page.goto(live_server.url + "/reports/moderators")
    form = page.get_by_role("form", name="Export decisions")
    form.get_by_label("Action").select_option("approve")
    form.get_by_label("Moderator").fill("mod")
    save_screenshot(page, "report_moderators_export")
    with page.expect_download() as download:
        form.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == "decisions.csv"
    with open(download.value.path(), encoding="utf-8") as saved:
        rows = list(csv.DictReader(io.StringIO(saved.read())))
    # The fixture's moderator approved comments 0 and 4 of the first twelve.
    assert [(row["moderator"], row["action"]) for row in rows] == [("mod", "approve")] * 2
    with page.expect_download() as download:
        form.get_by_role("button", name="Download JSON").click()
    assert download.value.suggested_filename == "decisions.json"
