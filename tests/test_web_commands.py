"""The create-user and serve commands."""

import sqlalchemy as sa
import waitress

from moderation.extensions import db
from moderation.models import RejectReason, User


def test_create_user_prompts_for_the_password(runner):
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
    monkeypatch.setattr(waitress, "serve", lambda wsgi, **options: served.append(options))
    app.config["SECRET_KEY"] = "dev-only-change-me"
    result = runner.invoke(args=["serve", "--port", "5055"])
    assert result.exit_code == 0, result.output
    assert served == [
        {
            "host": "127.0.0.1",
            "port": 5055,
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
    assert "http://127.0.0.1:5055/sign-in" in result.output
    # Plain HTTP on loopback: cookies cannot be Secure. The dev key is replaced.
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SECRET_KEY"] != "dev-only-change-me"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RejectReason)) > 0

    again = runner.invoke(args=["serve"])
    assert "username:" not in again.output  # the admin exists now
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_serve_behind_an_https_proxy_keeps_cookies_secure_and_trusts_only_the_proxy(
    app, runner, monkeypatch
):
    served = []
    monkeypatch.setattr(waitress, "serve", lambda wsgi, **options: served.append(options))
    result = runner.invoke(args=["serve", "--https-proxy", "--proxy-address", "10.0.0.5"])
    assert result.exit_code == 0, result.output
    assert app.config["SESSION_COOKIE_SECURE"] is True
    [options] = served
    assert options["trusted_proxy"] == "10.0.0.5" and options["trusted_proxy_count"] == 1
    assert "x-forwarded-for" in options["trusted_proxy_headers"]
    # What waitress makes of them: tests/test_serve_proxy.py, on a real server.
