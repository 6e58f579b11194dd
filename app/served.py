"""Responses built by PostgreSQL: what a marshmallow schema would dump, as SQL JSON, for a read
whose serialization in Python costs more than its query (the profile: marshmallow, parsing the
sections' JSON and Flask's JSON of the result were most of its CPU in the API; docs/scale.md).

The schema stays the one definition of what is served and of the OpenAPI document; this makes
`json_build_object` over a query's columns from it, each value in the form the schema's field
gives it: money and identifiers as text, numbers and booleans as JSON's, times in ISO 8601 with
their offset (PostgreSQL writes a fraction without trailing zeros: `.1`, where Python writes
`.100000`; both are the same ISO 8601 time). A field this cannot put into SQL is refused when
the statement is built, not served in some other form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields
from sqlalchemy import Float, Select, Text, cast, func, literal_column, select
from sqlalchemy.sql.elements import ColumnElement

Served = ColumnElement[Any]


def served_object(schema: type[Schema], values: Mapping[str, Any]) -> Served:
    """The JSON object `schema` dumps from `values` (SQL expressions by the key the schema
    reads: a field's attribute, else its name). A nested field's value is its JSON already
    (served_rows, served_first) or a mapping of its own schema's values."""
    pairs: list[Any] = []
    for name, field in schema().fields.items():
        value = values[field.attribute or name]
        if isinstance(field, fields.Nested) and isinstance(value, Mapping):
            value = served_object(field.nested, value)
        elif not _nested(field):
            value = _served_value(field, value)
        pairs += [constant(name), value]
    return func.json_build_object(*pairs)


def served_rows(query: Select, schema: type[Schema], name: str) -> Served:
    """The query's rows as the JSON array `schema(many=True)` dumps, in the query's order
    (PostgreSQL aggregates a sorted subquery in its order); `[]` when there are none."""
    rows = query.subquery(name)
    array = func.json_agg(served_object(schema, rows.c))
    return select(func.coalesce(array, literal_column("'[]'::json"))).scalar_subquery()


def served_first(query: Select, schema: type[Schema], name: str) -> Served:
    """The query's first row as the JSON object `schema` dumps; null when there is none."""
    rows = query.limit(1).subquery(name)
    return select(served_object(schema, rows.c)).scalar_subquery()


def constant(value: str) -> ColumnElement[str]:
    """A text constant written into the statement: a key or a code this module's statements
    name, not a parameter the driver adapts on every execution."""
    return literal_column("'" + value.replace("'", "''") + "'", Text)


def as_text(document: Served, name: str) -> ColumnElement[str]:
    """The document as the text to send: the driver hands text over as it came, where it would
    parse JSON into Python objects."""
    return cast(document, Text).label(name)


def _nested(field: fields.Field) -> bool:
    return isinstance(field, fields.Nested) or (
        isinstance(field, fields.List) and isinstance(field.inner, fields.Nested)
    )


def _served_value(field: fields.Field, value: Any) -> Served:
    match field:
        case fields.Decimal():  # exact money: decimal text, or a JSON number of all its digits
            return cast(value, Text) if field.as_string else value
        case fields.String() | fields.UUID():
            return cast(value, Text)
        case fields.Float():
            return cast(value, Float)
        case fields.Integer() | fields.Boolean():
            return value
        case fields.DateTime() | fields.Date() if field.format in (None, "iso"):
            return value
        case fields.List() if type(field.inner) is fields.Raw:
            return value
    raise TypeError(f"{type(field).__name__} has no served form in SQL (app/served.py)")
