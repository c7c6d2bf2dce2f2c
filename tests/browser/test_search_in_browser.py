"""Queue search in a real browser: the help is on the page, a search finds other forms
of the word, and a filter value the queue cannot use is named above the list."""

import re

import pytest
from browser_support import save_screenshot, sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips, or fails in CI, saying why
    expect = None

pytestmark = pytest.mark.browser


def test_search_finds_other_forms_and_bad_filters_are_named(page, live_server):
    sign_in(page, live_server)
    page.get_by_text("Filter", exact=True).click()
    search = page.get_by_role("searchbox", name="Search text")
    expect(search).to_have_attribute("placeholder", 'words, "a phrase", sanction*')
    expect(page.locator("#search-help")).to_be_visible()
    expect(page.locator("#search-help")).to_contain_text('"Quotes" for an exact phrase')
    search.fill("sanction")
    page.get_by_role("button", name="Apply filter").click()
    texts = page.locator("article.comment .comment-text").all_text_contents()
    assert texts and all(re.search(r"sanctions|sanctioned", text, re.I) for text in texts)
    assert not any(re.search(r"\bsanction\b", text, re.I) for text in texts)

    page.goto(live_server.url + "/queue?q=sanction&min_drift=abc")
    problems = page.get_by_role("alert")
    expect(problems).to_be_visible()
    expect(problems).to_contain_text(
        "min_drift='abc' is not an off-topic score (a number from 0 to 1, like 0.5)."
    )
    assert page.locator("article.comment").count() == len(texts)
    save_screenshot(page, "queue-filter-problem")
