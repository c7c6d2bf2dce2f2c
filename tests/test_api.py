"""The JSON API: tokens and scopes on every route, comments in and out, decisions with
their race rules, the audit log, JSON errors, the rate limit and the OpenAPI description."""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi

from moderation import api_tokens, decisions, ingest, posted_records
from moderation.extensions import db
from moderation.models import ApiToken, Article, Comment, Decision, ImportBatch
from moderation.queue import QueueFilter, queue_page
from moderation.web.api.core import ROUTES, init_rate_limit

API = "/api/v1"


class Client:
    """The test client with one token's Authorization header on every request."""

    def __init__(self, client, secret: str | None):
        self.client = client
        self.secret = secret

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.secret}"} if self.secret else {}

    def get(self, path: str, **kwargs):
        return self.client.get(API + path, headers=self.headers(), **kwargs)

    def post(self, path: str, json=None, **kwargs):
        return self.client.post(API + path, json=json, headers=self.headers(), **kwargs)


@pytest.fixture
def tokens(app, client):
    """Clients for a token with every scope, one per single scope, and a revoked one."""
    made = {}
    for name, scopes in [
        ("full", "read,ingest,decide"),
        ("read", "read"),
        ("ingest", "ingest"),
        ("decide", "decide"),
        ("revoked", "read,ingest,decide"),
    ]:
        token, secret = api_tokens.create_token(db.session, name, scopes)
        made[name] = Client(client, secret)
    api_tokens.revoke_token(db.session, api_tokens.find_token(db.session, "revoked"))
    made["none"] = Client(client, None)
    return made


def record(number: int, **fields) -> dict:
    return {
        "comment_id": f"c{number}",
        "article_url": "https://example.org/rain",
        "article_title": "Rain all week in the north",
        "article_body": "Heavy rain is forecast for the whole week in the north.",
        "author": f"reader{number}",
        "posted": f"2024-03-01T09:{number:02d}:00Z",
        "text": f"The rain this week is terrible, comment number {number}.",
        **fields,
    }


def error_of(response) -> dict:
    assert response.is_json, response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert set(body["error"]) >= {"code", "message"} and body["error"]["message"]
    return body["error"]


# Tokens -------------------------------------------------------------------------------------------


def test_a_token_is_stored_only_as_its_hash(app):
    token, secret = api_tokens.create_token(db.session, "cms", "ingest,read")
    assert secret.startswith("mod_") and len(secret) > 40
    row = db.session.execute(sa.select(ApiToken.__table__)).one()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in " ".join(str(value) for value in row)
    assert row.scopes == "read,ingest"  # in the order of SCOPES
    assert token.user.username == "cms (API token)" and not token.user.active


@pytest.mark.parametrize(
    "name, scopes, message",
    [
        ("has space", "read", "no spaces"),
        ("ok", "read,write", "unknown scope write"),
        ("ok", " , ", "at least one scope"),
        ("CMS", "read", "already a token named 'cms'"),
    ],
)
def test_token_names_and_scopes_are_checked(app, name, scopes, message):
    api_tokens.create_token(db.session, "cms", "read")
    with pytest.raises(api_tokens.TokenError, match=message):
        api_tokens.create_token(db.session, name, scopes)


def _url(rule: str) -> str:
    return re.sub(r"<[^>]+>", "1", rule)


def test_every_api_route_refuses_a_missing_revoked_or_wrong_scope_token(app, tokens, client):
    routes = {(rule.rule, method) for rule in app.url_map.iter_rules() for method in rule.methods}
    declared = {(route.rule, route.method): route for route in ROUTES}
    api_routes = {(r, m) for r, m in routes if r.startswith(API) and m not in ("HEAD", "OPTIONS")}
    assert api_routes == set(declared)  # every API route goes through api_route's checks
    for (rule, method), route in declared.items():
        url = _url(rule)
        for who, headers in [
            ("none", {}),
            ("revoked", tokens["revoked"].headers()),
            ("not bearer", {"Authorization": "Basic dXNlcjpwYXNz"}),
            ("unknown", {"Authorization": "Bearer mod_" + "x" * 43}),
        ]:
            response = client.open(url, method=method, headers=headers, json={})
            assert response.status_code == 401, (rule, method, who)
            assert error_of(response)["code"] == "unauthorized"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        if route.scope is None:
            continue
        for name in ("read", "ingest", "decide"):
            if name == route.scope:
                continue
            response = client.open(url, method=method, headers=tokens[name].headers(), json={})
            assert response.status_code == 403, (rule, method, name)
            assert f"lacks the {route.scope!r} scope" in error_of(response)["message"]


def test_a_signed_in_session_does_not_authenticate_the_api(app, auth, scored_thread):
    auth.login_as("admin")
    assert auth.client.get("/queue").status_code == 200  # the session works for pages
    response = auth.client.get(f"{API}/comments")
    assert response.status_code == 401
    comment = scored_thread.comments[0]
    decision = {"comment_id": comment.id, "version": comment.version, "action": "approve"}
    response = auth.client.post(f"{API}/decisions", json=decision)
    assert response.status_code == 401  # not decided, and not a CSRF page either
    assert error_of(response)["code"] == "unauthorized"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Decision)) == 0


def test_the_last_use_of_a_token_is_recorded(app, tokens):
    assert api_tokens.find_token(db.session, "read").last_used_at is None
    assert tokens["read"].get("/audit").status_code == 200
    db.session.expire_all()
    assert api_tokens.find_token(db.session, "read").last_used_at is not None
    assert api_tokens.find_token(db.session, "full").last_used_at is None


# Reading comments ---------------------------------------------------------------------------------


def test_the_listing_follows_the_queue_its_filters_and_pages(app, tokens, scored_thread):
    expected = [i.comment.id for i in queue_page(db.session, QueueFilter(), limit=100).items]
    seen, after = [], None
    while True:
        page = tokens["read"].get("/comments", query_string={"limit": 2, "after": after})
        assert page.status_code == 200
        body = page.get_json()
        seen += [comment["id"] for comment in body["comments"]]
        after = body["next"]
        if after is None:
            break
    assert seen == expected and len(seen) == 6  # five scored, then the unscored one

    negative = tokens["read"].get("/comments", query_string={"sentiment": "negative"})
    comments = negative.get_json()["comments"]
    assert {c["id"] for c in comments} == {scored_thread.comments[1].id, scored_thread.hostile.id}
    hostile = next(c for c in comments if c["id"] == scored_thread.hostile.id)
    assert hostile["scores"]["sentiment_label"] == "negative"
    assert hostile["flags"] == [{"code": "shouting", "reason": "shouting reason"}]
    assert hostile["body"].startswith("<script>")  # JSON carries the text as it is
    assert hostile["status"] == "pending" and hostile["version"] == 1
    assert hostile["article"]["key"] == "huawei-russia"


@pytest.mark.parametrize(
    "query, message",
    [
        ({"tab": "bogus"}, "tab='bogus' is not a tab"),
        ({"min_drift": "2"}, "min_drift='2' is not an off-topic score"),
        ({"posted_from": "2024-13-45"}, "is not a date"),
        ({"limit": "0"}, "limit: Input should be greater than or equal to 1"),
        ({"limit": "many"}, "limit: Input should be a valid integer"),
        ({"after": "garbage"}, "Invalid `after`"),
        ({"stauts": "pending"}, "Unknown query parameter stauts"),
        ({"flag": "nonesuch"}, "flag='nonesuch' is not a flag in use: use one of links, shouting"),
    ],
)
def test_bad_listing_parameters_are_a_400_naming_them(app, tokens, scored_thread, query, message):
    response = tokens["read"].get("/comments", query_string=query)
    assert response.status_code == 400
    assert message in error_of(response)["message"]


def test_one_comment_and_a_missing_one(app, tokens, scored_thread):
    unscored = tokens["read"].get(f"/comments/{scored_thread.unscored.id}").get_json()
    assert unscored["scores"] is None and unscored["priority"] is None
    assert unscored["flags"] == [] and unscored["source_id"] == "w1"
    reply = tokens["read"].get(f"/comments/{scored_thread.comments[1].id}").get_json()
    assert reply["parent_id"] == scored_thread.comments[0].id
    missing = tokens["read"].get("/comments/999999")
    assert missing.status_code == 404
    assert error_of(missing) == {"code": "not_found", "message": "There is no comment #999999."}


# Posting comments ---------------------------------------------------------------------------------


def test_posted_comments_are_stored_scored_and_idempotent(app, tokens):
    records = [record(1), record(2, parent_id="c1"), record(3)]
    response = tokens["ingest"].post("/comments", json=records)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["comments_new"], body["articles_new"], body["scoring"]) == (3, 1, "queued")
    ids = [stored["id"] for stored in body["comments"]]
    assert [stored["source_id"] for stored in body["comments"]] == ["c1", "c2", "c3"]
    assert db.session.get(ImportBatch, body["batch_id"]).source_name == "api:ingest"

    # Scored already: the tests run jobs where they are asked for (JOB_QUEUE_IMMEDIATE).
    comment = tokens["read"].get(f"/comments/{ids[1]}").get_json()
    assert comment["scores"]["sentiment_label"] == "negative"
    assert comment["parent_id"] == ids[0] and comment["posted_at"] == "2024-03-01T09:02:00Z"

    again = tokens["ingest"].post("/comments", json=records).get_json()
    assert (again["comments_new"], again["comments_unchanged"]) == (0, 3)
    assert [stored["id"] for stored in again["comments"]] == ids
    edited = tokens["ingest"].post("/comments", json=record(3, text="Edited: it rained less."))
    assert edited.get_json()["comments_updated"] == 1  # one object, not a list, also works
    assert db.session.get(Comment, ids[2]).version == 2  # a decision on the old text conflicts
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 3


def test_a_posted_lone_surrogate_is_refused_and_nothing_is_stored(app, tokens):
    # JSON escapes can spell half a UTF-16 pair, which no database column can hold (a file
    # import drops it); the API refuses the body, naming where it is.
    body = '[{"comment_id": "c1", "article_url": "https://example.org/rain", "text": "\\ud800"}]'
    response = tokens["ingest"].client.post(
        API + "/comments",
        data=body,
        content_type="application/json",
        headers=tokens["ingest"].headers(),
    )
    assert response.status_code == 400
    message = error_of(response)["message"]
    assert "Invalid JSON" in message and "line 1 column" in message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def test_article_fields_a_post_leaves_out_keep_their_stored_values(app, tokens):
    assert tokens["ingest"].post("/comments", json=record(1)).status_code == 200
    bare = {"comment_id": "c2", "article_url": "https://example.org/rain", "text": "More rain."}
    body = tokens["ingest"].post("/comments", json=bare).get_json()
    assert (body["articles_new"], body["articles_updated"], body["comments_new"]) == (0, 0, 1)
    article = db.session.scalars(sa.select(Article)).one()
    assert article.title == "Rain all week in the north" and article.body.startswith("Heavy")
    retitled = {**bare, "comment_id": "c3", "article_title": "Rain, rain"}
    assert tokens["ingest"].post("/comments", json=retitled).get_json()["articles_updated"] == 1
    db.session.expire_all()
    retitled_article = db.session.get(Article, article.id)
    assert retitled_article.title == "Rain, rain" and retitled_article.body.startswith("Heavy")


def test_a_post_racing_another_for_the_same_new_article_is_tried_again(app, tokens, monkeypatch):
    assert tokens["ingest"].post("/comments", json=[record(1)]).status_code == 200
    real_find, real_import = ingest._FIND_ARTICLES, posted_records.import_parsed
    attempts = []

    def racing_import(*args, **kwargs):
        attempts.append(1)
        # The first attempt looks for the article before the other request has stored it.
        lookup = real_find.where(sa.false()) if len(attempts) == 1 else real_find
        monkeypatch.setattr(ingest, "_FIND_ARTICLES", lookup)
        return real_import(*args, **kwargs)

    monkeypatch.setattr(posted_records, "import_parsed", racing_import)
    response = tokens["ingest"].post("/comments", json=[record(2)])
    assert response.status_code == 200 and len(attempts) == 2
    assert (response.get_json()["articles_new"], response.get_json()["comments_new"]) == (0, 1)
    statuses = db.session.scalars(sa.select(ImportBatch.status).order_by(ImportBatch.id)).all()
    assert statuses == ["succeeded", "failed", "succeeded"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 2


@pytest.mark.parametrize(
    "body, message",
    [
        ([{**record(1), "comment_id": None}], "0.comment_id"),
        ([record(1), {k: v for k, v in record(2).items() if k != "comment_id"}], "1.comment_id"),
        ([{**record(1), "colour": "red"}], "colour: Extra inputs are not permitted"),
        ([{"comment_id": "x", "text": "no article"}], "article_id or article_url is needed"),
        ([{**record(1), "kind": "tweet"}], "kind: Input should be 'comment'"),
        ([], "List should have at least 1 item"),
        ("not a record", "Invalid body"),
    ],
)
def test_bad_records_are_a_400_and_nothing_is_stored(app, tokens, body, message):
    response = tokens["ingest"].post("/comments", json=body)
    assert response.status_code == 400
    assert message in error_of(response)["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def test_batch_size_body_size_and_content_type_limits(app, tokens):
    app.config["API_BATCH_LIMIT"] = 2
    response = tokens["ingest"].post("/comments", json=[record(1), record(2), record(3)])
    assert response.status_code == 400 and "At most 2 records" in error_of(response)["message"]
    response = tokens["ingest"].post("/comments", json=[record(n) for n in range(501)])
    assert response.status_code == 400 and "at most 500 items" in error_of(response)["message"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = tokens["ingest"].post("/comments", json=[record(1, text="x" * 2000)])
    assert response.status_code == 413 and error_of(response)["code"] == "too_large"
    response = tokens["ingest"].post("/comments", data="comment_id=1")
    assert response.status_code == 415
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


# Decisions ----------------------------------------------------------------------------------------


def test_a_decision_at_a_stale_version_is_a_409_with_the_state_now(app, tokens, scored_thread):
    comment = scored_thread.comments[0]
    first = {"comment_id": comment.id, "version": 1, "action": "approve"}
    response = tokens["decide"].post("/decisions", json=first)
    assert response.status_code == 200
    result = response.get_json()["results"][0]
    assert (result["outcome"], result["status"], result["version"]) == ("decided", "approved", 2)

    late = tokens["decide"].post("/decisions", json={**first, "action": "reject"})
    assert late.status_code == 409
    body = late.get_json()
    assert body["error"]["code"] == "conflict"
    assert "already decided by decide (API token)" in body["error"]["message"]
    assert body["current"]["status"] == "approved" and body["current"]["version"] == 2
    assert body["current"]["decided_by"] == "decide (API token)"
    assert db.session.get(Comment, comment.id).status == "approved"

    missing = tokens["decide"].post("/decisions", json={**first, "comment_id": 99999})
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
    bad = tokens["decide"].post("/decisions", json={**first, "action": "delete"})
    assert bad.status_code == 400 and "action" in error_of(bad)["message"]


def test_a_list_of_decisions_reports_each_outcome(app, tokens, scored_thread):
    a, b, c = scored_thread.comments[:3]
    response = tokens["decide"].post(
        "/decisions",
        json=[
            {"comment_id": a.id, "version": 1, "action": "reject", "reason": "Off-topic"},
            {"comment_id": b.id, "version": 7, "action": "approve"},
            {"comment_id": c.id, "version": 1, "action": "spam"},
            {"comment_id": 99999, "version": 1, "action": "spam"},
        ],
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["decided"], body["conflicts"], body["invalid"]) == (2, 1, 1)
    assert [r["outcome"] for r in body["results"]] == ["decided", "conflict", "decided", "invalid"]
    assert body["results"][1]["current"]["status"] == "pending"
    rows = db.session.scalars(sa.select(Decision).order_by(Decision.id)).all()
    assert [(d.comment_id, d.to_status, d.reason) for d in rows] == [
        (a.id, "rejected", "Off-topic"),
        (c.id, "spam", None),
    ]
    assert rows[0].bulk_id and rows[0].bulk_id == rows[1].bulk_id  # they undo as one


# The audit log ------------------------------------------------------------------------------------


def test_the_audit_log_reads_on_from_a_cursor(app, tokens, scored_thread):
    for comment in scored_thread.comments[:3]:
        decision = {"comment_id": comment.id, "version": 1, "action": "approve"}
        assert tokens["decide"].post("/decisions", json=decision).status_code == 200
    first = tokens["read"].get("/audit", query_string={"limit": 2}).get_json()
    assert [d["comment_id"] for d in first["decisions"]] == [
        c.id for c in scored_thread.comments[:2]
    ]
    assert first["more"] is True and first["decisions"][0]["moderator"] == "decide (API token)"
    rest = tokens["read"].get("/audit", query_string={"since": first["next"]}).get_json()
    assert [d["comment_id"] for d in rest["decisions"]] == [scored_thread.comments[2].id]
    assert rest["more"] is False
    idle = tokens["read"].get("/audit", query_string={"since": rest["next"]}).get_json()
    assert idle == {"decisions": [], "next": rest["next"], "more": False}
    bad = tokens["read"].get("/audit", query_string={"since": "-1"})
    assert bad.status_code == 400 and "since" in error_of(bad)["message"]


# Errors, the rate limit, the description ----------------------------------------------------------


def test_unknown_addresses_and_methods_answer_json(app, tokens):
    missing = tokens["read"].get("/nothing-here")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
    wrong = tokens["read"].client.delete(f"{API}/comments", headers=tokens["read"].headers())
    assert wrong.status_code == 405 and error_of(wrong)["code"] == "method_not_allowed"
    assert "GET" in wrong.headers["Allow"]
    # Outside the API, pages stay pages.
    assert not tokens["read"].client.get("/nothing-here").is_json


def test_an_unexpected_failure_is_a_json_500(app, tokens, monkeypatch, scored_thread):
    def broken(*args, **kwargs):
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(decisions, "decide_each", broken)
    app.testing = False  # answer as in production instead of raising into the test
    decision = {"comment_id": scored_thread.comments[0].id, "version": 1, "action": "spam"}
    response = tokens["decide"].post("/decisions", json=decision)
    assert response.status_code == 500
    assert error_of(response)["code"] == "internal_server_error"
    assert "fire" not in response.get_data(as_text=True)  # no internals shown


def test_the_rate_limit_is_per_token_with_retry_after(app, tokens):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    init_rate_limit(app)
    for _ in range(3):
        response = tokens["read"].get("/audit")
        assert response.status_code == 200
    assert response.headers["X-RateLimit-Remaining"] == "0"
    limited = tokens["read"].get("/audit")
    assert limited.status_code == 429
    assert error_of(limited)["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "3 per 1 minute" in error_of(limited)["message"]
    assert tokens["full"].get("/audit").status_code == 200  # another token has its own count


def test_the_openapi_description_is_valid_and_names_every_route(app, tokens, scored_thread):
    response = tokens["read"].get("/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate_openapi(document)
    assert document["openapi"].startswith("3.1")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API):
            continue
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
        assert path in document["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in document["paths"][path], (path, method)
    names = {p["name"] for p in document["paths"][f"{API}/comments"]["get"]["parameters"]}
    assert names >= {"tab", "sentiment", "min_drift", "q", "posted_from", "after", "limit"}

    # What the API answers fits what the description says it answers.
    def check(instance, component):
        schema = {"$ref": f"#/components/schemas/{component}", **document}
        Draft202012Validator(schema).validate(instance)

    check(tokens["read"].get("/comments", query_string={"tab": "all"}).get_json(), "CommentPage")
    check(tokens["read"].get("/comments/99999").get_json(), "Error")
    posted = tokens["full"].post("/comments", json=[record(1)]).get_json()
    check(posted, "IngestResult")
    check(tokens["read"].get(f"/comments/{posted['comments'][0]['id']}").get_json(), "CommentOut")


# The command line and the admin page --------------------------------------------------------------


def test_token_commands_create_list_and_revoke(app, runner):
    created = runner.invoke(args=["token", "create", "--name", "site", "--scope", "read,decide"])
    assert created.exit_code == 0, created.output
    secret = re.search(r"(mod_\S+)", created.output).group(1)
    assert api_tokens.authenticate(db.session, secret).name == "site"
    listed = runner.invoke(args=["token", "list"])
    assert "site\tread,decide\t" in listed.output and "live" in listed.output
    assert secret not in listed.output
    assert runner.invoke(args=["token", "revoke", "site"]).exit_code == 0
    assert api_tokens.authenticate(db.session, secret) is None
    assert "revoked" in runner.invoke(args=["token", "list"]).output
    again = runner.invoke(args=["token", "revoke", "site"])
    assert again.exit_code != 0 and "revoked already" in again.output
    bad = runner.invoke(args=["token", "create", "--name", "x", "--scope", "admin"])
    assert bad.exit_code != 0 and "unknown scope admin" in bad.output


def test_admins_create_and_revoke_tokens_in_the_browser(app, auth, users):
    auth.login_as("admin")
    token = auth.token("/admin/tokens")
    page = auth.client.post(
        "/admin/tokens",
        data={"name": "newsroom", "scopes": ["read", "ingest"], "csrf_token": token},
    )
    assert page.status_code == 200
    secret = re.search(r"<code>(mod_[^<]+)</code>", page.get_data(as_text=True)).group(1)
    made = api_tokens.authenticate(db.session, secret)
    assert made.scopes == "read,ingest" and made.created_by_id == users["admin"].id
    assert secret not in auth.client.get("/admin/tokens").get_data(as_text=True)  # shown once
    no_csrf = auth.client.post(f"/admin/tokens/{made.id}/revoke")
    assert no_csrf.status_code == 400 and api_tokens.authenticate(db.session, secret)
    auth.client.post(
        f"/admin/tokens/{made.id}/revoke", data={"csrf_token": auth.token("/admin/tokens")}
    )
    assert api_tokens.authenticate(db.session, secret) is None
    auth.login_as("moderator")
    assert auth.client.get("/admin/tokens").status_code == 403
