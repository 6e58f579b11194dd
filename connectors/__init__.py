"""Source connectors: one per source system the Enterprise Brain reads."""

from __future__ import annotations

from connectors.base import Connector
from connectors.channel import ChannelConnector
from connectors.core import CoreConnector
from connectors.dfs import DfsConnector
from connectors.fraud import FraudConnector

CONNECTORS: dict[str, type[Connector]] = {
    "core": CoreConnector,
    "channel": ChannelConnector,
    "fraud": FraudConnector,
    "dfs": DfsConnector,
}


def get_connector(source_system: str, url: str) -> Connector:
    """A connector for `source_system` reading the database at `url`."""
    try:
        connector = CONNECTORS[source_system]
    except KeyError:
        known = ", ".join(sorted(CONNECTORS))
        raise ValueError(f"unknown source system {source_system!r} (known: {known})") from None
    return connector(url)
