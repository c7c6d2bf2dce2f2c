"""The Flask extensions, created unbound so every module can import them."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
# Batch mode lets Alembic alter SQLite tables, which have almost no ALTER TABLE.
migrate = Migrate(render_as_batch=True)
