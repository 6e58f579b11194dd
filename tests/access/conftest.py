from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Connection, insert

from app.customer.models import customer_360


@pytest.fixture
def make_customer_id(conn: Connection) -> Callable[[], UUID]:
    def make() -> UUID:
        global_id = uuid4()
        conn.execute(insert(customer_360).values(global_customer_id=global_id))
        return global_id

    return make
