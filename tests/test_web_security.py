"""Security properties of the web interface, checked for every route.

* every page but sign-in (and static files) needs a signed-in user with the right role;
* every POST without a CSRF token is refused;
* hostile comment text renders as inert, escaped text;
* headers: Content-Security-Policy and friends; cookies: HttpOnly, SameSite, Secure;
* passwords are stored hashed.
"""

import re
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask import url_for

from moderation import api_tokens
from moderation.extensions import db
from moderation.models import (
    Article,
    CommentSignature,
    Decision,
    RejectReason,
    User,
    WatchWordEntry,
)
from moderation.webhooks import endpoints

EVERYONE = {"admin", "moderator", "analyst"}
DECIDERS = {"admin", "moderator"}
ADMINS = {"admin"}
PUBLIC = {"static", "auth.sign_in"}
"""And every blueprint's own static files (``<blueprint>.static``)."""

# Which roles may use each endpoint. A new route must be added here, or the
# completeness test fails: no route goes out without a decision about who may use it.
EXPECTED_ROLES = {
    "auth.sign_out": EVERYONE,
    "home.index": EVERYONE,
    "home.overview": EVERYONE,
    "queue.index": EVERYONE,
    "queue.counts": EVERYONE,
    "queue.row_details": EVERYONE,
    "queue.decide": DECIDERS,
    "queue.bulk": DECIDERS,
    "queue.undo_last": DECIDERS,
    "queue.undo_bulk": DECIDERS,
    "comments.context": EVERYONE,
    "comments.history": EVERYONE,
    "comments.undo": DECIDERS,
    "authors.author": EVERYONE,
    "authors.change_rule": DECIDERS,
    "authors.add_note": DECIDERS,
    "exports.decisions": DECIDERS,
    "campaigns.campaign": EVERYONE,
    "campaigns.decide": DECIDERS,
    "admin.index": ADMINS,
    "admin.accounts_page": ADMINS,
    "admin.account_update": ADMINS,
    "admin.account_password": ADMINS,
    "admin.account_sign_out": ADMINS,
    "admin.watch_words": ADMINS,
    "admin.watch_word_delete": ADMINS,
    "admin.reasons": ADMINS,
    "admin.reason_update": ADMINS,
    "admin.reason_delete": ADMINS,
    "admin.settings": ADMINS,
    "admin.rescore": ADMINS,
    "admin.decisions_report": ADMINS,
    "admin.upload": ADMINS,
    "admin.tokens": ADMINS,
    "admin.token_revoke": ADMINS,
    "admin.webhooks": ADMINS,
    "admin.webhook_log": ADMINS,
    "admin.webhook_rotate": ADMINS,
    "admin.webhook_toggle": ADMINS,
    "admin.webhook_retry": ADMINS,
    "admin.webhook_remove": ADMINS,
    "admin.wordpress": ADMINS,
}
# Whole blueprints whose every page has one audience.
BLUEPRINT_ROLES = {
    "reports": EVERYONE,  # analysts read reports; so may everyone else
}


TOKEN_ONLY = "api"
"""The JSON API's blueprint: bearer tokens, never the session (tests/test_api_security.py)."""


def is_public(endpoint: str) -> bool:
    return endpoint in PUBLIC or endpoint.endswith(".static")


def is_token_only(endpoint: str) -> bool:
    return endpoint.partition(".")[0] == TOKEN_ONLY


def expected_roles(endpoint: str) -> set[str]:
    if endpoint in EXPECTED_ROLES:
        return EXPECTED_ROLES[endpoint]
    return BLUEPRINT_ROLES[endpoint.partition(".")[0]]


@pytest.fixture
def sample_objects(app, users, scored_thread):
    """One object of each kind a URL can point at, with the URL arguments naming them."""
    comment = scored_thread.comments[0]
    decision = Decision(
        comment_id=comment.id, moderator_id=users["moderator"].id, from_status="pending",
        to_status="pending",
    )  # fmt: skip
    entry = WatchWordEntry(phrase="idiot")
    reason = RejectReason(label="Off-topic")
    campaign = [
        CommentSignature(comment_id=c.id, signature=bytes(128), campaign_id=comment.id)
        for c in scored_thread.comments[:2]
    ]
    db.session.add_all([decision, entry, reason, *campaign])
    db.session.commit()
    token, _ = api_tokens.create_token(db.session, "sample", "read")
    endpoint, _ = endpoints.add_endpoint(db.session, "https://example.org/hook")
    return {
        "token_id": token.id,
        "endpoint_id": endpoint.id,
        "comment_id": comment.id,
        "article_id": scored_thread.article.id,
        "action": "approve",
        "decision_id": decision.id,
        "user_id": users["moderator"].id,
        "entry_id": entry.id,
        "reason_id": reason.id,
        "bulk_id": "0" * 32,
        "number": comment.id,
    }


def routes(app, sample_objects):
    """(endpoint, method, url) for every route and method of the application."""
    from werkzeug.routing import AnyConverter

    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if is_public(rule.endpoint) or is_token_only(rule.endpoint):
                continue
            args = {}
            for name in rule.arguments:
                converter = rule._converters[name]
                if name in sample_objects and not isinstance(converter, AnyConverter):
                    args[name] = sample_objects[name]
                elif isinstance(converter, AnyConverter):
                    args[name] = sorted(converter.items)[0]
                else:
                    args[name] = "summary"
            if rule.endpoint.startswith("authors."):
                args["name"] = "alice"
            url = url_for(rule.endpoint, **args)
            for method in sorted(rule.methods & {"GET", "POST"}):
                found.append((rule.endpoint, method, url))
    return found


def test_every_route_has_a_declared_audience(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    undeclared = {
        endpoint
        for endpoint in endpoints
        if not is_public(endpoint)
        and not is_token_only(endpoint)
        and endpoint not in EXPECTED_ROLES
        and endpoint.partition(".")[0] not in BLUEPRINT_ROLES
    }
    assert undeclared == set()
    assert set(EXPECTED_ROLES) <= endpoints  # no stale entries either


def test_every_route_requires_sign_in(app, client, sample_objects):
    token = csrf_token_from(client.get("/sign-in"))
    for endpoint, method, url in routes(app, sample_objects):
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 302, (endpoint, method, response.status_code)
        assert response.headers["Location"].startswith("/sign-in?next="), endpoint


@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_every_route_requires_the_right_role(app, auth, sample_objects, role):
    auth.login_as(role)
    token = auth.token()
    for endpoint, method, url in routes(app, sample_objects):
        allowed = role in expected_roles(endpoint)
        if method == "POST" and allowed:
            continue  # doing it is tested with each action
        response = auth.client.open(url, method=method, data={"csrf_token": token})
        if allowed:
            assert response.status_code not in (401, 403, 500), (endpoint, response.status_code)
            assert "/sign-in" not in response.headers.get("Location", ""), endpoint
            if endpoint in EXPECTED_ROLES:  # our own pages answer with the page
                assert response.status_code in (200, 302), (endpoint, response.status_code)
        else:
            assert response.status_code == 403, (endpoint, method, role, response.status_code)


def test_deactivated_or_changed_accounts_are_signed_out(auth, users):
    auth.login_as("moderator")
    assert auth.client.get("/queue").status_code == 200
    users["moderator"].password_hash = "scrypt:changed"
    db.session.commit()
    assert auth.client.get("/queue").status_code == 302
    auth.login_as("analyst")
    users["analyst"].active = False
    db.session.commit()
    assert auth.client.get("/overview").status_code == 302


def test_every_post_without_a_csrf_token_is_refused(app, auth, sample_objects):
    auth.login_as("admin")
    posts = [(endpoint, url) for endpoint, method, url in routes(app, sample_objects)
             if method == "POST"]  # fmt: skip
    assert {endpoint for endpoint, _ in posts} >= {
        "queue.decide", "queue.bulk", "queue.undo_last", "queue.undo_bulk", "comments.undo",
        "auth.sign_out", "admin.upload", "admin.accounts_page", "admin.rescore",
        "authors.change_rule", "authors.add_note",
    }  # fmt: skip
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Decision))
    for endpoint, url in posts:
        response = auth.client.post(url, data={"version": "1", "action": "approve"})
        assert response.status_code == 400, endpoint
        assert "security token" in response.get_data(as_text=True)
        wrong = auth.client.post(url, data={"csrf_token": "forged", "version": "1"})
        assert wrong.status_code == 400, endpoint
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Decision)) == before
    assert auth.client.get("/queue").status_code == 200  # still signed in: sign-out refused


def test_sign_in_without_a_csrf_token_is_refused(client, users):
    response = client.post("/sign-in", data={"username": "admin", "password": "x" * 20})
    assert response.status_code == 400


def csrf_token_from(response):
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match
    return match.group(1)


HOSTILE = [
    "<script>alert",
    "<img src=x onerror",
    'href="javascript:',
    '<a href="javascript',
]


@pytest.mark.parametrize("role", ["moderator", "analyst"])
def test_hostile_comment_text_is_escaped_everywhere(auth, scored_thread, role):
    hostile = scored_thread.hostile
    hostile.author_name = '<b onmouseover="alert(3)">mallory</b>'
    scored_thread.article.url = "javascript:alert(4)"
    scored_thread.article.title = "<script>alert(5)</script>"
    scored_thread.derail.parent_id = hostile.id  # its row's details quote the hostile one
    db.session.commit()
    auth.login_as(role)
    pages = [
        "/queue",
        f"/queue/rows/{hostile.id}/details",
        f"/queue/rows/{scored_thread.derail.id}/details",
        f"/comments/{hostile.id}",
        f"/comments/{hostile.id}/history",
        "/author?" + urlencode({"name": hostile.author_name}),
        f"/comments/{scored_thread.comments[0].id}",
    ]
    for page in pages:
        response = auth.client.get(page)
        assert response.status_code == 200, page
        html = response.get_data(as_text=True)
        for fragment in HOSTILE + ["<b onmouseover", 'javascript:alert(4)"', "<script>alert(5)"]:
            assert fragment not in html, (page, fragment)
        assert "&lt;script&gt;" in html, page
    queue_html = auth.client.get("/queue").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in queue_html
    assert "&lt;a href=&#34;javascript:alert(2)&#34;&gt;click&lt;/a&gt;" in queue_html
    # The only scripts are our own static file.
    assert re.findall(r"<script[^>]*>", queue_html) == ['<script src="/static/queue.js" defer>']


@pytest.mark.parametrize("path", ["/sign-in", "/queue", "/no-such-page", "/admin/"])
def test_security_headers_on_every_kind_of_response(auth, path):
    auth.login_as("moderator")
    response = auth.client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


# Templates written to files by the command line (opened from disk, no server, no CSP).
NOT_SERVED = {"reports/standalone.html"}


def test_no_inline_script_or_style_in_any_template():
    from pathlib import Path

    templates = Path(__file__).resolve().parent.parent / "moderation" / "templates"
    for template in templates.rglob("*.html"):
        if template.relative_to(templates).as_posix() in NOT_SERVED:
            continue
        text = re.sub(r"\{#.*?#\}", "", template.read_text(), flags=re.DOTALL)
        assert not re.search(r"<script(?![^>]*\ssrc=)", text), template
        assert "<style" not in text and " style=" not in text, template
        assert not re.search(r"\son[a-z]+=", text), template
        assert not re.search(r"\|\s*safe\b", text) and "Markup" not in text, template


def test_session_cookie_is_http_only_same_site_and_secure(auth):
    response = auth.sign_in("moderator")
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "moderation_session" in c)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie


def test_accounts_made_in_the_browser_store_only_a_hash(auth):
    auth.login_as("admin")
    password = "a brand new password"
    response = auth.client.post(
        "/admin/accounts",
        data={"username": "newbie", "role": "analyst", "password": password,
              "csrf_token": auth.token()},
    )  # fmt: skip
    assert response.status_code == 200
    stored = db.session.scalar(sa.select(User.password_hash).where(User.username == "newbie"))
    assert stored.startswith("scrypt:") and password not in stored
    assert password not in response.get_data(as_text=True)


def test_external_links_are_http_only(auth, scored_thread):
    article = db.session.get(Article, scored_thread.article.id)
    auth.login_as("moderator")
    html = auth.client.get(f"/comments/{scored_thread.comments[0].id}").get_data(as_text=True)
    assert f'href="{article.url}" rel="noopener noreferrer nofollow"' in html
    article.url = "data:text/html,<script>alert(1)</script>"
    db.session.commit()
    html = auth.client.get(f"/comments/{scored_thread.comments[0].id}").get_data(as_text=True)
    assert 'href="data:' not in html
