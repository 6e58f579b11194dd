"""Duress stays secret. Salama's rule is "never reveal mode": a customer who logs in under
duress (a reversed PIN, a duress code) gets a `shadow` session that looks normal to whoever is
watching, and the bank's security team is alerted (`DURESS_MODE_ACTIVATED`). The Enterprise
Brain keeps both (the risk level still rises) but serves them as ordinary: a shadow login is a
standard login, a duress alert a generic security alert, to every key but one holding the
`security` scope."""

from __future__ import annotations

from typing import Any

SHADOW_MODE = "shadow"
ORDINARY_MODE = "standard"
DURESS_ALERTS = frozenset({"DURESS_MODE_ACTIVATED"})
GENERIC_ALERT = "SECURITY_ALERT"


def ordinary_login(login: dict[str, Any] | None) -> dict[str, Any] | None:
    """A login as served: a shadow session shown as a standard one."""
    if login and str(login.get("session_mode") or "").strip().lower() == SHADOW_MODE:
        return {**login, "session_mode": ORDINARY_MODE}
    return login


def ordinary_alert(alert: dict[str, Any]) -> dict[str, Any]:
    """A security alert as served: a duress alert shown as a generic one."""
    if str(alert.get("alert_type") or "").strip().upper() in DURESS_ALERTS:
        return {**alert, "alert_type": GENERIC_ALERT}
    return alert


def generic_reasons(reasons: list[Any]) -> list[Any]:
    """Risk reasons as served: a duress alert's type replaced by a generic one; its weight,
    and so the score, unchanged."""
    return [
        {**reason, "detail": GENERIC_ALERT}
        if isinstance(reason, dict)
        and reason.get("kind") == "security_alert"
        and str(reason.get("detail") or "").strip().upper() in DURESS_ALERTS
        else reason
        for reason in reasons
    ]
