"""What a lock or a semaphore acquire returns: a hold on KV keys, kept alive and watched.

A :class:`Hold` owns one session. While it is held, two background threads
run: one renews the session every TTL/2, the other watches the hold's keys
with blocking queries, through the ordinary KV reads, and so notices within
about a second when the hold is gone: its key was deleted, another session
holds it, or its session was destroyed or invalidated (by a failing health
check, or by missing its renewals). Then :attr:`Hold.lost` is set,
:attr:`Hold.held` turns false, a warning is logged and the ``on_lost``
callback given to ``acquire`` is called, once. :meth:`Hold.release` stops
both threads; they never outlive a released hold by more than one short
blocking query.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from consulate import exceptions
from consulate.api.base import duration_seconds

if TYPE_CHECKING:
    from consulate.api.session import Session

__all__ = ['MONITOR_RETRIES', 'MONITOR_WAIT', 'Hold', 'Waiting']

LOGGER = logging.getLogger('consulate')

#: The longest blocking query the monitor makes, in seconds. Any change to the
#: watched keys (release() makes one) ends it at once.
MONITOR_WAIT = 5.0
#: Failed monitor reads in a row tolerated, one second apart, before the hold
#: counts as lost (as ``consul lock -monitor-retry``).
MONITOR_RETRIES = 3
#: The longest single blocking query made while waiting to acquire, in seconds.
MAX_WAIT = 60.0
#: How long :meth:`Hold.release` waits for each background thread to end.
_JOIN_TIMEOUT = 1.0

#: What ``on_lost`` is: called with no arguments.
LostCallback = Callable[[], object]


class Hold:
    """A lock or semaphore slot held by a session; a context manager that releases it on exit.

    Built by :meth:`consulate.api.lock.Lock.acquire` (a
    :class:`~consulate.api.lock.HeldLock`) and
    :meth:`consulate.api.semaphore.Semaphore.acquire` (a
    :class:`~consulate.api.semaphore.HeldSlot`), never directly.

    :ivar session_id: the session that holds it
    :ivar lost: a :class:`threading.Event` set when the hold is gone for any
        reason but :meth:`release`; wait on it, or poll ``lost.is_set()``
    """

    def __init__(
        self,
        session: Session,
        session_id: str,
        ttl: float,
        on_lost: LostCallback | None,
        name: str,
    ) -> None:
        self.session_id = session_id
        self.lost = threading.Event()
        self._session = session
        self._ttl = ttl
        self._on_lost = on_lost
        self._name = name
        self._why: str | None = None
        self._released = False
        self._pid = os.getpid()  # after fork() a child inherits this object, not the hold
        self._state = threading.Lock()
        self._stop = threading.Event()
        self._poll = session._adapter.long_poll()  # release() ends the monitor's query in flight
        self._threads = [
            threading.Thread(target=self._renew, name=f'consulate-renew {name}', daemon=True),
            threading.Thread(target=self._monitor, name=f'consulate-monitor {name}', daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def __repr__(self) -> str:
        state = 'lost' if self.lost.is_set() else ('released' if self._released else 'held')
        return f'<{type(self).__name__} {self._name!r} {state}>'

    def __enter__(self) -> Hold:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    @property
    def held(self) -> bool:
        """True until the hold is released or lost.

        Always False in a child process made by :func:`os.fork` after the
        hold was taken: the hold, and the threads keeping it, stay the parent's.
        """
        return os.getpid() == self._pid and not (self._released or self.lost.is_set())

    @property
    def lost_reason(self) -> str | None:
        """Why the hold was lost (``'its key was deleted'``...), or None while it is not."""
        return self._why

    def release(self) -> None:
        """Give the hold up, stop its background threads and destroy its session.

        Safe to call twice, and after the hold was lost (it then cleans up
        what is left). In a child process made by :func:`os.fork` it does
        nothing: the hold is the parent's.

        :raises consulate.exceptions.ConsulateException: Consul could not be
            reached; the session then ends by itself once its TTL runs out
        """
        if os.getpid() != self._pid:
            return
        with self._state:
            if self._released:
                return
            self._released = True
        self._stop.set()
        try:
            self._give_up()
        finally:
            try:
                self._session.destroy(self.session_id)
            finally:
                self._poll.close()
                self._join()

    # -- what a kind of hold defines ---------------------------------------------

    def _give_up(self) -> None:
        """Remove this hold's keys (or its entry) from KV; its session still exists."""
        raise NotImplementedError

    def _watch(self, index: int) -> tuple[str | None, int]:
        """Block on the hold's keys past ``index``; return (why it is lost or None, next index)."""
        raise NotImplementedError

    # -- the background threads ---------------------------------------------------

    def _lose(self, why: str) -> None:
        """Mark the hold lost (unless it was released), once, and call ``on_lost``."""
        with self._state:
            if self._released or self.lost.is_set():
                return
            self._why = why
            self.lost.set()
        self._stop.set()
        LOGGER.warning('lost %s: %s', self._name, why)
        if self._on_lost is not None:
            try:
                self._on_lost()
            except Exception:
                LOGGER.exception('the on_lost callback of %s raised', self._name)

    def _renew(self) -> None:
        """Renew the session every TTL/2; lose the hold once renewing has failed for a TTL."""
        last_success = time.monotonic()
        interval = self._ttl / 2
        while not self._stop.wait(interval):
            try:
                renewed = self._session.renew(self.session_id)
            except exceptions.NotFound:
                self._lose('its session expired or was destroyed')
                return
            except exceptions.ConsulateException as error:
                if time.monotonic() - last_success > self._ttl:
                    self._lose(f'renewing its session failed for {self._ttl:g}s: {error}')
                    return
                interval = 1.0
                continue
            last_success = time.monotonic()
            interval = duration_seconds(renewed.get('TTL') or self._ttl) / 2

    def _monitor(self) -> None:
        """Watch the hold's keys until it is released, or lose it when they are no longer ours."""
        index = 0
        failures = 0
        while not self._stop.is_set():
            try:
                with self._poll:
                    why, new_index = self._watch(index)
            except exceptions.ConsulateException as error:
                if self._poll.closed:
                    self._lose('its client was closed')  # nothing if release() closed the poll
                    return
                failures += 1
                if failures > MONITOR_RETRIES:
                    self._lose(f'watching it failed {failures} times: {error}')
                    return
                index = 0
                self._stop.wait(1.0)
                continue
            failures = 0
            if why is not None:
                self._lose(why)
                return
            # An index that goes backwards (a snapshot restore) starts over.
            index = new_index if new_index > index else 0 if new_index < index else index

    def _join(self) -> None:
        current = threading.current_thread()
        for thread in self._threads:
            if thread is not current:
                thread.join(_JOIN_TIMEOUT)


class Waiting:
    """The clock of one acquire: its deadline, and the session's renewals while it waits.

    :param blocking: wait at all; without it :meth:`next_wait` is always None
    :param timeout: the longest wait in seconds (None: no limit)
    """

    def __init__(
        self,
        session: Session,
        session_id: str,
        ttl: float,
        blocking: bool,
        timeout: float | None,
    ) -> None:
        self._session = session
        self._session_id = session_id
        self._ttl = ttl
        self._blocking = blocking
        now = time.monotonic()
        self._deadline = None if timeout is None else now + timeout
        self._renewed = now

    def next_wait(self) -> float | None:
        """How long the next blocking query may wait, or None when the acquire must give up.

        Renews the session first when half its TTL has passed, so a long
        wait never lets it expire.

        :raises consulate.exceptions.LockFailure: the session ended while it waited
        """
        if not self._blocking:
            return None
        now = time.monotonic()
        remaining = MAX_WAIT if self._deadline is None else self._deadline - now
        if remaining <= 0:
            return None
        if now - self._renewed >= self._ttl / 2:
            try:
                self._session.renew(self._session_id)
            except exceptions.NotFound:
                raise exceptions.LockFailure(
                    'the session ended (destroyed, or invalidated by a health check) while '
                    'it waited'
                ) from None
            self._renewed = now
        return min(remaining, MAX_WAIT, self._ttl / 2)
