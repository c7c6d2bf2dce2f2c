"""Entry point of the ``moderation`` console script: Flask's CLI bound to this app.

``moderation --help`` lists the project's commands only; Flask's own (run, shell,
routes) are under ``moderation flask``, and its -A/--app, -e/--env-file and
--debug options are hidden (this script always runs this app).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import click

FLASK_OPTIONS = {"app", "env_file", "debug"}


def build_cli() -> click.Group:
    # Flask is imported here, not at the top: a parser process (spawned, so it
    # re-imports the main module) then starts in 50 ms instead of 250 ms, and an
    # import's first records reach the database that much sooner.
    import click
    from flask.cli import FlaskGroup, routes_command, run_command, shell_command

    from . import create_app

    cli = FlaskGroup(
        create_app=create_app,
        add_default_commands=False,
        add_version_option=False,
        help="Reader-comment moderation and sentiment.",
    )
    # Copies, hidden: Flask's option objects are shared by every FlaskGroup.
    cli.params = [_hidden(p) if p.name in FLASK_OPTIONS else p for p in cli.params]
    flask_commands = click.Group(
        "flask", help="Flask's own commands: run (a development server), shell, routes."
    )
    for command in (run_command, shell_command, routes_command):
        flask_commands.add_command(command)
    cli.add_command(flask_commands)
    return cli


def _hidden(option: click.Parameter) -> click.Parameter:
    hidden = copy.copy(option)
    hidden.hidden = True
    return hidden


def main() -> None:
    build_cli()()


if __name__ == "__main__":
    main()
