"""SQL built for sets: a column among many values, the first row of each group, arrays
as one literal."""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import (
    FromClause,
    Select,
    Table,
    any_,
    bindparam,
    cast,
    func,
    select,
    true,
    types,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement


def among(column: ColumnElement[Any], values: Sequence[Any] | Select) -> ColumnElement[bool]:
    """`column IN values`, for a list or a query of one column. The query is read once, into
    an array (`= ANY`), so the column's index serves it however many rows the planner guesses
    the query returns."""
    if isinstance(values, Select):
        return column == any_(func.array(values.scalar_subquery()))
    return column.in_(values)


def first_of_each(
    ids: Select,
    table: Table,
    owner: str,
    ordering: Callable[[FromClause], Sequence[ColumnElement[Any]]],
    limit: int,
) -> Select:
    """The first `limit` rows of `table` in `ordering` (a function of the rows it orders) whose
    `owner` column holds one of the IDs query `ids` returns: each ID's first rows read by
    themselves, one index look-up each, then merged in the same order. A filter on all the IDs
    at once (`among`) is planned for the ten IDs PostgreSQL guesses such a query returns, and
    reads a small table or partition (every new year's starts small) whole on every call."""
    member = ids.subquery("member")
    each = (
        select(table)
        .where(table.c[owner] == member.c[0])
        .order_by(*ordering(table))
        .limit(limit)
        .lateral("first_of_member")
    )
    return (
        select(each).select_from(member.join(each, true())).order_by(*ordering(each)).limit(limit)
    )


def array_literal(values: Iterable[Any]) -> str:
    """The values as one PostgreSQL array literal, for `CAST(:param AS type[])`: the driver
    adapts a list value by value in Python, several times the cost of this one join for a
    batch's thousands (docs/scale.md, "Measurements behind the code")."""
    values = list(values)
    if None in values:  # NULL unquoted is no value; quoted, it is the word
        quoted = ("NULL" if v is None else f'"{_escaped(str(v))}"' for v in values)
        return "{" + ",".join(quoted) + "}"
    if not values:
        return "{}"
    # every value quoted at once: escaped as one string, then split where the values meet (at
    # a character no PostgreSQL text can hold)
    joined = "\x00".join(map(str, values))
    if joined.count("\x00") != len(values) - 1:  # refused, as the driver refuses it
        raise ValueError("PostgreSQL text cannot contain NUL (0x00) characters")
    return '{"' + _escaped(joined).replace("\x00", '","') + '"}'


def array_columns(rows: Iterable[Sequence[Any]], *names: str) -> dict[str, str]:
    """Rows of values as one `array_literal` per column, by name: the parameters of an
    `unnest(CAST(:a AS t[]), CAST(:b AS u[]))` that gives the rows back."""
    rows = list(rows)
    return {name: array_literal(row[i] for row in rows) for i, name in enumerate(names)}


def _escaped(item: str) -> str:
    """Backslashes and double quotes escaped, as an array literal's quoted element needs."""
    return item.replace("\\", "\\\\").replace('"', '\\"')


def array_param(values: Iterable[Any], item_type: Any) -> ColumnElement[Any]:
    """The values as one bound array of `item_type` (an `array_literal`). The parameter is
    sent untyped, so PostgreSQL reads it as the array when it binds it; sent as text, the cast
    would be a run-time conversion, redone on every row a sequential scan filters."""
    return cast(bindparam(None, array_literal(values), type_=types.NullType()), ARRAY(item_type))


def in_array(column: ColumnElement[Any], values: Iterable[Any]) -> ColumnElement[bool]:
    """`column = ANY(:values)`, the values as one array parameter: for a batch's thousands of
    values, whose IN list would cost more to render, send and parse than the look-up itself."""
    return column == any_(array_param(values, column.type))
