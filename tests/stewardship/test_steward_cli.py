"""`c360 steward` against the real database (in the test's transaction): propose, four eyes,
the review queue without personal data on the terminal."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from click.testing import CliRunner

from app.access.keys import create_key
from app.cli import main
from app.identity.matcher import link_customers
from connectors.records import CustomerRecord
from tests.conftest import gid_of

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def invoke(*args: str, key: str | None = None):
    """`c360 ARGS`, acting with `key` as the steward's (C360_STEWARD_KEY)."""
    return CliRunner().invoke(main, list(args), env={"C360_STEWARD_KEY": key})


def person(source, key, national_id=None, phone=None, name="Achieng Otieno"):
    return CustomerRecord(source, key, name, national_id, phone, None, None, True, NOW, NOW)


def test_a_proposal_from_the_command_line_needs_another_steward(conn):
    amina = create_key(conn, "amina", ["steward"])
    brian = create_key(conn, "brian", ["steward"])
    reader = create_key(conn, "reader", ["read"])
    link_customers(conn, [person("core", "1", "12345678", "0711000001")])
    link_customers(conn, [person("dfs", "9", phone="0711000001")])
    together = gid_of(conn, "core", "1")
    assert gid_of(conn, "dfs", "9") == together

    proposed = invoke(
        "steward", "propose", "unmerge_record", "dfs:9", "--reason", "two people", key=amina
    )
    assert proposed.exit_code == 0, proposed.output
    proposal_id = proposed.output.split()[0].lstrip("#")
    assert "proposed by amina [pending]" in proposed.output

    own = invoke("steward", "approve", proposal_id, key=amina)
    not_a_steward = invoke("steward", "approve", proposal_id, key=reader)
    assert own.exit_code == 1 and "another steward must decide it" in own.output
    assert not_a_steward.exit_code == 1 and "steward scope" in not_a_steward.output
    assert gid_of(conn, "dfs", "9") == together

    approved = invoke("steward", "approve", proposal_id, "--note", "checked", key=brian)
    assert approved.exit_code == 0, approved.output
    assert "approved by brian" in approved.output and "effect:" in approved.output
    assert gid_of(conn, "dfs", "9") != together == gid_of(conn, "core", "1")
    assert f"#{proposal_id}" in invoke("steward", "proposals", "--status", "approved").output


def test_four_eyes_cannot_be_bypassed_by_naming_another_steward(conn):
    amina = create_key(conn, "amina", ["steward"])
    create_key(conn, "bob", ["steward"])
    link_customers(conn, [person("core", "1", "12345678", "0711000001")])
    link_customers(conn, [person("dfs", "9", phone="0711000001")])
    together = gid_of(conn, "core", "1")
    proposed = invoke("steward", "propose", "unmerge_record", "dfs:9", "--reason", "x", key=amina)
    proposal_id = proposed.output.split()[0].lstrip("#")

    named_only = invoke("steward", "approve", proposal_id, "--as", "bob")
    as_bob_with_aminas_key = invoke("steward", "approve", proposal_id, "--as", "bob", key=amina)
    made_up = invoke("steward", "approve", proposal_id, key="c360_not-a-real-key")

    assert named_only.exit_code == 1 and "C360_STEWARD_KEY" in named_only.output
    assert as_bob_with_aminas_key.exit_code == 1
    assert "that key is 'amina''s, not 'bob''s" in as_bob_with_aminas_key.output
    assert made_up.exit_code == 1 and "not an active key" in made_up.output
    assert gid_of(conn, "dfs", "9") == together  # nothing applied


def test_bad_targets_are_one_clear_line(conn):
    amina = create_key(conn, "amina", ["steward"])
    cases = [
        (["merge", "not-a-uuid", "x"], "two Global Customer IDs"),
        (["unmerge_record", "mainframe:1"], "SOURCE:ID"),
        (["unmerge_merge", "abc"], "merge ID"),
        (["same_person", "core:1"], "takes 2 target(s)"),
        (["unmerge_record", "core:404"], "no source record core:404"),
    ]
    for args, message in cases:
        result = invoke("steward", "propose", *args, "--reason", "why", key=amina)
        assert result.exit_code in (1, 2), args
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_the_queue_on_a_terminal_shows_what_to_act_on_and_no_identifier(conn):
    amina = create_key(conn, "amina", ["steward"])
    brian = create_key(conn, "brian", ["steward"])
    link_customers(conn, [person("core", "1", "12345678", "0711000001", "Achieng Otieno")])
    other = replace(
        person("dfs", "9", phone="0711000001", name="Mary Wambui"), date_of_birth=date(1970, 1, 1)
    )
    link_customers(conn, [other])

    result = invoke("steward", "queue")
    as_steward = invoke("steward", "queue", key=amina)

    assert result.exit_code == 0, result.output
    item = result.output.split()[0].lstrip("#")
    assert f"#{item} shared_line on a phone" in result.output
    assert f"  profile {gid_of(conn, 'core', '1')}: core:1\n" in result.output
    assert f"  profile {gid_of(conn, 'dfs', '9')}: dfs:9\n" in result.output
    assert "1 open items (shared_line 1)" in result.output
    for value in ("0711000001", "711000001", "12345678", "Mary", "Achieng"):
        assert value not in result.output
    # a steward who gives their key sees whom to compare, identifiers still masked
    assert as_steward.exit_code == 0, as_steward.output
    assert "core:1 Achieng Otieno, national id ***678, phone ***001" in as_steward.output
    assert "dfs:9 Mary Wambui, born 1970-01-01, phone ***001" in as_steward.output
    for value in ("0711000001", "12345678"):
        assert value not in as_steward.output

    # a merge of the item's two sides, proposed from the item, settles it once approved
    proposed = invoke(
        "steward", "propose", "merge", "--item", item, "--reason", "one person", key=amina
    )
    assert proposed.exit_code == 0, proposed.output
    proposal_id = proposed.output.split()[0].lstrip("#")
    approved = invoke("steward", "approve", proposal_id, key=brian)
    assert approved.exit_code == 0, approved.output
    assert gid_of(conn, "core", "1") == gid_of(conn, "dfs", "9")
    assert "0 open items" in invoke("steward", "queue").output


def test_the_queue_shows_a_steward_how_the_names_read(conn):
    amina = create_key(conn, "amina", ["steward"])
    link_customers(conn, [person("core", "1", "12345678", "0711000002", "Kamau Njoroge")])
    link_customers(conn, [person("channel", "7", phone="254711000002", name="Njoroge K.")])

    result = invoke("steward", "queue")
    as_steward = invoke("steward", "queue", key=amina)

    assert "reversed_names on a phone" in result.output
    assert "names:" not in result.output and "Njoroge" not in result.output
    assert (
        "  names: njoroge = njoroge; k ~ kamau: initial (reverse order of Kikuyu names carried"
        " as given names and surnames: a possible son)"
    ) in as_steward.output
