"""Duress stays secret. Salama's rule is "never reveal mode": a customer who logs in under
duress (a reversed PIN, a duress code) gets a `shadow` session that looks normal to whoever is
watching, and the bank's security team is alerted (`DURESS_MODE_ACTIVATED`). The Enterprise
Brain keeps both (the risk level still rises) but serves them as ordinary: a shadow login is a
standard login, a duress alert a generic security alert, to every key but one holding the
`security` scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, column, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by
from sqlalchemy.sql.elements import ColumnElement

from app.served import constant

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


# The same rules in SQL, for a response PostgreSQL builds (app/served.py); `reveal` is a boolean
# expression, true for a key with the security scope. Python's strip() drops this whitespace.
_WHITESPACE = " \t\n\r\f\v"


def ordinary_mode_sql(
    session_mode: ColumnElement[Any], reveal: ColumnElement[bool]
) -> ColumnElement[Any]:
    """A login's session mode as served (ordinary_login)."""
    shadow = func.lower(func.btrim(session_mode, constant(_WHITESPACE))) == constant(SHADOW_MODE)
    return case((and_(~reveal, shadow), constant(ORDINARY_MODE)), else_=session_mode)


def generic_reasons_sql(
    reasons: ColumnElement[Any], reveal: ColumnElement[bool]
) -> ColumnElement[Any]:
    """Risk reasons (a JSONB array) as served (generic_reasons), in their order."""
    elements = (
        func.jsonb_array_elements(reasons)
        .table_valued(column("reason", JSONB), with_ordinality="n")
        .render_derived()
    )
    reason = elements.c.reason
    detail = func.upper(func.btrim(reason.op("->>")(constant("detail")), constant(_WHITESPACE)))
    duress = and_(
        func.jsonb_typeof(reason) == constant("object"),
        reason.op("->>")(constant("kind")) == constant("security_alert"),
        or_(*(detail == constant(alert) for alert in sorted(DURESS_ALERTS))),
    )
    generic = func.jsonb_build_object(constant("detail"), constant(GENERIC_ALERT))
    served = case((duress, reason.op("||")(generic)), else_=reason)
    masked = select(
        func.coalesce(
            func.jsonb_agg(aggregate_order_by(served, elements.c.n)),
            literal_column("'[]'::jsonb"),
        )
    ).scalar_subquery()
    not_an_array = func.jsonb_typeof(reasons) != constant("array")
    return case((or_(reveal, not_an_array), reasons), else_=masked)
