"""WekezaDFS on a real MariaDB through the real pipeline: a person known to core and dfs is one
profile; new loans arrive with the poll; balance, status and loan changes (which carry no
change marker) arrive with the digest scan within the stated bound."""

import dataclasses
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app, db
from app.config import Settings
from sandbox.simulator import Simulator
from sandbox.sources import create_sources, ddl, drop_sources, mysql_reachable
from tests.conftest import environment

pytestmark = pytest.mark.integration
SCAN_INTERVAL = 2.0
# the bound docs/sources/dfs.md states for this interval: a scan interval, the scan, the processing
BOUND_S = SCAN_INTERVAL + 8


@pytest.fixture
def dfs_url(database_url):
    name = make_url(db.sibling_url(database_url, "_src_dfs")).database
    url = f"mysql+pymysql://root@127.0.0.1:3306/{name}"
    reachable, why = mysql_reachable(url)
    if not reachable:
        pytest.skip(why)  # as tests/connectors/test_dfs.py does; CI runs MariaDB
    drop_sources({"dfs": url})
    create_sources({"dfs": url}, sample=False)
    with environment(C360_SOURCE_DFS_URL=url, C360_SCAN_INTERVAL=str(SCAN_INTERVAL)):
        yield url
    drop_sources({"dfs": url})


def api():
    settings = dataclasses.replace(Settings.from_env(), api_keys=("dfs-key",))
    client = create_app(settings).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer dfs-key"
    return client


def appears(pipeline, fetch, check, what):
    started = time.monotonic()
    pipeline.wait_until(lambda: check(fetch()), timeout=BOUND_S, what=what)
    return time.monotonic() - started


def test_dfs_changes_reach_the_profile_within_the_bound(dfs_url, pipeline):
    simulator = Simulator({**pipeline.source_urls, "dfs": dfs_url}, seed=21)
    client = api()
    try:
        person = simulator.new_customer(IdentificationNumber="ID29876543")
        user = simulator.dfs_new_user(national_id="29 876 543", full_name="Someone Else Typed")
        account = simulator.dfs_open_account(user["user_id"])
        simulator.dfs_change_balance(account["account_id"], "500.00")

        def profile_ids():
            return pipeline.scalar(
                "SELECT count(DISTINCT global_customer_id) = 1 AND count(*) = 2"
                " FROM source_customer"
            )

        pipeline.wait_until(profile_ids, timeout=60, what="core and dfs records under one ID")
        gid = pipeline.scalar("SELECT global_customer_id FROM customer_360 WHERE status='active'")
        assert person["customer_id"]

        def dfs_account():
            accounts = client.get(f"/customer/{gid}/accounts").get_json()
            return next((a for a in accounts if a["source_system"] == "dfs"), None)

        appears(pipeline, dfs_account, lambda a: a and a["balance"] == "500.00", "dfs account")

        simulator.dfs_change_balance(account["account_id"], "1234.50")
        balance_s = appears(
            pipeline, dfs_account, lambda a: a["balance"] == "1234.50", "the new balance"
        )
        simulator.dfs_set_account_status(account["account_id"], "FROZEN")
        status_s = appears(pipeline, dfs_account, lambda a: a["status"] == "FROZEN", "frozen")

        loan = simulator.dfs_new_loan(user["user_id"], "10000")

        def dfs_loan():
            loans = client.get(f"/customer/{gid}/loans").get_json()
            return next((x for x in loans if x["source_loan_id"] == str(loan["loan_id"])), None)

        new_loan_s = appears(pipeline, dfs_loan, lambda x: x is not None, "the new loan")
        simulator.dfs_set_loan_status(loan["loan_id"], "ACTIVE")
        loan_status_s = appears(
            pipeline, dfs_loan, lambda x: x["status"] == "ACTIVE", "the loan status"
        )
    finally:
        simulator.close()
    print(
        f"seen after: balance {balance_s:.1f}s, status {status_s:.1f}s, "
        f"new loan {new_loan_s:.1f}s, loan status {loan_status_s:.1f}s (bound {BOUND_S}s)"
    )


@pytest.fixture
def dfs_orm_url(database_url):
    """A dfs database in the layout the backend creates on first start (dfs_orm.sql)."""
    name = make_url(db.sibling_url(database_url, "_src_dfs_orm")).database
    server = "mysql+pymysql://root@127.0.0.1:3306"
    reachable, why = mysql_reachable(f"{server}/{name}")
    if not reachable:
        pytest.skip(why)
    admin = create_engine(server)
    with admin.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = f"{server}/{name}"
    engine = create_engine(url)
    with engine.begin() as conn:
        # comments first: one holds a ';'
        script = "\n".join(line.split("--")[0] for line in ddl("dfs_orm").splitlines())
        for statement in script.split(";"):
            if statement.strip():
                conn.execute(text(statement))
    engine.dispose()
    with environment(C360_SOURCE_DFS_URL=url):
        yield url
    with admin.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
    admin.dispose()


def test_the_backends_own_layout_with_business_banking(dfs_orm_url, pipeline):
    from tests.connectors.test_dfs_transform import WRITTEN_TYPES

    engine = create_engine(dfs_orm_url)
    with engine.begin() as conn:
        run = conn.execute
        run(
            text("INSERT INTO businesses (business_id, business_name) VALUES (3, 'Mama Mboga Ltd')")
        )
        run(
            text(
                "INSERT INTO users (user_id, full_name, national_id, business_id) VALUES "
                "(1, 'Grace Wanjiru', '31 555 666', 3), (2, 'Peter Otieno', '32 777 888', NULL)"
            )
        )
        # no currency column, no created_at: KES, and no opening time
        run(
            text(
                "INSERT INTO accounts (account_id, account_number, balance, user_id, business_id)"
                " VALUES (10, 'ACC2000010', 1500.00, 1, NULL), (11, 'B-2D1148', 250000.00, NULL, 3)"
            )
        )
        run(
            text(
                "INSERT INTO loans (loan_id, user_id, principal_amount, total_due_amount, "
                "balance_remaining, status) VALUES (5, 1, 100000, 110000, 110000, 'ACTIVE')"
            )
        )
        types = sorted(WRITTEN_TYPES)
        run(
            text(
                "INSERT INTO transactions (account_id, txn_type, amount, reference_code) "
                "VALUES (:a, :t, 10, :r)"
            ),
            [{"a": 10, "t": kind, "r": f"REF-{n}"} for n, kind in enumerate(types)]
            + [{"a": 11, "t": "BANK_TRANSFER", "r": "REF-BIZ"}],
        )
        run(
            text(
                "INSERT INTO risk_scores (user_id, credit_score, decision)"
                " VALUES (2, 380, 'REJECTED')"
            )
        )
    engine.dispose()
    expected = len(WRITTEN_TYPES) + 1
    pipeline.wait_until(
        lambda: (
            pipeline.idle()
            and pipeline.scalar("SELECT count(*) FROM transaction_360") == expected
            and pipeline.scalar("SELECT count(global_customer_id) FROM credit_decision") == 1
        ),
        timeout=60,
        what="every dfs row",
    )
    assert pipeline.scalar("SELECT count(*) FROM quarantine") == 0
    landed = dict(
        (row[0], (row[1], row[2]))
        for row in pipeline.engine.connect().execute(
            text(
                "SELECT source_type, type, channel FROM transaction_360"
                " WHERE source_account_id = '10'"
            )
        )
    )
    assert landed == WRITTEN_TYPES
    client = api()
    director = pipeline.scalar(
        "SELECT global_customer_id FROM source_customer WHERE source_customer_id = '1'"
    )
    accounts = {a["account_number"]: a for a in client.get(f"/customer/{director}/accounts").json}
    assert accounts["ACC2000010"]["currency"] == "KES"
    assert accounts["ACC2000010"]["holder_role"] == "owner"
    wallet = accounts["B-2D1148"]
    assert (wallet["business_name"], wallet["holder_role"]) == ("Mama Mboga Ltd", "director")
    assert wallet["balance"] == "250000.00"
    [loan] = client.get(f"/customer/{director}/loans").json
    assert loan["business_name"] == "Mama Mboga Ltd"
    # another person sees no business account
    other = pipeline.scalar(
        "SELECT global_customer_id FROM source_customer WHERE source_customer_id = '2'"
    )
    assert [a["account_number"] for a in client.get(f"/customer/{other}/accounts").json] == []
    # the rejected credit decision is a risk input, with its reason
    risk = client.get(f"/customer/{other}/risk").json["profile"]
    assert [(r["kind"], r["status"]) for r in risk["reasons"]] == [("credit_decision", "REJECTED")]
    assert risk["fraud_score"] == 0.15
    # nothing failed for the columns this layout lacks; the business wallet is not held
    assert pipeline.scalar("SELECT count(*) FROM stream_poll WHERE failing_since IS NOT NULL") == 0
    assert (
        pipeline.scalar(
            "SELECT count(*) FROM account_360 WHERE global_customer_id IS NULL"
            " AND source_business_id IS NULL"
        )
        == 0
    )
