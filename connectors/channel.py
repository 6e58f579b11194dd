"""Digital channel security (Salama, PostgreSQL): MSISDN users, login sessions, security alerts.

Session tokens are live credentials: no query here selects sessions.session_token.
"""

from __future__ import annotations

from typing import Any

from connectors._common import Fields, StreamQuery, TimestampConnector, build_record
from connectors.base import Stream
from connectors.records import AlertRecord, CustomerRecord, LoginRecord, Record


class ChannelConnector(TimestampConnector):
    source_system = "channel"
    streams = (
        Stream("users", "customer"),
        Stream("sessions", "login"),
        Stream("security_alerts", "alert"),
    )
    queries = {
        "users": StreamQuery(
            columns="user_id, account_id, account_name, account_type, currency, "
            "is_in_shadow_mode, created_at, updated_at",
            source="users",
            marker="updated_at",
            key="user_id",
            marker_field="updated_at",
            key_field="user_id",
        ),
        "sessions": StreamQuery(
            columns="session_id, user_id, session_mode, device_id, "
            "host(ip_address) AS ip_address, user_agent, created_at, expires_at, last_activity",
            source="sessions",
            marker="last_activity",
            key="session_id",
            marker_field="last_activity",
            key_field="session_id",
        ),
        "security_alerts": StreamQuery(
            columns="alert_id, user_id, session_id, alert_type, severity, device_id, "
            "alert_status, created_at, resolved_at",
            source="security_alerts",
            marker="created_at",
            key="alert_id",
            marker_field="created_at",
            key_field="alert_id",
        ),
    }

    def transform(self, entity: str, raw: dict[str, Any]) -> Record:
        return build_record(self.source_system, _TRANSFORMS, entity, raw)


def _customer(f: Fields) -> CustomerRecord:
    return CustomerRecord(
        source_system="channel",
        source_customer_id=f.key("user_id"),
        full_name=(f.text("account_name") or "").strip() or None,
        national_id=None,
        # account_id is the MSISDN (254712345678); identity resolution normalizes it.
        phone=f.key("account_id"),
        email=None,
        date_of_birth=None,
        is_active=True,
        created_at=f.timestamp("created_at"),
        updated_at=f.timestamp_req("updated_at"),
    )


def _login(f: Fields) -> LoginRecord:
    return LoginRecord(
        source_system="channel",
        source_session_id=f.key("session_id"),
        source_customer_id=f.key("user_id"),
        login_at=f.timestamp_req("created_at"),
        last_activity=f.timestamp("last_activity"),
        device_id=f.text("device_id"),
        ip_address=f.text("ip_address"),
        user_agent=f.text("user_agent"),
        session_mode=f.text("session_mode"),
    )


def _alert(f: Fields) -> AlertRecord:
    return AlertRecord(
        source_system="channel",
        source_alert_id=f.key("alert_id"),
        source_customer_id=f.text("user_id"),
        alert_type=f.key("alert_type").strip().upper(),
        severity=f.key("severity").strip().upper(),
        status=f.key("alert_status").strip().upper(),
        device_id=f.text("device_id"),
        raised_at=f.timestamp_req("created_at"),
        resolved_at=f.timestamp("resolved_at"),
    )


_TRANSFORMS = {"customer": _customer, "login": _login, "alert": _alert}
