from datetime import datetime

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from moderation.driver_insert import datetime_to_driver


@given(st.datetimes())
def test_sqlite_datetimes_are_the_text_sqlalchemy_writes(value: datetime):
    dialect = sqlite.dialect()
    sqlalchemys = sa.DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert datetime_to_driver(dialect)(value) == sqlalchemys(value)


def test_postgresql_takes_datetimes_as_they_are():
    value = datetime(2026, 11, 22, 13, 45, 1, 7)
    assert datetime_to_driver(postgresql.psycopg.dialect())(value) == value
