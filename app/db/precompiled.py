"""A statement compiled once, run as the driver's SQL: for the largest reads."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
)
from sqlalchemy.engine import Dialect


class Precompiled:
    """A statement compiled once and run as the driver's SQL (`exec_driver_sql`), for a large
    statement run on every request. SQLAlchemy would otherwise hash its cache key, a tuple as
    deep as the statement, on every execution, and work out each bound value: for the served
    profile, a large share of the API's instructions a read (docs/scale.md).

    `variables` are the parameters given at each execution; every other bound value is the
    statement's own, fixed when it was built. The result's rows are the driver's values, as
    the result columns' types need no conversion from psycopg's (text, UUIDs, numbers)."""

    def __init__(self, statement: Select, *variables: str) -> None:
        self.statement = statement
        self.variables = frozenset(variables)
        self._compiled: dict[Dialect, tuple[str, dict[str, Any], dict[str, Callable]]] = {}

    def _for(self, dialect: Dialect) -> tuple[str, dict[str, Any], dict[str, Callable]]:
        if dialect not in self._compiled:
            compiled = self.statement.compile(dialect=dialect)
            unknown = self.variables - compiled.binds.keys()
            if unknown or compiled.literal_execute_params or compiled.post_compile_params:
                raise TypeError(f"not a fixed statement with parameters {sorted(self.variables)}")
            processors = {
                name: processor
                for name, bind in compiled.binds.items()
                if (processor := bind.type.bind_processor(dialect)) is not None
            }
            values = compiled.construct_params(dict.fromkeys(self.variables))
            fixed = _processed(
                {name: value for name, value in values.items() if name not in self.variables},
                processors,
            )
            self._compiled[dialect] = (compiled.string, fixed, processors)
        return self._compiled[dialect]

    def first(self, conn: Connection, **values: Any) -> Any:
        """The first row, with `values` for the statement's variables (all of them)."""
        if values.keys() != self.variables:
            raise TypeError(f"parameters {sorted(self.variables)} expected, got {sorted(values)}")
        sql, fixed, processors = self._for(conn.dialect)
        return conn.exec_driver_sql(sql, {**fixed, **_processed(values, processors)}).first()


def _processed(
    values: dict[str, Any], processors: dict[str, Callable[[Any], Any]]
) -> dict[str, Any]:
    """Bound values as the driver takes them: through their type's processor, where it has one."""
    return {
        name: processors[name](value) if name in processors else value
        for name, value in values.items()
    }
