"""Delivering the outbox: one run of :func:`deliver_due` sends what is due, in order.

The rules (docs/webhooks.md says them for receivers):

- **Order per endpoint.** An endpoint's deliveries go out in the order their events were
  written: a run sends an endpoint its oldest pending delivery, and the next only once
  that one is delivered or given up on. A failure holds the endpoint's later events back
  until its retry; other endpoints go on.
- **At least once.** Before sending, a run claims the delivery in its own committed
  transaction, counting the attempt and setting ``next_attempt_at`` to when it should be
  tried again if nothing is heard of it. A process killed mid-request leaves it so: it is
  sent again then, with the same Webhook-Id, which receivers use to drop repeats. The
  claim is a conditional update, so two runs at once never send the same delivery.
- **Retries** back off exponentially, WEBHOOK_RETRY_FIRST seconds doubling up to
  WEBHOOK_RETRY_MAX, each between half and all of that (jitter, so that many endpoints
  failing together do not retry together), never sooner than a request can take
  (the in-flight lease). After WEBHOOK_MAX_ATTEMPTS the delivery is marked failed, shown
  to admins, and the endpoint's next event goes out.
- A 2xx answer is success; anything else (a redirect too: none is followed), a refused
  connection or a timeout is a failure. Every attempt is logged.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
import sqlalchemy as sa
import sqlalchemy.orm as so

from ..models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent, utcnow
from .endpoints import signing_secrets
from .signing import signature_header

USER_AGENT = "moderation-webhooks/1"
MAX_ERROR = 500
MAX_ANSWER_READ = 64 * 1024


@dataclass(frozen=True)
class DeliveryPolicy:
    """How deliveries are sent and retried; from the app's WEBHOOK_* settings."""

    timeout: float = 5.0
    """Seconds to connect, and again to send or to wait for the answer."""
    max_attempts: int = 8
    retry_first: float = 30.0
    retry_max: float = 6 * 3600.0
    per_endpoint: int = 100
    """The most deliveries one run sends one endpoint, so that a run ends."""

    @classmethod
    def from_config(cls, config: Mapping) -> DeliveryPolicy:
        return cls(
            timeout=float(config.get("WEBHOOK_TIMEOUT", cls.timeout)),
            max_attempts=int(config.get("WEBHOOK_MAX_ATTEMPTS", cls.max_attempts)),
            retry_first=float(config.get("WEBHOOK_RETRY_FIRST", cls.retry_first)),
            retry_max=float(config.get("WEBHOOK_RETRY_MAX", cls.retry_max)),
            per_endpoint=int(config.get("WEBHOOK_PER_ENDPOINT_RUN", cls.per_endpoint)),
        )

    @property
    def in_flight_lease(self) -> timedelta:
        """Longer than an attempt can take (connect, send and answer, each timed out), so
        that a delivery being sent is not taken for one whose sender was killed."""
        return timedelta(seconds=3 * self.timeout + 5)

    def retry_delay(self, attempts: int, rng: Callable[[], float] = random.random) -> timedelta:
        """How long after its ``attempts``-th attempt a delivery is tried again."""
        ceiling = min(self.retry_max, self.retry_first * 2 ** (attempts - 1))
        return max(timedelta(seconds=ceiling * (0.5 + rng() / 2)), self.in_flight_lease)


@dataclass
class DeliverySummary:
    """What one run did."""

    delivered: int = 0
    retrying: int = 0
    """Attempts that failed and will be tried again."""
    gave_up: int = 0
    """Deliveries marked failed after their last attempt."""
    endpoints: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.gave_up

    def __str__(self) -> str:
        return (
            f"{self.delivered} delivered, {self.retrying} to retry, {self.gave_up} failed "
            f"(given up), {self.endpoints} endpoints"
        )


@dataclass(frozen=True)
class _Endpoint:
    id: int
    url: str
    secret: str
    previous_secret: str | None
    previous_secret_until: datetime | None


@dataclass(frozen=True)
class _Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.error is None


def deliver_due(
    session: so.Session,
    now: datetime | None = None,
    *,
    policy: DeliveryPolicy | None = None,
    client: httpx.Client | None = None,
    rng: Callable[[], float] = random.random,
    clock: Callable[[], float] = time.time,
) -> DeliverySummary:
    """Send every active endpoint its due deliveries, in order (see the module's rules).

    ``now`` decides what is due and when retries come (default: the clock);
    Webhook-Timestamp is always the clock's, since receivers check it against theirs.
    ``policy`` defaults to the app's settings. Commits as it goes.
    """
    now = now or utcnow()
    if policy is None:
        from flask import current_app

        policy = DeliveryPolicy.from_config(current_app.config)
    summary = DeliverySummary()
    # Plain copies: the commits below would have the session read each endpoint again.
    endpoints = [
        _Endpoint(row.id, row.url, row.secret, row.previous_secret, row.previous_secret_until)
        for row in session.execute(
            sa.select(
                WebhookEndpoint.id,
                WebhookEndpoint.url,
                WebhookEndpoint.secret,
                WebhookEndpoint.previous_secret,
                WebhookEndpoint.previous_secret_until,
            )
            .where(WebhookEndpoint.active)
            .order_by(WebhookEndpoint.id)
        )
    ]
    session.commit()
    if not endpoints:
        return summary
    own_client = client is None
    clients = _Clients(client, policy)
    try:
        for endpoint in endpoints:
            summary.endpoints += 1
            for _ in range(policy.per_endpoint):
                if not _deliver_next(session, endpoint, now, policy, clients, rng, clock, summary):
                    break
    finally:
        if own_client:
            clients.close()
    return summary


def new_client(policy: DeliveryPolicy) -> httpx.Client:
    """The HTTP client deliveries go through; one kept across runs reuses its connections."""
    return httpx.Client(
        timeout=httpx.Timeout(policy.timeout),
        follow_redirects=False,
        headers={"user-agent": USER_AGENT},
    )


class _Clients:
    """The caller's client, or one made on the first delivery that needs it (making one
    loads the system's certificates: a run with nothing due need not)."""

    def __init__(self, client: httpx.Client | None, policy: DeliveryPolicy):
        self.client = client
        self.policy = policy

    def get(self) -> httpx.Client:
        if self.client is None:
            self.client = new_client(self.policy)
        return self.client

    def close(self) -> None:
        if self.client is not None:
            self.client.close()


# Built once: building a statement costs more than running it here.
_HEAD = (
    sa.select(
        WebhookDelivery.id,
        WebhookDelivery.attempts,
        WebhookDelivery.next_attempt_at,
        WebhookEvent.message_id,
        WebhookEvent.body,
    )
    .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
    .where(
        WebhookDelivery.endpoint_id == sa.bindparam("endpoint_id"),
        WebhookDelivery.status == "pending",
    )
    .order_by(WebhookDelivery.id)
    .limit(1)
)
_CLAIM = (
    sa.update(WebhookDelivery.__table__)
    .where(
        WebhookDelivery.id == sa.bindparam("delivery_id"),
        WebhookDelivery.status == "pending",
        WebhookDelivery.attempts == sa.bindparam("attempts_seen"),
    )
    .values(
        attempts=sa.bindparam("attempts_now"),
        last_attempt_at=sa.bindparam("now"),
        next_attempt_at=sa.bindparam("retry_at"),
    )
)
_RECORD = (
    sa.update(WebhookDelivery.__table__)
    .where(WebhookDelivery.id == sa.bindparam("delivery_id"))
    .values(
        status=sa.bindparam("new_status"),
        delivered_at=sa.bindparam("delivered"),
        last_status_code=sa.bindparam("status_code"),
        last_error=sa.bindparam("error"),
    )
)
_LOG = sa.insert(WebhookAttempt.__table__)


def _deliver_next(session, endpoint, now, policy, clients, rng, clock, summary) -> bool:
    """Send the endpoint's oldest pending delivery if it is due; whether to go on with the
    next one (once this one is delivered or given up on)."""
    head = session.execute(_HEAD, {"endpoint_id": endpoint.id}).one_or_none()
    if head is None or head.next_attempt_at > now:
        session.commit()
        return False
    attempt = head.attempts + 1
    claimed = claim(session, head.id, head.attempts, now, policy.retry_delay(attempt, rng))
    session.commit()
    if not claimed:
        return False  # another run has it
    secrets_in_force = signing_secrets(endpoint, now)
    outcome = _send(clients.get(), endpoint, secrets_in_force, head.message_id, head.body, clock)
    status, delivered_at = "pending", None  # to be retried at the time the claim set
    if outcome.succeeded:
        status, delivered_at = "delivered", utcnow()
        summary.delivered += 1
    elif attempt >= policy.max_attempts:
        status = "failed"
        summary.gave_up += 1
    else:
        summary.retrying += 1
    if outcome.error:
        summary.errors.append(f"{endpoint.url}: {outcome.error}")
    session.execute(
        _RECORD,
        {
            "delivery_id": head.id,
            "new_status": status,
            "delivered": delivered_at,
            "status_code": outcome.status_code,
            "error": outcome.error,
        },
    )
    session.execute(
        _LOG,
        {
            "delivery_id": head.id,
            "endpoint_id": endpoint.id,
            "attempt": attempt,
            "attempted_at": now,
            "status_code": outcome.status_code,
            "error": outcome.error,
            "duration_ms": outcome.duration_ms,
        },
    )
    session.commit()
    return status != "pending"  # delivered or given up on: the next one may go


def claim(
    session: so.Session, delivery_id: int, attempts_seen: int, now: datetime, delay: timedelta
) -> bool:
    """Count an attempt at a pending delivery and set when to try again if nothing is heard
    of it (not committed); False when another run claimed it since ``attempts_seen``."""
    claimed = session.execute(
        _CLAIM,
        {
            "delivery_id": delivery_id,
            "attempts_seen": attempts_seen,
            "attempts_now": attempts_seen + 1,
            "now": now,
            "retry_at": now + delay,
        },
    )
    return claimed.rowcount == 1


def _send(client: httpx.Client, endpoint, secrets_in_force, message_id, body_text, clock):
    body = body_text.encode("utf-8")
    timestamp = int(clock())
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets_in_force, message_id, timestamp, body),
    }
    started = time.perf_counter()
    status_code, error = None, None
    try:
        with client.stream("POST", endpoint.url, content=body, headers=headers) as response:
            status_code = response.status_code
            # An answer read to its end leaves the connection for the next delivery; one
            # longer than this is of no use, and is dropped with its connection.
            read = 0
            for chunk in response.iter_raw():
                read += len(chunk)
                if read > MAX_ANSWER_READ:
                    break
    except httpx.TimeoutException:
        error = f"timed out ({client.timeout.read:g} s)"
    except Exception as problem:
        # Whatever it is (a refused connection, a reset, a URL the client will not take...),
        # it is this attempt's failure, not the run's: the other endpoints go on.
        error = f"{type(problem).__name__}: {problem}"[:MAX_ERROR]
    if status_code is not None and not 200 <= status_code < 300:
        error = f"HTTP {status_code}"
        if 300 <= status_code < 400:
            error += " (redirects are not followed)"
    duration_ms = int((time.perf_counter() - started) * 1000)
    return _Outcome(status_code, error, duration_ms)
