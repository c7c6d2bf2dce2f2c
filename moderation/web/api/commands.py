"""``moderation token create|revoke|list``: API tokens from the command line."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ... import api_tokens
from ...database import ensure_schema
from ...extensions import db

token_group = AppGroup("token", help="Create, revoke and list API tokens.")


@token_group.command("create")
@click.option("--name", required=True, help="Who or what the token is for, e.g. wordpress-main.")
@click.option(
    "--scope",
    "scopes",
    required=True,
    help=f"Comma-separated, from: {', '.join(api_tokens.SCOPES)}.",
)
def create_command(name: str, scopes: str):
    """Create a token; it is printed once and stored only hashed."""
    ensure_schema()
    try:
        token, secret = api_tokens.create_token(db.session, name, scopes)
    except api_tokens.TokenError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created token {token.name!r} with scopes {token.scopes}")
    click.echo(f"token (shown once, stored only hashed): {secret}")


@token_group.command("revoke")
@click.argument("name")
def revoke_command(name: str):
    """Revoke a token by name: every request with it is refused from now on."""
    ensure_schema()
    token = api_tokens.find_token(db.session, name)
    if token is None:
        raise click.ClickException(f"there is no token named {name!r}")
    if not api_tokens.revoke_token(db.session, token):
        raise click.ClickException(f"token {name!r} was revoked already")
    click.echo(f"revoked token {name!r}")


@token_group.command("list")
def list_command():
    """List tokens: name, scopes, first characters, created, last used, revoked."""
    ensure_schema()
    tokens = api_tokens.list_tokens(db.session)
    if not tokens:
        click.echo("no API tokens")
        return
    for token in tokens:
        state = f"revoked {_when(token.revoked_at)}" if token.revoked_at else "live"
        click.echo(
            f"{token.name}\t{token.scopes}\t{token.prefix}…\tcreated {_when(token.created_at)}"
            f"\tlast used {_when(token.last_used_at)}\t{state}"
        )


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def init_app(app: Flask) -> None:
    app.cli.add_command(token_group)
