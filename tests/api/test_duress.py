"""Duress stays secret: a shadow login is served as a standard one, a duress alert as a generic
security alert, while the risk it raised stays (Salama's "never reveal mode"), to every key but
one holding the security scope."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Boolean, String, cast, insert, literal, select
from sqlalchemy.dialects.postgresql import JSONB

from app.channel.duress import (
    generic_reasons,
    generic_reasons_sql,
    ordinary_login,
    ordinary_mode_sql,
)
from app.channel.models import security_alert

DURESS_REASON = {
    "source": "channel",
    "kind": "security_alert",
    "ref": "A-1",
    "status": "OPEN",
    "level": "CRITICAL",
    "contribution": 0.6,
    "detail": "DURESS_MODE_ACTIVATED",
}


def test_a_shadow_login_and_a_duress_alert_are_served_as_ordinary(
    client, auth_headers, make_customer, add_login, add_risk
):
    global_id = make_customer()
    add_login(
        global_id,
        "S-1",
        datetime(2026, 11, 26, 9, tzinfo=UTC),
        session_mode="shadow",
        device_id="android-7f3a",
    )
    add_risk(global_id, fraud_score=Decimal("0.600"), reasons=[DURESS_REASON])

    profile = client.get(f"/customer/{global_id}", headers=auth_headers)
    risk = client.get(f"/customer/{global_id}/risk", headers=auth_headers)

    for response in (profile, risk):
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert "shadow" not in body.lower() and "DURESS" not in body
    assert profile.get_json()["last_login"]["session_mode"] == "standard"
    (reason,) = risk.get_json()["profile"]["reasons"]
    assert reason["detail"] == "SECURITY_ALERT" and reason["contribution"] == 0.6
    assert risk.get_json()["profile"]["risk_level"] == "HIGH"  # the risk it raised stays


def add_duress_alert(conn, global_id):
    conn.execute(
        insert(security_alert).values(
            source_system="channel",
            source_alert_id="A-1",
            global_customer_id=global_id,
            alert_type="DURESS_MODE_ACTIVATED",
            severity="CRITICAL",
            status="OPEN",
            raised_at=datetime(2026, 11, 26, 9, tzinfo=UTC),
        )
    )


@pytest.fixture
def under_duress(conn, make_customer, add_login, add_risk):
    global_id = make_customer()
    add_login(global_id, "S-1", datetime(2026, 11, 26, 9, tzinfo=UTC), session_mode="shadow")
    add_risk(global_id, fraud_score=Decimal("0.600"), reasons=[DURESS_REASON])
    add_duress_alert(conn, global_id)
    return global_id


def test_the_export_hides_duress_from_a_read_key(client, auth_headers, under_duress):
    response = client.get(f"/customer/{under_duress}/export", headers=auth_headers)

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "shadow" not in body.lower() and "DURESS" not in body
    document = response.get_json()
    assert document["logins"][0]["session_mode"] == "standard"
    assert document["security_alerts"][0]["alert_type"] == "SECURITY_ALERT"
    assert document["security_alerts"][0]["severity"] == "CRITICAL"


def test_only_the_security_scope_sees_duress(client, headers_for, under_duress):
    security = headers_for("read", "security")

    profile = client.get(f"/customer/{under_duress}", headers=security).get_json()
    risk = client.get(f"/customer/{under_duress}/risk", headers=security).get_json()
    export = client.get(f"/customer/{under_duress}/export", headers=security).get_json()

    assert profile["last_login"]["session_mode"] == "shadow"
    assert risk["profile"]["reasons"][0]["detail"] == "DURESS_MODE_ACTIVATED"
    assert profile["risk"]["reasons"][0]["detail"] == "DURESS_MODE_ACTIVATED"
    assert export["logins"][0]["session_mode"] == "shadow"
    assert export["security_alerts"][0]["alert_type"] == "DURESS_MODE_ACTIVATED"
    # the security scope alone reads no profile: it widens what a read key sees
    only_security = headers_for("security")
    assert client.get(f"/customer/{under_duress}", headers=only_security).status_code == 403
    # every other scope sees an ordinary login
    for scopes in (("read",), ("read", "steward", "admin")):
        body = client.get(f"/customer/{under_duress}", headers=headers_for(*scopes)).get_json()
        assert body["last_login"]["session_mode"] == "standard", scopes


SOME_REASONS = [
    DURESS_REASON,
    {**DURESS_REASON, "detail": " duress_mode_activated\n"},  # as a source may write it
    {**DURESS_REASON, "kind": "fraud_case"},  # another kind keeps its detail
    {"kind": "security_alert", "detail": "PIN_RESET"},
    {"kind": "security_alert", "detail": None},
    "a reason that is not an object",
    7,
]
SESSION_MODES = ["shadow", " SHADOW ", "Shadow\t", "standard", "shadowy", None]


@pytest.mark.parametrize("reveal", [False, True])
def test_the_profile_statement_masks_duress_as_the_python_rules_do(conn, reveal):
    """The profile is built by PostgreSQL (app/served.py), so its masking is SQL: it must serve
    exactly what generic_reasons and ordinary_login serve, in the reasons' order."""
    reasons = cast(literal(json.dumps(SOME_REASONS)), JSONB)
    shown = literal(reveal, Boolean)

    masked = conn.execute(select(generic_reasons_sql(reasons, shown))).scalar_one()
    modes = [
        conn.execute(select(ordinary_mode_sql(literal(mode, String), shown))).scalar_one()
        for mode in SESSION_MODES
    ]

    assert masked == (SOME_REASONS if reveal else generic_reasons(SOME_REASONS))
    expected = [
        mode if reveal else ordinary_login({"session_mode": mode})["session_mode"]
        for mode in SESSION_MODES
    ]
    assert modes == expected
