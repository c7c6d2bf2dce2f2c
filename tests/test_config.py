from moderation import create_app
from moderation.database import SQLITE_CACHE_KIB
from moderation.extensions import db


def test_default_database_is_sqlite_in_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("MODERATION_DATABASE_URL", raising=False)
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/moderation.sqlite")


def test_environment_wins_over_config(monkeypatch, tmp_path):
    monkeypatch.setenv("MODERATION_DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite")
    monkeypatch.setenv("MODERATION_SECRET_KEY", "from-env")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///other.sqlite", "SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/env.sqlite"
    assert app.config["SECRET_KEY"] == "from-env"


def test_instance_config_file_is_read(monkeypatch, tmp_path):
    monkeypatch.delenv("MODERATION_DATABASE_URL", raising=False)
    import flask

    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("DEFAULT_SITE = 'example.org'\n")
    # create_app imports Flask when called, so it finds this one.
    monkeypatch.setattr(flask, "Flask", _flask_with_instance(instance))
    app = create_app()
    assert app.config["DEFAULT_SITE"] == "example.org"


def _flask_with_instance(instance):
    from flask import Flask

    def make(*args, **kwargs):
        kwargs["instance_path"] = str(instance)
        return Flask(*args, **kwargs)

    return make


def test_every_sqlite_connection_gets_the_pragmas(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite"})
    with app.app_context(), db.engine.connect() as connection:
        names = ("foreign_keys", "journal_mode", "synchronous", "cache_size")
        values = [connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in names]
    # synchronous 1 is NORMAL; a negative cache size is in KiB.
    assert values == [1, "wal", 1, -SQLITE_CACHE_KIB]


def test_postgresql_pools_as_many_connections_as_serve_has_threads(monkeypatch):
    """Fewer pooled connections than threads opened a connection per request beyond
    them, and closed it after; an option given in the configuration stands."""
    monkeypatch.delenv("MODERATION_DATABASE_URL", raising=False)
    from moderation.config import POSTGRES_POOL_SIZE, engine_options

    assert POSTGRES_POOL_SIZE >= 8  # serve's default --threads
    url = "postgresql+psycopg://u@h/d"
    assert engine_options(url, {"pool_pre_ping": True}) == {
        "pool_size": POSTGRES_POOL_SIZE,
        "pool_pre_ping": True,
    }
    assert engine_options(url, {"pool_size": 3})["pool_size"] == 3
    assert engine_options("sqlite:///x.sqlite", {"pool_pre_ping": True}) == {"pool_pre_ping": True}
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == POSTGRES_POOL_SIZE
    with app.app_context():
        assert db.engine.pool.size() == POSTGRES_POOL_SIZE
