"""What a moderator sees of the queue on a filled database, measured in Chromium.

Run: ``python bench/bench_queue_screen.py`` (from the repository root, venv active;
Debian's Chromium at /usr/bin/chromium and Playwright). Options: ``--comments N``
(default 30,000), ``--articles N`` (300), ``--db PATH`` to keep (and reuse) the
filled database (filled as ``bench_queue.py`` fills it).

It serves the real app on loopback and prints, for a full 50-comment page: at
1366x900, how many comments are wholly on the first screen, the page's height and
the toolbar's; at 375x812, where the first comment ends and how many comments fit.
Then the time of the exact count that a bulk action on "all matching" asks with.

Targets: at least 10 comments on the first 1366x900 screen; the first comment
above the fold at 375x812.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from bench_queue import fill  # noqa: E402
from filled_database import open_filled, timed  # noqa: E402

from moderation import decisions, queue  # noqa: E402
from moderation.accounts import hash_password  # noqa: E402
from moderation.extensions import db  # noqa: E402
from moderation.models import Comment, User  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
# Nothing but the page under test: no sandbox (root in a container), no calls home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]  # fmt: skip
PASSWORD = "bench screen password"
VISIBLE_ROWS = """() => [...document.querySelectorAll('#queue-list article')].filter(row => {
    const box = row.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight && box.height > 0;
}).length"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comments", type=int, default=30_000)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--db", type=Path, help="database file to fill, or reuse if filled")
    options = parser.parse_args()

    app, workdir = open_filled(
        options.db, "bench-screen-", options.comments, options.articles, fill
    )
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "screen"))
        if user is None:
            db.session.add(
                User(username="screen", role="admin", password_hash=hash_password(PASSWORD))
            )
            db.session.commit()
        article = db.session.scalar(
            sa.select(Comment.article_id).where(Comment.status == "pending").limit(1)
        )
        view = queue.QueueFilter(article=article)
        count_ms = timed(lambda: decisions.matching_count(db.session, view, 1000), 20)
        count = decisions.matching_count(db.session, view, 1000)
        whole = queue.QueueFilter()
        pending = queue.matching_count(db.session, whole)
        whole_ms = timed(lambda: queue.matching_count(db.session, whole), 5)
        db.session.remove()

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for width, height in ((1366, 900), (375, 812)):
                page = browser.new_context(viewport={"width": width, "height": height}).new_page()
                page.goto(url + "/sign-in")
                page.get_by_label("Username").fill("screen")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url("**/queue")
                rows = page.locator("#queue-list article.comment")
                first = rows.first.bounding_box()
                print(
                    f"{width}x{height}: {rows.count()} comments on the page, "
                    f"{page.evaluate(VISIBLE_ROWS)} wholly on the first screen, page "
                    f"{page.evaluate('document.documentElement.scrollHeight')} px tall, "
                    f"toolbar {round(page.locator('#toolbar').bounding_box()['height'])} px, "
                    f"first comment ends at {round(first['y'] + first['height'])} px"
                )
            browser.close()
    finally:
        server.shutdown()
        workdir.cleanup()
    print(
        f"exact count for a bulk action: {statistics.median(count_ms):.1f} ms median "
        f"(one article, {count} comments); {statistics.median(whole_ms):.1f} ms for the whole "
        f"pending tab ({pending:,} of {options.comments:,} comments)"
    )


if __name__ == "__main__":
    main()
