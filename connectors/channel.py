"""Digital channel security (Salama, PostgreSQL): MSISDN users, login sessions, security alerts.

Salama's times are `timestamp without time zone`: the values the application sets are UTC
(`DateTime.UtcNow`), columns left to `DEFAULT NOW()` take the database server's zone. They are
read in the source's configured zone (`C360_SOURCE_CHANNEL_TIMEZONE`, UTC by default); cursors
stay in the source's own naive time.

Alerts change in place: an analyst moves `alert_status` from Open to Acknowledged, Investigating
and Resolved while `created_at` never moves. New alerts are read by `created_at`; the alerts the
Enterprise Brain holds open are re-read by key every poll (`security_alerts_open`).

Secrets live beside the data: no query here selects `session_token`, `pin_hash`,
`plain_pin_encrypted`, `duress_code_hash` or the audit log's request and response data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from connectors._common import (
    OBSERVED_AT,
    BuildsRecords,
    Fields,
    StreamQuery,
    TimestampConnector,
)
from connectors.base import Stream, WatchStream
from connectors.records import AlertRecord, CustomerRecord, LoginRecord, Record


class ChannelConnector(BuildsRecords, TimestampConnector):
    source_system = "channel"
    naive_times = True
    streams = (
        Stream("users", "customer"),
        Stream("sessions", "login"),
        Stream("security_alerts", "alert", scan="security_alerts_open"),
    )
    watches = (WatchStream("security_alerts_open", "alert"),)
    watched = {"security_alerts_open": "security_alerts"}
    queries = {
        "users": StreamQuery(
            # not is_in_shadow_mode: duress is never read (Salama's "never reveal mode")
            columns="user_id, account_id, account_name, created_at, updated_at",
            source="users",
            marker="updated_at",
            key="user_id",
        ),
        # last_activity moves while the session is used; a session without one yet is
        # placed at its login
        "sessions": StreamQuery(
            columns="session_id, user_id, session_mode, device_id, "
            "host(ip_address) AS ip_address, user_agent, created_at, last_activity, "
            "COALESCE(last_activity, created_at) AS active_at",
            source="sessions",
            marker="COALESCE(last_activity, created_at)",
            key="session_id",
            marker_field="active_at",
        ),
        "security_alerts": StreamQuery(
            columns="alert_id, user_id, alert_type, severity, device_id, "
            "alert_status, created_at, acknowledged_at, resolved_at",
            source="security_alerts",
            marker="created_at",
            key="alert_id",
        ),
    }

    def builders(self) -> Mapping[str, Callable[[Fields], Record]]:
        return _TRANSFORMS


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
        updated_at=f.timestamp("updated_at") or f.timestamp_req(OBSERVED_AT),
    )


def _login(f: Fields) -> LoginRecord:
    return LoginRecord(
        source_system="channel",
        source_session_id=f.key("session_id"),
        source_customer_id=f.key("user_id"),
        login_at=f.timestamp("created_at") or f.timestamp_req("active_at"),
        last_activity=f.timestamp("last_activity"),
        device_id=f.text("device_id"),
        ip_address=f.text("ip_address"),
        user_agent=f.text("user_agent"),
        session_mode=f.text("session_mode"),
    )


def _alert(f: Fields) -> AlertRecord:
    raised = f.timestamp("created_at") or f.timestamp_req(OBSERVED_AT)
    return AlertRecord(
        source_system="channel",
        source_alert_id=f.key("alert_id"),
        source_customer_id=f.text("user_id"),
        alert_type=f.key("alert_type").strip().upper(),
        severity=f.key("severity").strip().upper(),
        # 'Open' by default in the source; written in any case by the analysts' tools
        status=(f.text("alert_status") or "Open").strip().upper(),
        device_id=f.text("device_id"),
        raised_at=raised,
        acknowledged_at=f.timestamp("acknowledged_at"),
        resolved_at=f.timestamp("resolved_at"),
        # rows staged before reads were timed fall back on their own time
        observed_at=f.timestamp(OBSERVED_AT) or raised,
    )


_TRANSFORMS: dict[str, Callable[[Fields], Record]] = {
    "customer": _customer,
    "login": _login,
    "alert": _alert,
}
