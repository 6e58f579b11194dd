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
are usually none), so a batch pays a few milliseconds for it.
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


_ON_INACTIVE = """
SELECT sc.source_system || ':' || sc.source_customer_id, sc.global_customer_id
FROM source_customer sc
LEFT JOIN customer_360 c ON c.global_customer_id = sc.global_customer_id
WHERE sc.global_customer_id = ANY(CAST(:ids AS uuid[]))
  AND (c.global_customer_id IS NULL OR c.status <> 'active' OR c.merged_into IS NOT NULL)
LIMIT 5
"""

# every ID concerned followed through its merges to where the chain ends
_CHAIN_ENDS = """
WITH RECURSIVE chain(start, id, depth) AS (
    SELECT id, id, 0 FROM unnest(CAST(:ids AS uuid[])) AS id
    UNION ALL
    SELECT chain.start, c.merged_into, chain.depth + 1
    FROM chain JOIN customer_360 c ON c.global_customer_id = chain.id
    WHERE c.merged_into IS NOT NULL AND chain.depth < 64
)
SELECT DISTINCT ON (chain.start) chain.start, chain.id, c.status, c.merged_into, chain.depth
FROM chain LEFT JOIN customer_360 c ON c.global_customer_id = chain.id
ORDER BY chain.start, chain.depth DESC
"""

_EMPTY = """
SELECT c.global_customer_id FROM customer_360 c
WHERE c.global_customer_id = ANY(CAST(:ids AS uuid[])) AND c.status = 'active'
  AND NOT EXISTS (
      SELECT 1 FROM source_customer sc WHERE sc.global_customer_id = c.global_customer_id)
LIMIT 5
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
    problems = [
        f"record {key} is linked to {gid}, which is not an active profile"
        for key, gid in conn.execute(text(_ON_INACTIVE), params)
    ]
    for start, end, status, merged_into, depth in conn.execute(text(_CHAIN_ENDS), params):
        if status is None:
            problems.append(f"{start} leads to {end}, which is no profile")
        elif status != "active" or merged_into is not None:
            problems.append(f"{start} leads, after {depth} merges, to {end}, which is {status}")
    problems += [
        f"profile {gid} is active without any source record"
        for (gid,) in conn.execute(text(_EMPTY), params)
    ]
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


def check(conn: Connection, profiles: Iterable[UUID]) -> None:
    """Raise BrokenProfile, naming what is wrong, unless every invariant holds."""
    problems = broken(conn, profiles)
    if problems:
        raise BrokenProfile(problems)
