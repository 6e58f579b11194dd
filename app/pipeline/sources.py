"""The one registry of source connectors in a process: a connector (and its connection pool)
per configured source, kept as long as the process lives. Extraction reads through it, and the
batch steps transform with the same connector (transforms use its configured time zone)."""

from __future__ import annotations

from functools import cache

from app.config import Settings
from connectors import get_connector
from connectors.base import Connector


class SourceNotConfigured(LookupError):
    """A source named by a task or a batch has no URL in this process's configuration."""


def source_connector(source_system: str, settings: Settings) -> Connector:
    url = settings.source_urls.get(source_system)
    if not url:
        configured = ", ".join(settings.source_urls) or "none"
        raise SourceNotConfigured(
            f"source {source_system!r} has no URL configured "
            f"(C360_SOURCE_{source_system.upper()}_URL; configured: {configured})"
        )
    return _connector(source_system, url, settings.source_time_zones.get(source_system))


@cache
def _connector(source_system: str, url: str, time_zone: str | None) -> Connector:
    return get_connector(source_system, url, time_zone)
