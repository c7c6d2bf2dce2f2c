"""``moderation sync wordpress``: pull a WordPress site's comments, push decisions back."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from .commands import run_scoring
from .database import ensure_schema
from .extensions import db
from .wordpress_api import WordPressAPI, WordPressError
from .wordpress_sync import REJECT_CHOICES, PullSummary, PushSummary, pull, push


@click.group("sync")
def sync_group():
    """Two-way sync with a site's own comment system."""


@sync_group.command("wordpress")
@with_appcontext
@click.option("--url", required=True, envvar="MODERATION_WORDPRESS_URL", help="The site's URL.")
@click.option("--user", required=True, envvar="MODERATION_WORDPRESS_USER", help="Its username.")
@click.option(
    "--app-password", required=True, envvar="MODERATION_WORDPRESS_APP_PASSWORD",
    help="An application password of that account (Users > Profile); better given as "
    "MODERATION_WORDPRESS_APP_PASSWORD than on the command line.",
)  # fmt: skip
@click.option(
    "--rejected-as", type=click.Choice(REJECT_CHOICES), default="trash", show_default=True,
    help="What a rejected comment becomes on the site.",
)  # fmt: skip
@click.option(
    "--spam-as", type=click.Choice(REJECT_CHOICES), default="spam", show_default=True,
    help="What a comment marked spam becomes on the site.",
)  # fmt: skip
@click.option("--pull-only", is_flag=True, help="Only pull comments; push no decision.")
@click.option("--push-only", is_flag=True, help="Only push decisions; pull no comment.")
@click.option("--no-score", is_flag=True, help="Do not score the pulled comments now.")
def wordpress_command(
    url, user, app_password, rejected_as, spam_as, pull_only, push_only, no_score
):
    """Push decisions made here to a WordPress site, then pull its new and held comments.

    A decision whose comment changed on the site since it was pulled is a conflict: listed,
    not written, and the command exits with status 1.
    """
    if pull_only and push_only:
        raise click.UsageError("--pull-only and --push-only exclude each other")
    ensure_schema()
    pushed = pulled = None
    try:
        with WordPressAPI(url, user, app_password) as api:
            api.connect()
            if not pull_only:
                pushed = push(db.session, api, rejected_as, spam_as)
                _report_push(pushed)
            if not push_only:
                pulled = pull(db.session, api)
                _report_pull(pulled)
    except WordPressError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    if pulled and pulled.comments_new + pulled.comments_updated and not no_score:
        run_scoring(rescore_all=False, workers=None)
    if pushed and pushed.conflicts:
        sys.exit(1)


def _report_push(summary: PushSummary) -> None:
    sent = ", ".join(f"{count} {status}" for status, count in sorted(summary.pushed.items()))
    click.echo(
        f"pushed {sum(summary.pushed.values())} decisions" + (f" ({sent})" if sent else "")
        + f", {summary.already} already so on the site, {len(summary.conflicts)} conflicts"
    )  # fmt: skip
    for conflict in summary.conflicts:
        click.echo(f"conflict: {conflict}", err=True)


def _report_pull(summary: PullSummary) -> None:
    click.echo(
        f"pulled {summary.comments_new} new comments, {summary.comments_updated} updated, "
        f"{summary.comments_unchanged} unchanged; {summary.articles_new} new articles, "
        f"{summary.articles_updated} updated "
        f"({summary.pages} pages)"
    )
    for problem in summary.problems:
        click.echo(f"  {problem}", err=True)


def init_app(app: Flask) -> None:
    app.cli.add_command(sync_group)
