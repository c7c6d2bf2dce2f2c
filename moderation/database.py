"""Database set-up: SQLite pragmas, and bringing any database up to the current schema."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask_migrate import upgrade

from . import sqlite_writer_lock  # noqa: F401  (SQLite writers take turns on a file lock)
from .extensions import db, migrate

SQLITE_CACHE_KIB = 32 * 1024


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # SQLite ignores foreign keys unless asked, per connection; WAL lets the
    # web app read while an import writes. The default page cache (2 MB) is too
    # small for the comment indexes of a large import: at a million comments it
    # re-reads their pages from the WAL file, 5 s of system time per import.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cursor.close()


def database_is_busy(error: sa.exc.OperationalError) -> bool:
    """Whether a statement failed because another writer held the database too long.

    On SQLite an import writes a whole file in one transaction, and a web request
    that wants to write meanwhile gives up after the driver's busy timeout (5 s).
    """
    return "database is locked" in str(error.orig)


def schema_is_current() -> bool:
    script = ScriptDirectory.from_config(migrate.get_config())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == set(script.get_heads())


def ensure_schema() -> None:
    """Bring an empty or older database up to the current schema; cheap when it is."""
    if not schema_is_current():
        upgrade(directory=current_app.extensions["migrate"].directory)


def init_app(app: Flask) -> None:
    from . import models  # noqa: F401  (registers the tables with the metadata)
