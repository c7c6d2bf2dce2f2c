"""The few SQL expressions SQLite and PostgreSQL word differently, as portable constructs.

Each construct compiles to each database's own words, so the queries in
:mod:`.queries` are written once. Everything else they use (``count``, ``avg``,
``CASE``, window functions, recursive CTEs) both databases share.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class epoch_bucket(FunctionElement):
    """``epoch_bucket(timestamp, seconds)``: which ``seconds``-long slice of time since
    1970-01-01 UTC a naive UTC timestamp falls in (an integer)."""

    type = sa.Integer()
    inherit_cache = True
    name = "epoch_bucket"


@compiles(epoch_bucket, "sqlite")
def _epoch_bucket_sqlite(element, compiler, **kw):
    moment, seconds = list(element.clauses)
    # strftime('%s') is whole seconds since 1970 (as text); integer division floors
    # for every moment after 1970.
    return (
        f"(CAST(strftime('%s', {compiler.process(moment, **kw)}) AS INTEGER)"
        f" / {compiler.process(seconds, **kw)})"
    )


@compiles(epoch_bucket, "postgresql")
def _epoch_bucket_postgresql(element, compiler, **kw):
    moment, seconds = list(element.clauses)
    return (
        f"CAST(floor(extract(epoch from {compiler.process(moment, **kw)})"
        f" / {compiler.process(seconds, **kw)}) AS INTEGER)"
    )


class seconds_between(FunctionElement):
    """``seconds_between(later, earlier)``: seconds from one timestamp to another (float)."""

    type = sa.Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw):
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_between_postgresql(element, compiler, **kw):
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(extract(epoch from ({later} - {earlier})) AS DOUBLE PRECISION)"


def floor_integer(value: sa.ColumnElement) -> sa.ColumnElement[int]:
    """The largest integer not above ``value``, in words both databases read alike.

    ``CAST(x AS INTEGER)`` truncates on SQLite but rounds on PostgreSQL; either
    way, subtracting one when the cast landed above ``x`` gives the floor.
    """
    cast = sa.cast(value, sa.Integer)
    return cast - sa.case((value < cast, 1), else_=0)


def count_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """How many rows of the group meet ``condition`` (COUNT skips the NULLs of the CASE)."""
    return sa.func.count(sa.case((condition, 1)))


def median_of(values: sa.Select) -> sa.Select:
    """A query for the median of a one-column query's values (None when there are none).

    Numbers the values in order with a window function and averages the middle one
    (odd count) or two (even count): one code path for SQLite and PostgreSQL, where
    ``percentile_cont`` would be PostgreSQL only.
    """
    inner = values.subquery("median_values")
    value = list(inner.c)[0]
    ranked = sa.select(
        value.label("value"),
        sa.func.row_number().over(order_by=value).label("position"),
        sa.func.count().over().label("total"),
    ).subquery("median_ranked")
    middle = sa.or_(
        ranked.c.position == (ranked.c.total + 1) // 2,
        ranked.c.position == (ranked.c.total + 2) // 2,
    )
    return sa.select(sa.func.avg(ranked.c.value)).where(middle)
