"""Webhook endpoints: added, paused, rotated and removed by admins (web page or CLI).

A secret is shown once, when the endpoint is added or its secret rotated; it is kept as
is, since signing needs it. After a rotation the previous secret signs too, beside the
new one, for a grace period (WEBHOOK_ROTATION_GRACE), so that the receiver can change
its secret at any moment in it without refusing a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..models import User, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent, utcnow
from .events import EVENT_TYPES
from .signing import new_secret

MAX_URL_LENGTH = 2000


class EndpointError(ValueError):
    """A URL or event type list that cannot be used; the message says why."""


def check_url(url: str) -> str:
    """``url`` stripped, if it is an absolute http or https URL with a host; else EndpointError."""
    url = url.strip()
    if not url:
        raise EndpointError("a webhook needs a URL")
    if len(url) > MAX_URL_LENGTH:
        raise EndpointError(f"a webhook URL is at most {MAX_URL_LENGTH} characters")
    if any(character.isspace() or ord(character) < 32 for character in url):
        raise EndpointError("a webhook URL cannot contain spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as error:
        raise EndpointError(f"{url!r} is not a valid URL: {error}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise EndpointError(f"a webhook URL must start with http:// or https://, not {url!r}")
    if not parts.hostname:
        raise EndpointError(f"a webhook URL needs a host name: {url!r}")
    return url


def parse_event_types(event_types: str | Iterable[str] | None) -> list[str]:
    """Event types from "a,b" or a list, in EVENT_TYPES order; all of them when none given."""
    if event_types is None:
        return list(EVENT_TYPES)
    names = event_types.split(",") if isinstance(event_types, str) else list(event_types)
    wanted = {name.strip() for name in names if name.strip()}
    unknown = sorted(wanted - set(EVENT_TYPES))
    if unknown:
        raise EndpointError(
            f"unknown event type {', '.join(unknown)}: use {', '.join(EVENT_TYPES)}"
        )
    if not wanted:
        raise EndpointError(f"a webhook needs at least one event type: {', '.join(EVENT_TYPES)}")
    return [name for name in EVENT_TYPES if name in wanted]


def add_endpoint(
    session: so.Session,
    url: str,
    event_types: str | Iterable[str] | None = None,
    created_by: User | None = None,
) -> tuple[WebhookEndpoint, str]:
    """A new active endpoint (committed) and its secret. It receives the events written from
    now on, none from before."""
    endpoint = WebhookEndpoint(
        url=check_url(url),
        event_types=",".join(parse_event_types(event_types)),
        active=True,
        secret=new_secret(),
        created_by_id=created_by.id if created_by else None,
        created_at=utcnow(),
    )
    session.add(endpoint)
    session.commit()
    return endpoint, endpoint.secret


def rotate_secret(
    session: so.Session, endpoint: WebhookEndpoint, grace: timedelta, now: datetime | None = None
) -> str:
    """A new secret (committed); the one it replaces still signs until ``now + grace``.
    Rotating again within the grace period drops the oldest secret at once."""
    now = now or utcnow()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = now + grace
    endpoint.secret = new_secret()
    session.commit()
    return endpoint.secret


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one
    while its grace period lasts."""
    in_force = [endpoint.secret]
    until = endpoint.previous_secret_until
    if endpoint.previous_secret and until is not None and now < until:
        in_force.append(endpoint.previous_secret)
    return in_force


def set_active(session: so.Session, endpoint: WebhookEndpoint, active: bool) -> None:
    """Pause or resume (committed). A paused endpoint is owed no new events; what it was
    owed already waits, and goes out in order once it is resumed."""
    endpoint.active = active
    session.commit()


def remove_endpoint(session: so.Session, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint with its deliveries and their log (committed)."""
    endpoint_id = endpoint.id
    session.execute(sa.delete(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint_id))
    session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id))
    session.delete(endpoint)
    _delete_unowed_events(session)  # events nobody is owed any more are of no use
    session.commit()


def retry_failed(
    session: so.Session, endpoint: WebhookEndpoint, now: datetime | None = None
) -> int:
    """Put the endpoint's failed deliveries back to pending, due now, with a fresh count of
    attempts (committed). They go out in their original order, before later events."""
    result = session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=now or utcnow()),
        execution_options={"synchronize_session": False},
    )
    session.commit()
    return result.rowcount


def prune_delivered(session: so.Session, before: datetime) -> int:
    """Delete deliveries delivered before ``before``, with their log, and the events nobody
    is owed any more (committed); how many deliveries. Failed and pending ones stay."""
    old = sa.select(WebhookDelivery.id).where(
        WebhookDelivery.status == "delivered", WebhookDelivery.delivered_at < before
    )
    session.execute(sa.delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(old)))
    deleted = session.execute(
        sa.delete(WebhookDelivery).where(WebhookDelivery.id.in_(old)),
        execution_options={"synchronize_session": False},
    ).rowcount
    _delete_unowed_events(session)
    session.commit()
    return deleted


def _delete_unowed_events(session: so.Session) -> None:
    session.execute(
        sa.delete(WebhookEvent).where(
            ~sa.exists().where(WebhookDelivery.event_id == WebhookEvent.id)
        )
    )


def find_endpoint(session: so.Session, endpoint_id: int) -> WebhookEndpoint | None:
    return session.get(WebhookEndpoint, endpoint_id)


@dataclass(frozen=True)
class EndpointState:
    """An endpoint with how many deliveries it has in each state."""

    endpoint: WebhookEndpoint
    pending: int
    delivered: int
    failed: int


def list_endpoints(session: so.Session) -> list[EndpointState]:
    counts: dict[int, dict[str, int]] = {}
    for endpoint_id, status, count in session.execute(
        sa.select(WebhookDelivery.endpoint_id, WebhookDelivery.status, sa.func.count()).group_by(
            WebhookDelivery.endpoint_id, WebhookDelivery.status
        )
    ):
        counts.setdefault(endpoint_id, {})[status] = count
    return [
        EndpointState(
            endpoint,
            counts.get(endpoint.id, {}).get("pending", 0),
            counts.get(endpoint.id, {}).get("delivered", 0),
            counts.get(endpoint.id, {}).get("failed", 0),
        )
        for endpoint in session.scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id))
    ]


@dataclass(frozen=True)
class LoggedAttempt:
    attempt: WebhookAttempt
    message_id: str
    event_type: str
    delivery_status: str


def recent_attempts(session: so.Session, endpoint_id: int, limit: int = 50) -> list[LoggedAttempt]:
    """The endpoint's last attempts, newest first, with the event each was for."""
    rows = session.execute(
        sa.select(
            WebhookAttempt, WebhookEvent.message_id, WebhookEvent.event_type, WebhookDelivery.status
        )
        .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookAttempt.endpoint_id == endpoint_id)
        .order_by(WebhookAttempt.id.desc())
        .limit(limit)
    )
    return [LoggedAttempt(*row) for row in rows]


def failed_deliveries(
    session: so.Session, endpoint_id: int, limit: int = 50
) -> list[WebhookDelivery]:
    """Deliveries given up on, newest first, with their events."""
    return list(
        session.scalars(
            sa.select(WebhookDelivery)
            .options(so.joinedload(WebhookDelivery.event))
            .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "failed")
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )
