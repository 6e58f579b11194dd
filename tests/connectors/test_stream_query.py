"""A stream's cursor is named once: the select-list names of a column marker and key are
derived from the columns themselves."""

import pytest

from connectors._common import StreamQuery


def test_a_column_names_itself_in_the_select_list():
    query = StreamQuery(columns="*", source='"Loans" t', marker='t."UpdatedAt"', key='"Id"')
    assert (query.marker_field, query.key_field) == ("UpdatedAt", "Id")
    plain = StreamQuery(columns="*", source="users", marker="updated_at", key="user_id")
    assert (plain.marker_field, plain.key_field) == ("updated_at", "user_id")


def test_an_expression_must_be_named():
    with pytest.raises(ValueError, match="give marker_field"):
        StreamQuery(
            columns="*", source="sessions", marker="COALESCE(last_activity, created_at)", key="id"
        )
    named = StreamQuery(
        columns="*",
        source="sessions",
        marker="COALESCE(last_activity, created_at)",
        key="session_id",
        marker_field="active_at",
    )
    assert (named.marker_field, named.key_field) == ("active_at", "session_id")
