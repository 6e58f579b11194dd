"""The Alembic migrations build exactly the schema the models describe."""

import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.models import metadata
from app.pipeline.partitions import PARTITIONED

# the partitions of the tables partitioned by time are made by app/pipeline/partitions.py (and
# the migration that partitioned them), not described by the models
PARTITION = re.compile(rf"^({'|'.join(PARTITIONED)})_(default|y\d{{4}})$")


def _described(name, kind, _parent) -> bool:
    return not (kind == "table" and PARTITION.match(name or ""))


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": _described})
        differences = compare_metadata(context, metadata)
    assert differences == []
