"""Helpers for the lock and semaphore tests: waiting for a condition, the holds' threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar('T')

#: The names the background threads of a hold start with.
HOLD_THREADS = ('consulate-renew ', 'consulate-monitor ')


def eventually(check: Callable[[], T], timeout: float = 10.0, interval: float = 0.02) -> T:
    """Call ``check`` until it returns something true, and return that; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f'not true within {timeout}s: {check}'
        time.sleep(interval)


def hold_threads() -> list[str]:
    """The names of the renewal and monitor threads now running in this process."""
    return sorted(t.name for t in threading.enumerate() if t.name.startswith(HOLD_THREADS))


class Calls:
    """A callback that counts its calls and notes, at each, what ``probe`` returned."""

    def __init__(self, probe: Callable[[], object] = lambda: None) -> None:
        self.probe = probe
        self.seen: list[object] = []
        self.called = threading.Event()

    def __call__(self) -> None:
        self.seen.append(self.probe())
        self.called.set()
