"""Demo sources loaded at a bank's scale, for benchmarks and the tests that need a Brain of
some size: a generated population (`sandbox/population.py`) in fresh core, channel and fraud
sources, with activity made in SQL: transactions on every core account, sessions for every
channel user, a fraud case for one core customer in FRAUD_SHARE."""

from __future__ import annotations

import sqlite3

from sqlalchemy import create_engine, text

from sandbox.population import generate_population, write_population
from sandbox.sources import create_sources, drop_sources

TRANSACTIONS_PER_ACCOUNT = 5
SESSIONS_PER_USER = 2
FRAUD_SHARE = 50

CORE_ACTIVITY = """
INSERT INTO "Transactions" ("Id", "AccountId", "Type", "Amount", "Currency", "Status",
    "Reference", "Description", "ProcessedAt", "ProcessedBy")
SELECT gen_random_uuid(), a."Id", CASE WHEN t % 3 = 0 THEN 'Debit' ELSE 'Credit' END,
    (t * 137 % 50000 + 10)::numeric(18, 2), a."Currency", 'Completed',
    'TX' || substr(md5(a."Id"::text || t), 1, 24), 'Mobile transfer',
    now() - t * interval '1 hour', 'MOBILE'
FROM "Accounts" a, generate_series(1, :per_account) AS t
"""
CHANNEL_ACTIVITY = """
INSERT INTO sessions (user_id, session_token, session_mode, device_id, ip_address, user_agent,
    created_at, expires_at, last_activity)
SELECT u.user_id, md5(u.user_id::text || s), 'standard',
    'device-' || substr(md5(u.user_id::text), 1, 8), '10.0.0.1', 'WekezaMobile/4.2',
    now() - s * interval '1 day', now() + interval '1 day', now() - s * interval '1 day'
FROM users u, generate_series(1, :per_user) AS s
"""


def load_sources(urls: dict[str, str], people: int, seed: int = 1) -> dict[str, int]:
    """Drop and create the sources at `urls` ('core', 'channel' and 'fraud'), then load
    `people` people (and their activity) into them; returns the rows per source table."""
    drop_sources(urls)
    create_sources(urls, sample=False)
    write_population(urls, generate_population(people, seed=seed))
    core, channel = create_engine(urls["core"]), create_engine(urls["channel"])
    with core.begin() as conn:
        conn.execute(text(CORE_ACTIVITY), {"per_account": TRANSACTIONS_PER_ACCOUNT})
        numbers = conn.execute(text('SELECT "CustomerNumber" FROM "Customers"')).scalars().all()
    with channel.begin() as conn:
        conn.execute(text(CHANNEL_ACTIVITY), {"per_user": SESSIONS_PER_USER})
    fraud = sqlite3.connect(urls["fraud"].removeprefix("sqlite:///"))
    with fraud:
        fraud.executemany(
            "INSERT INTO analyst_cases (transaction_id, customer_id, amount, risk_score,"
            " risk_level, status, flagged_reason) VALUES (?, ?, 5000, 0.7, 'HIGH', 'ASSIGNED',"
            " 'Unusual amount')",
            [(f"TXF{i:08d}", number) for i, number in enumerate(numbers[::FRAUD_SHARE])],
        )
    fraud.close()
    counts = {}
    for engine, tables in (
        (core, ('"Customers"', '"Accounts"', '"Transactions"')),
        (channel, ("users", "sessions")),
    ):
        with engine.connect() as conn:
            for table in tables:
                counts[table.strip('"')] = conn.execute(
                    text(f"SELECT count(*) FROM {table}")
                ).scalar()
        engine.dispose()
    counts["analyst_cases"] = len(numbers[::FRAUD_SHARE])
    return counts
