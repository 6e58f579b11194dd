"""What the access log costs a read: `GET /customer/{id}` at saturation through gunicorn (2
workers) driven by wrk on this machine, with the access log as it runs, and with the same app
whose log write is replaced by nothing (the baseline; bench only). Runs alternate, so drift on
the shared machine falls on both. Also reports what an entry costs on disk.

    python bench/access_log.py [--customers 20000] [--seconds 20] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from brain_population import build  # bench/brain_population.py
from report import save  # bench/report.py: scripts run from bench/
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import db  # noqa: E402
from app.access.keys import create_key  # noqa: E402
from app.config import Settings  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.waiting import wait_until  # noqa: E402

WRK_SCRIPT = """
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/customer/" .. ids[math.random(#ids)],
                    {["Authorization"] = "Bearer %(key)s"})
end
"""


def serve(log: bool = True):
    """The API as gunicorn runs it; without its access-log write for the baseline."""
    import app.access.auth as auth
    from app import create_app

    if not log:
        auth.record_access = lambda *args, **kwargs: True  # "written"
    return create_app()


def run_wrk(url: str, script: Path, seconds: int) -> dict[str, float]:
    output = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latencies = {
        p: _ms(re.search(rf"\s{p}%\s+([\d.]+\w+)", output).group(1)) for p in ("50", "90", "99")
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_s": rate,
        **{f"p{p}_ms": v for p, v in latencies.items()},
        "errors": int(errors.group(1)) if errors else 0,
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")

    url = db.sibling_url(Settings.from_env().database_url, "_bench_access")
    db.recreate_database(url)
    upgrade(url)
    build(url, args.customers, transactions=10)
    engine = create_engine(url)
    db.set_engine(engine)
    with engine.begin() as conn:
        key = create_key(conn, "bench-reader", ["read"])
        ids = conn.execute(text("SELECT global_customer_id FROM customer_360")).scalars().all()
    work = Path(tempfile.mkdtemp(prefix="c360-bench-access-"))
    (work / "ids").write_text("\n".join(str(i) for i in ids) + "\n")
    script = work / "profile.lua"
    script.write_text(WRK_SCRIPT % {"ids": work / "ids", "key": key})

    results: dict[str, list[dict[str, float]]] = {"with_log": [], "without_log": []}
    for _ in range(args.rounds):
        for mode in ("without_log", "with_log"):
            results[mode].append(
                _measure(mode == "with_log", url, script, args.seconds, key, ids[0])
            )
    with engine.connect() as conn:
        entries = conn.execute(text("SELECT count(*) FROM access_log")).scalar_one()
        size = conn.execute(text("SELECT pg_total_relation_size('access_log')")).scalar_one()
    report = {
        "customers": args.customers,
        "seconds_per_run": args.seconds,
        "with_log": _summary(results["with_log"]),
        "without_log": _summary(results["without_log"]),
        "runs": results,
        "access_log_entries": entries,
        "bytes_per_entry": round(size / max(entries, 1), 1),
    }
    with_log, without = report["with_log"], report["without_log"]
    report["rate_cost_percent"] = round(
        100 * (1 - with_log["requests_per_s"] / without["requests_per_s"]), 1
    )
    print(
        f"GET /customer/{{id}} over {args.customers:,} profiles, wrk -c8, gunicorn 2 workers:\n"
        f"  without the access log: {without['requests_per_s']:.0f} req/s, "
        f"p50 {without['p50_ms']:.1f} ms, p99 {without['p99_ms']:.1f} ms\n"
        f"  with the access log:    {with_log['requests_per_s']:.0f} req/s, "
        f"p50 {with_log['p50_ms']:.1f} ms, p99 {with_log['p99_ms']:.1f} ms\n"
        f"  cost: {report['rate_cost_percent']}% of the saturated rate; "
        f"{report['bytes_per_entry']:.0f} bytes per entry on disk "
        f"({entries:,} entries, indexes included)"
    )
    print(f"saved to {save('access_log', report)}")
    db.set_engine(None)
    engine.dispose()


def _measure(log: bool, url: str, script: Path, seconds: int, key: str, probe: object) -> dict:
    port = 18000 + (1 if log else 0)
    env = {**os.environ, "C360_DATABASE_URL": url, "C360_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", f"access_log:serve(log={log})",
            "--pythonpath", str(ROOT / "bench"), "--bind", f"127.0.0.1:{port}",
            "--workers", "2", "--log-level", "warning",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        request = urllib.request.Request(
            f"{base}/customer/{probe}", headers={"Authorization": f"Bearer {key}"}
        )
        wait_until(lambda: _answers(request), timeout=30, interval=0.2, what="gunicorn to answer")
        time.sleep(1)
        return run_wrk(base, script, seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _answers(request: urllib.request.Request) -> bool:
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _summary(runs: list[dict[str, float]]) -> dict[str, float]:
    return {name: round(statistics.median(r[name] for r in runs), 2) for name in runs[0]}


if __name__ == "__main__":
    main()
