"""moderation: reader-comment moderation and sentiment for news sites."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

MIGRATIONS_DIRECTORY = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    # Imported here, not above, so that importing a pure part of the package (the
    # parser process imports only moderation.importers and moderation.prepare)
    # does not load Flask and the database layer.
    from flask import Flask

    from . import config as configuration
    from .extensions import db, migrate

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(configuration.Config)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    app.config.update(configuration.from_environment())
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = configuration.sqlite_url(app.instance_path)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = configuration.engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    )

    db.init_app(app)
    from .queue import include_in_autogenerate

    migrate.init_app(app, db, directory=MIGRATIONS_DIRECTORY, include_name=include_in_autogenerate)

    from . import database

    database.init_app(app)

    from . import commands

    commands.init_app(app)

    from . import web
    from .web import commands as web_commands

    web.init_app(app)
    web_commands.init_app(app)

    from .reports import cli as reports_cli

    reports_cli.init_app(app)

    from . import sync_command

    sync_command.init_app(app)
    return app
