"""Where the benchmarks keep their last figures: bench/results/<name>.json (not committed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def save(name: str, report: dict[str, Any]) -> Path:
    """Write the report, stamped with when it was measured, and return its path."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    stamped = {"measured_at": datetime.now(UTC).isoformat(), **report}
    path.write_text(json.dumps(stamped, indent=2, default=str) + "\n")
    return path
