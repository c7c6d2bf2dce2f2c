"""Entry point of the ``moderation`` console script: Flask's CLI bound to this app."""

from flask.cli import FlaskGroup

from . import create_app


def _create_app():
    return create_app()


main = FlaskGroup(create_app=_create_app, help="Reader-comment moderation and sentiment.")


if __name__ == "__main__":
    main()
