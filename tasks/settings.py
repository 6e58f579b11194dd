"""The settings a worker or beat process runs with: read from its environment once, then
passed down to the pipeline functions its tasks call."""

from __future__ import annotations

import functools

from app.config import Settings


@functools.cache
def current() -> Settings:
    return Settings.from_env()
