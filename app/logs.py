"""Structured (JSON) logs with personal data masked before anything is written."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime
from typing import Any

_PHONE = re.compile(r"(?<![\w-])\+?\d[\d \-]{6,}\d(?!\w)")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+)")
_NATIONAL_ID = re.compile(r"\b(?:ID|KE-ID-)?\d{7,8}\b")
# A date (and its hour) is no phone number, though its digits and dashes look like one.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def mask(value: str | None) -> str | None:
    """Keep the last 3 characters of an identifier: enough to tell records apart in a log."""
    if value is None:
        return None
    value = str(value)
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    return "***" + value[-3:] if len(value) > 3 else "***"


def mask_text(text: str) -> str:
    """Mask anything that looks like an email, phone number or national ID in free text."""
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    text = _PHONE.sub(lambda m: m.group(0) if _DATE.match(m.group(0)) else mask(m.group(0)), text)
    return _NATIONAL_ID.sub(lambda m: mask(m.group(0)) or "", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "event": mask_text(record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if fields:
            entry.update({k: _mask_field(v) for k, v in fields.items()})
        if record.exc_info:
            entry["exc"] = mask_text(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


def _mask_field(value: Any) -> Any:
    return mask_text(value) if isinstance(value, str) else value


def configure_logging() -> None:
    """JSON lines on stderr for the `c360` loggers (idempotent)."""
    logger = logging.getLogger("c360")
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(os.environ.get("C360_LOG_LEVEL", "INFO"))
    logger.propagate = False


def log_event(logger: logging.Logger, event: str, **fields: Any) -> None:
    """Log one structured event; string fields are masked like the message."""
    logger.info(event, extra={"fields": fields})
