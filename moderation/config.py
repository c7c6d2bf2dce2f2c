"""Configuration: defaults here, then ``instance/config.py``, then environment variables.

An environment variable wins over the file so that an operator can point one
installation at another database without editing anything.
"""

from __future__ import annotations

import os

ENVIRONMENT_KEYS = {
    "MODERATION_DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "MODERATION_SECRET_KEY": "SECRET_KEY",
}


class Config:
    SECRET_KEY = "dev-only-change-me"
    SQLALCHEMY_DATABASE_URI: str | None = None  # None: SQLite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # The web upload limit; command-line imports stream and have none.
    MAX_CONTENT_LENGTH = 50 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Site name given to articles whose source does not name one (scraped pages).
    DEFAULT_SITE = ""
    # Comments per database round trip during import.
    IMPORT_CHUNK_SIZE = 2000


def from_environment() -> dict[str, str]:
    return {
        config_key: os.environ[variable]
        for variable, config_key in ENVIRONMENT_KEYS.items()
        if os.environ.get(variable)
    }


def sqlite_url(instance_path: str) -> str:
    return "sqlite:///" + os.path.join(instance_path, "moderation.sqlite")
