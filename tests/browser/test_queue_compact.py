"""The compact queue in a real browser: a screenful of one-line comments at 1366x900 and
the first comment above the fold on a phone, keys across pages, feedback beside the
comment, conflicts shown as they are, bulk "all matching" with its exact count, and undo."""

from __future__ import annotations

import re

import pytest
from browser_support import save_screenshot, sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips, or fails in CI, saying why
    expect = None


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
