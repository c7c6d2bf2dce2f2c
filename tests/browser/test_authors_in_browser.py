"""Author actions in a real browser: a ban set on the author page rejects that author's
comment in the next import, under the system account, and the queue marks the author."""

import pytest
import sqlalchemy as sa
from browser_support import save_screenshot, sign_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips, or fails in CI, saying why
    expect = None

from moderation.extensions import db
from moderation.models import Comment, Decision, User
from moderation.system_account import SYSTEM_USERNAME

pytestmark = pytest.mark.browser


def an_author_with_pending_comments(live_server) -> str:
    with live_server.app.app_context():
        name = db.session.scalar(
            sa.select(Comment.author_name)
            .where(Comment.status == "pending", Comment.author_name != "")
            .order_by(Comment.id)
            .limit(1)
        )
        db.session.remove()
    return name


def test_a_ban_on_the_author_page_rejects_their_next_imported_comment(page, live_server, tmp_path):
    name = an_author_with_pending_comments(live_server)
    sign_in(page, live_server)
    page.goto(live_server.url + "/author?name=" + name)
    expect(page.locator("#rule-in-force")).to_contain_text("No rule")
    page.get_by_role("button", name="Ban").click()
    expect(page.locator("#messages")).to_contain_text("Author banned")
    expect(page.locator("#rule-in-force")).to_contain_text("banned")
    expect(page.locator("#rule-history")).to_contain_text("no rule → banned")
    page.get_by_label("Add a note").fill("Banned after <three> warnings & a final one.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#notes")).to_contain_text("Banned after <three> warnings & a final one.")

    # The next import, through the command line as an operator runs it.
    new_comments = tmp_path / "next.csv"
    new_comments.write_text(
        "article_id,article_title,comment_id,author,text\n"
        f"later,A later article,n1,{name},Posting again after the ban\n"
        "later,A later article,n2,someone else,An ordinary reply\n"
    )
    result = live_server.app.test_cli_runner().invoke(args=["import", str(new_comments)])
    assert result.exit_code == 0, result.output
    assert "1 decided by author rules" in result.output

    page.reload()
    card = page.locator("article.comment", has_text="Posting again after the ban")
    expect(card.locator(".badge.status")).to_have_text("rejected")
    expect(page.locator("table.log", has_text="author banned")).to_contain_text(SYSTEM_USERNAME)
    save_screenshot(page, "author-banned")

    page.goto(live_server.url + "/queue?tab=all")
    marked = page.locator("article.comment", has_text="Posting again after the ban")
    expect(marked.locator(".badge.author-rule")).to_have_text("banned")
    other = page.locator("article.comment", has_text="An ordinary reply")
    expect(other.locator(".badge.status")).to_have_text("pending")
    assert other.locator(".badge.author-rule").count() == 0

    with live_server.app.app_context():
        decided = db.session.execute(
            sa.select(Comment.external_id, User.username, Decision.reason)
            .join(Decision, Decision.comment_id == Comment.id)
            .join(User, User.id == Decision.moderator_id)
        ).all()
        db.session.remove()
    assert [tuple(row) for row in decided] == [("n1", SYSTEM_USERNAME, "author banned")]
