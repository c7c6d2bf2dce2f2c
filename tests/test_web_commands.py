"""The create-user, reset-password and serve commands."""

import os
import select
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
import waitress
from werkzeug.security import check_password_hash

from moderation.extensions import db
from moderation.models import RejectReason, SignInFailure, User


def fake_serve(served):
    """In place of waitress.serve: records the options and closes the bound sockets."""

    def serve(wsgi, sockets, **options):
        served.append({"addresses": [s.getsockname()[:2] for s in sockets], **options})
        for sock in sockets:
            sock.close()

    return serve


@pytest.fixture
def busy_port():
    """A port another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def run_moderation(tmp_path, *args, **options):
    """The real console script's code in a new process, on a database of its own."""
    environment = {
        "PATH": "/usr/bin:/bin",
        "MODERATION_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
        "MODERATION_SECRET_KEY": "test",
        "MODERATION_JOB_QUEUE_URL": f"sqlite:///{tmp_path / 'jobs.sqlite'}",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "moderation.cli", *args]
    return subprocess.Popen(command, env=environment, text=True, **options)


def test_create_user_reads_the_password_from_standard_input(runner):
    result = runner.invoke(
        args=["create-user", "rita", "--role", "admin"],
        input="a good long password\na good long password\n",
    )
    assert result.exit_code == 0, result.output
    assert "created admin account 'rita'" in result.output
    user = db.session.scalar(sa.select(User).where(User.username == "rita"))
    assert user.role == "admin" and "a good long password" not in user.password_hash


def test_create_user_can_generate_and_print_the_password_once(runner):
    result = runner.invoke(args=["create-user", "sam", "--generate-password"])
    assert result.exit_code == 0, result.output
    password = result.output.split("password (shown once, not stored in plain): ")[1].strip()
    user = db.session.scalar(sa.select(User).where(User.username == "sam"))
    assert user.role == "moderator" and len(password) >= 10
    from werkzeug.security import check_password_hash

    assert check_password_hash(user.password_hash, password)


def test_create_user_refuses_bad_input(runner):
    assert runner.invoke(args=["create-user", "x", "--role", "god"]).exit_code == 2
    result = runner.invoke(args=["create-user", "has space", "--generate-password"])
    assert result.exit_code == 1 and "username" in result.output
    # A bad name is refused before the password is asked for.
    result = runner.invoke(args=["create-user", "has space"], input="")
    assert result.exit_code == 1 and "Password" not in result.output
    runner.invoke(args=["create-user", "tom", "--generate-password"])
    result = runner.invoke(args=["create-user", "tom", "--generate-password"])
    assert result.exit_code == 1 and "already" in result.output


def test_serve_creates_an_admin_on_first_run_then_serves(app, runner, monkeypatch):
    served = []
    monkeypatch.setattr(waitress, "serve", fake_serve(served))
    app.config["SECRET_KEY"] = "dev-only-change-me"
    with socket.socket() as probe:  # a port free now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = runner.invoke(args=["serve", "--server", "waitress", "--port", str(port)])
    assert result.exit_code == 0, result.output
    assert served == [
        {
            "addresses": [("127.0.0.1", port)],
            "threads": 8,
            "ident": "moderation",
            "max_request_body_size": app.config["MAX_CONTENT_LENGTH"] + 1,
        }
    ]
    assert "username: admin" in result.output
    password = result.output.split("password: ")[1].split()[0]
    admin = db.session.scalar(sa.select(User).where(User.role == "admin"))
    from werkzeug.security import check_password_hash

    assert check_password_hash(admin.password_hash, password)
    assert f"http://127.0.0.1:{port}/sign-in" in result.output
    # Plain HTTP on loopback: cookies cannot be Secure. The dev key is replaced.
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SECRET_KEY"] != "dev-only-change-me"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RejectReason)) > 0

    again = runner.invoke(args=["serve", "--server", "waitress", "--port", "0"])
    assert "username:" not in again.output  # the admin exists now
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_serve_behind_an_https_proxy_keeps_cookies_secure_and_trusts_only_the_proxy(
    app, runner, monkeypatch
):
    served = []
    monkeypatch.setattr(waitress, "serve", fake_serve(served))
    result = runner.invoke(
        args=[
            *("serve", "--server", "waitress", "--https-proxy"),
            *("--proxy-address", "10.0.0.5", "--port", "0"),
        ]
    )
    assert result.exit_code == 0, result.output
    assert app.config["SESSION_COOKIE_SECURE"] is True
    [options] = served
    assert options["trusted_proxy"] == "10.0.0.5" and options["trusted_proxy_count"] == 1
    assert "x-forwarded-for" in options["trusted_proxy_headers"]
    # What waitress makes of them: tests/test_serve_proxy.py, on a real server.


def test_reset_password_reads_the_new_one_from_standard_input(runner):
    runner.invoke(args=["create-user", "rita", "--generate-password"])
    result = runner.invoke(args=["reset-password", "rita"], input="a brand new password\n")
    assert result.exit_code == 0, result.output
    assert "new password set for 'rita'" in result.output
    user = db.session.scalar(sa.select(User).where(User.username == "rita"))
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, "a brand new password")


def test_reset_password_refuses_an_unknown_account_before_asking(runner):
    result = runner.invoke(args=["reset-password", "nobody"], input="a brand new password\n")
    assert result.exit_code == 1
    assert "there is no account named 'nobody'" in result.output
    assert "moderation create-user nobody" in result.output
    assert "Password" not in result.output


def test_reset_password_refuses_a_short_or_missing_password(runner):
    runner.invoke(args=["create-user", "rita", "--generate-password"])
    before = db.session.scalar(sa.select(User.password_hash).where(User.username == "rita"))
    short = runner.invoke(args=["reset-password", "rita"], input="short\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    empty = runner.invoke(args=["reset-password", "rita"], input="")
    assert empty.exit_code == 1 and "standard input was empty" in empty.output
    after = db.session.scalar(sa.select(User.password_hash).where(User.username == "rita"))
    assert after == before


def test_reset_password_can_generate_one_and_lifts_a_lockout(runner):
    runner.invoke(args=["create-user", "rita", "--generate-password"])
    db.session.add_all(
        SignInFailure(username="rita", address="10.0.0.1", created_at=datetime.now(UTC))
        for _ in range(5)
    )
    db.session.commit()
    result = runner.invoke(args=["reset-password", "rita", "--generate-password"])
    assert result.exit_code == 0, result.output
    password = result.output.split("password (shown once, not stored in plain): ")[1].strip()
    user = db.session.scalar(sa.select(User).where(User.username == "rita"))
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, password)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignInFailure)) == 0


def test_serve_on_a_busy_port_says_so_in_one_line(runner, busy_port, monkeypatch):
    served = []
    monkeypatch.setattr(waitress, "serve", fake_serve(served))
    result = runner.invoke(args=["serve", "--server", "waitress", "--port", str(busy_port)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output == (
        f"Error: port {busy_port} on 127.0.0.1 is already in use by another program; "
        f"choose another with --port, e.g. --port {busy_port + 1}\n"
    )
    assert served == []
    # Nothing was set up for a server that did not start: no admin password shown.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_serve_on_a_busy_port_prints_no_traceback(tmp_path, busy_port):
    process = run_moderation(
        tmp_path, "serve", "--port", str(busy_port), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert err.splitlines() == [
        f"Error: port {busy_port} on 127.0.0.1 is already in use by another program; "
        f"choose another with --port, e.g. --port {busy_port + 1}"
    ]
    assert out == ""


def test_serve_writes_an_access_log(tmp_path):
    log = tmp_path / "access.log"
    process = run_moderation(
        tmp_path,
        *("serve", "--port", "0", "--access-log", str(log)),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        for line in process.stdout:
            if line.startswith("serving on "):
                url = line.split()[2]
                break
        with urllib.request.urlopen(url + "sign-in?next=%22x%0A") as response:
            body = response.read()
        # The line is written when waitress closes the response, just after sending it.
        deadline = time.monotonic() + 30
        while not log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.terminate()
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            # Not left running into the next tests (as happened on a loaded CI machine).
            process.kill()
            process.communicate()
            raise
    (entry,) = log.read_text().splitlines()
    address, ident, user, rest = entry.split(" ", 3)
    assert (address, ident, user) == ("127.0.0.1", "-", "-")
    assert rest.endswith(f'] "GET /sign-in?next=%22x%0A HTTP/1.1" 200 {len(body)}')


def test_reset_password_on_a_terminal_prompts_twice(app, runner, tmp_path):
    runner.invoke(args=["create-user", "rita", "--generate-password"])
    # pty.spawn runs the command on a terminal of its own; the test types into it.
    typist = subprocess.Popen(
        [sys.executable, "-c", "import pty, sys; pty.spawn(sys.argv[1:])"]
        + [sys.executable, "-m", "moderation.cli", "reset-password", "rita"],
        env={
            "PATH": "/usr/bin:/bin",
            "MODERATION_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
            "MODERATION_SECRET_KEY": "test",
        },
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    screen = b""

    def wait_for(text: bytes) -> None:
        nonlocal screen
        while text not in screen:
            ready, _, _ = select.select([typist.stdout], [], [], 30)
            assert ready, f"no {text!r} on the terminal: {screen!r}"
            shown = os.read(typist.stdout.fileno(), 1024)
            assert shown, f"the command ended before {text!r}: {screen!r}"
            screen += shown

    def type_line(text: str) -> None:
        nonlocal screen
        screen = b""
        typist.stdin.write(text.encode() + b"\n")
        typist.stdin.flush()

    # A mistyped confirmation is asked again; nothing is echoed.
    for confirmation in ("a mistyped password", "a brand new password"):
        wait_for(b"Password: ")
        type_line("a brand new password")
        wait_for(b"Repeat for confirmation: ")
        type_line(confirmation)
        if confirmation == "a mistyped password":
            wait_for(b"do not match")
    assert b"a brand new password" not in screen
    wait_for(b"new password set for 'rita'")
    typist.communicate(timeout=30)  # closes its pipes
    user = db.session.scalar(sa.select(User).where(User.username == "rita"))
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, "a brand new password")
