"""The queue in a real browser: hostile text stays inert, the keyboard works, bulk and
undo work, the audit log shows it all, and the pages work without JavaScript too."""

import re

import pytest
import sqlalchemy as sa
from browser_support import PASSWORD, save_screenshot, sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips, or fails in CI, saying why
    expect = None

from moderation.extensions import db
from moderation.models import Comment, Decision

pytestmark = pytest.mark.browser


def statuses(live_server) -> dict[int, str]:
    with live_server.app.app_context():
        rows = db.session.execute(sa.select(Comment.id, Comment.status)).all()
        db.session.remove()
    return dict(rows)


def decisions(live_server) -> list[Decision]:
    with live_server.app.app_context():
        rows = db.session.scalars(sa.select(Decision).order_by(Decision.id)).all()
        db.session.expunge_all()
        db.session.remove()
    return rows


def test_hostile_comment_renders_as_inert_text(page, live_server):
    sign_in(page, live_server)
    response = page.goto(live_server.url + "/queue")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    hostile = page.locator("article.comment", has_text="click me")
    expect(hostile).to_have_count(1)
    expect(hostile.locator(".comment-text")).to_contain_text('<script>alert("xss")</script>')
    expect(hostile.locator(".comment-text")).to_contain_text("<img src=x onerror=alert(1)>")
    # Nothing was created from the text: no image, no script, no link.
    assert hostile.locator("img, script, .comment-text a").count() == 0
    assert page.locator('a[href^="javascript:"]').count() == 0
    assert page.evaluate("document.images.length") == 0
    # Opened, the row fetches its details (scores, author, article): inert as well.
    hostile.locator("summary.row-line").click()
    expect(hostile.locator(".row-details.loaded .scores")).to_be_visible()
    page.wait_for_timeout(300)
    assert hostile.locator("img, script, .row-details a[href^='javascript:']").count() == 0
    assert page.evaluate("document.images.length") == 0
    assert page.dialogs == []
    page.goto(live_server.url + "/comments/" + hostile.get_attribute("data-comment-id"))
    page.wait_for_timeout(300)  # give any (wrongly) injected handler a chance to fire
    assert page.dialogs == []
    assert page.evaluate("document.images.length") == 0


def test_working_through_the_queue_with_the_keyboard(page, live_server):
    sign_in(page, live_server)
    before = statuses(live_server)
    cards = page.locator("article.comment")
    pending = cards.count()
    assert pending == sum(status == "pending" for status in before.values())

    page.keyboard.press("?")
    expect(page.locator("#key-help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#key-help")).to_be_hidden()

    order = [int(cards.nth(i).get_attribute("data-comment-id")) for i in range(pending)]
    expect(cards.nth(0)).to_have_class(re.compile("current"))
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("j")
    expect(cards.nth(1)).to_have_class(re.compile("current"))
    page.keyboard.press("a")  # approve the second: the message shows beside it
    expect(page.locator(f"#comment-{order[1]} .row-message")).to_have_text(
        f"Comment #{order[1]} approved."
    )
    expect(page.locator("#messages")).to_be_empty()
    expect(page.locator(f"#comment-{order[1]} .badge.status")).to_have_text("approved")
    expect(page.locator('.tabs a[data-tab="approved"] .count')).to_have_text("1")
    expect(page.locator('.tabs a[data-tab="pending"] .count')).to_have_text(str(pending - 1))

    page.keyboard.press("s")  # the next one becomes current: spam
    expect(page.locator(f"#comment-{order[2]} .row-message")).to_contain_text(
        f"Comment #{order[2]} marked as spam."
    )
    page.keyboard.press("e")
    expect(page.locator(f"#comment-{order[3]} .row-message")).to_contain_text(
        f"Comment #{order[3]} escalated."
    )
    page.keyboard.press("r")  # reject: choose the reason, Enter
    reason = page.locator(f"#comment-{order[4]} select[name=reason]")
    expect(reason).to_be_focused()
    reason.select_option("Abusive")
    reason.press("Enter")
    expect(page.locator(f"#comment-{order[4]} .row-message")).to_contain_text(
        f"Comment #{order[4]} rejected."
    )

    page.keyboard.press("u")  # undo the last decision (the reject)
    expect(page.locator("#messages")).to_contain_text(f"Undone: comment #{order[4]} is pending")
    after = statuses(live_server)
    assert (after[order[1]], after[order[2]], after[order[3]], after[order[4]]) == (
        "approved", "spam", "escalated", "pending",
    )  # fmt: skip
    assert [(d.to_status, d.reason) for d in decisions(live_server)] == [
        ("approved", None), ("spam", None), ("escalated", None), ("rejected", "Abusive"),
        ("pending", "undo"),
    ]  # fmt: skip


def test_bulk_reject_undo_and_the_audit_log(page, live_server):
    sign_in(page, live_server, "admin")
    cards = page.locator("article.comment")
    chosen = [int(cards.nth(i).get_attribute("data-comment-id")) for i in range(3)]
    for _ in chosen:  # x selects, j moves on
        page.keyboard.press("x")
        page.keyboard.press("j")
    bulk = page.locator("#bulk-form")
    bulk.get_by_label("Decision").select_option("reject")
    bulk.get_by_label("Reason (reject)").select_option("Spam")
    bulk.get_by_role("button", name="Apply").click()
    expect(page.locator("#messages")).to_contain_text("3 comments rejected.")
    assert {statuses(live_server)[i] for i in chosen} == {"rejected"}

    page.get_by_role("button", name="Undo my last decision").click()
    expect(page.locator("#messages")).to_contain_text("Undone 3 decisions.")
    assert {statuses(live_server)[i] for i in chosen} == {"pending"}

    page.goto(live_server.url + "/admin/decisions")
    log = page.locator("#audit-log")
    expect(log.locator("tr.undone")).to_have_count(3)
    expect(log).to_contain_text("pending → rejected")
    expect(log).to_contain_text("rejected → pending")
    day = page.locator("#decisions-by-day tbody tr")
    expect(day).to_have_count(1)
    expect(day).to_contain_text("admin")
    save_screenshot(page, "audit-log")


def test_context_view_highlights_shared_terms(page, live_server):
    sign_in(page, live_server)
    page.keyboard.press("c")
    page.wait_for_url(re.compile(r"/comments/\d+$"))
    expect(page.get_by_role("heading", name=re.compile("in context"))).to_be_visible()
    expect(page.locator(".neighbours li").first).to_be_visible()
    # Pick a comment that shares terms with the article, so the excerpt has marks.
    for link in page.locator(".neighbours a[href^='/comments/']").all():
        page.goto(live_server.url + link.get_attribute("href"))
        if page.locator(".article-excerpt mark").count():
            break
    assert page.locator(".article-excerpt mark").count() > 0
    save_screenshot(page, "context", publish=True)


def test_everything_works_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server)
    first = page.locator("article.comment").first
    comment_id = int(first.get_attribute("data-comment-id"))
    first.locator("summary.row-line").click()  # opens in place without a script too
    first.get_by_role("button", name="Approve").click()
    expect(page.locator("#messages")).to_contain_text(f"Comment #{comment_id} approved.")
    second = page.locator("article.comment").first
    second_id = int(second.get_attribute("data-comment-id"))
    second.locator("summary.row-line").click()
    second.locator("summary", has_text="Reject").click()
    second.get_by_label("Reason").select_option("Off-topic")
    second.get_by_label("Note").fill("not about the article")
    second.get_by_role("button", name="Reject").click()
    expect(page.locator("#messages")).to_contain_text(f"Comment #{second_id} rejected.")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")
    assert statuses(live_server)[comment_id] == "approved"
    assert decisions(live_server)[-1].note == "not about the article"
    context.close()


def test_wrong_password_then_sign_in(page, live_server):
    page.goto(live_server.url + "/queue")
    page.wait_for_url("**/sign-in?next=*")
    page.get_by_label("Username").fill("mod")
    page.get_by_label("Password").fill("wrong " + PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#messages")).to_contain_text("Wrong username or password.")
    page.get_by_label("Username").fill("mod")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/queue")
