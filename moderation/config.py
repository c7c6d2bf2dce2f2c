"""Configuration: defaults here, then ``instance/config.py``, then environment variables.

An environment variable wins over the file so that an operator can point one
installation at another database without editing anything.
"""

from __future__ import annotations

import os
from datetime import timedelta

ENVIRONMENT_KEYS = {
    "MODERATION_DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "MODERATION_SECRET_KEY": "SECRET_KEY",
    "MODERATION_JOB_QUEUE_URL": "JOB_QUEUE_URL",
    "MODERATION_EMBEDDED_WORKER": "EMBEDDED_WORKER",
}
# Environment variables read as yes/no: 1, true, yes, on (any case) mean yes.
BOOLEAN_ENVIRONMENT_KEYS = {
    "MODERATION_SESSION_COOKIE_SECURE": "SESSION_COOKIE_SECURE",
}


class Config:
    SECRET_KEY = "dev-only-change-me"
    SQLALCHEMY_DATABASE_URI: str | None = None  # None: SQLite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # The web upload limit; command-line imports stream and have none.
    MAX_CONTENT_LENGTH = 50 * 1024 * 1024
    # Every other request body is a form of a few fields (a bulk action of 1000 comments
    # is about 25 kB): more is refused on its Content-Length, before it is read.
    MAX_FORM_CONTENT_LENGTH = 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Session cookies go over HTTPS only. ``moderation serve`` turns this off when it
    # serves plain HTTP on loopback (see moderation/web/commands.py); anywhere else,
    # serve behind HTTPS or set MODERATION_SESSION_COOKIE_SECURE=0 knowingly.
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "moderation_session"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # CSRF tokens live as long as the session: a queue page left open over lunch still works.
    WTF_CSRF_TIME_LIMIT = None
    # The most comments one bulk action ("all matching the filter") decides.
    BULK_DECISION_LIMIT = 1000
    QUEUE_PAGE_SIZE = 50
    # The time zone reports show days and hours in; comments are stored in UTC.
    REPORT_TIMEZONE = "UTC"
    # Site name given to articles whose source does not name one (scraped pages).
    DEFAULT_SITE = ""
    # An author with the rule "trust" has comments approved automatically once moderators
    # have approved this many of theirs (moderation.author_rules).
    TRUSTED_AUTHOR_MIN_APPROVED = 3
    # Comments an import writes and commits at a time (moderation.ingest).
    IMPORT_CHUNK_SIZE = 5000
    # The JSON API (moderation/web/api): requests per token, in the notation of `limits`,
    # counted where API_RATE_LIMIT_STORAGE says: memory:// is per process; a shared store
    # (redis://host:6379, memcached://host:11211) counts across processes.
    API_RATE_LIMIT = "600 per minute"
    API_RATE_LIMIT_STORAGE = "memory://"
    # The most records or decisions one request may carry, and comments one page may list.
    API_BATCH_LIMIT = 500
    API_PAGE_LIMIT = 500
    # Background jobs (moderation/jobs.py): the queue, by default a SQLite file in the
    # instance folder; redis://host:6379/0 for workers on other machines (the redis extra).
    JOB_QUEUE_URL: str | None = None
    # Run each job inside the request that asks for it (the tests); no worker needed.
    JOB_QUEUE_IMMEDIATE = False
    # The worker `moderation serve` starts: "process" (beside the server, a core of its
    # own), "thread" (in the server), "off" (a separate `moderation worker` runs).
    EMBEDDED_WORKER = "process"
    # Jobs a worker runs at once (threads); one run of each job at a time.
    JOB_WORKERS = 2
    # Processes one scoring run of the worker may use: 1 leaves the other core to the web
    # server; None = by the run's size, as `moderation score` (2 for large runs).
    JOB_SCORING_WORKERS: int | None = 1
    # Outbound webhooks (moderation/webhooks, docs/webhooks.md): seconds to connect and to
    # wait for an answer; attempts before a delivery is marked failed; the first retry's
    # delay in seconds, doubling up to the last; deliveries per endpoint per run; and how
    # long the previous secret still signs after a rotation; delivered events older than
    # WEBHOOK_KEEP_DAYS are deleted by the worker every hour (None keeps them).
    WEBHOOK_TIMEOUT = 5.0
    WEBHOOK_MAX_ATTEMPTS = 8
    WEBHOOK_RETRY_FIRST = 30.0
    WEBHOOK_RETRY_MAX = 6 * 3600.0
    WEBHOOK_PER_ENDPOINT_RUN = 100
    WEBHOOK_ROTATION_GRACE = timedelta(hours=24)
    WEBHOOK_KEEP_DAYS: int | None = 30


def from_environment() -> dict[str, str | bool]:
    values: dict[str, str | bool] = {
        config_key: os.environ[variable]
        for variable, config_key in ENVIRONMENT_KEYS.items()
        if os.environ.get(variable)
    }
    for variable, config_key in BOOLEAN_ENVIRONMENT_KEYS.items():
        if os.environ.get(variable):
            values[config_key] = os.environ[variable].strip().lower() in ("1", "true", "yes", "on")
    return values


POSTGRES_POOL_SIZE = 16
"""Connections each process keeps open to PostgreSQL: at least ``serve``'s threads (8 by
default). With SQLAlchemy's default of 5, the sixth to eighth concurrent requests of a
process each opened a connection and closed it after (a server process started and
stopped each time, its prepared statements lost). Set ``pool_size`` in
SQLALCHEMY_ENGINE_OPTIONS for more threads."""


def engine_options(url: str, options: dict) -> dict:
    """The engine options for ``url``: a pool of :data:`POSTGRES_POOL_SIZE` for
    PostgreSQL unless the options name one (SQLite's pool depends on the file)."""
    if url.startswith("postgresql"):
        return {"pool_size": POSTGRES_POOL_SIZE, **options}
    return dict(options)


def sqlite_url(instance_path: str) -> str:
    return "sqlite:///" + os.path.join(instance_path, "moderation.sqlite")
