"""``INSERT`` of many rows handed to the database driver as they are (and, with
:class:`DriverStatement`, any statement run for many rows).

Through SQLAlchemy's usual executemany every row's parameters are rebuilt and
type-converted in Python, which costs about as much as the insert itself. The
two bulk writers, import (comments) and scoring (comment scores), build their
rows already in the driver's terms instead: strings, numbers, JSON already
encoded, naive UTC datetimes made into the dialect's own form by the dialect's
own DateTime type (:meth:`DriverInsert.to_driver`). The SQL is still
SQLAlchemy's, compiled once for the dialect in use. Its parameters are
positional on SQLite, so a row is a tuple in the insert's column order, and
named on PostgreSQL, where each row is made a dict.

On SQLite several rows go in one statement (``INSERT ... VALUES (...), (...)``).
Row by row, each insert into a table with triggers (both of these have them)
first copies every page it will change into a statement journal, in case it
must be undone alone: about ten pages a comment. A statement of many rows
copies each page once, which makes an import's inserts about a third faster.
A table without triggers needs no statement journal, and there the driver's own
executemany of the one-row statement is faster still (``multi_row=False``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from itertools import chain

import sqlalchemy as sa
import sqlalchemy.orm as so

ROWS_PER_STATEMENT = 100
"""Rows in one multi-row INSERT on SQLite: 100 x 20 parameters is far below its limit."""


def datetime_to_driver(dialect: sa.Dialect) -> Callable[[datetime], object]:
    """How the dialect's DateTime type hands a naive datetime to the driver."""
    if dialect.name == "sqlite":
        # The text SQLAlchemy's SQLite DATETIME writes, which isoformat makes in half
        # the time; a test holds the two equal.
        return sqlite_datetime_text
    convert = sa.DateTime().dialect_impl(dialect).bind_processor(dialect)
    return convert or (lambda value: value)


def sqlite_datetime_text(value: datetime) -> str:
    return value.isoformat(" ", "microseconds")


class DriverInsert:
    """``statement`` (an INSERT) for rows given as tuples of ``columns``.

    ``columns`` names every parameter of the statement in the table's order (the
    order of the compiled statement's parameters): each column the rows set,
    defaults included, since nothing fills them in on this path, and the
    parameters of any subquery where its column would be.
    """

    def __init__(
        self,
        statement: sa.Insert,
        columns: tuple[str, ...],
        dialect: sa.Dialect,
        multi_row: bool = True,
    ):
        # inline(): no RETURNING of the new ids, which executemany cannot use anyway.
        compiled = statement.inline().compile(dialect=dialect, column_keys=columns)
        self.columns = columns
        self.sql = compiled.string
        self.positional = compiled.positional
        if self.positional and tuple(compiled.positiontup) != columns:
            raise RuntimeError(f"columns are not in the order of {self.sql}")
        if self.positional:
            # Several rows a statement (see above) repeat what follows VALUES, which must
            # be the row alone: not followed by ON CONFLICT or RETURNING.
            self._head, self._row = self.sql.split(" VALUES ", 1)
            if not (self._row.startswith("(") and self._row.endswith(")")):
                raise RuntimeError(f"cannot repeat the row of {self.sql}")
        self.multi_row = multi_row
        self.datetime_to_driver = datetime_to_driver(dialect)
        self._multi_row_sql: dict[int, str] = {}

    def to_driver(self, value: datetime | None) -> object:
        """A naive UTC datetime (or None) as the driver takes it for a DateTime column."""
        return None if value is None else self.datetime_to_driver(value)

    def now(self) -> object:
        """The current time as the driver takes it."""
        return self.to_driver(datetime.now(UTC).replace(tzinfo=None))

    def execute(self, session: so.Session, rows: list[tuple]) -> None:
        """Insert ``rows``: tuples of the columns, datetimes made by :meth:`to_driver`."""
        self.execute_statements(
            session,
            (rows[i : i + ROWS_PER_STATEMENT] for i in range(0, len(rows), ROWS_PER_STATEMENT)),
        )

    def execute_statements(self, session: so.Session, statements: Iterable[list[tuple]]) -> None:
        """Insert rows grouped by the caller, each group (of at most ROWS_PER_STATEMENT)
        one statement on SQLite. A row's subqueries see the rows of earlier statements,
        not those of its own."""
        connection = session.connection()
        if self.positional and not self.multi_row:
            rows = [row for group in statements for row in group]
            if rows:
                connection.exec_driver_sql(self.sql, rows)
            return
        if not self.positional:
            parameters = [
                dict(zip(self.columns, row, strict=True)) for rows in statements for row in rows
            ]
            if parameters:
                connection.exec_driver_sql(self.sql, parameters)
            return
        for rows in statements:
            if rows:
                flat = tuple(chain.from_iterable(rows))
                connection.exec_driver_sql(self._sql_for(len(rows)), flat)

    def _sql_for(self, row_count: int) -> str:
        """The statement with ``row_count`` rows of positional parameters after VALUES."""
        if row_count > ROWS_PER_STATEMENT:
            raise ValueError(f"{row_count} rows in one statement; at most {ROWS_PER_STATEMENT}")
        sql = self._multi_row_sql.get(row_count)
        if sql is None:
            sql = f"{self._head} VALUES {', '.join([self._row] * row_count)}"
            self._multi_row_sql[row_count] = sql
        return sql


class DriverStatement:
    """Any statement (an UPDATE by primary key, say) run for many rows through the
    driver's executemany, each row a dict of its parameters: none is type-converted on the
    way, so a row holds what the driver takes (numbers, text, JSON already encoded).

    On SQLite, whose parameters are positional, each dict is made a tuple in the compiled
    statement's order."""

    def __init__(self, statement: sa.Executable, dialect: sa.Dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self._tuple_of = None
        if compiled.positional:
            names = tuple(compiled.positiontup)
            pick = operator.itemgetter(*names)
            self._tuple_of = pick if len(names) > 1 else lambda row: (pick(row),)

    def execute(self, connection: sa.Connection, rows: list[dict]) -> None:
        if not rows:
            return
        if self._tuple_of is not None:
            rows = list(map(self._tuple_of, rows))
        connection.exec_driver_sql(self.sql, rows)
