"""Settings read from the environment (the C360_* variables: docs/operations.md)."""

from __future__ import annotations

import functools
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from connectors import CONNECTORS

# the source systems, as the connectors registry names them: every list of sources derives
# from it
SOURCE_SYSTEMS = tuple(CONNECTORS)


def state_dir() -> Path:
    """Where embedded services, the demo sources and the generated API key live."""
    return Path(os.environ.get("C360_HOME", Path.cwd() / ".c360")).resolve()


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    # a streaming replica of database_url for the API's customer reads ("": the primary)
    read_database_url: str = ""
    source_urls: dict[str, str] = field(default_factory=dict)
    poll_interval: float = 1.0
    lookback_seconds: float = 10.0
    page_size: int = 5000
    api_keys: tuple[str, ...] = ()
    # the sweeper re-queues batches that made no progress for this long (lost messages)
    sweep_after_seconds: float = 60.0
    sweep_interval: float = 30.0
    # sources without change markers (dfs): how often their tables are digest-scanned
    scan_interval: float = 15.0
    scan_chunk_size: int = 1000
    # what each source's naive times mean (IANA zone), where not the connector's default
    source_time_zones: dict[str, str] = field(default_factory=dict)
    # retention: raw staged rows after their batch is done, a quarantined row's raw copy after
    # its entry is resolved, access-log entries; the purge runs every purge_interval seconds
    raw_retention_days: float = 3.0
    quarantine_retention_days: float = 30.0
    access_log_retention_days: float = 730.0
    # done batches' rows, once their raw rows are gone, fold into per-source totals after this
    batch_retention_days: float = 30.0
    purge_interval: float = 3600.0
    # how often beat checks the planner's statistics and analyzes the tables due; 0: the Brain
    # never analyzes (no check by beat, after a batch or hourly), its DBA does
    statistics_interval: float = 10.0
    # proxies in front of the API whose X-Forwarded-For is trusted (the access log's "from where")
    proxy_hops: int = 0

    @classmethod
    def from_env(cls) -> Settings:
        """Read the environment, filling unset service URLs from the embedded services' file."""
        env = dict(os.environ)
        embedded = _read_embedded_env()
        database_url = env.get("C360_DATABASE_URL") or embedded.get("C360_DATABASE_URL", "")
        redis_url = env.get("C360_REDIS_URL") or embedded.get("C360_REDIS_URL", "")
        keys = env.get("C360_API_KEYS") or embedded.get("C360_API_KEYS", "")
        return cls(
            database_url=database_url,
            redis_url=redis_url,
            read_database_url=env.get("C360_READ_DATABASE_URL", ""),
            source_urls=configured_sources(env, database_url),
            poll_interval=float(env.get("C360_POLL_INTERVAL", "1")),
            lookback_seconds=float(env.get("C360_LOOKBACK_SECONDS", "10")),
            page_size=int(env.get("C360_PAGE_SIZE", "5000")),
            sweep_after_seconds=float(env.get("C360_SWEEP_AFTER_SECONDS", "60")),
            sweep_interval=float(env.get("C360_SWEEP_INTERVAL", "30")),
            scan_interval=float(env.get("C360_SCAN_INTERVAL", "15")),
            scan_chunk_size=int(env.get("C360_SCAN_CHUNK_SIZE", "1000")),
            api_keys=tuple(k.strip() for k in keys.split(",") if k.strip()),
            raw_retention_days=float(env.get("C360_RAW_RETENTION_DAYS", "3")),
            quarantine_retention_days=float(env.get("C360_QUARANTINE_RETENTION_DAYS", "30")),
            access_log_retention_days=float(env.get("C360_ACCESS_LOG_RETENTION_DAYS", "730")),
            batch_retention_days=float(env.get("C360_BATCH_RETENTION_DAYS", "30")),
            purge_interval=float(env.get("C360_PURGE_INTERVAL", "3600")),
            statistics_interval=float(env.get("C360_STATISTICS_INTERVAL", "10")),
            proxy_hops=int(env.get("C360_PROXY_HOPS", "0")),
            source_time_zones={
                name: env[f"C360_SOURCE_{name.upper()}_TIMEZONE"]
                for name in SOURCE_SYSTEMS
                if env.get(f"C360_SOURCE_{name.upper()}_TIMEZONE")
            },
        )


def configured_sources(env: dict[str, str], database_url: str) -> dict[str, str]:
    """{source: URL} of the sources to poll. A deployment names its sources: once any
    `C360_SOURCE_*_URL` is set, only the sources given a URL are polled, so a source left out
    never falls back to a demo database. With none set (the demo), every demo source is used
    (an empty value still leaves a demo source out)."""
    keys = {name: f"C360_SOURCE_{name.upper()}_URL" for name in SOURCE_SYSTEMS}
    deployment = any(env.get(key) for key in keys.values())
    sources = {}
    for name, key in keys.items():
        if key in env or deployment:
            url = env.get(key, "")
        else:
            url = demo_source_url(name, database_url)
        if url:
            sources[name] = url
    return sources


def demo_source_url(source: str, database_url: str) -> str:
    """The demo source systems live beside the Enterprise Brain: `<db>_src_core`, ... and SQLite."""
    if source == "fraud":
        return f"sqlite:///{state_dir() / 'fraud.db'}"
    if source in ("core", "channel", "core_v1", "openbanking", "global") and database_url:
        from sqlalchemy.engine import make_url

        url = make_url(database_url)
        return url.set(database=f"{url.database}_src_{source}").render_as_string(
            hide_password=False
        )
    if source == "dfs" and database_url and _local_mysql_listening():
        from sqlalchemy.engine import make_url

        name = f"{make_url(database_url).database}_src_dfs"
        return f"mysql+pymysql://root@127.0.0.1:3306/{name}"
    return ""


@functools.cache
def _local_mysql_listening() -> bool:
    """The demo includes dfs only where a MySQL/MariaDB answers on this machine."""
    try:
        with socket.create_connection(("127.0.0.1", 3306), timeout=0.5):
            return True
    except OSError:
        return False


def embedded_env_file() -> Path:
    return state_dir() / "env"


def _read_embedded_env() -> dict[str, str]:
    """`c360 services up` writes the embedded services' URLs here for every process to share."""
    path = embedded_env_file()
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values
