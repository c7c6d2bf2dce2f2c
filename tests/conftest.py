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
