"""Waiting for something to become true (a service up, a batch landed), with tenacity rather
than a hand-written loop around time.sleep."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TypeVar

from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_fixed

T = TypeVar("T")


def wait_until(
    check: Callable[[], T], *, timeout: float, interval: float = 0.2, what: str = "a condition"
) -> T:
    """The first truthy result of `check()`, called every `interval` seconds; TimeoutError after
    `timeout` seconds. An exception from `check` is not waited out: it propagates."""
    retrying = Retrying(
        stop=stop_after_delay(timeout),
        wait=wait_fixed(interval),
        retry=retry_if_result(operator.not_),
    )
    try:
        return retrying(check)
    except RetryError:
        raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}") from None
