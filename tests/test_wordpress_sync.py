"""`moderation sync wordpress`: comments pulled from a WordPress site, decisions pushed back.

Every test runs against the recording of a real WordPress (tests/wordpress_site.py), and
against the real one when MODERATION_TEST_WORDPRESS_URL, _USER and _APP_PASSWORD name it
(``.ci/run`` starts one with .ci/wordpress.sh); in CI a missing WordPress is an error.
"""

from __future__ import annotations

import os
import threading
from http.server import HTTPServer, SimpleHTTPRequestHandler
from pathlib import Path

import pytest
import sqlalchemy as sa
from wordpress_site import (
    LATER,
    RECORDED_PASSWORD,
    RECORDED_URL,
    RECORDED_USER,
    add_comment,
    load_recorded,
    make_thread,
)

from moderation import wordpress_api
from moderation.decisions import decide, undo
from moderation.extensions import db
from moderation.importers.wordpress_rest import comment_record
from moderation.models import Article, Comment, Decision, User, WordPressPush, WordPressSite
from moderation.wordpress_api import WordPressAPI, WordPressError
from moderation.wordpress_sync import pull, push

DATA = Path(__file__).resolve().parent / "data"
# As conftest's app fixture takes them (conftest is not importable by name from here:
# tests/browser has one too).
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("MODERATION_TEST_POSTGRES_URL") else [])
REAL = {
    part: os.environ.get(f"MODERATION_TEST_WORDPRESS_{part}")
    for part in ("URL", "USER", "APP_PASSWORD")
}
if os.environ.get("CI") == "true" and not all(REAL.values()):
    raise RuntimeError(
        "CI must run the WordPress sync tests on a real WordPress: run .ci/wordpress.sh and set "
        "MODERATION_TEST_WORDPRESS_URL, _USER and _APP_PASSWORD"
    )
# The recording on every database; the real site (slower: PHP answers each request) on SQLite.
SITE_RUNS = [(backend, "recorded") for backend in BACKENDS] + (
    [("sqlite", "real")] if all(REAL.values()) else []
)
on_each_site = pytest.mark.parametrize(("app", "site"), SITE_RUNS, indirect=True)


class RealSite:
    def __init__(self):
        self.url, self.user, self.password = REAL["URL"], REAL["USER"], REAL["APP_PASSWORD"]
        with self.api() as api:
            self.thread = make_thread(api)

    def api(self) -> WordPressAPI:
        api = WordPressAPI(self.url, self.user, self.password)
        api.connect()
        return api

    def set_status(self, comment_id: int, status: str) -> None:
        with self.api() as api:
            api.set_status(comment_id, status)

    def status(self, comment_id: int) -> str:
        with self.api() as api:
            return api.comment(comment_id)["status"]

    def delete(self, comment_id: int) -> None:
        with self.api() as api:
            api.delete(f"wp/v2/comments/{comment_id}", {"force": "true"})

    def add_later(self) -> int:
        with self.api() as api:
            return add_comment(api, self.thread.post_id, *LATER, parent=self.thread.comment_ids[3])


class RecordedSite:
    def __init__(self):
        self.url, self.user, self.password = RECORDED_URL, RECORDED_USER, RECORDED_PASSWORD
        self.fake = load_recorded()
        self.thread = self.fake.thread

    def api(self, password: str | None = None) -> WordPressAPI:
        api = WordPressAPI(
            self.url, self.user, password or self.password, transport=self.fake.transport()
        )
        api.connect()
        return api

    def set_status(self, comment_id: int, status: str) -> None:
        self.fake.comments[comment_id]["status"] = status

    def status(self, comment_id: int) -> str:
        return self.fake.comments[comment_id]["status"]

    def delete(self, comment_id: int) -> None:
        del self.fake.comments[comment_id]

    def add_later(self) -> int:
        return self.fake.publish_later()


@pytest.fixture
def site(request):
    return RealSite() if request.param == "real" else RecordedSite()


@pytest.fixture
def moderator(app):
    user = User(username="mod", role="moderator", password_hash="!")
    db.session.add(user)
    db.session.commit()
    return user


def thread_comments(site) -> dict[int, Comment]:
    return {
        int(comment.external_id): comment for comment in thread_comments_of(site.thread.post_id)
    }


def thread_comments_of(post_id: int) -> list[Comment]:
    return db.session.scalars(
        sa.select(Comment).join(Article).where(Article.key == f"wp:{post_id}")
    ).all()


def decide_as(moderator, comment: Comment, status: str) -> None:
    decide(db.session, comment.id, comment.version, status, moderator)


@on_each_site
def test_pull_imports_held_comments_with_their_post_and_again_adds_nothing(app, site):
    with site.api() as api:
        first = pull(db.session, api)
        comments = thread_comments(site)
        assert sorted(comments) == site.thread.comment_ids
        ann, bob = (comments[number] for number in site.thread.comment_ids[:2])
        assert (ann.status, ann.source_status, ann.author_email) == (
            "pending",
            "0",
            "ann@example.org",
        )
        # HTML as WXR imports read it: entities decoded, tags gone.
        assert ann.body == "The bridge will shorten my commute a lot. Good vote & good news."
        assert bob.parent_id == ann.id
        article = db.session.get(Article, ann.article_id)
        assert article.title == "Council approves the new bridge"
        assert article.author == site.user and article.site == "127.0.0.1"
        assert "bridge over the river" in article.body
        assert first.comments_new >= 5

        again = pull(db.session, api)
        assert again.comments_new == again.comments_updated == 0
        assert again.comments_unchanged >= 5  # the held ones, read again

        later = site.add_later()
        third = pull(db.session, api)
    assert third.comments_new == 1
    added = thread_comments(site)[later]
    assert added.parent_id == thread_comments(site)[site.thread.comment_ids[3]].id
    assert db.session.get(WordPressSite, "127.0.0.1").last_comment_id == later


@on_each_site
def test_push_sets_each_decision_on_the_site_and_lists_conflicts(app, site, moderator):
    with site.api() as api:
        pull(db.session, api)
        comments = thread_comments(site)
        ann, bob, cleo, dan, eve = (comments[n] for n in site.thread.comment_ids)
        for comment, status in [
            (ann, "approved"),
            (bob, "spam"),
            (cleo, "rejected"),
            (dan, "escalated"),
            (eve, "rejected"),
        ]:
            decide_as(moderator, comment, status)
        site.set_status(int(eve.external_id), "approved")  # someone approved it on the site

        summary = push(db.session, api, rejected_as="trash")
        assert summary.pushed == {"approved": 1, "spam": 1, "trash": 1}
        assert summary.already == 1  # escalated: left held
        [conflict] = summary.conflicts
        assert (conflict.comment_id, conflict.expected, conflict.found) == (
            eve.id,
            "hold",
            "approved",
        )
        assert "changed on the site since it was pulled (status hold → approved)" in str(conflict)
        assert [site.status(int(c.external_id)) for c in (ann, bob, cleo, dan, eve)] == [
            "approved",
            "spam",
            "trash",
            "hold",
            "approved",  # not overwritten
        ]
        again = push(db.session, api)
    assert (again.pushed, again.already, again.conflicts) == ({}, 0, [])
    rows = db.session.scalars(sa.select(WordPressPush).order_by(WordPressPush.id)).all()
    assert [(row.comment_id, row.outcome) for row in rows] == [
        (ann.id, "pushed"),
        (bob.id, "pushed"),
        (cleo.id, "pushed"),
        (dan.id, "already"),
        (eve.id, "conflict"),
    ]


@on_each_site
def test_a_later_decision_is_pushed_against_the_status_last_seen(app, site, moderator):
    with site.api() as api:
        pull(db.session, api)
        ann = thread_comments(site)[site.thread.comment_ids[0]]
        decide_as(moderator, ann, "approved")
        push(db.session, api)
        db.session.refresh(ann)
        decide_as(moderator, ann, "spam")  # changed their mind: the site has it approved
        summary = push(db.session, api, spam_as="trash")
    assert summary.pushed == {"trash": 1} and not summary.conflicts
    assert site.status(site.thread.comment_ids[0]) == "trash"


@on_each_site
def test_an_undone_decision_puts_the_comment_back_on_hold(app, site, moderator):
    with site.api() as api:
        pull(db.session, api)
        ann = thread_comments(site)[site.thread.comment_ids[0]]
        decide_as(moderator, ann, "rejected")
        push(db.session, api)
        assert site.status(site.thread.comment_ids[0]) == "trash"
        undo(db.session, latest_decision(ann).id, moderator)
        summary = push(db.session, api)
    assert summary.pushed == {"hold": 1}
    assert site.status(site.thread.comment_ids[0]) == "hold"


def latest_decision(comment: Comment) -> Decision:
    return db.session.scalars(
        sa.select(Decision).where(Decision.comment_id == comment.id).order_by(Decision.id.desc())
    ).first()


@on_each_site
def test_an_edit_or_deletion_on_the_site_is_a_conflict(app, site, moderator):
    with site.api() as api:
        pull(db.session, api)
        ann = thread_comments(site)[site.thread.comment_ids[0]]
        ann.body = "A text other than the site's"  # as if edited there after the pull
        db.session.commit()
        decide_as(moderator, ann, "approved")
        cleo = thread_comments(site)[site.thread.comment_ids[2]]
        decide_as(moderator, cleo, "rejected")
        site.delete(site.thread.comment_ids[2])
        edited, deleted = push(db.session, api).conflicts
    assert "its text was edited on the site" in edited.reason
    assert site.status(site.thread.comment_ids[0]) == "hold"
    assert (deleted.comment_id, deleted.found) == (cleo.id, "deleted")
    assert deleted.reason == "deleted on the site since it was pulled"


@on_each_site
def test_a_push_cut_off_half_way_goes_on_without_pushing_anything_twice(
    app, site, moderator, monkeypatch
):
    with site.api() as api:
        pull(db.session, api)
        comments = [thread_comments(site)[n] for n in site.thread.comment_ids[:3]]
        for comment in comments:
            decide_as(moderator, comment, "approved")
        sent = []
        set_status = api.set_status

        def cut_off_after_the_second(comment_id, status):
            answer = set_status(comment_id, status)
            sent.append(comment_id)
            if len(sent) == 2:
                raise KeyboardInterrupt  # the site has it; this database never heard
            return answer

        monkeypatch.setattr(api, "set_status", cut_off_after_the_second)
        with pytest.raises(KeyboardInterrupt):
            push(db.session, api)
        db.session.rollback()
        resumed = push(db.session, api)
    assert resumed.pushed == {"approved": 1} and resumed.already == 1
    assert sent == [c.external_id for c in comments]  # each sent once
    assert all(site.status(int(c.external_id)) == "approved" for c in comments)


@on_each_site
def test_sync_command_pushes_then_pulls(app, runner, site, moderator, monkeypatch):
    if isinstance(site, RecordedSite):
        transport = site.fake.transport()
        original = WordPressAPI.__init__
        monkeypatch.setattr(
            WordPressAPI,
            "__init__",
            lambda self, *args: original(self, *args, transport=transport),
        )
    arguments = ["sync", "wordpress", "--url", site.url, "--user", site.user, "--no-score"]
    monkeypatch.setenv("MODERATION_WORDPRESS_APP_PASSWORD", site.password)
    result = runner.invoke(args=arguments)
    assert result.exit_code == 0, result.output
    assert "pushed 0 decisions" in result.output and "pulled" in result.output
    ann = thread_comments(site)[site.thread.comment_ids[0]]
    decide_as(moderator, ann, "approved")
    site.set_status(site.thread.comment_ids[1], "trash")
    bob = thread_comments(site)[site.thread.comment_ids[1]]
    decide_as(moderator, bob, "approved")

    result = runner.invoke(args=arguments)
    assert result.exit_code == 1  # a conflict
    assert "pushed 1 decisions (1 approved), 0 already so on the site, 1 conflicts" in result.output
    assert f"conflict: comment {bob.id} (WordPress comment {bob.external_id}" in result.output
    assert "(status hold → trash); not set to approved" in result.output
    assert site.status(site.thread.comment_ids[0]) == "approved"


@on_each_site
def test_wrong_password_is_refused_with_the_url(app, site):
    if isinstance(site, RecordedSite):
        with pytest.raises(WordPressError) as refused:
            site.api(password="wrong")
    else:
        with pytest.raises(WordPressError) as refused:
            WordPressAPI(site.url, site.user, "wrong password").connect()
    assert str(refused.value).startswith(f"{site.url}/wp-json/wp/v2/comments")
    assert "refused (HTTP 401)" in str(refused.value) and "--app-password" in str(refused.value)


def test_network_down_and_not_wordpress_are_clear_errors(app, runner, tmp_path):
    arguments = ["sync", "wordpress", "--user", "u", "--app-password", "p", "--url"]
    # Port 9 (discard) of loopback: nothing listens there.
    result = runner.invoke(args=[*arguments, "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: http://127.0.0.1:9/wp-json/: cannot connect")
    assert "Traceback" not in result.output

    (tmp_path / "index.html").write_text("<p>just a page</p>")
    handler = lambda *args: SimpleHTTPRequestHandler(*args, directory=str(tmp_path))  # noqa: E731
    server = HTTPServer(("127.0.0.1", 0), handler)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        result = runner.invoke(args=[*arguments, url])
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1
    assert f"Error: {url}: not a WordPress site (no REST API at {url}/wp-json/)" in result.output


@on_each_site
def test_pages_end_where_the_site_says_even_when_the_last_is_full(app, site, monkeypatch):
    with site.api() as api:
        everything = api.pages("wp/v2/comments", {"status": "all", "context": "edit"})
        total = sum(len(page.items) for page in everything)
        # Pages all full (WordPress gives at most 100): asking for one more would be refused.
        size = max(size for size in range(1, 101) if total % size == 0)
        monkeypatch.setattr(wordpress_api, "PER_PAGE", size)
        pages = list(api.pages("wp/v2/comments", {"status": "all", "context": "edit"}))
    assert [len(page.items) for page in pages] == [size] * (total // size)


def test_a_comment_leaving_the_list_during_a_pull_moves_none_past_it(app, monkeypatch):
    """Page 1 read, then the newest comment is spammed on the site: every later one moves up
    a place, the first of page 2 onto page 1. The pull must still take it."""
    site = RecordedSite()
    for comment in site.fake.comments.values():
        comment["status"] = "approved"  # so that only the scan of new comments can find them
    newest = max(site.thread.comment_ids)
    lists = site.fake._comment_list

    def spam_the_newest_after_page_one(query):
        answer = lists(query)
        if query.get("page") == "1" and query["status"] == "all":
            site.fake.comments[newest]["status"] = "spam"
        return answer

    monkeypatch.setattr(site.fake, "_comment_list", spam_the_newest_after_page_one)
    monkeypatch.setattr(wordpress_api, "PER_PAGE", 2)
    with site.api() as api:
        pull(db.session, api)
    assert sorted(thread_comments(site)) == site.thread.comment_ids


def test_an_answer_that_is_not_comments_is_refused_with_the_url(app):
    site = RecordedSite()
    site.fake.comments[site.thread.comment_ids[0]].pop("post")
    with site.api() as api, pytest.raises(WordPressError) as refused:
        pull(db.session, api)
    assert str(refused.value).startswith(f"{RECORDED_URL}: an answer that is not a WordPress")


def test_a_site_without_pretty_permalinks_is_reached_at_rest_route(app, moderator):
    site = RecordedSite()
    site.fake.pretty_permalinks = False
    with site.api() as api:
        pull(db.session, api)
        ann = thread_comments(site)[site.thread.comment_ids[0]]
        decide_as(moderator, ann, "approved")
        assert push(db.session, api).pushed == {"approved": 1}
    assert site.status(site.thread.comment_ids[0]) == "approved"


def test_records_map_like_the_wxr_importer(app):
    recorded = load_recorded()
    bob = comment_record(recorded.comments[recorded.thread.comment_ids[1]])
    assert (bob.article_key, bob.external_id, bob.parent_external_id) == ("wp:5", "6", "5")
    assert (bob.source_status, bob.kind, bob.author_ip) == ("0", "comment", "127.0.0.1")


def test_a_wxr_export_and_a_sync_of_the_same_site_agree(app, runner):
    """The export WordPress made of the recorded site (Tools > Export), then its sync."""
    export = str(DATA / "wordpress_recorded.wxr.xml")
    assert runner.invoke(args=["import", export, "--no-score"]).exit_code == 0
    imported = {c.external_id: (c.content_hash, c.article_id) for c in thread_comments_of(5)}
    site = RecordedSite()
    site.add_later()  # the export was made after the later comment came
    with site.api() as api:
        summary = pull(db.session, api)
    assert summary.comments_new == summary.comments_updated == 0
    assert summary.articles_new == summary.articles_updated == 0
    assert {c.external_id: (c.content_hash, c.article_id) for c in thread_comments_of(5)} == (
        imported
    )
    assert len(imported) == 6
