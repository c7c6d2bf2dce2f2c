"""Entry point of the ``moderation`` console script: Flask's CLI bound to this app."""


def main() -> None:
    # Flask is imported here, not at the top: a parser process (spawned, so it
    # re-imports the main module) then starts in 50 ms instead of 250 ms, and an
    # import's first records reach the database that much sooner.
    from flask.cli import FlaskGroup

    from . import create_app

    FlaskGroup(create_app=create_app, help="Reader-comment moderation and sentiment.")()


if __name__ == "__main__":
    main()
