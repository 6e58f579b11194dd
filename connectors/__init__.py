"""Source connectors: one per source system the Enterprise Brain reads."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from connectors.base import Connector
from connectors.channel import ChannelConnector
from connectors.core import CoreConnector
from connectors.core_v1 import CoreV1Connector
from connectors.dfs import DfsConnector
from connectors.fraud import FraudConnector
from connectors.global_wallets import GlobalConnector
from connectors.openbanking import OpenBankingConnector

CONNECTORS: dict[str, type[Connector]] = {
    "core": CoreConnector,
    "channel": ChannelConnector,
    "fraud": FraudConnector,
    "dfs": DfsConnector,
    "core_v1": CoreV1Connector,
    "openbanking": OpenBankingConnector,
    "global": GlobalConnector,
}


def get_connector(source_system: str, url: str, time_zone: str | None = None) -> Connector:
    """A connector for `source_system` reading the database at `url`; `time_zone` (an IANA
    name) is what the source's naive times mean, when not the connector's default."""
    try:
        connector = CONNECTORS[source_system]
    except KeyError:
        known = ", ".join(sorted(CONNECTORS))
        raise ValueError(f"unknown source system {source_system!r} (known: {known})") from None
    return connector(url, time_zone=ZoneInfo(time_zone) if time_zone else None)


def reads_on_scan_schedule(source_system: str) -> bool:
    """Whether the source has streams read on the slower scan schedule (digest scans, or a
    change stream whose marker has no index)."""
    connector = CONNECTORS[source_system]
    return bool(connector.scans) or any(stream.slow for stream in connector.streams)
