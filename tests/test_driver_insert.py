from datetime import datetime

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from moderation.driver_insert import (
    ROWS_PER_STATEMENT,
    DriverInsert,
    DriverStatement,
    datetime_to_driver,
)
from moderation.extensions import db


@given(st.datetimes())
def test_sqlite_datetimes_are_the_text_sqlalchemy_writes(value: datetime):
    dialect = sqlite.dialect()
    sqlalchemys = sa.DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert datetime_to_driver(dialect)(value) == sqlalchemys(value)


def test_postgresql_takes_datetimes_as_they_are():
    value = datetime(2026, 11, 22, 13, 45, 1, 7)
    assert datetime_to_driver(postgresql.psycopg.dialect())(value) == value


SCRATCH = sa.Table(
    "driver_insert_scratch",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("label", sa.String(20)),
    sa.Column("twice", sa.Integer),
)


@pytest.fixture
def scratch_table(app):
    SCRATCH.create(db.engine)
    yield SCRATCH
    db.session.rollback()
    SCRATCH.drop(db.engine)


@pytest.mark.parametrize("multi_row", [True, False])
@pytest.mark.parametrize("row_count", [1, ROWS_PER_STATEMENT, ROWS_PER_STATEMENT + 1, 250])
def test_every_row_goes_in_whatever_the_count(scratch_table, row_count, multi_row):
    insert = DriverInsert(
        sa.insert(scratch_table), ("id", "label", "twice"), db.engine.dialect, multi_row
    )
    rows = [(n, f"row {n}", 2 * n) for n in range(1, row_count + 1)]
    insert.execute(db.session, rows)
    stored = db.session.execute(sa.select(scratch_table).order_by(scratch_table.c.id)).all()
    assert [tuple(row) for row in stored] == rows


def test_rows_go_in_the_statements_the_caller_groups_them_in(scratch_table):
    insert = DriverInsert(sa.insert(scratch_table), ("id", "label", "twice"), db.engine.dialect)
    insert.execute_statements(db.session, [[(1, "a", 2)], [], [(2, "b", 4), (3, "c", 6)]])
    stored = db.session.execute(sa.select(scratch_table.c.label).order_by(scratch_table.c.id))
    assert stored.scalars().all() == ["a", "b", "c"]


def test_a_statement_of_too_many_rows_is_refused():
    insert = DriverInsert(sa.insert(SCRATCH), ("id", "label", "twice"), sqlite.dialect())
    assert insert._sql_for(2).count("(?, ?, ?)") == 2
    with pytest.raises(ValueError, match="at most"):
        insert._sql_for(ROWS_PER_STATEMENT + 1)


def test_a_statement_with_clauses_after_its_row_is_refused():
    statement = sqlite.insert(SCRATCH).on_conflict_do_nothing()
    with pytest.raises(RuntimeError, match="cannot repeat"):
        DriverInsert(statement, ("id", "label", "twice"), sqlite.dialect())


def test_a_driver_statement_takes_rows_as_dicts_in_any_key_order(scratch_table):
    DriverInsert(sa.insert(scratch_table), ("id", "label", "twice"), db.engine.dialect).execute(
        db.session, [(1, "a", 2), (2, "b", 4), (3, "c", 6)]
    )
    update = DriverStatement(
        sa.update(scratch_table)
        .where(scratch_table.c.id == sa.bindparam("row_id"))
        .values(twice=sa.bindparam("new_twice"), label=sa.bindparam("new_label")),
        db.engine.dialect,
    )
    rows = [
        {"new_label": "A", "row_id": 1, "new_twice": 20},
        {"row_id": 3, "new_twice": 60, "new_label": "C"},
    ]
    update.execute(db.session.connection(), rows)
    # One parameter: each row still goes as a row, not as its one value.
    delete = DriverStatement(
        sa.delete(scratch_table).where(scratch_table.c.id == sa.bindparam("row_id")),
        db.engine.dialect,
    )
    delete.execute(db.session.connection(), [{"row_id": 2}])
    delete.execute(db.session.connection(), [])
    stored = db.session.execute(sa.select(scratch_table).order_by(scratch_table.c.id)).all()
    assert [tuple(row) for row in stored] == [(1, "A", 20), (3, "C", 60)]
