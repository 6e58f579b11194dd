"""The Enterprise Brain database, one module per job: the tables' MetaData (`schema`), SQL
for sets (`sql`), precompiled statements (`precompiled`), the process's engines (`engines`),
connections and transactions (`connections`), scratch databases (`admin`)."""

from app.db.admin import recreate_database, sibling_url
from app.db.connections import (
    autocommit,
    bind_connection,
    connect,
    read,
    request_connection,
    transaction,
)
from app.db.engines import (
    dispose_engine,
    get_engine,
    get_read_engine,
    set_engine,
)
from app.db.precompiled import Precompiled
from app.db.schema import BIGINT_MAX, held_facts_index, metadata
from app.db.sql import among, array_columns, array_literal, array_param, first_of_each, in_array

__all__ = [
    "BIGINT_MAX",
    "Precompiled",
    "among",
    "array_columns",
    "array_literal",
    "array_param",
    "autocommit",
    "bind_connection",
    "connect",
    "dispose_engine",
    "first_of_each",
    "get_engine",
    "get_read_engine",
    "held_facts_index",
    "in_array",
    "metadata",
    "read",
    "recreate_database",
    "request_connection",
    "set_engine",
    "sibling_url",
    "transaction",
]
