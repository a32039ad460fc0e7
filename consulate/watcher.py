"""The loop of every watch: :class:`Watcher`, an iterator over a value and its changes.

:mod:`consulate.watch` makes watchers for KV keys and prefixes, services,
nodes, checks and events (``consul.watch``), and the live caches of
:mod:`consulate.cache` run one each in a thread. A watcher follows Consul's
blocking-query rules, waits out transient errors with a back-off, and sends
its long polls in a :class:`~consulate.adapters.LongPoll`, so that
:meth:`Watcher.close` (or the client's) ends the one in flight.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from consulate import exceptions
from consulate.adapters import LongPoll
from consulate.api.base import duration_seconds

if TYPE_CHECKING:
    from consulate.adapters import Response

__all__ = [
    'DEFAULT_WAIT',
    'MAX_BACKOFF',
    'RATE',
    'TRANSIENT_ERRORS',
    'UNCHANGED',
    'Reader',
    'Watcher',
]

T = TypeVar('T')

#: How long each blocking query waits for a change, in seconds.
DEFAULT_WAIT = 60.0
#: The longest pause between two attempts after errors, in seconds.
MAX_BACKOFF = 30.0
#: The most requests per second a watcher sends, on average.
RATE = 20.0

#: A read: ``(index, wait) -> (value, response)``.
Reader = Callable[[int | None, float | None], tuple[T, 'Response | None']]

#: The errors a watcher waits out instead of raising: the agent is
#: unreachable or restarting, has no leader, or is rate limiting.
TRANSIENT_ERRORS = (exceptions.RequestError, exceptions.ServerError, exceptions.TooManyRequests)

_MISSING: Any = object()

#: What a read returns when its answer holds nothing to yield.
UNCHANGED: Any = object()


class Watcher(Generic[T], Iterator[T]):
    """An iterator over a value and its changes, read with blocking queries.

    Use it in a ``for`` loop, call :meth:`next` (with a timeout to poll),
    and :meth:`close` it (or use it as a context manager) to stop; a closed
    watcher ends its iteration. Use one watcher from one thread at a time;
    :meth:`close` may be called from another thread and takes effect at
    once: the request in progress is ended.

    :param read: the read, called as ``read(index, wait)``; it returns the
        decoded value and the response it came from
    :param wait: how long each blocking query may wait, seconds or a duration string
    :param timeout: the default time :meth:`next` waits for a change before
        raising :class:`TimeoutError` (None: wait for ever)
    :param max_backoff: the longest pause between attempts after errors
    :param rate: the most requests per second on average (None: no limit)
    :param ordered: whether the index grows with each change; event indexes
        are only compared for equality
    :param wait_out: the errors waited out (with back-off) instead of raised
        from :meth:`next`; by default transport errors, 5xx and 429
    :param on_error: called with each error waited out, before the back-off
    :param poll: the :class:`~consulate.adapters.LongPoll` of the reads, which
        :meth:`close` closes; the client's ``close()`` closes it, and so the watcher
    """

    def __init__(
        self,
        read: Reader[T],
        *,
        wait: str | float = DEFAULT_WAIT,
        timeout: float | None = None,
        max_backoff: float = MAX_BACKOFF,
        rate: float | None = RATE,
        ordered: bool = True,
        name: str = 'watch',
        wait_out: tuple[type[BaseException], ...] = TRANSIENT_ERRORS,
        on_error: Callable[[BaseException], None] | None = None,
        poll: LongPoll | None = None,
    ) -> None:
        self._read = read
        self._poll = poll if poll is not None else LongPoll()
        self._wait = duration_seconds(wait)
        self._timeout = timeout
        self._max_backoff = max_backoff
        self._rate = rate
        self._tokens = rate or 0.0
        self._refilled = time.monotonic()
        self._ordered = ordered
        self._name = name
        self._index: int | None = None
        self._value: Any = _MISSING
        self._failures = 0
        self._closed = False
        self._stopped = threading.Event()  # wakes the throttle and back-off sleeps on close()
        self._wait_out = wait_out
        self._on_error = on_error
        self._reading = False
        #: The index of the last value yielded (``X-Consul-Index``).
        self.index: int | None = None
        #: The last error waited out, or None since the last successful read.
        self.last_error: BaseException | None = None

    def __repr__(self) -> str:
        state = 'closed' if self._closed else f'index={self.index}'
        return f'<Watcher {self._name} {state}>'

    def __iter__(self) -> Watcher[T]:
        return self

    def __next__(self) -> T:
        return self.next()

    def __enter__(self) -> Watcher[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    @property
    def failures(self) -> int:
        """How many reads in a row have failed (0 after a read that worked)."""
        return self._failures

    @property
    def reading(self) -> bool:
        """Whether a read (a blocking query, perhaps) is in progress."""
        return self._reading

    def close(self) -> None:
        """Stop the watch: the iteration ends and :meth:`next` raises StopIteration.

        A pause between reads (rate limit, back-off) ends at once, and so does
        a read in progress (its connection is closed).
        """
        self._closed = True
        self._stopped.set()
        self._poll.close()

    def next(self, timeout: float | None = _MISSING, default: Any = _MISSING) -> T:
        """Return the current value on the first call, then wait for the next change.

        :param timeout: the most seconds to wait for a change (default: the
            watcher's ``timeout``); 0 checks once without waiting
        :param default: returned instead of raising when the timeout passes
        :raises TimeoutError: no change within ``timeout`` (and no ``default``)
        :raises StopIteration: the watcher is closed
        :raises consulate.exceptions.ConsulateException: an error that waiting
            does not cure (403, 400, 404...); the watch can be resumed
        """
        limit = self._timeout if timeout is _MISSING else timeout
        deadline = None if limit is None else time.monotonic() + max(0.0, limit)
        attempted = False
        while True:
            if self._closed:
                raise StopIteration
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0 and attempted:
                if default is not _MISSING:
                    return default  # type: ignore[no-any-return]
                raise TimeoutError(f'{self._name}: no change within {limit} s')
            changed, value = self._step(remaining)
            attempted = True
            if changed:
                return cast(T, value)

    def _step(self, remaining: float | None) -> tuple[bool, Any]:
        """One read; return ``(True, value)`` when there is a value to yield."""
        self._throttle(remaining)
        index = self._index
        wait = None if index is None else self._wait_for(remaining)
        try:
            value, response = self._timed_read(index, wait)
            new = response.index if response is not None else None  # garbled: InvalidResponse
        except self._wait_out as error:
            if self._poll.closed:  # the client was closed, or close() ended the read
                self.close()
                return False, None
            self.last_error = error
            self._failures += 1
            if self._on_error is not None:
                self._on_error(error)
            # The agent may come back with another index space (a restarted dev
            # agent, another server): read afresh, and let the value decide.
            self._index = None
            self._back_off(remaining)
            return False, None
        self._failures = 0
        self.last_error = None
        if index is not None and new is not None and self._ordered and new < index:
            self._index = None  # the index went backwards: read afresh, without blocking
            return False, None
        if index is not None and new == index:
            return False, None  # the wait expired, or an idempotent write: nothing new
        self._index = new if new is None or new > 0 else 1
        if value is UNCHANGED or (self._value is not _MISSING and value == self._value):
            return False, None
        self._value = value
        self.index = self._index
        return True, value

    def _timed_read(self, index: int | None, wait: float | None) -> tuple[Any, Response | None]:
        """The read, with :attr:`reading` true while it runs."""
        self._reading = True
        try:
            with self._poll:
                return self._read(index, wait)
        finally:
            self._reading = False

    def _wait_for(self, remaining: float | None) -> float:
        """The ``wait`` of the next blocking query: no more than the time left, jitter included."""
        if remaining is None:
            return self._wait
        return max(0.001, min(self._wait, remaining * 16 / 17))

    def _throttle(self, remaining: float | None) -> None:
        """A token bucket: at most ``rate`` requests a second on average, bursts of ``rate``."""
        if not self._rate:
            return
        now = time.monotonic()
        self._tokens = min(self._rate, self._tokens + (now - self._refilled) * self._rate)
        self._refilled = now
        if self._tokens < 1:
            pause = (1 - self._tokens) / self._rate
            self._stopped.wait(pause if remaining is None else max(0.0, min(pause, remaining)))
            self._tokens = 1.0
            self._refilled = time.monotonic()
        self._tokens -= 1

    def _back_off(self, remaining: float | None) -> None:
        """Sleep after a failed read: 0.25 s doubling per failure, at most ``max_backoff``."""
        delay = min(self._max_backoff, 0.25 * 2 ** min(self._failures - 1, 16))
        delay *= 0.5 + random.random() / 2
        if remaining is not None:
            delay = max(0.0, min(delay, remaining))
        self._stopped.wait(delay)
