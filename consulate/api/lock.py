"""Locks on KV keys, held by a session with a TTL that is renewed while the lock is held.

::

    with consul.lock.acquire('deploy') as held:
        ...  # only one holder at a time, across processes and hosts
        if held.lost.is_set():
            ...  # Consul freed the lock: stop acting as its holder

Each :meth:`Lock.acquire` creates its own session (TTL 15s by default,
renewed every TTL/2 by a background thread) and takes the key with Consul's
lock operation, stored with the flags of Consul's own ``api.Lock`` (so
``consul lock`` on another host excludes it and is excluded by it). While
it is held, a second thread watches the key with blocking queries and marks
the lock lost within about a second when the key is deleted, another
session holds it, or the session is destroyed or invalidated. Leaving the
block, normally or by an exception, deletes the key while the session still
holds it and destroys the session, so the key is free again at once. If the
process dies, Consul frees the key once the session's TTL has run out and
its lock-delay has passed.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from consulate import exceptions
from consulate.api import txn
from consulate.api.base import Context, Endpoint, duration, duration_seconds
from consulate.api.hold import MONITOR_WAIT, Hold, LostCallback, Waiting
from consulate.api.kv import KV
from consulate.api.session import Session
from consulate.api.values import key_path, quote_key

if TYPE_CHECKING:
    from consulate.adapters import Request

__all__ = ['LOCK_FLAGS', 'HeldLock', 'Lock', 'LockHolder']

#: The flags Consul's ``api.Lock`` (and ``consul lock``) store on a lock key.
LOCK_FLAGS = 0x2DDCCBC058A50C18

#: How long to pause when the key is free but a lock-delay refuses it.
_LOCK_DELAY_PAUSE = 0.25


@dataclass(frozen=True)
class LockHolder:
    """Who holds a lock, as :meth:`Lock.holder` tells it.

    :ivar key: the lock's full KV key
    :ivar session_id: the session holding it
    :ivar node: the node that session belongs to
    :ivar value: the value stored in the key, as ``consul.kv`` reads it (the stored text:
        ``json.loads`` it for a value given as a dict; decoded with ``decode_json=True``)
    :ivar lock_index: how many times the key has been locked (its ``LockIndex``)
    """

    key: str
    session_id: str
    node: str
    value: Any
    lock_index: int


class Lock(Endpoint):
    """Take locks on KV keys; reached as ``consul.lock``.

    One ``Lock`` serves any number of threads: every :meth:`acquire` returns
    its own :class:`HeldLock` with its own session. It reads and writes
    through the client's KV, session and transaction endpoints.

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
        kv: KV | None = None,
        transactions: txn.Txn | None = None,
        prefix: str = DEFAULT_PREFIX,
        **options: Any,
    ) -> None:
        super().__init__(uri, adapter, datacenter, token, **options)
        # Not ``kv or ...``: a KV is falsy when the store is empty (it has a __len__).
        self._session = self._child(Session) if session is None else session
        self._kv = self._child(KV) if kv is None else kv
        self._transactions = self._child(txn.Txn) if transactions is None else transactions
        self.prefix = prefix

    @property
    def key(self) -> str | None:
        """The key of the lock this thread took last and still holds, or None."""
        stack: list[HeldLock] = getattr(self._local, 'held', [])
        stack[:] = [held for held in stack if held.held]  # released elsewhere, or lost
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
        checks: list[str] | None = None,
        on_lost: LostCallback | None = None,
    ) -> HeldLock:
        """Take the lock on ``key`` (under :attr:`prefix`) and return it, held.

        ``PUT /v1/session/create``, then ``PUT /v1/txn`` (take the key only
        in the state just read, so a key of another use is never taken
        over). Use the result as a context manager to release the lock when
        the block ends, however it ends.

        :param key: the lock's name; a random one if left out
        :param value: stored in the lock key while it is held
        :param blocking: wait for the lock instead of failing at once; the
            wait watches the key with blocking queries, it does not poll
        :param timeout: with ``blocking``, the longest wait in seconds
            (None: no limit)
        :param ttl: the session's TTL (10s to 24h); renewed every TTL/2
        :param delay: the session's lock-delay (Consul's default: 15s): how
            long the key stays locked after a holder dies without releasing
        :param checks: the health check IDs the session is tied to (Consul's
            default: ``['serfHealth']``); when one goes critical Consul
            invalidates the session and the lock is lost. Include
            ``'serfHealth'`` to keep the default check.
        :param on_lost: called with no arguments, once, from a background
            thread, when the lock is lost (never after :meth:`HeldLock.release`);
            an exception it raises is logged
        :raises consulate.exceptions.LockFailure: another session holds the
            lock (at once, or after ``timeout`` seconds when blocking)
        :raises consulate.exceptions.LockConflict: the key exists without the
            lock flags (it is a ``consul lock -n`` semaphore's key, or data)
        """
        full_key = self._full_key(key or str(uuid.uuid4()))
        ttl_string = duration(ttl)
        assert ttl_string is not None
        ttl_seconds = duration_seconds(ttl_string)
        session_id = self._session.create(
            name=f'consulate lock on {full_key}', ttl=ttl_string, delay=delay, checks=checks
        )
        try:
            waiting = Waiting(self._session, session_id, ttl_seconds, blocking, timeout)
            self._take(full_key, session_id, value, waiting)
        except BaseException:
            self._session.destroy(session_id)
            raise
        held = HeldLock(self, full_key, session_id, ttl_seconds, on_lost)
        self._local.__dict__.setdefault('held', []).append(held)
        return held

    def holder(self, key: str) -> LockHolder | None:
        """Who holds the lock on ``key`` (under :attr:`prefix`), or None when it is free.

        ``GET /v1/kv/:key``, then ``GET /v1/session/info/:id`` for the
        holder's node. This is the read side of leader election: the leader
        is whoever holds the lock. Any session holding the key counts,
        whatever its flags.
        """
        full_key = self._full_key(key)
        for _attempt in range(3):
            try:
                record = self._kv.get_record(full_key)
            except exceptions.KeyNotFound:
                return None
            session_id = record.get('Session')
            if not session_id:
                return None
            try:
                info = self._session.info(session_id)
            except exceptions.NotFound:
                continue  # the session ended after the read: read the key again
            return LockHolder(
                full_key,
                session_id,
                str(info.get('Node') or ''),
                record['Value'],
                record['LockIndex'],
            )
        return None

    def _full_key(self, key: str) -> str:
        prefix = self.prefix.strip('/')
        full_key = key_path(f'{prefix}/{key.lstrip("/")}' if prefix else key)
        quote_key(full_key)  # the key is watched through URLs: refuse one a URL cannot carry
        return full_key

    def _read(self, key: str, index: int = 0, wait: float | None = None) -> _Seen:
        """Read the lock key (blocking past ``index`` when ``wait`` is given)."""
        try:
            record = self._kv.get_record(key, index=index, wait=wait)
        except exceptions.KeyNotFound:
            record = None
        response = self._kv.last_response
        seen_index = response.index if response is not None and response.index else 0
        if record is not None and record['Flags'] != LOCK_FLAGS:
            raise exceptions.LockConflict(
                f'{key!r} exists and is not a lock (its flags are {record["Flags"]:#x}, '
                f'not {LOCK_FLAGS:#x}); is it a "consul lock -n" semaphore key, or data?'
            )
        return _Seen(record, seen_index)

    def _take(self, key: str, session_id: str, value: Any, waiting: Waiting) -> None:
        """Take ``key`` for ``session_id``, waiting as ``waiting`` allows."""
        seen = _Seen(None, 0)  # first assume the key is absent: one request when it is
        while True:
            if seen.holder is None:
                if self._kv.acquire_lock(
                    key, session_id, value, cas=seen.modify_index, flags=LOCK_FLAGS
                ):
                    return
                fresh = self._read(key)
                if fresh.holder is not None or fresh.modify_index != seen.modify_index:
                    seen = fresh  # the key changed since it was read: look again
                    continue
                # Free, unchanged, yet refused: a lock-delay from a dead holder is
                # in force. Its end changes no index, so pause rather than block.
                wait = waiting.next_wait()
                if wait is None:
                    raise exceptions.LockFailure(
                        f'the lock {key!r} is in its lock-delay after a holder ended'
                    )
                time.sleep(min(_LOCK_DELAY_PAUSE, wait))
                seen = fresh
                continue
            wait = waiting.next_wait()
            if wait is None:
                raise exceptions.LockFailure(f'the lock {key!r} is held by another session')
            seen = self._read(key, seen.index, wait)

    def _release(self, held: HeldLock) -> None:
        stack: list[HeldLock] = getattr(self._local, 'held', [])
        if held in stack:
            stack.remove(held)
        # Delete the key only while our session still holds it.
        checked_delete = [txn.kv_check_session(held.key, held.session_id), txn.kv_delete(held.key)]
        with contextlib.suppress(exceptions.TransactionFailed):
            self._transactions.execute(checked_delete)


@dataclass(frozen=True)
class _Seen:
    """One read of a lock key: its entry (None: absent) and the index of the answer."""

    record: Mapping[str, Any] | None
    index: int

    @property
    def holder(self) -> str | None:
        return None if self.record is None else self.record.get('Session') or None

    @property
    def modify_index(self) -> int:
        return 0 if self.record is None else int(self.record['ModifyIndex'])


class HeldLock(Hold):
    """A lock taken by :meth:`Lock.acquire`; a context manager that releases it on exit.

    See :class:`~consulate.api.hold.Hold` for :attr:`held`, :attr:`lost`,
    :meth:`release` and how loss is noticed.

    :ivar key: the lock's full KV key
    :ivar session_id: the session holding it
    """

    def __init__(
        self,
        lock: Lock,
        key: str,
        session_id: str,
        ttl: float,
        on_lost: LostCallback | None = None,
    ) -> None:
        self.key = key
        self._lock = lock
        super().__init__(lock._session, session_id, ttl, on_lost, f'the lock on {key}')

    def __enter__(self) -> HeldLock:
        return self

    def _give_up(self) -> None:
        self._lock._release(self)

    def _watch(self, index: int) -> tuple[str | None, int]:
        kv = self._lock._kv
        try:
            record = kv.get_record(
                self.key, index=index, wait=MONITOR_WAIT, consistency='consistent'
            )
        except exceptions.KeyNotFound:
            return 'its key was deleted', 0
        response = kv.last_response
        new_index = response.index if response is not None and response.index else 0
        holder = record.get('Session')
        if holder == self.session_id:
            return None, new_index
        if holder:
            return f'another session ({holder}) holds it', new_index
        return 'its session no longer holds it (destroyed, invalidated or released)', new_index
