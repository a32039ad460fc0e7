"""Helpers for the lock and semaphore tests: the holds' threads, callbacks that count."""

from __future__ import annotations

import threading
from collections.abc import Callable

from tests.support.polling import eventually

__all__ = ['HOLD_THREADS', 'Calls', 'eventually', 'hold_threads']

#: The names the background threads of a hold start with.
HOLD_THREADS = ('consulate-renew ', 'consulate-monitor ')


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
