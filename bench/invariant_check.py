"""What checking the invariants of profiles costs a resolution (app/identity/invariants.py).

A database of its own holds PROFILES profiles with one and a half records each (one in two
with a second record), analyzed as the product leaves its tables; the check then runs over
random sets of 500, 2,000 and 5,000 of them (a batch's component is of that order), five times
each, and the mean time of one check is printed. A resolution runs it twice (before and after).

    python bench/invariant_check.py [--profiles 200000]
"""

from __future__ import annotations

import argparse
import json
import time

from sqlalchemy import create_engine, text

from app import db
from app.config import Settings
from app.identity import invariants
from app.migrate import upgrade

SIZES = (500, 2000, 5000)
REPEATS = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=200_000)
    args = parser.parse_args()
    url = db.sibling_url(Settings.from_env().database_url, "_bench_invariants")
    db.recreate_database(url)
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO customer_360 (global_customer_id, created_at)"
                " SELECT md5(n::text)::uuid, now() FROM generate_series(1, :n) n"
            ),
            {"n": args.profiles},
        )
        conn.execute(
            text(
                "INSERT INTO source_customer (source_system, source_customer_id,"
                " global_customer_id, national_id, id_document_type, full_name, match_rule,"
                " is_active, source_updated_at, linked_at, updated_at)"
                " SELECT 'core', n::text, md5((1 + n % :n)::text)::uuid,"
                " (20000000 + n)::text, 'national_id', 'X', 'new', true, now(), now(), now()"
                " FROM generate_series(1, :records) n"
            ),
            {"n": args.profiles, "records": args.profiles * 3 // 2},
        )
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
        ids = (
            conn.execute(
                text("SELECT global_customer_id FROM customer_360 ORDER BY random() LIMIT :n"),
                {"n": max(SIZES)},
            )
            .scalars()
            .all()
        )
        results = {}
        for size in SIZES:
            invariants.broken(conn, ids[:size])  # warm
            started = time.perf_counter()
            for _ in range(REPEATS):
                problems = invariants.broken(conn, ids[:size])
            assert problems == [], problems
            results[size] = round((time.perf_counter() - started) / REPEATS * 1000, 1)
    engine.dispose()
    print(json.dumps({"profiles": args.profiles, "check_ms_by_profiles_checked": results}))


if __name__ == "__main__":
    main()
