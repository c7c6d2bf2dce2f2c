"""``moderation webhooks add|list|remove|rotate-secret|retry|prune|deliver``: webhooks from
the command line."""

from __future__ import annotations

import time
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..database import ensure_schema
from ..extensions import db
from ..models import WebhookEndpoint, utcnow
from . import endpoints
from .delivery import DeliveryPolicy, deliver_due, new_client
from .events import EVENT_TYPES

webhooks_group = AppGroup(
    "webhooks", help="Manage webhook endpoints and deliver the outbox (docs/webhooks.md)."
)


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = endpoints.find_endpoint(db.session, endpoint_id)
    if endpoint is None:
        raise click.ClickException(f"there is no webhook endpoint #{endpoint_id}")
    return endpoint


@webhooks_group.command("add")
@click.argument("url")
@click.option(
    "--events",
    "event_types",
    help=f"Comma-separated, from: {', '.join(EVENT_TYPES)} (default: all).",
)
def add_command(url: str, event_types: str | None):
    """Add an endpoint: it is sent the events written from now on."""
    ensure_schema()
    try:
        endpoint, secret = endpoints.add_endpoint(db.session, url, event_types)
    except endpoints.EndpointError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"added webhook #{endpoint.id} {endpoint.url} for {endpoint.event_types}")
    click.echo(f"signing secret (shown once): {secret}")


@webhooks_group.command("list")
def list_command():
    """List endpoints: id, URL, events, state, deliveries pending, delivered and failed."""
    ensure_schema()
    states = endpoints.list_endpoints(db.session)
    if not states:
        click.echo("no webhook endpoints")
        return
    for state in states:
        endpoint = state.endpoint
        click.echo(
            f"#{endpoint.id}\t{endpoint.url}\t{endpoint.event_types}\t"
            f"{'active' if endpoint.active else 'paused'}\t{state.pending} pending\t"
            f"{state.delivered} delivered\t{state.failed} failed"
        )


@webhooks_group.command("remove")
@click.argument("endpoint_id", type=int)
def remove_command(endpoint_id: int):
    """Remove an endpoint, with what it was still owed and its delivery log."""
    ensure_schema()
    endpoint = _endpoint(endpoint_id)
    url = endpoint.url
    endpoints.remove_endpoint(db.session, endpoint)
    click.echo(f"removed webhook #{endpoint_id} {url}")


@webhooks_group.command("rotate-secret")
@click.argument("endpoint_id", type=int)
def rotate_command(endpoint_id: int):
    """Give an endpoint a new secret; the old one still signs for WEBHOOK_ROTATION_GRACE."""
    ensure_schema()
    endpoint = _endpoint(endpoint_id)
    grace = current_app.config["WEBHOOK_ROTATION_GRACE"]
    secret = endpoints.rotate_secret(db.session, endpoint, grace)
    click.echo(f"new signing secret for #{endpoint.id} (shown once): {secret}")
    click.echo(
        f"the previous secret also signs until {endpoint.previous_secret_until:%Y-%m-%d %H:%M UTC}"
    )


@webhooks_group.command("retry")
@click.argument("endpoint_id", type=int)
def retry_command(endpoint_id: int):
    """Send an endpoint's failed deliveries again, in their order, before its later events."""
    ensure_schema()
    count = endpoints.retry_failed(db.session, _endpoint(endpoint_id))
    click.echo(f"{count} failed deliveries of #{endpoint_id} queued again")


@webhooks_group.command("prune")
@click.option(
    "--days", type=click.IntRange(0), default=30, show_default=True,
    help="Keep deliveries delivered in the last DAYS days.",
)  # fmt: skip
def prune_command(days: int):
    """Delete delivered events older than --days, with their log; failed ones stay."""
    ensure_schema()
    count = endpoints.prune_delivered(db.session, utcnow() - timedelta(days=days))
    click.echo(f"{count} delivered deliveries older than {days} days deleted")


@webhooks_group.command("deliver")
@click.option("--loop", is_flag=True, help="Keep delivering until interrupted.")
@click.option(
    "--interval", type=click.FloatRange(0.1), default=5.0, show_default=True,
    help="Seconds between runs with --loop.",
)  # fmt: skip
def deliver_command(loop: bool, interval: float):
    """Send what the outbox holds that is due: once, or every --interval seconds."""
    ensure_schema()
    policy = DeliveryPolicy.from_config(current_app.config)
    with new_client(policy) as client:  # kept across runs: connections are reused
        _deliver(loop, interval, policy, client)


def _deliver(loop: bool, interval: float, policy: DeliveryPolicy, client) -> None:
    while True:
        summary = deliver_due(db.session, policy=policy, client=client)
        db.session.remove()
        if summary.attempted or not loop:
            click.echo(str(summary))
            for error in summary.errors:
                click.echo(f"  {error}", err=True)
        if not loop:
            return
        try:
            time.sleep(interval)
        except KeyboardInterrupt:
            return


def init_app(app: Flask) -> None:
    app.cli.add_command(webhooks_group)
