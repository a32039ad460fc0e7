"""Waiting for Consul to catch up: one polling helper with a deadline.

Much of what a test checks happens a moment after the call that caused it
(a check's status after a TTL update, a member's state after gossip, a
write reaching every server). A test polls for it with :func:`eventually`
instead of sleeping a fixed time, so it is quick on an idle machine and
still passes on a loaded one.

::

    eventually(lambda: consul.health.service(name, passing=True))
    health = eventually(lambda: consul.operator.autopilot.health(), timeout=30,
                        ignoring=(exceptions.ConsulateException,))
"""

from __future__ import annotations

import linecache
import os
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ['eventually', 'within']

T = TypeVar('T')


def eventually(
    probe: Callable[[], T | None],
    timeout: float = 10.0,
    *,
    interval: float = 0.05,
    ignoring: tuple[type[BaseException], ...] = (),
    what: str | None = None,
) -> T:
    """Call ``probe`` until it returns something truthy, and return that (never None).

    ``probe`` is called at once, then every ``interval`` seconds, and once
    more at the deadline, ``timeout`` seconds after the first call, so a slow
    probe still gets its last chance. An exception of a type in ``ignoring``
    counts as a falsy answer (an agent still starting); any other exception,
    an ``AssertionError`` included, propagates at once.

    :param what: what is awaited, for the failure message (default: the
        probe's name, or its source line for a lambda)
    :raises AssertionError: nothing truthy came back before the deadline;
        the message names what was awaited, the last answer (or exception)
        and how many tries were made; an ignored exception from the last
        try is the ``__cause__``
    """
    deadline = time.monotonic() + timeout
    tries = 0
    while True:
        tries += 1
        last_error: BaseException | None = None
        try:
            value = probe()
        except ignoring as error:
            last_error = error
        else:
            if value:
                return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            answer = f'raised {last_error!r}' if last_error is not None else f'returned {value!r}'
            raise AssertionError(
                f'{what or _describe(probe)} still not true after {timeout:g}s '
                f'({tries} tries); the last try {answer:.500}'
            ) from last_error
        time.sleep(min(interval, remaining))


def within(seconds: float, probe: Callable[[], object], interval: float = 0.01) -> float:
    """How long ``probe`` took to become truthy; fail if that is more than ``seconds``."""
    started = time.monotonic()
    while not probe():
        elapsed = time.monotonic() - started
        if elapsed > seconds:
            raise AssertionError(f'not within {seconds}s')
        time.sleep(interval)
    return time.monotonic() - started


def _describe(probe: Callable[[], object]) -> str:
    """A name for ``probe`` in a failure message: its name, or the source line of a lambda."""
    name = getattr(probe, '__qualname__', repr(probe))
    code = getattr(probe, '__code__', None)
    if '<lambda>' not in name or code is None:
        return name
    line = linecache.getline(code.co_filename, code.co_firstlineno).strip()
    where = f'{os.path.basename(code.co_filename)}:{code.co_firstlineno}'
    return f'{line!r} ({where})' if line else f'the lambda at {where}'
