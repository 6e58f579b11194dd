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
# behind an explicit prefix, the seed data's short registry numbers (KE-ID-00001, RTID...)
_PREFIXED_ID = re.compile(r"\b(?:KE-ID-|RTID|ID)\d{3,}\b", re.IGNORECASE)
# a passport number: one or two letters and six to eight digits (A1234567, AB123456)
_PASSPORT = re.compile(r"\b[A-Z]{1,2}\d{6,8}\b")
# a password inside a connection URL (postgresql+psycopg://user:secret@host/db)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")
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
    """Mask anything that looks like an email, phone number, national ID or passport number in
    free text, and the password of a connection URL."""
    text = _URL_PASSWORD.sub(r"\1***@", text)
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    text = _PHONE.sub(lambda m: m.group(0) if _DATE.match(m.group(0)) else mask(m.group(0)), text)
    text = _PREFIXED_ID.sub(lambda m: mask(m.group(0)) or "", text)
    text = _PASSPORT.sub(lambda m: mask(m.group(0)) or "", text)
    return _NATIONAL_ID.sub(lambda m: mask(m.group(0)) or "", text)


_QUOTED = re.compile(r"'[^']*'")


def mask_reason(text: str) -> str:
    """A quarantine reason for a log or a terminal: it quotes the value it could not read
    ("unreadable phone '07123'"), which may be personal however short or malformed, so every
    quoted value goes, then the rest is masked like any text."""
    return mask_text(_QUOTED.sub("'***'", text))


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
    """Any field, whatever its type: text masked, containers masked item by item, anything
    else (an exception, an object) masked as the text it would be written as."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {str(k): _mask_field(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask_field(v) for v in value]
    return mask_text(str(value))


class MaskingFilter(logging.Filter):
    """For loggers that are not ours (Celery's worker and beat, task-failure tracebacks): the
    message, its arguments and any traceback are masked before a handler formats them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


def mask_handlers(logger: logging.Logger) -> None:
    """Put the masking filter on every handler of `logger` (idempotent)."""
    for handler in logger.handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())


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
