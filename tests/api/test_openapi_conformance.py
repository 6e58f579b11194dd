"""The API against its own OpenAPI document: schemathesis, with a key holding every scope and
all its checks, drives the real API (gunicorn over a database of its own, with one customer to
find). A request the document allows is never refused, one it forbids never accepted, no answer
is a server error, and every answer has the status, type and body the document gives it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert

from app import db, processes
from app.access.keys import SCOPES, create_key
from app.customer.models import customer_360, source_customer
from app.migrate import upgrade
from tests.conftest import free_port

ST = Path(sys.executable).with_name("st")
# enough for every phase (examples, coverage, fuzzing, stateful) to reach each operation;
# deeper runs by hand (docs/api.md)
MAX_EXAMPLES = 10
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def seeded(url: str) -> uuid.UUID:
    """A database at the latest migration holding one customer with a source record; the ID."""
    db.recreate_database(url)
    upgrade(url)
    engine = create_engine(url)
    gid = uuid.uuid4()
    try:
        with engine.begin() as conn:
            conn.execute(insert(customer_360).values(global_customer_id=gid, full_name="Amina"))
            conn.execute(
                insert(source_customer).values(
                    source_system="core",
                    source_customer_id="C-1",
                    global_customer_id=gid,
                    full_name="Amina Wanjiku",
                    phone="+254712345678",
                    match_rule="new",
                    source_updated_at=datetime(2026, 3, 2, tzinfo=UTC),
                )
            )
    finally:
        engine.dispose()
    return gid


def started(base: str, server: subprocess.Popen, log: Path) -> None:
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{base}/openapi.json", timeout=2)
            return
        except OSError:  # refused, reset or timed out while it starts
            assert server.poll() is None, log.read_text()
            time.sleep(0.2)
    raise AssertionError(f"the API did not start:\n{log.read_text()}")


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_every_operation_conforms_to_the_document(database_url: str, tmp_path: Path) -> None:
    url = db.sibling_url(database_url, "_conformance")
    customer = seeded(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        key = create_key(conn, "conformance", list(SCOPES))
    engine.dispose()
    port = free_port()
    log = tmp_path / "gunicorn.log"
    # one worker; no request-line limit, so an overlong URL reaches the app (gunicorn's own 414
    # page is no answer of the API's)
    server = processes.start(
        [*processes.api_command(port, workers=1), "--limit-request-line", "0"],
        log,
        C360_DATABASE_URL=url,
        C360_API_KEYS="",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
    )
    config = tmp_path / "schemathesis.toml"
    # the customer's ID where an operation names one, so those reach past their 404
    config.write_text(f'[parameters]\nglobal_id = "{customer}"\n')
    try:
        base = f"http://127.0.0.1:{port}"
        started(base, server, log)
        run = subprocess.run(
            [
                str(ST),
                "--config-file",
                str(config),
                "run",
                f"{base}/openapi.json",
                "--checks",
                "all",
                "--header",
                f"Authorization: Bearer {key}",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--seed",
                "1",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=540,
        )
        assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-4000:]
        document = json.load(urllib.request.urlopen(f"{base}/openapi.json", timeout=5))
        operations = sum(
            method in METHODS for item in document["paths"].values() for method in item
        )
        tested = re.search(r"Tested:\s+(\d+)", run.stdout)
        assert tested and int(tested.group(1)) == operations, run.stdout[-4000:]
    finally:
        processes.stop(server)
