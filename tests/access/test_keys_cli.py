"""`c360 keys` and `c360 audit` against the real database (in the test's transaction)."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from app.access.audit import record_access
from app.access.keys import authenticate
from app.access.models import api_key
from app.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_a_key_is_printed_once_and_stored_hashed(conn):
    created = invoke("keys", "create", "branch-teller", "--scope", "read", "--scope", "admin")

    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    assert key.startswith("c360_") and "\n" not in key
    assert "branch-teller (read, admin) created" in created.stderr
    principal = authenticate(conn, key, ())
    assert (principal.name, principal.scopes) == ("branch-teller", {"read", "admin"})
    stored = conn.execute(select(api_key).where(api_key.c.name == "branch-teller")).one()
    assert key not in str(stored)

    listed = invoke("keys", "list")
    assert "branch-teller" in listed.output and "read,admin" in listed.output
    assert "active" in listed.output and key not in listed.output

    assert invoke("keys", "revoke", "branch-teller").exit_code == 0
    assert authenticate(conn, key, ()) is None
    assert "revoked" in invoke("keys", "list").output


def test_refusals_are_one_clear_line(conn):
    assert invoke("keys", "create", "dup", "--scope", "read").exit_code == 0

    again = invoke("keys", "create", "dup", "--scope", "steward")
    unknown_scope = invoke("keys", "create", "other", "--scope", "superuser")
    bad_name = invoke("keys", "create", "has space", "--scope", "read")
    no_scope = invoke("keys", "create", "other")
    revoke_unknown = invoke("keys", "revoke", "nobody")

    assert again.exit_code == 1 and "exists already" in again.output
    assert unknown_scope.exit_code == 2 and "superuser" in unknown_scope.output
    assert bad_name.exit_code == 1 and "invalid key name" in bad_name.output
    assert no_scope.exit_code == 2 and "--scope" in no_scope.output
    assert revoke_unknown.exit_code == 1 and "no active key named 'nobody'" in revoke_unknown.output
    for result in (again, unknown_scope, bad_name, no_scope, revoke_unknown):
        assert "Traceback" not in result.output


def test_audit_shows_who_read_a_customer(conn, make_customer_id):
    customer, other = make_customer_id(), make_customer_id()
    for key_name, served in (("teller", [customer]), ("mobile", [other]), ("dpo", [])):
        record_access(
            conn,
            key_name=key_name,
            method="GET",
            endpoint="/customer/<uuid:global_id>",
            status=200,
            customer_ids=served,
            remote_addr="10.1.2.3",
        )

    result = invoke("audit", "--customer", str(customer))

    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if "/customer/" in line]
    assert "teller" in line and "10.1.2.3" in line and str(customer) in line
    assert "1 entries shown" in result.output
    assert invoke("audit", "--customer", "not-a-uuid").exit_code == 2
