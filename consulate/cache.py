"""Live caches: values kept current by a blocking-query loop in a thread (``consul.cache``).

.. not-run: needs a passing service web and the reader's update_backends()

::

    with consul.cache.service('web') as web:        # the loop starts
        web.wait_ready(5)                            # the first answer is in
        address, port = web.pick()                   # no request: the last snapshot
        web.add_listener(update_backends)            # called after every change

    with consul.cache.kv('config/') as config:
        config.wait_ready(5)
        timeout = config.get('config/timeout', 30)   # a read-only Mapping

Each cache runs one :class:`~consulate.watch.Watcher` (the loop of
``consul.watch``) in a daemon thread, so the blocking-query rules are the
same: a first read that does not block, then reads that wait for a change
and return as soon as one is made. Reading a cache (:attr:`Cache.value`,
``pick()``, ``cache[key]``) never makes a request.

Faults do not stop a cache: while Consul cannot be reached or answers with
errors, the cache keeps its last snapshot, :attr:`Cache.healthy` is false
and :attr:`Cache.last_error` holds the error; it backs off (at most
``max_backoff`` seconds between attempts) and carries on by itself when
Consul answers again, with a fresh, non-blocking read.

:meth:`Cache.close` returns within a second, with the loop's thread ended
and its connection closed: the long poll in progress is ended, not waited
out. Closing the client closes its caches the same way.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from consulate import exceptions
from consulate.api.base import check_consistency
from consulate.api.health import pick_instance
from consulate.types import CatalogServiceTags, KVValue, ServiceEntry
from consulate.watcher import DEFAULT_WAIT, RATE, Watcher

if TYPE_CHECKING:
    from consulate.client import Consul

__all__ = ['MAX_BACKOFF', 'Cache', 'Caches', 'KVCache', 'ServiceCache', 'ServicesCache']

LOGGER = logging.getLogger('consulate')

#: The longest pause between two attempts after errors, in seconds.
MAX_BACKOFF = 10.0
#: How long :meth:`Cache.close` waits for the loop's thread to end, in seconds.
_JOIN_TIMEOUT = 0.5

S = TypeVar('S')

#: A listener: called with each new snapshot.
Listener = Callable[[Any], object]


class Cache(Generic[S]):
    """A value kept current in the background by one blocking-query loop.

    Made by :class:`Caches` (``consul.cache``); start it with :meth:`start`
    or by entering it as a context manager, and stop it with :meth:`close`
    or by leaving the block.

    :param open_watch: makes the watcher the loop iterates, given the
        :class:`~consulate.watch.Watcher` options
    :param name: what the cache follows, for logs and messages
    :param empty: the snapshot before the first answer
    """

    def __init__(
        self,
        open_watch: Callable[..., Watcher[Any]],
        *,
        name: str,
        empty: S,
        wait: str | float = DEFAULT_WAIT,
        max_backoff: float = MAX_BACKOFF,
        rate: float | None = RATE,
    ) -> None:
        self._name = name
        self._value: S = empty
        self._listeners: list[Callable[[S], object]] = []
        self._lock = threading.RLock()  # held while a snapshot is published to the listeners
        self._ready = threading.Event()  # set by the first answer, and by close()
        self._has_value = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()  # where the loop runs: not in a child after fork()
        self._watcher = open_watch(
            wait=wait,
            timeout=None,
            max_backoff=max_backoff,
            rate=rate,
            wait_out=(Exception,),
            on_error=self._failed,
        )

    def __repr__(self) -> str:
        state = 'closed' if self._closed else 'ready' if self._has_value else 'waiting'
        return f'<{type(self).__name__} {self._name} {state}>'

    def __enter__(self: _C) -> _C:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def value(self) -> S:
        """The last snapshot (the empty one before the first answer); never makes a request.

        Snapshots are replaced, never changed in place: keep one as long as
        needed, and do not modify it.
        """
        return self._value

    @property
    def ready(self) -> bool:
        """Whether the first answer is in."""
        return self._has_value

    @property
    def healthy(self) -> bool:
        """Whether the cache is current: started, answered, not closed, and its last read worked.

        False in a child process made by :func:`os.fork` after the cache was
        started: its loop's thread stays in the parent, so the child's copy no
        longer changes.
        """
        if self._thread is not None and os.getpid() != self._pid:
            return False
        return self._has_value and not self._closed and self._watcher.last_error is None

    @property
    def last_error(self) -> BaseException | None:
        """The error of the last read, or None since a read worked."""
        return self._watcher.last_error

    @property
    def index(self) -> int | None:
        """The ``X-Consul-Index`` of the snapshot."""
        return self._watcher.index

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def start(self: _C) -> _C:
        """Start the loop in a daemon thread (once; later calls do nothing) and return the cache.

        :raises RuntimeError: the cache was closed; make a new one
        """
        with self._lock:
            if self._closed:
                raise RuntimeError(f'{self!r} is closed: make a new cache')
            if self._thread is None:
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name=f'consulate-cache {self._name}', daemon=True
                )
                self._thread.start()
        return self

    def close(self) -> None:
        """Stop the loop and its thread, ending the long poll in progress; returns within a second.

        The last snapshot stays readable. Listeners are not called any more.
        """
        self._closed = True
        self._watcher.close()
        self._ready.set()  # wakes wait_ready()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(_JOIN_TIMEOUT)

    def wait_ready(self, timeout: float | None = None) -> S:
        """Wait for the first answer and return it; starts the cache if it was not started.

        :param timeout: the most seconds to wait (None: for ever)
        :raises TimeoutError: no answer within ``timeout`` (the message gives the last error)
        :raises RuntimeError: the cache was closed before its first answer
        """
        if self._thread is None and not self._closed:
            self.start()
        self._ready.wait(timeout)
        if self._has_value:
            return self._value
        if self._closed:
            raise RuntimeError(f'{self!r} was closed before its first answer')
        error = self._watcher.last_error
        cause = f' (last error: {error})' if error is not None else ''
        raise TimeoutError(f'{self._name}: no answer within {timeout} s{cause}')

    def add_listener(self, listener: Callable[[S], object]) -> None:
        """Call ``listener(snapshot)`` after every change, in the cache's thread.

        If the cache already has an answer, ``listener`` is called with it at
        once, in the calling thread; otherwise its first call is with the
        first answer. An exception in a listener is logged and does not stop
        the cache or the other listeners. Listeners run one at a time, in the
        order they were added; a slow one delays the next snapshot.
        """
        with self._lock:
            self._listeners.append(listener)
            if self._has_value:
                self._notify(listener, self._value)

    def remove_listener(self, listener: Callable[[S], object]) -> None:
        """Stop calling ``listener`` (nothing happens if it was not added)."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _snapshot(self, value: Any) -> S:
        """The snapshot kept for a value the watcher yielded."""
        return value  # type: ignore[no-any-return]

    def _run(self) -> None:
        try:
            for value in self._watcher:
                self._publish(self._snapshot(value))
        except Exception:  # a bug: Consul's faults are all waited out by the watcher
            LOGGER.exception('%r stopped', self)

    def _publish(self, snapshot: S) -> None:
        with self._lock:
            if self._closed:
                return
            self._value = snapshot
            self._has_value = True
            self._ready.set()
            for listener in list(self._listeners):
                if self._closed:
                    break
                self._notify(listener, snapshot)

    def _notify(self, listener: Callable[[S], object], snapshot: S) -> None:
        try:
            listener(snapshot)
        except Exception:
            LOGGER.exception('a listener of %r failed', self)

    def _failed(self, error: BaseException) -> None:
        """Log a failed read: a warning for the first of a row, the others at debug level."""
        if not self._closed:
            level = logging.WARNING if self._watcher.failures == 1 else logging.DEBUG
            LOGGER.log(level, '%r: %s; keeping the last snapshot and retrying', self, error)


_C = TypeVar('_C', bound=Cache[Any])


class ServiceCache(Cache[list[ServiceEntry]]):
    """The instances of one service with their node and checks, as ``consul.health.service()``.

    :attr:`value` is a list of :class:`~consulate.types.catalog.ServiceEntry`
    (``{'Node': {...}, 'Service': {...}, 'Checks': [...]}``): only the passing instances unless the cache was made
    with ``passing=False``.
    """

    def __init__(
        self,
        open_watch: Callable[..., Watcher[Any]],
        *,
        service: str,
        nearest: bool,
        **options: Any,
    ) -> None:
        super().__init__(open_watch, name=f'service {service!r}', empty=[], **options)
        self._service = service
        self._nearest = nearest

    @property
    def service(self) -> str:
        """The name of the service followed."""
        return self._service

    def pick(self) -> tuple[str, int]:
        """Return ``(address, port)`` of one passing instance of the snapshot; no request.

        As :meth:`consulate.api.health.Health.pick`: chosen at random among
        the passing instances (the nearest when the cache was made with
        ``near``); the node's address when the service has none.

        :raises consulate.exceptions.NotFound: no instance in the snapshot
            passes its checks, or the cache has no answer yet
        """
        if not self._has_value:
            raise exceptions.NotFound(
                404,
                'GET',
                f'/v1/health/service/{self._service}',
                f'no instance of service {self._service!r} known yet: the cache has no answer',
            )
        return pick_instance(self._service, self._value, nearest=self._nearest)


class KVCache(Cache[Mapping[str, KVValue]], Mapping[str, KVValue]):
    """The keys under a prefix and their decoded values, as ``consul.kv.find(prefix)``.

    The cache is itself a read-only :class:`~collections.abc.Mapping` of its
    snapshot (``cache['config/db']``, ``key in cache``, iteration, ``len``);
    :attr:`value` is the snapshot, a read-only mapping of full key to value.
    """

    def __init__(
        self, open_watch: Callable[..., Watcher[Any]], *, prefix: str, **options: Any
    ) -> None:
        super().__init__(open_watch, name=f'kv {prefix!r}', empty=MappingProxyType({}), **options)
        self._prefix = prefix

    @property
    def prefix(self) -> str:
        """The key prefix followed."""
        return self._prefix

    def __getitem__(self, key: str) -> KVValue:
        return self._value[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def _snapshot(self, value: Any) -> Mapping[str, KVValue]:
        return MappingProxyType(dict(value))


class ServicesCache(Cache[list[CatalogServiceTags]]):
    """The catalog's services with their tags, as ``consul.catalog.service_records()``.

    :attr:`value` is a list of ``{'Service': name, 'Tags': [...]}``, sorted by name.
    """


class Caches:
    """Make live caches (``consul.cache``); each is started with ``start()`` or ``with``.

    Every method takes these keyword-only options: ``wait`` (seconds or a
    duration string each blocking query may wait, default 60),
    ``max_backoff`` (the longest pause between attempts after errors,
    default 10 s), ``rate`` (the most requests per second on average) and
    ``consistency`` (``'default'``, ``'stale'`` or ``'consistent'``; the
    client's mode when left out).
    """

    def __init__(self, consul: Consul) -> None:
        self._consul = consul

    def __repr__(self) -> str:
        return f'<Caches {self._consul.base_uri}>'

    def service(
        self,
        name: str,
        *,
        tag: str | None = None,
        passing: bool = True,
        near: str | None = None,
        datacenter: str | None = None,
        consistency: str | None = None,
        **options: Any,
    ) -> ServiceCache:
        """A cache of a service's instances with their health (``GET /v1/health/service/:name``).

        :param tag: only the instances with this tag
        :param passing: only the instances whose checks all pass
        :param near: sort by round-trip time from this node (``'_agent'``:
            the client's agent); ``pick()`` then returns the nearest
        :param datacenter: the datacenter to follow (default: the client's)
        """
        watch, mode = self._consul.watch, check_consistency(consistency)

        def open_watch(**watch_options: Any) -> Watcher[Any]:
            return watch.service(
                name,
                tag,
                passing,
                near=near,
                datacenter=datacenter,
                consistency=mode,
                **watch_options,
            )

        return ServiceCache(open_watch, service=name, nearest=near is not None, **options)

    def kv(self, prefix: str, *, consistency: str | None = None, **options: Any) -> KVCache:
        """A cache of the keys under ``prefix`` and their decoded values (``GET /v1/kv/:prefix?recurse``).

        An empty prefix follows the whole store.
        """
        watch, mode = self._consul.watch, check_consistency(consistency)

        def open_watch(**watch_options: Any) -> Watcher[Any]:
            return watch.prefix(prefix, consistency=mode, **watch_options)

        return KVCache(open_watch, prefix=prefix, **options)

    def services(self, *, consistency: str | None = None, **options: Any) -> ServicesCache:
        """A cache of the catalog's service names and tags (``GET /v1/catalog/services``)."""
        watch, mode = self._consul.watch, check_consistency(consistency)

        def open_watch(**watch_options: Any) -> Watcher[Any]:
            return watch.services(consistency=mode, **watch_options)

        return ServicesCache(open_watch, name='services', empty=[], **options)
