"""Duress stays secret: a shadow login is served as a standard one, a duress alert as a generic
security alert, while the risk it raised stays (Salama's "never reveal mode")."""

from datetime import UTC, datetime
from decimal import Decimal

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
