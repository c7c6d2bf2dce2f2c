"""Fixtures shared by the tests: an app on a fresh database, its client and CLI runner.

Database tests run on SQLite always, and on PostgreSQL too when
MODERATION_TEST_POSTGRES_URL names a server (``.ci/run`` starts one). In CI a
missing PostgreSQL is an error, never a silent skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from moderation import create_app
from moderation.database import ensure_schema
from moderation.extensions import db

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SEEDS = REPO / "seeds"
POSTGRES_URL = os.environ.get("MODERATION_TEST_POSTGRES_URL")

if os.environ.get("CI") == "true" and not POSTGRES_URL:
    raise RuntimeError(
        "CI must run the database tests on PostgreSQL: set MODERATION_TEST_POSTGRES_URL"
    )

BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(scope="session")
def postgres_schema_ready():
    """Migrate the PostgreSQL test database once per run, from empty."""
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": POSTGRES_URL})
    with app.app_context():
        ensure_schema()
        db.engine.dispose()


def _empty_postgres_tables() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def app(request, tmp_path, monkeypatch):
    for variable in ("MODERATION_DATABASE_URL", "MODERATION_SECRET_KEY"):
        monkeypatch.delenv(variable, raising=False)
    if request.param == "postgresql":
        request.getfixturevalue("postgres_schema_ready")
        url = POSTGRES_URL
    else:
        url = f"sqlite:///{tmp_path / 'test.sqlite'}"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": url,
            "IMPORT_CHUNK_SIZE": 50,
            "JOB_QUEUE_IMMEDIATE": True,
        }
    )
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        ensure_schema()
        if request.param == "postgresql":
            _empty_postgres_tables()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# Web fixtures -------------------------------------------------------------------
# Accounts of each role, a signed-in test client helper, and a scored thread inserted
# directly. CSRF protection stays ON in the tests: forms are posted with the token
# the page gave, as a browser would.

WEB_PASSWORD = "correct horse battery staple"
CSRF_TOKEN_PATTERN = r'name="csrf_token"[^>]*value="([^"]+)"'


@pytest.fixture(scope="session")
def web_password_hash():
    """Hashed once per run: scrypt is slow on purpose."""
    from moderation.accounts import hash_password

    return hash_password(WEB_PASSWORD)


@pytest.fixture
def users(app, web_password_hash):
    """One account per role, plus a second moderator: {"admin": User, ...}."""
    from moderation.models import User

    accounts = {
        name: User(username=name, role=role, password_hash=web_password_hash)
        for name, role in [
            ("admin", "admin"),
            ("moderator", "moderator"),
            ("analyst", "analyst"),
            ("moderator2", "moderator"),
        ]
    }
    db.session.add_all(accounts.values())
    db.session.commit()
    return accounts


class AuthActions:
    """Sign a test client in and out, and read CSRF tokens from its pages."""

    def __init__(self, client, users):
        self.client = client
        self.users = users

    def sign_in(self, username="moderator", password=WEB_PASSWORD):
        """Sign in through the real form (password check, rate limit and all)."""
        token = self.token("/sign-in")
        return self.client.post(
            "/sign-in", data={"username": username, "password": password, "csrf_token": token}
        )

    def login_as(self, username="moderator"):
        """Sign in without the slow password check: the session Flask-Login would make."""
        from moderation import accounts
        from moderation.web.access import Account

        with self.client.session_transaction() as session:
            secret = accounts.start_session(db.session, self.users[username])
            session["_user_id"] = Account(self.users[username], secret).get_id()
            session["_fresh"] = True

    def sign_out(self):
        return self.client.post("/sign-out", data={"csrf_token": self.token()})

    def token(self, path="/overview"):
        """The CSRF token from a page's form (signed-in pages all have the sign-out form)."""
        import re

        html = self.client.get(path).get_data(as_text=True)
        match = re.search(CSRF_TOKEN_PATTERN, html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)


@pytest.fixture
def auth(app, client, users):
    from flask import g

    # The app fixture keeps one application context open, which requests then share,
    # and with it Flask-Login's cached user and Flask-WTF's cached CSRF token:
    # forget them, as a fresh context per request would.
    @app.before_request
    def forget_per_request_caches():
        g.pop("_login_user", None)
        g.pop("csrf_token", None)

    return AuthActions(client, users)


@pytest.fixture
def auth_factory(auth, users):
    """Make an AuthActions for another client: a second moderator at the same time."""
    return lambda client: AuthActions(client, users)


@pytest.fixture
def scored_thread(app):
    """Two articles; the first has a thread of five scored comments (one a reply, one
    derailing it, one hostile), the second one unscored comment. Inserted directly."""
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from moderation.models import (
        Article,
        Comment,
        CommentFlag,
        CommentScore,
        ThreadSummary,
    )

    start = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    article = Article(
        site="example.org",
        key="huawei-russia",
        url="https://example.org/huawei-russia",
        title="Huawei and Russia team up",
        body="Huawei has drawn closer to Russia.\n\nThe 5G network deal was signed in Moscow.",
        content_hash="a1",
    )
    other = Article(
        site="example.org", key="weather", title="Rain all week", body="Rain.", content_hash="a2"
    )
    db.session.add_all([article, other])
    db.session.flush()
    specs = [
        # body, author, priority, label, compound, drift, flags
        ("Huawei's 5G deal with Russia is a smart move.", "alice", 0.20, "positive", 0.6, 0.1, []),
        ("I disagree, the network deal is risky.", "bob", 0.55, "negative", -0.4, 0.2, []),
        (
            "Buy cheap watches at http://spam.example",
            "spammer",
            0.90,
            "neutral",
            0.0,
            0.9,
            ["links"],
        ),
        (
            '<script>alert("x")</script> <img src=x onerror=alert(1)> '
            '<a href="javascript:alert(2)">click</a>',
            "mallory",
            0.70,
            "negative",
            -0.7,
            0.8,
            ["shouting"],
        ),
        ("Anyway, who watched the football last night?", "carol", 0.60, "neutral", 0.0, 0.95, []),
    ]
    comments = []
    for position, (body, author, priority, label, compound, drift, flags) in enumerate(
        specs, start=1
    ):
        comment = Comment(
            article_id=article.id,
            external_id=f"c{position}",
            position=position,
            author_name=author,
            posted_at=start + timedelta(minutes=position),
            body=body,
            priority=priority,
            content_hash=f"h{position}",
        )
        db.session.add(comment)
        db.session.flush()
        comments.append(comment)
        db.session.add(
            CommentScore(
                comment_id=comment.id,
                scorer_version="test",
                config_hash="test",
                content_hash=comment.content_hash,
                compound=compound,
                positive=max(compound, 0),
                neutral=1 - abs(compound),
                negative=max(-compound, 0),
                sentiment_label=label,
                sentiment_words=[["smart", 1.7]] if label == "positive" else [],
                drift=drift,
                article_similarity=1 - drift,
                thread_similarity=None,
                drift_reasons=[f"drift reason {position}"],
                shared_terms=["huawei", "russia", "network"] if drift < 0.5 else [],
                missing_terms=["moscow"],
                flags=[{"code": code, "reason": f"{code} reason"} for code in flags],
                priority=priority,
                priority_reasons=[f"priority reason {position}"],
            )
        )
        for code in flags:
            db.session.add(CommentFlag(comment_id=comment.id, code=code))
    comments[1].parent_id = comments[0].id
    comments[1].parent_external_id = "c1"
    unscored = Comment(
        article_id=other.id,
        external_id="w1",
        position=1,
        author_name="dave",
        body="Lovely rain.",
        content_hash="w1",
    )
    db.session.add(unscored)
    db.session.flush()
    db.session.add(
        ThreadSummary(article_id=article.id, derail_comment_id=comments[4].id, mean_drift=0.5)
    )
    db.session.commit()
    return SimpleNamespace(
        article=article,
        other_article=other,
        comments=comments,
        unscored=unscored,
        hostile=comments[3],
        derail=comments[4],
    )
