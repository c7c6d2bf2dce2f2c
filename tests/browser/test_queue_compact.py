"""The compact queue in a real browser: a screenful of one-line comments at 1366x900 and
the first comment above the fold on a phone, keys across pages, feedback beside the
comment, conflicts shown as they are, bulk "all matching" with its exact count, and undo."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from browser_support import save_screenshot, sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips, or fails in CI, saying why
    expect = None


from moderation import decisions
from moderation.extensions import db
from moderation.models import Comment, CommentScore, Decision, User

pytestmark = pytest.mark.browser


def fully_visible_rows(page) -> int:
    """How many queue rows lie wholly inside the window, as a person sees it."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#queue-list article.comment')].filter(row => {
            const box = row.getBoundingClientRect();
            return box.top >= 0 && box.bottom <= window.innerHeight && box.height > 0;
        }).length"""
    )


def test_a_screenful_of_comments_at_1366_by_900(open_page, busy_server):
    page = open_page(1366, 900)
    sign_in(page, busy_server)
    rows = page.locator("#queue-list article.comment")
    expect(rows).to_have_count(20)
    assert fully_visible_rows(page) >= 10
    toolbar = page.locator(".toolbar-line").bounding_box()
    assert toolbar["height"] < 50  # one line
    first = rows.first
    expect(first).to_have_class(re.compile("current"))
    assert first.evaluate("row => getComputedStyle(row).outlineStyle") == "solid"
    save_screenshot(page, "queue", publish=True)

    # A row opens in place: the whole text, article and thread, scores and the buttons.
    page.keyboard.press("o")
    expect(first.locator(".row-body")).to_be_visible()
    expect(first.locator(".row-body .comment-text")).to_be_visible()
    expect(first.locator(".row-body a.context-link")).to_be_visible()
    expect(first.get_by_role("button", name="Approve")).to_be_visible()
    # Its scores, author and article are fetched as it opens.
    expect(first.locator(".row-details.loaded .scores")).to_be_visible()
    expect(first.locator(".row-details a[href^='/author?name=']")).to_be_visible()
    save_screenshot(page, "queue_row_open")
    page.keyboard.press("o")
    expect(first.locator(".row-body")).to_be_hidden()


def test_the_first_comment_is_above_the_fold_on_a_phone(open_page, busy_server):
    page = open_page(375, 812)
    sign_in(page, busy_server)
    toolbar = page.locator("#toolbar")
    expect(toolbar).not_to_have_attribute("open", "")
    first = page.locator("#queue-list article.comment").first
    box = first.bounding_box()
    assert box["y"] + box["height"] <= 812
    assert fully_visible_rows(page) >= 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll
    save_screenshot(page, "queue_phone", publish=True)
    toolbar.locator("summary").click()
    expect(page.locator("#bulk-form")).to_be_visible()


def comment_ids(server, *conditions) -> list[int]:
    with server.app.app_context():
        ids = db.session.scalars(
            sa.select(Comment.id).outerjoin(CommentScore).where(*conditions).order_by(Comment.id)
        ).all()
        db.session.remove()
    return list(ids)


def statuses(server, ids) -> list[str]:
    with server.app.app_context():
        rows = dict(db.session.execute(sa.select(Comment.id, Comment.status)).all())
        db.session.remove()
    return [rows[i] for i in ids]


def decide_as_admin(server, comment_id: int, status: str) -> None:
    """Another moderator's decision, made meanwhile behind the page's back."""
    with server.app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
        version = db.session.scalar(sa.select(Comment.version).where(Comment.id == comment_id))
        decisions.decide(db.session, comment_id, version, status, admin)
        db.session.remove()


def test_keys_work_across_pages_and_answer_beside_the_comment(open_page, busy_server):
    page = open_page(1366, 900)
    sign_in(page, busy_server)
    rows = page.locator("#queue-list article.comment")
    expect(rows).to_have_count(20)
    for _ in range(19):
        page.keyboard.press("j")
    expect(rows.nth(19)).to_have_class(re.compile("current"))
    last_of_first_page = int(rows.nth(19).get_attribute("data-comment-id"))
    page.keyboard.press("j")  # past the last row: the next page, its first row focused
    page.wait_for_url(re.compile(r"after="))
    first = rows.first
    expect(first).to_have_class(re.compile("current"))
    expect(first).to_be_focused()
    first_id = int(first.get_attribute("data-comment-id"))
    assert first_id != last_of_first_page
    page.keyboard.press("a")
    message = first.locator(".row-message")
    expect(message).to_have_text(f"Comment #{first_id} approved.")
    assert message.is_visible() and message.bounding_box()["y"] < 900
    expect(page.locator("#messages")).to_be_empty()
    expect(rows.nth(1)).to_have_class(re.compile("current"))  # focus moved on
    assert statuses(busy_server, [first_id]) == ["approved"]


def test_a_conflict_shows_the_comment_as_it_is_now(open_page, busy_server):
    page = open_page(1366, 900)
    sign_in(page, busy_server)
    first = page.locator("#queue-list article.comment").first
    comment_id = int(first.get_attribute("data-comment-id"))
    decide_as_admin(busy_server, comment_id, "spam")
    page.keyboard.press("a")  # on what the page still shows as pending
    message = first.locator(".row-message")
    expect(message).to_contain_text(f"Comment #{comment_id} was already decided by admin")
    expect(message).to_contain_text("(now spam); your decision was not applied.")
    expect(first.locator(".row-line .badge.status")).to_have_text("spam")
    expect(first).to_have_class(re.compile("conflicted"))
    assert statuses(busy_server, [comment_id]) == ["spam"]
    # The row now carries the comment's current version: a deliberate decision goes through.
    first.locator("summary.row-line").click()
    first.locator("button[data-action=approve]").click()
    expect(message).to_have_text(f"Comment #{comment_id} approved.")
    assert statuses(busy_server, [comment_id]) == ["approved"]


def test_bulk_on_all_matching_confirms_the_exact_count_and_undoes_as_one(open_page, busy_server):
    page = open_page(1366, 900)
    sign_in(page, busy_server, "admin")
    matching = comment_ids(
        busy_server, Comment.status == "pending", CommentScore.sentiment_label == "negative"
    )
    assert len(matching) > 3
    page.goto(busy_server.url + "/queue?sentiment=negative")
    bulk = page.locator("#bulk-form")
    bulk.get_by_label("Bulk decision").select_option("reject")
    bulk.get_by_label("Apply to").select_option("matching")
    bulk.get_by_role("button", name="Apply").click()
    dialog = page.locator("#bulk-confirm")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Reject {len(matching)} comments?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert set(statuses(busy_server, matching)) == {"pending"}  # nothing without a yes

    bulk.get_by_role("button", name="Apply").click()
    dialog.get_by_role("button", name=f"Reject {len(matching)} comments").click()
    expect(page.locator("#messages")).to_contain_text(f"{len(matching)} comments rejected.")
    assert set(statuses(busy_server, matching)) == {"rejected"}

    # Someone else decides one of them again; undoing the bulk leaves that one, and says so.
    page.goto(busy_server.url + "/queue")
    expect(page.locator("#undo-bulk-form")).to_be_visible()
    assert page.locator(".toolbar-line").bounding_box()["height"] < 50  # still one line
    moved = matching[0]
    with busy_server.app.app_context():
        moderator = db.session.scalar(sa.select(User).where(User.username == "mod"))
        version = db.session.scalar(sa.select(Comment.version).where(Comment.id == moved))
        decisions.decide(db.session, moved, version, "approved", moderator)
        db.session.remove()
    page.get_by_role("button", name=f"Undo bulk ({len(matching)} rejected)").click()
    messages = page.locator("#messages")
    expect(messages).to_contain_text(f"Undone {len(matching) - 1} decisions. 1 left as they are:")
    expect(messages).to_contain_text(f"Comment #{moved} was already decided by mod")
    assert statuses(busy_server, matching) == ["approved"] + ["pending"] * (len(matching) - 1)
    expect(page.get_by_role("button", name=re.compile("Undo bulk"))).to_have_count(0)
    with busy_server.app.app_context():
        undos = db.session.scalars(sa.select(Decision).where(Decision.undoes_id.is_not(None)))
        assert sorted(d.comment_id for d in undos) == matching[1:]  # each undo in the audit log
        db.session.remove()


def test_bulk_confirmation_and_undo_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, "admin")
    matching = comment_ids(
        live_server, Comment.status == "pending", CommentScore.sentiment_label == "negative"
    )
    page.goto(live_server.url + "/queue?sentiment=negative")
    bulk = page.locator("#bulk-form")
    bulk.get_by_label("Bulk decision").select_option("spam")
    bulk.get_by_label("Apply to").select_option("matching")
    bulk.get_by_role("button", name="Apply").click()
    question = f"Mark {len(matching)} comments as spam?"
    expect(page.get_by_role("heading", level=1)).to_have_text(question)
    assert set(statuses(live_server, matching)) == {"pending"}
    page.get_by_role("button", name=question.rstrip("?")).click()
    expect(page.locator("#messages")).to_contain_text(f"{len(matching)} comments marked as spam.")
    assert set(statuses(live_server, matching)) == {"spam"}
    page.get_by_role("button", name=f"Undo bulk ({len(matching)} spam)").click()
    expect(page.locator("#messages")).to_contain_text(f"Undone {len(matching)} decisions.")
    assert set(statuses(live_server, matching)) == {"pending"}
    context.close()
