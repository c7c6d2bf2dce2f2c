"""Webhooks: events written with the change they tell of, signed deliveries to a real receiver
on loopback, in order, retried after an outage, and never lost to a killed process."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from webhook_receiver import Receiver

from moderation import decisions
from moderation.extensions import db
from moderation.importers import get_format
from moderation.ingest import import_stream
from moderation.models import (
    Comment,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    utcnow,
)
from moderation.scoring_runner import score_stale
from moderation.webhooks import delivery, endpoints, signing
from moderation.webhooks.delivery import DeliveryPolicy, deliver_due
from moderation.webhooks.events import EVENT_TYPES

FAST = DeliveryPolicy(timeout=2.0, max_attempts=4, retry_first=30.0, retry_max=3600.0)


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.release()
    receiver.stop()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def bodies(receiver) -> list[dict]:
    return [json.loads(item.body) for item in receiver.received]


def deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)))


def decide(comment, action, user):
    return decisions.decide(
        db.session, comment.id, comment.version, decisions.ACTIONS[action], user
    )


# Events in the outbox -----------------------------------------------------------------------------


def test_no_endpoint_no_events(app, users, scored_thread):
    decide(scored_thread.comments[0], "approve", users["moderator"])
    assert count(WebhookEvent) == 0 and count(WebhookDelivery) == 0


def test_a_decision_and_its_undo_are_events_of_their_transaction(app, users, scored_thread):
    endpoint, _ = endpoints.add_endpoint(db.session, "https://example.org/hook")
    first, second = scored_thread.comments[:2]
    decision = decide(first, "reject", users["moderator"])
    decisions.undo(db.session, decision.id, users["moderator"])
    with pytest.raises(decisions.Conflict):  # a stale version: rolled back, and its event too
        decisions.decide(db.session, second.id, 99, "approved", users["moderator"])
    events = db.session.scalars(sa.select(WebhookEvent).order_by(WebhookEvent.id)).all()
    assert [event.event_type for event in events] == ["decision.made", "decision.undone"]
    made, undone = (json.loads(event.body) for event in events)
    assert made["id"] == events[0].message_id and made["type"] == "decision.made"
    assert made["data"]["decision"] | {"created_at": None} == {
        "id": decision.id,
        "comment_id": first.id,
        "moderator": "moderator",
        "from_status": "pending",
        "to_status": "rejected",
        "reason": None,
        "note": None,
        "bulk": False,
        "bulk_id": None,
        "undoes_id": None,
        "undoes_bulk_id": None,
        "created_at": None,
    }
    assert made["data"]["comment"] == {"id": first.id, "status": "rejected", "version": 2}
    assert undone["data"]["decision"]["undoes_id"] == decision.id
    assert undone["data"]["comment"] == {"id": first.id, "status": "pending", "version": 3}
    assert [d.endpoint_id for d in deliveries()] == [endpoint.id, endpoint.id]


def test_a_bulk_action_makes_one_event_per_comment_with_its_bulk_id(app, users, scored_thread):
    endpoints.add_endpoint(db.session, "https://example.org/hook", "decision.made")
    targets = [(c.id, c.version) for c in scored_thread.comments[:3]]
    outcome = decisions.bulk_decide(db.session, targets, "spam", users["moderator"])
    made = [json.loads(body) for body in db.session.scalars(sa.select(WebhookEvent.body))]
    assert sorted(event["data"]["comment"]["id"] for event in made) == [t[0] for t in targets]
    assert {event["data"]["decision"]["bulk_id"] for event in made} == {outcome.bulk_id}
    decisions.undo_bulk(db.session, outcome.bulk_id, users["moderator"])
    assert count(WebhookEvent) == 3  # this endpoint does not want decision.undone


def test_imports_and_scoring_write_comment_events(app, users):
    endpoints.add_endpoint(db.session, "https://example.org/hook", "comment.created")
    endpoints.add_endpoint(db.session, "https://example.org/other", "comment.scored")
    records = "\n".join(
        json.dumps({"article_id": "a1", "article_title": "T", "comment_id": f"c{n}", "text": t})
        for n, t in enumerate(["Great piece, thanks.", "Awful, I hate this!"], start=1)
    ).encode()
    jsonl = get_format("jsonl")
    import_stream(db.session, io.BytesIO(records), "a.jsonl", format=jsonl)
    import_stream(db.session, io.BytesIO(records), "again.jsonl", format=jsonl)  # unchanged
    broken = import_stream(db.session, io.BytesIO(records + b"\n{nope"), "b.jsonl", format=jsonl)
    assert not broken.succeeded
    created = [json.loads(b) for b in db.session.scalars(sa.select(WebhookEvent.body))]
    assert [event["data"]["comment"]["source_id"] for event in created] == ["c1", "c2"]
    assert created[0]["data"]["comment"]["article"]["key"] == "a1"
    score_stale(db.session, workers=1)
    scored = [
        json.loads(body)
        for body in db.session.scalars(
            sa.select(WebhookEvent.body).where(WebhookEvent.event_type == "comment.scored")
        )
    ]
    labels = {event["data"]["comment"]["id"]: event["data"]["scores"] for event in scored}
    ids = db.session.scalars(sa.select(Comment.id).order_by(Comment.id)).all()
    assert sorted(labels) == ids
    assert labels[ids[0]]["sentiment_label"] == "positive"
    assert labels[ids[1]]["sentiment_label"] == "negative"


def test_a_paused_endpoint_is_owed_no_new_events(app, users, scored_thread):
    endpoint, _ = endpoints.add_endpoint(db.session, "https://example.org/hook")
    endpoints.set_active(db.session, endpoint, False)
    decide(scored_thread.comments[0], "approve", users["moderator"])
    assert count(WebhookDelivery) == 0


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://example.org/hook", "must start with http:// or https://"),
        ("javascript:alert(1)", "must start with http:// or https://"),
        ("file:///etc/passwd", "must start with http:// or https://"),
        ("example.org/hook", "must start with http:// or https://"),
        ("http:///hook", "needs a host name"),
        ("http://exa mple.org/", "spaces"),
        ("http://example.org:port/", "not a valid URL"),
        ("", "needs a URL"),
    ],
)
def test_urls_that_are_not_http_are_refused(app, url, message):
    with pytest.raises(endpoints.EndpointError, match=message):
        endpoints.add_endpoint(db.session, url)
    assert endpoints.list_endpoints(db.session) == []


def test_unknown_event_types_are_refused(app):
    with pytest.raises(endpoints.EndpointError, match="unknown event type comment.deleted"):
        endpoints.add_endpoint(db.session, "https://example.org/", "comment.deleted")
    endpoint, _ = endpoints.add_endpoint(db.session, "https://example.org/")
    assert endpoint.event_type_list == list(EVENT_TYPES)


# Delivery -----------------------------------------------------------------------------------------


def test_deliveries_are_signed_in_order_and_verify_with_standard_webhooks(
    app, users, scored_thread, receiver
):
    endpoint, secret = endpoints.add_endpoint(db.session, receiver.url)
    made = [decide(c, "approve", users["moderator"]) for c in scored_thread.comments[:3]]
    decisions.undo(db.session, made[1].id, users["moderator"])
    summary = deliver_due(db.session, utcnow(), policy=FAST)
    assert (summary.delivered, summary.retrying, summary.gave_up) == (4, 0, 0)
    verifier = Webhook(secret)
    for item in receiver.received:
        verifier.verify(item.body, item.headers)  # raises on a bad signature
        assert signing.verify(secret, item.headers, item.body)
        assert item.headers["content-type"] == "application/json"
    events = bodies(receiver)
    assert [e["type"] for e in events] == ["decision.made"] * 3 + ["decision.undone"]
    assert [e["data"]["decision"]["comment_id"] for e in events[:3]] == [
        c.id for c in scored_thread.comments[:3]
    ]
    assert [item.headers["webhook-id"] for item in receiver.received] == [e["id"] for e in events]
    assert all(d.status == "delivered" and d.attempts == 1 for d in deliveries())
    # Delivered once: the next run sends nothing.
    assert deliver_due(db.session, utcnow(), policy=FAST).attempted == 0
    assert len(receiver.received) == 4


def test_a_tampered_body_or_another_secret_does_not_verify(app, users, scored_thread, receiver):
    _, secret = endpoints.add_endpoint(db.session, receiver.url)
    decide(scored_thread.comments[0], "approve", users["moderator"])
    deliver_due(db.session, utcnow(), policy=FAST)
    item = receiver.received[0]
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(item.body.replace(b"approved", b"rejected"), item.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(item.body, item.headers)
    assert not signing.verify(secret, item.headers, item.body, now=time.time() + 600)


def test_after_rotation_both_secrets_sign_until_the_grace_period_ends(
    app, users, scored_thread, receiver
):
    endpoint, old_secret = endpoints.add_endpoint(db.session, receiver.url)
    now = utcnow()
    new_secret = endpoints.rotate_secret(db.session, endpoint, timedelta(hours=24), now)
    assert new_secret != old_secret
    decide(scored_thread.comments[0], "approve", users["moderator"])
    deliver_due(db.session, utcnow(), policy=FAST)
    item = receiver.received[0]
    assert len(item.headers["webhook-signature"].split(" ")) == 2
    Webhook(old_secret).verify(item.body, item.headers)  # a receiver not yet switched over
    Webhook(new_secret).verify(item.body, item.headers)  # and one that has
    # Once the grace period is over, only the new secret signs.
    decide(scored_thread.comments[1], "approve", users["moderator"])
    deliver_due(db.session, now + timedelta(hours=25), policy=FAST)
    late = receiver.received[1]
    assert len(late.headers["webhook-signature"].split(" ")) == 1
    Webhook(new_secret).verify(late.body, late.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(late.body, late.headers)


def test_an_outage_is_retried_with_back_off_and_later_events_wait(
    app, users, scored_thread, receiver
):
    endpoints.add_endpoint(db.session, receiver.url, "decision.made")
    first, second = (decide(c, "approve", users["moderator"]) for c in scored_thread.comments[:2])
    now = utcnow()
    receiver.answers = [500]
    summary = deliver_due(db.session, now, policy=FAST, rng=lambda: 0.0)
    assert (summary.delivered, summary.retrying) == (0, 1)
    assert len(receiver.received) == 1  # the second waits behind the first
    head = deliveries()[0]
    assert (head.status, head.attempts, head.last_status_code) == ("pending", 1, 500)
    assert head.last_error == "HTTP 500"
    assert head.next_attempt_at == now + timedelta(seconds=15)  # half of 30 s, no jitter
    # Not due yet: nothing is sent.
    assert deliver_due(db.session, now + timedelta(seconds=14), policy=FAST).attempted == 0
    # The receiver is down: refused, and the delay doubles.
    receiver.stop()
    later = now + timedelta(seconds=15)
    summary = deliver_due(db.session, later, policy=FAST, rng=lambda: 0.0)
    assert summary.retrying == 1 and "ConnectError" in summary.errors[0]
    head = deliveries()[0]
    assert head.attempts == 2 and head.last_status_code is None
    assert head.next_attempt_at == later + timedelta(seconds=30)
    # It is back: both go out, in order.
    receiver.start()
    summary = deliver_due(db.session, later + timedelta(seconds=30), policy=FAST)
    assert summary.delivered == 2
    ids = [e["data"]["decision"]["id"] for e in bodies(receiver)]
    assert ids == [first.id, first.id, second.id]
    assert [d.status for d in deliveries()] == ["delivered", "delivered"]
    log = db.session.execute(
        sa.select(WebhookAttempt.attempt, WebhookAttempt.status_code).order_by(WebhookAttempt.id)
    ).all()
    assert log == [(1, 500), (2, None), (3, 204), (1, 204)]


def test_after_the_last_attempt_a_delivery_fails_and_the_next_goes_out(
    app, users, scored_thread, receiver
):
    endpoint, _ = endpoints.add_endpoint(db.session, receiver.url, "decision.made")
    for comment in scored_thread.comments[:2]:
        decide(comment, "approve", users["moderator"])
    policy = DeliveryPolicy(timeout=2.0, max_attempts=2, retry_first=1.0)
    receiver.answers = [503, 302]
    now = utcnow()
    deliver_due(db.session, now, policy=policy)
    summary = deliver_due(db.session, now + timedelta(minutes=1), policy=policy)
    assert summary.gave_up == 1 and summary.delivered == 1
    failed, delivered = deliveries()
    assert (failed.status, failed.attempts, failed.last_status_code) == ("failed", 2, 302)
    assert "redirects are not followed" in failed.last_error
    assert delivered.status == "delivered"
    assert endpoints.list_endpoints(db.session)[0].failed == 1
    # An admin sends it again.
    assert endpoints.retry_failed(db.session, endpoint, now + timedelta(minutes=2)) == 1
    assert deliver_due(db.session, now + timedelta(minutes=2), policy=policy).delivered == 1
    assert len(receiver.received) == 4


def test_an_unexpected_failure_to_send_is_that_attempts_error_not_the_runs(
    app, users, scored_thread
):
    import httpx

    def broken(request):
        raise RuntimeError("no route for this one")

    endpoints.add_endpoint(db.session, "https://broken.example/hook")
    endpoints.add_endpoint(db.session, "https://other.example/hook")
    decide(scored_thread.comments[0], "approve", users["moderator"])
    with httpx.Client(transport=httpx.MockTransport(broken)) as failing:
        summary = deliver_due(db.session, utcnow(), policy=FAST, client=failing)
    assert summary.retrying == 2 and summary.endpoints == 2
    assert {d.last_error for d in deliveries()} == {"RuntimeError: no route for this one"}


def test_back_off_doubles_with_jitter_up_to_the_ceiling():
    policy = DeliveryPolicy(timeout=1.0, retry_first=60.0, retry_max=600.0)
    assert policy.retry_delay(1, lambda: 0.0) == timedelta(seconds=30)
    assert policy.retry_delay(1, lambda: 1.0) == timedelta(seconds=60)
    assert policy.retry_delay(3, lambda: 1.0) == timedelta(seconds=240)
    assert policy.retry_delay(10, lambda: 1.0) == timedelta(seconds=600)
    # Never sooner than an attempt can last, so a delivery in flight is not sent twice.
    quick = DeliveryPolicy(timeout=5.0, retry_first=1.0)
    assert quick.retry_delay(1, lambda: 0.0) == quick.in_flight_lease == timedelta(seconds=20)


def test_two_runs_that_read_the_same_delivery_send_it_once(app, users, scored_thread):
    """The claim is conditional on the attempts a run read: the second run loses."""
    endpoints.add_endpoint(db.session, "https://example.org/hook")
    decide(scored_thread.comments[0], "approve", users["moderator"])
    head = deliveries()[0]
    now, delay = utcnow(), timedelta(minutes=1)
    assert delivery.claim(db.session, head.id, 0, now, delay)
    db.session.commit()
    assert not delivery.claim(db.session, head.id, 0, now, delay)  # it read attempts 0 too
    db.session.rollback()
    head = deliveries()[0]
    assert head.attempts == 1 and head.next_attempt_at == now + delay


def test_a_delivery_in_flight_when_the_process_is_killed_is_sent_again(
    app, users, scored_thread, receiver, tmp_path
):
    endpoints.add_endpoint(db.session, receiver.url)
    decide(scored_thread.comments[0], "approve", users["moderator"])
    receiver.hang.set()  # takes the request and never answers
    environment = dict(os.environ, MODERATION_DATABASE_URL=db.engine.url.render_as_string(False))
    log = tmp_path / "deliver.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moderation.cli", "webhooks", "deliver"],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            assert receiver.got_request.wait(60), log.read_text()
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
    head = deliveries()[0]
    assert (head.status, head.attempts) == ("pending", 1)  # claimed, never finished
    assert head.next_attempt_at > utcnow()
    assert deliver_due(db.session, utcnow(), policy=FAST).attempted == 0  # not due yet
    receiver.hang.clear()
    summary = deliver_due(db.session, head.next_attempt_at, policy=FAST)
    assert summary.delivered == 1
    first, again = receiver.received
    assert first.headers["webhook-id"] == again.headers["webhook-id"]  # the receiver dedupes
    assert first.body == again.body
    assert deliveries()[0].attempts == 2


# Admin pages and the command line -----------------------------------------------------------------


@pytest.fixture
def admin(auth):
    auth.login_as("admin")
    return auth


def test_admin_pages_need_a_signed_in_admin(app, client, auth, receiver):
    endpoint, secret = endpoints.add_endpoint(db.session, receiver.url)
    paths = ["/admin/webhooks", f"/admin/webhooks/{endpoint.id}"]
    actions = [f"/admin/webhooks/{endpoint.id}/{name}" for name in ("rotate", "active", "remove")]
    for path in paths:
        assert client.get(path).headers["Location"].startswith("/sign-in")
    auth.login_as("moderator")
    token = auth.token()  # a valid CSRF token: the role alone refuses
    for path in paths:
        assert client.get(path).status_code == 403
    for path in [*actions, "/admin/webhooks"]:
        response = client.post(path, data={"csrf_token": token, "url": "https://evil.example/"})
        assert response.status_code == 403
    db.session.expire_all()
    (state,) = endpoints.list_endpoints(db.session)
    assert (state.endpoint.url, state.endpoint.secret, state.endpoint.active) == (
        receiver.url,
        secret,
        True,
    )


def test_admin_forms_need_their_csrf_token(app, admin, receiver):
    endpoint, secret = endpoints.add_endpoint(db.session, receiver.url)
    client = admin.client
    refused = client.post("/admin/webhooks", data={"url": "https://other.example/"})
    assert refused.status_code == 400
    for action in ["rotate", "active", "remove"]:
        client.post(f"/admin/webhooks/{endpoint.id}/{action}")
    db.session.expire_all()
    states = endpoints.list_endpoints(db.session)
    assert [(s.endpoint.url, s.endpoint.active, s.endpoint.secret) for s in states] == [
        (receiver.url, True, secret)
    ]


def test_an_admin_adds_rotates_pauses_and_removes_a_webhook(app, admin, users, scored_thread):
    page = admin.client.get("/admin/webhooks").get_data(as_text=True)
    assert "No webhooks yet" in page
    token = admin.token("/admin/webhooks")
    bad = admin.client.post("/admin/webhooks", data={"csrf_token": token, "url": "ftp://x/y"})
    assert bad.status_code == 400 and "must start with http:// or https://" in bad.get_data(True)
    added = admin.client.post(
        "/admin/webhooks",
        data={
            "csrf_token": token,
            "url": "https://cms.example/hook",
            "event_types": ["decision.made"],
        },
    )
    assert added.status_code == 200
    (state,) = endpoints.list_endpoints(db.session)
    endpoint = state.endpoint
    assert endpoint.event_types == "decision.made" and endpoint.created_by_id == users["admin"].id
    assert endpoint.secret in added.get_data(as_text=True)  # shown once...
    assert endpoint.secret not in admin.client.get("/admin/webhooks").get_data(as_text=True)
    old = endpoint.secret
    rotated = admin.client.post(f"/admin/webhooks/{endpoint.id}/rotate", data={"csrf_token": token})
    db.session.expire_all()
    assert endpoint.secret != old and endpoint.previous_secret == old
    assert endpoint.secret in rotated.get_data(as_text=True)
    assert "previous one also signs until" in rotated.get_data(as_text=True)
    admin.client.post(f"/admin/webhooks/{endpoint.id}/active", data={"csrf_token": token})
    db.session.expire_all()
    assert not endpoint.active
    admin.client.post(f"/admin/webhooks/{endpoint.id}/remove", data={"csrf_token": token})
    assert endpoints.list_endpoints(db.session) == []


def test_the_delivery_log_shows_attempts_and_failures(app, admin, users, scored_thread, receiver):
    endpoint, _ = endpoints.add_endpoint(db.session, receiver.url)
    decide(scored_thread.comments[0], "approve", users["moderator"])
    receiver.answers = [500]
    now = utcnow()
    policy = DeliveryPolicy(timeout=2.0, max_attempts=1)
    deliver_due(db.session, now, policy=policy)
    message_id = db.session.scalar(sa.select(WebhookEvent.message_id))
    page = admin.client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert message_id in page and "HTTP 500" in page and "decision.made" in page
    assert "Send the failed ones again" in page
    token = admin.token(f"/admin/webhooks/{endpoint.id}")
    admin.client.post(f"/admin/webhooks/{endpoint.id}/retry", data={"csrf_token": token})
    assert deliver_due(db.session, utcnow(), policy=policy).delivered == 1
    page = admin.client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "204" in page and "delivered" in page


def test_the_command_line_manages_webhooks_and_delivers(
    app, runner, users, scored_thread, receiver
):
    refused = runner.invoke(args=["webhooks", "add", "gopher://example.org/"])
    assert refused.exit_code == 1 and "must start with http:// or https://" in refused.output
    added = runner.invoke(args=["webhooks", "add", receiver.url, "--events", "decision.made"])
    assert added.exit_code == 0, added.output
    secret = added.output.split("signing secret (shown once): ")[1].strip()
    decide(scored_thread.comments[0], "approve", users["moderator"])
    delivered = runner.invoke(args=["webhooks", "deliver"])
    assert "1 delivered" in delivered.output
    Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers)
    listed = runner.invoke(args=["webhooks", "list"])
    assert (
        f"{receiver.url}\tdecision.made\tactive\t0 pending\t1 delivered\t0 failed" in listed.output
    )
    rotated = runner.invoke(args=["webhooks", "rotate-secret", "1"])
    assert "new signing secret for #1" in rotated.output and secret not in rotated.output
    assert runner.invoke(args=["webhooks", "remove", "1"]).exit_code == 0
    assert "no webhook endpoints" in runner.invoke(args=["webhooks", "list"]).output
    assert count(WebhookEvent) == 0
    assert runner.invoke(args=["webhooks", "remove", "1"]).exit_code == 1


def test_prune_deletes_old_delivered_events_only(app, runner, users, scored_thread, receiver):
    endpoint, _ = endpoints.add_endpoint(db.session, receiver.url, "decision.made")
    for comment in scored_thread.comments[:3]:
        decide(comment, "approve", users["moderator"])
    receiver.answers = [204, 500]
    deliver_due(db.session, utcnow(), policy=DeliveryPolicy(timeout=2.0, max_attempts=1))
    assert [d.status for d in deliveries()] == ["delivered", "failed", "delivered"]
    assert endpoints.prune_delivered(db.session, utcnow() - timedelta(days=1)) == 0
    pruned = runner.invoke(args=["webhooks", "prune", "--days", "0"])
    assert "2 delivered deliveries older than 0 days deleted" in pruned.output
    assert [d.status for d in deliveries()] == ["failed"]
    assert count(WebhookEvent) == 1 and count(WebhookAttempt) == 1


def test_the_readme_example_verifies_a_delivery(app, users, scored_thread, receiver):
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Webhooks", 1)[1]
    example = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(example, namespace)
    _, secret = endpoints.add_endpoint(db.session, receiver.url)
    decide(scored_thread.comments[0], "approve", users["moderator"])
    deliver_due(db.session, utcnow(), policy=FAST)
    item = receiver.received[0]
    assert namespace["verify"](secret, item.headers, item.body)
    assert not namespace["verify"](secret, item.headers, item.body + b" ")
    assert not namespace["verify"](signing.new_secret(), item.headers, item.body)


def test_the_background_worker_sweeps_the_outbox_every_minute(app, users, scored_thread, receiver):
    from moderation import jobs

    endpoints.add_endpoint(db.session, receiver.url)
    decide(scored_thread.comments[0], "approve", users["moderator"])
    sweep = jobs.JOBS["deliver-webhooks"]
    assert sweep.every_minutes == 1
    assert "1 delivered" in sweep.run(app)
    assert sweep.run(app) is None  # nothing due: nothing to log every minute
    assert [e["type"] for e in bodies(receiver)] == ["decision.made"]


def test_the_worker_prunes_old_deliveries_every_hour(app, users, scored_thread, receiver):
    from moderation import jobs

    endpoints.add_endpoint(db.session, receiver.url)
    for comment in scored_thread.comments[:2]:
        decide(comment, "approve", users["moderator"])
    deliver_due(db.session, utcnow(), policy=FAST)
    first, second = deliveries()
    first.delivered_at = utcnow() - timedelta(days=app.config["WEBHOOK_KEEP_DAYS"] + 1)
    db.session.commit()
    prune = jobs.JOBS["prune-webhooks"]
    assert prune.every_minutes == 60
    assert prune.run(app) == "1 delivered webhook deliveries pruned"
    assert [d.id for d in deliveries()] == [second.id]
    assert prune.run(app) is None  # nothing old: nothing logged
    app.config["WEBHOOK_KEEP_DAYS"] = None
    second.delivered_at = utcnow() - timedelta(days=3650)
    db.session.commit()
    assert prune.run(app) is None and len(deliveries()) == 1
