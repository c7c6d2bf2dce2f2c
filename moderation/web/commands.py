"""Command-line commands for the web side: ``create-user``, ``reset-password`` and ``serve``."""

from __future__ import annotations

import gc
import ipaddress
import os
import secrets
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .. import accounts
from ..config import Config
from ..database import ensure_schema
from ..extensions import db
from ..interrupted_imports import mark_interrupted_imports
from ..jobs import QueueConfigError, queue_description
from ..models import RejectReason, Role
from ..worker import EMBEDDED_MODES, EmbeddedWorker
from .listen import CannotListen, bind_sockets

# gunicorn forks its workers, which Windows cannot: there waitress (threads, one process).
SERVERS = ("gunicorn", "waitress")
DEFAULT_SERVER = "waitress" if sys.platform == "win32" else "gunicorn"

DEFAULT_REJECT_REASONS = [
    "Off-topic",
    "Abusive or hateful",
    "Spam or advertising",
    "Personal information",
    "Misinformation",
    "Other",
]


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.MODERATOR.value,
    show_default=True,
)
@click.option(
    "--generate-password",
    is_flag=True,
    help="Generate a random password and print it once, instead of prompting.",
)
def create_user_command(username: str, role: str, generate_password: bool):
    """Create an account; the password is prompted for (or generated and printed once)."""
    ensure_schema()
    try:
        # Before asking for a password that would then be thrown away.
        accounts.validate_username(username)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    password = accounts.generate_password() if generate_password else read_new_password()
    try:
        user = accounts.create_user(db.session, username, role, password)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created {user.role} account {user.username!r}")
    if generate_password:
        click.echo(f"password (shown once, not stored in plain): {password}")


@click.command("reset-password")
@with_appcontext
@click.argument("username")
@click.option(
    "--generate-password",
    is_flag=True,
    help="Generate a random password and print it once, instead of prompting.",
)
def reset_password_command(username: str, generate_password: bool):
    """Set a new password for an account; its other sessions are signed out."""
    ensure_schema()
    user = accounts.find_user(db.session, username.strip())
    if user is None:
        # Before asking for a password that would then be thrown away.
        raise click.ClickException(
            f"there is no account named {username.strip()[:80]!r}; "
            f"create one with `moderation create-user {username.strip()[:80]}`"
        )
    password = accounts.generate_password() if generate_password else read_new_password()
    try:
        accounts.set_password(db.session, user, password)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"new password set for {user.username!r}; their other sessions are signed out")
    if not user.active:
        click.echo("note: the account is deactivated; reactivate it under Admin > Accounts")
    if generate_password:
        click.echo(f"password (shown once, not stored in plain): {password}")


def read_new_password() -> str:
    """Prompted for twice on a terminal; otherwise the first line of standard input,
    so that a script can pipe one in (``printf '%s\\n' "$PW" | moderation ...``)."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.ClickException("no password given: standard input was empty")
    return password


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--server",
    type=click.Choice(SERVERS),
    default=DEFAULT_SERVER,
    show_default=True,
    help="gunicorn: several processes, using every core; waitress: one process (Windows).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    help="gunicorn's worker processes  [default: one per core]",
)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads per process, for requests waiting on the database.",
)
@click.option(
    "--https-proxy",
    is_flag=True,
    help="Behind an HTTPS reverse proxy: mark cookies Secure and trust its X-Forwarded headers.",
)
@click.option(
    "--proxy-address",
    default="127.0.0.1",
    show_default=True,
    help="With --https-proxy: the address the proxy connects from, the only peer whose "
    "X-Forwarded headers are believed.",
)
@click.option(
    "--access-log",
    metavar="FILE|-",
    help="Log each request to FILE (appended) or - (standard output), Common Log Format.",
)
@click.option(
    "--no-worker",
    is_flag=True,
    help="Start no background worker: a separate `moderation worker` runs the jobs.",
)
def serve_command(
    host: str,
    port: int,
    server: str,
    workers: int | None,
    threads: int,
    https_proxy: bool,
    proxy_address: str,
    access_log: str | None,
    no_worker: bool,
):
    """Serve the moderation queue (creating an admin account on first run)."""
    from .access_log import AccessLog, access_logger

    app = current_app._get_current_object()
    ensure_schema()
    _ensure_secret_key(app)
    try:
        sockets = bind_sockets(host, port)
    except CannotListen as error:
        raise click.ClickException(str(error)) from None
    port = sockets[0].getsockname()[1]  # the one the system chose, for --port 0
    _first_run_setup(host, port)
    for batch in mark_interrupted_imports(db.session):
        click.echo(f"import #{batch.id} of {batch.source_name} was interrupted: marked failed")
    if access_log:
        try:
            app.wsgi_app = AccessLog(app.wsgi_app, access_logger(access_log))
        except OSError as error:
            for sock in sockets:
                sock.close()
            raise click.ClickException(
                f"cannot write the access log {access_log}: {error.strerror}"
            ) from None
    if https_proxy:
        app.config["SESSION_COOKIE_SECURE"] = True
    elif _is_loopback(host) and not _explicitly_configured("SESSION_COOKIE_SECURE"):
        # Plain HTTP on this machine only: a Secure cookie would never come back.
        app.config["SESSION_COOKIE_SECURE"] = False
    elif not _is_loopback(host):
        click.echo(
            "warning: serving plain HTTP beyond this machine; put it behind HTTPS "
            "and use --https-proxy",
            err=True,
        )
    worker = _start_worker(app, no_worker)
    started_in = os.getpid()
    try:
        _run_server(app, server, host, port, sockets, workers, threads, https_proxy, proxy_address)
    finally:
        # gunicorn's worker processes leave through here too, as forks of this one: only
        # the process that started the background worker stops it.
        if worker is not None and os.getpid() == started_in:
            worker.stop()


def _run_server(
    app, server, host, port, sockets, workers, threads, https_proxy, proxy_address
) -> None:
    """Serve with gunicorn's worker processes, or waitress's threads, until stopped."""
    _settle(app)
    if server == "waitress":
        import waitress

        click.echo(f"serving on http://{host}:{port}/ (Ctrl-C to stop)")
        options = server_options(app, threads, proxy_address if https_proxy else None)
        waitress.serve(app, sockets=sockets, **options)
        return
    from . import gunicorn_server

    if https_proxy:
        app.wsgi_app = gunicorn_server.TrustedProxy(app.wsgi_app, proxy_address)
    workers = workers or core_count()
    click.echo(
        f"serving on http://{host}:{port}/ ({workers} processes of {threads} "
        "threads; Ctrl-C to stop)"
    )
    gunicorn_server.serve(app, sockets, workers, threads)


def _settle(app) -> None:
    """Before the first request: every template compiled, then everything the process
    holds by now (app, templates, lexicons) kept out of the garbage collector's way.

    Without :func:`gc.freeze`, the collections that a page's few thousand new objects
    set off walk the ~160,000 objects of the loaded app each time: on the queue page
    that was about 2 ms of 10. gunicorn's workers, forked after this, inherit it all."""
    for name in app.jinja_env.list_templates(extensions=["html"]):
        app.jinja_env.get_template(name)
    gc.collect()
    gc.freeze()


def core_count() -> int:
    """The cores this process may run on (fewer than the machine's in a container)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _start_worker(app: Flask, no_worker: bool) -> EmbeddedWorker | None:
    """The background worker beside the server, unless one runs separately."""
    mode = "off" if no_worker else app.config["EMBEDDED_WORKER"]
    if mode not in EMBEDDED_MODES:
        raise click.ClickException(f"EMBEDDED_WORKER must be one of {', '.join(EMBEDDED_MODES)}")
    if app.config["JOB_QUEUE_IMMEDIATE"]:
        return None  # jobs run in the requests that ask for them
    try:
        where = queue_description(app)
        if mode == "off":
            click.echo(f"background jobs: queued at {where} for `moderation worker`")
            return None
        worker = EmbeddedWorker(app, mode, app.config["JOB_WORKERS"])
    except QueueConfigError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"background jobs: a worker {mode} (pid {worker.pid}) beside the server, {where}")
    return worker


def server_options(app: Flask, threads: int, proxy_address: str | None) -> dict:
    """waitress's settings but where to listen: how large a body to take, and whose
    X-Forwarded headers to believe.

    waitress itself applies the headers of the one trusted peer (the client address
    the proxy appended last, the scheme, host and port) and drops them from anyone
    else, so that a client cannot name its own address to the sign-in rate limit.
    """
    options = {"threads": threads, "ident": "moderation"}
    limits = [app.config.get(key) for key in ("MAX_CONTENT_LENGTH", "MAX_FORM_CONTENT_LENGTH")]
    if None not in limits:
        # waitress reads a whole body before the app sees the request: it must refuse
        # one that is too large itself, on its Content-Length, without reading it.
        options["max_request_body_size"] = max(limits) + 1  # refused from this size on
    if proxy_address is not None:
        options |= {
            "trusted_proxy": proxy_address,
            "trusted_proxy_count": 1,
            "trusted_proxy_headers": FORWARDED_HEADERS,
            "clear_untrusted_proxy_headers": True,
        }
    return options


FORWARDED_HEADERS = frozenset(
    {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port"}
)


def _first_run_setup(host: str, port: int) -> None:
    if accounts.count_admins(db.session) == 0:
        username = "admin"
        while accounts.find_user(db.session, username) is not None:
            username = f"admin-{secrets.token_hex(2)}"
        password = accounts.generate_password()
        accounts.create_user(db.session, username, Role.ADMIN, password)
        click.echo("No admin account existed, so one was created:")
        click.echo(f"  username: {username}")
        click.echo(f"  password: {password}   (shown once; it is stored only hashed)")
        click.echo(f"Sign in at http://{host}:{port}/sign-in and add accounts under Admin.")
    if db.session.query(RejectReason).count() == 0:
        for position, label in enumerate(DEFAULT_REJECT_REASONS):
            db.session.add(RejectReason(label=label, position=position))
        db.session.commit()


def _ensure_secret_key(app: Flask) -> None:
    """Replace the built-in development key by a random one kept in the instance folder."""
    if app.config["SECRET_KEY"] != Config.SECRET_KEY:
        return
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32))
    app.config["SECRET_KEY"] = path.read_text().strip()


def _explicitly_configured(key: str) -> bool:
    return f"MODERATION_{key}" in os.environ


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def init_app(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(reset_password_command)
    app.cli.add_command(serve_command)
