"""Identity grouping at scale, without the pipeline: do false merges appear as the bank grows?

    python bench/identity_scale.py [--population 100000] [--seeds 1 2 3]

The rows of a synthetic population go through the real connectors' transforms and normalization
and the pure grouping function (`app.identity.clustering.cluster`) that the pipeline applies per
connected component; `bench/accuracy.py` shows at 20,000 people that the pipeline's result is the
same. Prints pairwise precision, recall, false merges (those across two national IDs must be 0), the
typo duplicates merged, the suspected duplicates left for review, and the missed pairs by hard
case per seed, in bench/results/identity_scale.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

from report import save  # bench/report.py: scripts run from bench/

from app.identity.clustering import SHARED_LIMIT, cluster
from app.identity.component import node_of
from connectors.channel import ChannelConnector
from connectors.core import CoreConnector
from sandbox.accuracy import pairwise_scores, typo_pairs
from sandbox.population import Population, generate_population

NOW = datetime.now(UTC)


def _as_read(row: dict[str, Any], stamps: tuple[str, str]) -> dict[str, Any]:
    """A generated row as the connector reads it: UUIDs as text, change times set."""
    read = {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in row.items()}
    return read | dict.fromkeys(stamps, NOW)


def run(population: Population) -> dict[str, Any]:
    # transforms read no database: the connectors need no reachable source here
    core, channel = CoreConnector("sqlite://"), ChannelConnector("sqlite://")
    records = [
        core.transform("customer", _as_read(c, ("CreatedAt", "UpdatedAt")))
        for c in population.core_customers
    ]
    records += [
        channel.transform("customer", _as_read(u, ("created_at", "updated_at")))
        for u in population.channel_users
    ]
    nodes = [node_of(r) for r in records]
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for node in nodes:
        for identifier in node.soft_identifiers():
            if node.national_id:
                holders[identifier].add(node.national_id)
    shared = {i for i, ids in holders.items() if len(ids) > SHARED_LIMIT}
    started = time.monotonic()
    result = cluster(nodes, shared)
    seconds = time.monotonic() - started
    predicted = {key: n for n, keys in enumerate(result.clusters) for key in keys}
    national_ids = {node.key: node.national_id for node in nodes}
    scores = pairwise_scores(population.truth, predicted, national_ids)
    typos = typo_pairs(population.truth, predicted, national_ids)
    case_of = {pid: case for case, pids in population.cases.items() for pid in pids}
    by_person: dict[int, list] = defaultdict(list)
    for key, person in population.truth.items():
        by_person[person].append(key)
    missed: Counter[str] = Counter()
    for person, keys in by_person.items():
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                if predicted[a] != predicted[b]:
                    missed[case_of.get(person, "ordinary")] += 1
    return {
        **dataclasses.asdict(scores),
        "typo_pairs": typos.true,
        "typo_pairs_merged": typos.merged,
        "suspected_duplicates": len(result.suspected),
        "records": len(nodes),
        "cluster_seconds": round(seconds, 1),
        "missed_pairs_by_case": dict(missed.most_common()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=100000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    runs = []
    for seed in args.seeds:
        report = run(generate_population(args.population, seed))
        runs.append({"people": args.population, "seed": seed, **report})
        print(json.dumps(runs[-1]))
    save("identity_scale", {"runs": runs})


if __name__ == "__main__":
    main()
