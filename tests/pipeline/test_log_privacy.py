"""Malformed and rejected identifiers go through the real worker and beat, at INFO and at DEBUG,
and none of them reaches a log or the CLI's output (masking wherever a log is written:
docs/access.md). The values are chosen to slip past patterns: too short to look like a phone, an ID
with a short prefixed number, a passport, an address without an @."""

import os
import subprocess
import sys
from datetime import datetime

import pytest

from sandbox.simulator import Simulator
from tests.conftest import environment

pytestmark = pytest.mark.integration

MALFORMED = [
    # (IdentificationNumber, PrimaryPhone, Email)
    ("KE-ID-12", "(07123)", "wanjiku.at.gmail.com"),
    ("A1234567", "+2547000", "kamau@@mail.co.ke"),
    ("ID1234567890123", "0799 888", "otieno@"),
]
# a customer core rejects as a whole (born in 2099), with identifiers that read well
REJECTED = ("ID29998887", "+254798765432", "akinyi.rejected@gmail.com")


@pytest.fixture(params=["INFO", "DEBUG"])
def log_level(request):
    with environment(C360_LOG_LEVEL=request.param):
        yield request.param


def test_no_identifier_reaches_a_log_or_the_cli(log_level, pipeline):
    simulator = Simulator(pipeline.source_urls, seed=61)
    try:
        for national_id, phone, email in MALFORMED:
            simulator.new_customer(
                IdentificationNumber=national_id, PrimaryPhone=phone, Email=email
            )
        national_id, phone, email = REJECTED
        simulator.new_customer(
            IdentificationNumber=national_id,
            PrimaryPhone=phone,
            Email=email,
            DateOfBirth=datetime(2099, 1, 1),
        )
    finally:
        simulator.close()
    pipeline.wait_until(
        # one field entry per malformed customer (its problems together), one record entry
        lambda: pipeline.scalar("SELECT count(*) FROM quarantine") == 4 and pipeline.idle(),
        timeout=60,
        what="the malformed fields and the rejected customer in quarantine",
    )
    cli = subprocess.run(
        [sys.executable, "-m", "app.cli", "quarantine", "list"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=True,
    )
    assert "open entries shown" in cli.stdout
    written = {
        "worker": (pipeline.workdir / "worker.log").read_text(),
        "beat": (pipeline.workdir / "beat.log").read_text(),
        "c360 quarantine list": cli.stdout + cli.stderr,
    }
    assert "records quarantined" in written["worker"]
    if log_level == "DEBUG":
        assert "DEBUG" in written["worker"]  # the level reached Celery's own loggers
    values = [value for row in [*MALFORMED, REJECTED] for value in row]
    for where, text in written.items():
        for value in values:
            assert value not in text, f"{value!r} in the {where} output"
