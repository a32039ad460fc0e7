"""Waiting for something Consul does in the background, without fixed sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar('T')


def eventually(probe: Callable[[], T], timeout: float = 10.0, interval: float = 0.02) -> T:
    """Poll ``probe`` until it returns something truthy, and return it; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f'still {value!r} after {timeout}s')
        time.sleep(interval)


def within(seconds: float, probe: Callable[[], object], interval: float = 0.01) -> float:
    """How long ``probe`` took to become truthy; fail if that is more than ``seconds``."""
    started = time.monotonic()
    while not probe():
        elapsed = time.monotonic() - started
        if elapsed > seconds:
            raise AssertionError(f'not within {seconds}s')
        time.sleep(interval)
    return time.monotonic() - started
