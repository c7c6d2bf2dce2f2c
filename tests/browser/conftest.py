"""Browser tests: Playwright driving Debian's Chromium against a live server.

The app runs in a thread (werkzeug on 127.0.0.1, a free port) on a temporary
SQLite database seeded from ``seeds/*.txt`` through the real import and scoring,
plus one hostile comment. No browser is downloaded: Playwright launches
``/usr/bin/chromium`` (``apt-get install -y chromium``; ``pip install playwright``).

Without Chromium or Playwright the tests skip with the reason, except in CI
(``CI=true``), where that is a failure.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from browser_support import PASSWORD, REPO

CHROMIUM = Path(os.environ.get("MODERATION_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HOSTILE_BODY = (
    '<script>alert("xss")</script>\n\n'
    "<img src=x onerror=alert(1)>\n\n"
    '<a href="javascript:alert(2)">click me</a>'
)


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (apt-get install -y chromium)"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _missing_browser()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Hand-written news pages and exports with realistic comments: with the seeds, enough
# pending comments (35) to fill a screen and two queue pages.
BUSY_SOURCES = [
    *sorted((REPO / "tests" / "data" / "scraped").glob("*.txt")),
    REPO / "tests" / "data" / "xml" / "wordpress_export.xml",
    REPO / "tests" / "data" / "tabular" / "comments.csv",
    REPO / "tests" / "data" / "tabular" / "comments.jsonl",
]


@pytest.fixture
def live_server(tmp_path, monkeypatch):
    """The app on a seeded temporary database, served from a thread."""
    yield from _serve(tmp_path, monkeypatch, [])


@pytest.fixture
def busy_server(tmp_path, monkeypatch):
    """Like ``live_server``, with more comments: pages of 20 comments, and a second page."""
    yield from _serve(tmp_path, monkeypatch, BUSY_SOURCES, {"QUEUE_PAGE_SIZE": 20})


def _serve(tmp_path, monkeypatch, sources, config=None):
    from werkzeug.serving import make_server

    from moderation import accounts, create_app
    from moderation.database import ensure_schema
    from moderation.extensions import db
    from moderation.ingest import import_stream
    from moderation.models import Comment, RejectReason
    from moderation.scoring_runner import score_stale

    for variable in ("MODERATION_DATABASE_URL", "MODERATION_SECRET_KEY"):
        monkeypatch.delenv(variable, raising=False)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'browser.sqlite'}",
            "SECRET_KEY": "browser-tests",
            "SESSION_COOKIE_SECURE": False,  # plain HTTP on loopback
            "JOB_QUEUE_IMMEDIATE": True,
            **(config or {}),
        }
    )
    with app.app_context():
        ensure_schema()
        for seed in [*sorted((REPO / "seeds").glob("*.txt")), *sources]:
            with seed.open("rb") as stream:
                assert import_stream(db.session, stream, seed.name).succeeded
        first = db.session.scalars(db.select(Comment).order_by(Comment.id)).first()
        db.session.add(
            Comment(
                article_id=first.article_id, external_id="hostile", position=99,
                author_name="mallory", body=HOSTILE_BODY, content_hash="hostile",
            )
        )  # fmt: skip
        db.session.commit()
        score_stale(db.session, workers=1)
        for position, label in enumerate(["Off-topic", "Abusive", "Spam"]):
            db.session.add(RejectReason(label=label, position=position))
        db.session.commit()
        accounts.create_user(db.session, "admin", "admin", PASSWORD)
        accounts.create_user(db.session, "mod", "moderator", PASSWORD)
        db.session.remove()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(app=app, url=f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


@pytest.fixture
def open_page(browser):
    """A factory of pages at a given window size, each in a context of its own."""
    contexts = []

    def open_at(width: int, height: int):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_at
    for context in contexts:
        context.close()
