"""What must hold of profiles after any change of who belongs to which, checked at the end of
every resolution (a batch's or a steward's) in its own transaction: a change that would break
one rolls back with the reason, and nothing half-done is ever committed.

1. Every source record of the profiles concerned is linked to an active profile.
2. A merged-away ID leads, through its merges, to an active profile; an active one points
   nowhere.
3. No active profile holds two records a standing steward decision says are different people.
4. Two records a standing steward decision says are the same person are in one profile.
5. No active profile concerned is left without a source record.

Each check is one query over the profiles concerned (and the decisions touching them, which
are usually none), by index look-ups: a batch pays little for it (docs/stewardship.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from sqlalchemy import Connection, text

from app.db import array_literal


class BrokenProfile(Exception):
    """A change of membership would leave profiles wrong: it must not be committed."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# Per profile concerned, by index look-ups one ID at a time (LIMIT keeps the planner from
# turning a look-up into a scan of the whole table): its state and one record of it, where one
# is wrong.
_MEMBERSHIP = """
SELECT g.id, c.status, c.merged_into, s.record
FROM unnest(CAST(:ids AS uuid[])) AS g(id)
LEFT JOIN LATERAL (
    SELECT status, merged_into FROM customer_360 WHERE global_customer_id = g.id LIMIT 1
) c ON true
LEFT JOIN LATERAL (
    SELECT source_system || ':' || source_customer_id AS record FROM source_customer
    WHERE global_customer_id = g.id LIMIT 1
) s ON true
WHERE ((c.status IS DISTINCT FROM 'active' OR c.merged_into IS NOT NULL) AND s.record IS NOT NULL)
   OR (c.status = 'active' AND c.merged_into IS NULL AND s.record IS NULL)
LIMIT 10
"""

# the merged-away IDs concerned followed through their merges to where each chain ends
_CHAIN_ENDS = """
WITH RECURSIVE chain(start, id, depth) AS (
    SELECT g.id, c.merged_into, 1
    FROM unnest(CAST(:ids AS uuid[])) AS g(id)
    JOIN LATERAL (
        SELECT merged_into FROM customer_360 WHERE global_customer_id = g.id
    ) c ON c.merged_into IS NOT NULL
    UNION ALL
    SELECT chain.start, c.merged_into, chain.depth + 1
    FROM chain JOIN LATERAL (
        SELECT merged_into FROM customer_360 WHERE global_customer_id = chain.id
    ) c ON c.merged_into IS NOT NULL
    WHERE chain.depth < 64
)
SELECT DISTINCT ON (chain.start) chain.start, chain.id, c.status, c.merged_into, chain.depth
FROM chain LEFT JOIN LATERAL (
    SELECT status, merged_into FROM customer_360 WHERE global_customer_id = chain.id
) c ON true
ORDER BY chain.start, chain.depth DESC
"""

_RULES_BROKEN = """
SELECT r.relation, r.proposal_id, r.system_a || ':' || r.customer_a,
       r.system_b || ':' || r.customer_b
FROM identity_rule r
JOIN source_customer a ON a.source_system = r.system_a AND a.source_customer_id = r.customer_a
JOIN source_customer b ON b.source_system = r.system_b AND b.source_customer_id = r.customer_b
WHERE (a.global_customer_id = ANY(CAST(:ids AS uuid[]))
       OR b.global_customer_id = ANY(CAST(:ids AS uuid[])))
  AND ((r.relation = 'different' AND a.global_customer_id = b.global_customer_id)
       OR (r.relation = 'same' AND a.global_customer_id <> b.global_customer_id))
LIMIT 5
"""


def broken(conn: Connection, profiles: Iterable[UUID]) -> list[str]:
    """What is wrong with these profiles (and the records and decisions of them), in words;
    empty when all holds."""
    ids = sorted({gid for gid in profiles if gid is not None}, key=str)
    if not ids:
        return []
    params = {"ids": array_literal(ids)}
    problems = []
    for gid, status, merged_into, record in conn.execute(text(_MEMBERSHIP), params):
        if status is None:
            problems.append(f"record {record} is linked to {gid}, which is no profile")
        elif status != "active" or merged_into is not None:
            problems.append(f"record {record} is linked to {gid}, which is not an active profile")
        else:
            problems.append(f"profile {gid} is active without any source record")
    for start, end, status, merged_into, depth in conn.execute(text(_CHAIN_ENDS), params):
        if status is None:
            problems.append(f"{start} leads to {end}, which is no profile")
        elif status != "active" or merged_into is not None:
            problems.append(f"{start} leads, after {depth} merges, to {end}, which is {status}")
    if conn.execute(text("SELECT EXISTS (SELECT 1 FROM identity_rule)")).scalar():
        for relation, proposal, a, b in conn.execute(text(_RULES_BROKEN), params):
            if relation == "different":
                problems.append(
                    f"{a} and {b} are in one profile, though proposal {proposal} declared"
                    " them different people"
                )
            else:
                problems.append(
                    f"{a} and {b} are in two profiles, though proposal {proposal} declared"
                    " them the same person"
                )
    return problems
