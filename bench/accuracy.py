"""Identity accuracy at scale: a synthetic population through the real pipeline, and FEBRL4.

    python bench/accuracy.py [--population 20000] [--seeds 1 2 3] [--group] [--no-febrl]

With --group the people are also spread over core_v1, openbanking and global, and the scores
per pair of sources show how well each system is joined to the others.

Prints pairwise precision, recall, F1, false merges (and those across two national IDs), the
pairs that share any evidence at all (the ceiling for a matcher that needs evidence), and
writes bench/results/accuracy.json. Runs on scratch databases beside the Enterprise Brain.
"""

from __future__ import annotations

import argparse
import dataclasses
import json

from report import save  # bench/report.py: scripts run from bench/

from app.config import Settings
from sandbox.evaluation import evaluate_febrl, evaluate_population


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=20000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--group", action="store_true", help="also core_v1, openbanking, global")
    parser.add_argument("--no-febrl", dest="febrl", action="store_false")
    args = parser.parse_args()
    base = Settings.from_env().database_url
    runs = []
    for seed in args.seeds:
        scores, details = evaluate_population(
            base, args.population, seed, timeout=3600, group=args.group
        )
        runs.append({"data": "population", "seed": seed, **dataclasses.asdict(scores), **details})
        print(json.dumps(runs[-1]))
    if args.febrl:
        scores, details = evaluate_febrl(base)
        runs.append({"data": "febrl4", **dataclasses.asdict(scores), **details})
        print(json.dumps(runs[-1]))
    save("accuracy_group" if args.group else "accuracy", {"runs": runs})


if __name__ == "__main__":
    main()
