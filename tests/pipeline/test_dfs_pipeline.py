"""WekezaDFS on a real MariaDB through the real pipeline: a person known to core and dfs is one
profile; new loans arrive with the poll; balance, status and loan changes (which carry no
change marker) arrive with the digest scan within the stated bound."""

import dataclasses
import os
import time

import pytest
from sqlalchemy.engine import make_url

from app import create_app, db
from app.config import Settings
from connectors.demo import create_sources, drop_sources, mysql_reachable
from connectors.simulator import Simulator

pytestmark = pytest.mark.integration
SCAN_INTERVAL = 2.0
# the bound the README states for this interval: a scan interval, the scan, the processing
BOUND_S = SCAN_INTERVAL + 8


@pytest.fixture
def dfs_url(database_url):
    name = make_url(db.sibling_url(database_url, "_src_dfs")).database
    url = f"mysql+pymysql://root@127.0.0.1:3306/{name}"
    reachable, why = mysql_reachable(url)
    if not reachable:
        pytest.fail(f"these tests need MySQL/MariaDB: {why}")
    drop_sources({"dfs": url})
    create_sources({"dfs": url}, sample=False)
    os.environ["C360_SOURCE_DFS_URL"] = url
    os.environ["C360_SCAN_INTERVAL"] = str(SCAN_INTERVAL)
    yield url
    os.environ["C360_SOURCE_DFS_URL"] = ""
    os.environ.pop("C360_SCAN_INTERVAL")
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
