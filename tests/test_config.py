"""Which sources are polled: a deployment's named ones, or the demo sources `c360 sources create`
recorded."""

from pathlib import Path

from app.celeryconfig import celery_config
from app.config import (
    SOURCE_SYSTEMS,
    Settings,
    configured_sources,
    demo_sources_file,
    recorded_demo_sources,
)
from sandbox.sources import demo_source_urls, record_demo_sources

DB = "postgresql+psycopg://postgres@127.0.0.1:5432/c360"


def test_a_deployment_polls_only_the_sources_it_names():
    env = {
        "C360_SOURCE_CORE_URL": "postgresql+psycopg://bank/core",
        "C360_SOURCE_CHANNEL_URL": "postgresql+psycopg://bank/salama",
        "C360_SOURCE_FRAUD_URL": "sqlite:////data/risk_management.db",
    }
    # dfs is left unset: never a silent demo default in a deployment
    assert configured_sources(env, demo_source_urls(DB, Path())) == {
        "core": "postgresql+psycopg://bank/core",
        "channel": "postgresql+psycopg://bank/salama",
        "fraud": "sqlite:////data/risk_management.db",
    }


def test_the_demo_uses_the_recorded_demo_sources_but_one_set_empty(tmp_path, monkeypatch):
    monkeypatch.setenv("C360_HOME", str(tmp_path))
    assert configured_sources({}, recorded_demo_sources()) == {}  # none created yet
    demo = demo_source_urls(DB, tmp_path)
    record_demo_sources({n: u for n, u in demo.items() if n != "dfs"}, demo_sources_file())
    sources = configured_sources({}, recorded_demo_sources())
    assert set(sources) == set(SOURCE_SYSTEMS) - {"dfs"}
    assert sources["core"].endswith("/c360_src_core")
    assert sources["channel"].endswith("/c360_src_channel")
    assert sources["fraud"] == f"sqlite:///{tmp_path / 'fraud.db'}"
    without_fraud = configured_sources({"C360_SOURCE_FRAUD_URL": ""}, recorded_demo_sources())
    assert "fraud" not in without_fraud and "core" in without_fraud


def test_beat_polls_only_the_configured_sources():
    env = {"C360_SOURCE_CORE_URL": "postgresql+psycopg://bank/core"}
    settings = Settings(
        database_url=DB, redis_url="redis://x", source_urls=configured_sources(env, {})
    )
    schedule = celery_config(settings)["beat_schedule"]
    assert [name for name in schedule if name.startswith(("extract-", "scan-"))] == ["extract-core"]
    fraud = Settings(database_url=DB, redis_url="redis://x", source_urls={"fraud": "sqlite://"})
    # fraud's updated_at (no index at the source) is read on the scan schedule
    assert "scan-fraud" in celery_config(fraud)["beat_schedule"]


def test_task_names_are_pinned_for_routes_beat_and_queued_messages():
    import tasks

    names = set(tasks.celery.tasks)
    config = celery_config(Settings(database_url=DB, redis_url="redis://x"))
    routed = {name for name in config["task_routes"] if "*" not in name}
    scheduled = {entry["task"] for entry in config["beat_schedule"].values()}
    expected = {
        "tasks.extract.extract_source",
        "tasks.extract.scan_source",
        "tasks.extract.backfill_source",
        "tasks.extract.start_backfill",
        "tasks.extract.sweep_stalled_batches",
        "tasks.pipeline.match_batch",
        "tasks.pipeline.upsert_batch",
        "tasks.pipeline.update_risk",
    }
    assert expected <= names
    assert routed | scheduled <= names


def test_every_list_of_sources_derives_from_the_connectors_registry():
    from app.customer.survivorship import SOURCE_TRUST
    from connectors import CONNECTORS
    from sandbox.sources import DEMO_SOURCES

    assert SOURCE_SYSTEMS == DEMO_SOURCES == tuple(CONNECTORS)
    # every source holding people ranks in survivorship, and no other
    holding_people = {
        name
        for name, connector in CONNECTORS.items()
        if any(stream.entity == "customer" for stream in connector.streams)
    }
    assert set(SOURCE_TRUST) == holding_people
