"""The outbox's invariant, for tests that check it after every step."""

from __future__ import annotations

from sqlalchemy import Connection, text


def versions_out_of_order(conn: Connection) -> list[str]:
    """Customers whose events' versions do not run 1, 2, 3... in the order they were written."""
    rows = conn.execute(
        text(
            "SELECT global_customer_id, array_agg(profile_version ORDER BY outbox_id)"
            " FROM outbox_event GROUP BY 1"
        )
    ).all()
    return [
        f"{gid}: versions {versions}"
        for gid, versions in rows
        if versions != list(range(1, len(versions) + 1))
    ]
