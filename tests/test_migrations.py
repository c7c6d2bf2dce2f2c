"""The migrations build exactly the schema the models describe, and unwind cleanly."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from moderation.database import schema_is_current
from moderation.extensions import db
from moderation.queue import include_in_autogenerate


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": include_in_autogenerate}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_downgrade_to_empty_and_back(app):
    downgrade(revision="base")
    assert not schema_is_current()
    upgrade()
    assert schema_is_current()


def test_import_brings_a_new_database_up_to_date(tmp_path, monkeypatch):
    from moderation import create_app

    monkeypatch.delenv("MODERATION_DATABASE_URL", raising=False)
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/new.sqlite"}
    )
    with app.app_context():
        assert not schema_is_current()
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "database ready" in result.output
    with app.app_context():
        assert schema_is_current()
        db.engine.dispose()


def test_0009_renames_the_watch_words_account_keeping_its_decisions(app):
    import sqlalchemy as sa

    from moderation.system_account import SYSTEM_USERNAME

    downgrade(revision="0008")
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO users (username, password_hash, role, active, created_at) "
                "VALUES ('watch-words (automatic)', '!', 'system', false, '2026-01-01')"
            )
        )
    upgrade()
    with db.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, username FROM users")).all()
    assert [row.username for row in rows] == [SYSTEM_USERNAME]
    downgrade(revision="0008")
    with db.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT username FROM users")).scalar_one() == (
            "watch-words (automatic)"
        )
    upgrade()
