"""The Core tables' one MetaData, and the index every table of held facts has."""

from sqlalchemy import (
    Index,
    MetaData,
    text,
)

BIGINT_MAX = 2**63 - 1  # the largest identity a BIGINT column holds

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def held_facts_index(table: str, *, businesses: bool = False) -> Index:
    """The facts whose owner has not arrived (`/metrics` counts them per source): an index of
    only those rows, so the count costs what is held, not the table's history. A business's
    facts have no person as owner and are not held."""
    where = "global_customer_id IS NULL" + (" AND source_business_id IS NULL" if businesses else "")
    return Index(f"ix_{table}_held", "source_system", postgresql_where=text(where))
