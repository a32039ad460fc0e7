"""Locks on KV keys, held by a session with a TTL that is renewed while the lock is held.

::

    with consul.lock.acquire('deploy'):
        ...  # only one holder at a time, across processes and hosts

Each :meth:`Lock.acquire` creates its own session (TTL 15s by default,
renewed every TTL/2 by a background thread) and takes the key with
``?acquire=``, stored with the lock flag of Consul's own ``api.Lock``.
Leaving the block, normally or by an exception, deletes the key while the
session still holds it and destroys the session, so the key is free again at
once. If the process dies, Consul frees the key once the session's TTL has run
out and its lock-delay has passed.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from types import TracebackType
from typing import TYPE_CHECKING, Any

from consulate import exceptions
from consulate.api import txn
from consulate.api.base import Context, Endpoint, duration, duration_seconds
from consulate.api.session import Session
from consulate.api.values import encode_value, key_path, quote_key

if TYPE_CHECKING:
    from consulate.adapters import Request

__all__ = ['LOCK_FLAGS', 'HeldLock', 'Lock']

LOGGER = logging.getLogger('consulate')

#: The flags Consul's ``api.Lock`` (and ``consul lock``) store on a lock key.
LOCK_FLAGS = 0x2DDCCBC058A50C18

#: The longest single blocking query made while waiting for a lock, in seconds.
_MAX_WAIT = 60.0
#: How long to pause when the key is free but a lock-delay refuses it.
_LOCK_DELAY_PAUSE = 0.25


class Lock(Endpoint):
    """Take locks on KV keys; reached as ``consul.lock``.

    One ``Lock`` serves any number of threads: every :meth:`acquire` returns
    its own :class:`HeldLock` with its own session.

    :param prefix: the KV prefix lock keys are placed under
        (default ``consulate/locks``; ``''`` for none)
    """

    PREFIX = 'kv'
    DEFAULT_PREFIX = 'consulate/locks'

    def __init__(
        self,
        uri: str | Context,
        adapter: Request | None,
        datacenter: str | None = None,
        token: str | None = None,
        *,
        session: Session | None = None,
        prefix: str = DEFAULT_PREFIX,
        **options: Any,
    ) -> None:
        super().__init__(uri, adapter, datacenter, token, **options)
        self._session = session or self._child(Session)
        self.prefix = prefix

    @property
    def key(self) -> str | None:
        """The key of the lock this thread took last and still holds, or None."""
        stack: list[HeldLock] = getattr(self._local, 'held', [])
        return stack[-1].key if stack else None

    def acquire(
        self,
        key: str | None = None,
        value: Any = None,
        *,
        blocking: bool = False,
        timeout: float | None = None,
        ttl: str | float = '15s',
        delay: str | float | None = None,
    ) -> HeldLock:
        """Take the lock on ``key`` (under :attr:`prefix`) and return it, held.

        Use the result as a context manager to release the lock when the
        block ends, however it ends.

        :param key: the lock's name; a random one if left out
        :param value: stored in the lock key while it is held
        :param blocking: wait for the lock instead of failing at once; the
            wait watches the key with blocking queries, it does not poll
        :param timeout: with ``blocking``, the longest wait in seconds
            (None: no limit)
        :param ttl: the session's TTL (10s to 24h); renewed every TTL/2
        :param delay: the session's lock-delay (Consul's default: 15s): how
            long the key stays locked after a holder dies without releasing
        :raises consulate.exceptions.LockFailure: another session holds the
            lock (at once, or after ``timeout`` seconds when blocking)
        """
        full_key = self._full_key(key or str(uuid.uuid4()))
        ttl_string = duration(ttl)
        assert ttl_string is not None
        session_id = self._session.create(
            name=f'consulate lock on {full_key}', ttl=ttl_string, delay=delay
        )
        try:
            self._take(full_key, session_id, value, blocking, timeout, duration_seconds(ttl_string))
        except BaseException:
            self._session.destroy(session_id)
            raise
        held = HeldLock(self, full_key, session_id, duration_seconds(ttl_string))
        self._local.__dict__.setdefault('held', []).append(held)
        return held

    def _full_key(self, key: str) -> str:
        prefix = self.prefix.strip('/')
        return key_path(f'{prefix}/{key.lstrip("/")}' if prefix else key)

    def _take(
        self,
        key: str,
        session_id: str,
        value: Any,
        blocking: bool,
        timeout: float | None,
        ttl: float,
    ) -> None:
        url = f'{self._base_uri}/{quote_key(key)}'
        params = {'acquire': session_id, 'flags': LOCK_FLAGS}
        body = encode_value(value)
        deadline = None if timeout is None else time.monotonic() + timeout
        index: int | None = None
        renewed = time.monotonic()
        while True:
            if time.monotonic() - renewed >= ttl / 2:
                # A long wait outlives the TTL: keep the waiting session alive.
                self._session.renew(session_id)
                renewed = time.monotonic()
            if self._put_bool(url, params, body, raw_body=True):
                return
            remaining = _MAX_WAIT if deadline is None else deadline - time.monotonic()
            if not blocking or remaining <= 0:
                raise exceptions.LockFailure(f'the lock {key!r} is held by another session')
            wait = min(remaining, _MAX_WAIT, ttl / 2)
            response = self._get(url, allow_404=True, index=index, wait=wait)
            new_index = response.index
            held_by_other = response.status_code == 200 and response.json()[0].get('Session')
            if not held_by_other:
                # Free, yet refused: a lock-delay from a dead holder is in force.
                # Its end changes no index, so poll rather than block on the key.
                time.sleep(min(_LOCK_DELAY_PAUSE, max(remaining, 0)))
                index = None
                continue
            index = new_index if new_index and (index is None or new_index >= index) else None

    def _release(self, held: HeldLock) -> None:
        stack: list[HeldLock] = getattr(self._local, 'held', [])
        if held in stack:
            stack.remove(held)
        try:
            # Delete the key only while our session still holds it.
            path = held.key
            self._txn([txn.kv_check_session(path, held.session_id), txn.kv_delete(path)])
        finally:
            self._session.destroy(held.session_id)


class HeldLock:
    """A lock taken by :meth:`Lock.acquire`; a context manager that releases it on exit.

    :ivar key: the lock's full KV key
    :ivar session_id: the session holding it
    """

    def __init__(self, lock: Lock, key: str, session_id: str, ttl: float) -> None:
        self.key = key
        self.session_id = session_id
        self._lock = lock
        self._ttl = ttl
        self._released = threading.Event()
        self._lost = False
        self._renewer = threading.Thread(
            target=self._renew, name=f'consulate-lock-renew {key}', daemon=True
        )
        self._renewer.start()

    def __repr__(self) -> str:
        state = 'lost' if self._lost else ('released' if self._released.is_set() else 'held')
        return f'<HeldLock {self.key!r} {state}>'

    def __enter__(self) -> HeldLock:
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
        """True until the lock is released, or lost because its session could not be renewed."""
        return not (self._released.is_set() or self._lost)

    def release(self) -> None:
        """Release the lock: delete its key and destroy its session. Safe to call twice."""
        if self._released.is_set():
            return
        self._released.set()
        self._renewer.join(timeout=1.0)
        self._lock._release(self)

    def _renew(self) -> None:
        """Renew the session every TTL/2 until released; mark the lock lost if that fails."""
        last_success = time.monotonic()
        interval = self._ttl / 2
        while not self._released.wait(interval):
            try:
                renewed = self._lock._session.renew(self.session_id)
            except exceptions.NotFound:
                self._mark_lost('its session expired')
                return
            except exceptions.ConsulateException as error:
                if time.monotonic() - last_success > self._ttl:
                    self._mark_lost(f'renewing its session failed: {error}')
                    return
                interval = 1.0
                continue
            last_success = time.monotonic()
            interval = duration_seconds(renewed.get('TTL') or self._ttl) / 2

    def _mark_lost(self, why: str) -> None:
        self._lost = True
        LOGGER.warning('lost the lock on %s: %s', self.key, why)
