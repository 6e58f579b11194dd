"""What one API request costs the API's process, in instructions: repeatable whatever the
machine's speed (this machine kind's speed drifts within an hour, so requests per second compare
only runs made together; docs/scale.md).

The app answers `GET /customer/{id}` (or the look-up `POST /customers/search` by national ID)
in process, through Flask's WSGI entry, against the database `bench/million_profiles.py`
built, under valgrind's callgrind, which counts the instructions the process runs (PostgreSQL's
work is not in them; gunicorn's is not either). Two runs, after the same warm-up, one making
no measured requests and one making N: their difference over N is one request's cost.

    python bench/million_profiles.py   (once, to build the database)
    python bench/api_instructions.py [--kind profile|search] [--requests 200]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from report import save  # bench/report.py: scripts run from bench/
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import db  # noqa: E402
from app.access.keys import create_key  # noqa: E402
from app.config import Settings  # noqa: E402

WARM_UP = 50


def serve(kind: str, key: str, values: list[str], measured: int) -> None:
    """The requests, in this process (the child valgrind runs)."""
    from werkzeug.test import EnvironBuilder

    from app import create_app

    app = create_app()
    headers = {"Authorization": f"Bearer {key}"}

    def environ(value: str) -> dict:
        if kind == "profile":
            return EnvironBuilder(path=f"/customer/{value}", headers=headers).get_environ()
        body = json.dumps({"national_id": value})
        return EnvironBuilder(
            path="/customers/search",
            method="POST",
            headers=headers,
            data=body,
            content_type="application/json",
        ).get_environ()

    def start_response(status: str, *_: object) -> None:
        if not status.startswith("200"):
            raise SystemExit(f"{kind} answered {status}")

    # every run builds every request (the same work in both), and answers only its own
    environs = [environ(value) for value in values]
    for request in environs[: WARM_UP + measured]:
        b"".join(app.wsgi_app(request, start_response))


def instructions(command: list[str]) -> int:
    output = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    return int(re.search(r"Collected : (\d+)", output).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kind", choices=("profile", "search"), default="profile")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)  # the child: values file, n
    args = parser.parse_args()
    if args.serve:
        values_file, measured = args.serve
        key, *values = Path(values_file).read_text().split("\n")
        serve(args.kind, key, values, int(measured))
        return
    if not shutil.which("valgrind"):
        sys.exit("valgrind is needed: apt-get install valgrind")

    url = db.sibling_url(Settings.from_env().database_url, "_bench_million")
    engine = create_engine(url)
    column = "global_customer_id" if args.kind == "profile" else "national_id"
    with engine.begin() as conn:
        key = create_key(conn, f"bench-instructions-{os.getpid()}", ["read"])
        values = (
            conn.execute(
                text(
                    f"SELECT {column}::text FROM customer_360 TABLESAMPLE SYSTEM (1)"
                    f" WHERE {column} IS NOT NULL LIMIT :n"
                ),
                {"n": WARM_UP + args.requests},
            )
            .scalars()
            .all()
        )
    engine.dispose()
    if len(values) < WARM_UP + args.requests:
        sys.exit(f"{url} holds too few profiles: run bench/million_profiles.py first")
    values_file = Path(tempfile.mkdtemp(prefix="c360-bench-instructions-")) / "values"
    values_file.write_text("\n".join([key, *values]))
    os.environ.update({"C360_DATABASE_URL": url, "C360_LOG_LEVEL": "WARNING"})
    child = [sys.executable, __file__, "--kind", args.kind, "--serve", str(values_file)]
    baseline = instructions([*child, "0"])
    measured = instructions([*child, str(args.requests)])
    report = {
        "kind": args.kind,
        "requests": args.requests,
        "instructions_per_request": round((measured - baseline) / args.requests),
    }
    print(json.dumps(report, indent=2))
    print(f"saved to {save(f'api_instructions_{args.kind}', report)}")


if __name__ == "__main__":
    main()
