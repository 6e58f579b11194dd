"""Settings read from the environment (the C360_* variables: docs/operations.md)."""

from __future__ import annotations

import os
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
    # RabbitMQ for events in (`c360 consume`); "": no AMQP, the HTTP intake still works
    amqp_url: str = ""
    # webhooks: a failing receiver is retried with backoff (doubling, up to the longest wait)
    # for this long, then parked; outbound events are kept this long for the feed and replays
    webhook_retry_seconds: float = 86400.0
    webhook_longest_wait_seconds: float = 600.0
    event_retention_days: float = 7.0

    @classmethod
    def from_env(cls) -> Settings:
        """Read the environment, filling unset service URLs from the embedded services' file."""
        env = dict(os.environ)
        embedded = read_env_file(embedded_env_file())
        database_url = env.get("C360_DATABASE_URL") or embedded.get("C360_DATABASE_URL", "")
        redis_url = env.get("C360_REDIS_URL") or embedded.get("C360_REDIS_URL", "")
        keys = env.get("C360_API_KEYS") or embedded.get("C360_API_KEYS", "")
        return cls(
            database_url=database_url,
            redis_url=redis_url,
            read_database_url=env.get("C360_READ_DATABASE_URL", ""),
            source_urls=configured_sources(env, recorded_demo_sources()),
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
            amqp_url=env.get("C360_AMQP_URL", ""),
            webhook_retry_seconds=float(env.get("C360_WEBHOOK_RETRY_SECONDS", "86400")),
            webhook_longest_wait_seconds=float(env.get("C360_WEBHOOK_LONGEST_WAIT_SECONDS", "600")),
            event_retention_days=float(env.get("C360_EVENT_RETENTION_DAYS", "7")),
            source_time_zones={
                name: env[f"C360_SOURCE_{name.upper()}_TIMEZONE"]
                for name in SOURCE_SYSTEMS
                if env.get(f"C360_SOURCE_{name.upper()}_TIMEZONE")
            },
        )


def configured_sources(env: dict[str, str], demo: dict[str, str]) -> dict[str, str]:
    """{source: URL} of the sources to poll. A deployment names its sources: once any
    `C360_SOURCE_*_URL` is set, only the sources given a URL are polled, so a source left out
    never falls back to a demo database. With none set (the demo), the sources `c360 sources
    create` recorded (`demo`) are used (an empty value still leaves one out)."""
    keys = {name: source_url_variable(name) for name in SOURCE_SYSTEMS}
    deployment = any(env.get(key) for key in keys.values())
    sources = {}
    for name, key in keys.items():
        url = env.get(key, "") if key in env or deployment else demo.get(name, "")
        if url:
            sources[name] = url
    return sources


def source_url_variable(source: str) -> str:
    return f"C360_SOURCE_{source.upper()}_URL"


def recorded_demo_sources() -> dict[str, str]:
    """{source: URL} of the demo sources `c360 sources create` made here."""
    values = read_env_file(demo_sources_file())
    return {n: values[v] for n in SOURCE_SYSTEMS if (v := source_url_variable(n)) in values}


def demo_sources_file() -> Path:
    """Where `c360 sources create` records the demo sources' URLs for every process to read."""
    return state_dir() / "sources"


def embedded_env_file() -> Path:
    return state_dir() / "env"


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines (`c360 services up` writes the embedded services' URLs so, `c360 sources
    create` the demo sources')."""
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values
