"""Semaphores on a KV prefix: at most N holders at once, across processes and hosts.

::

    with consul.semaphore.acquire('jobs/reindex', 2, blocking=True) as slot:
        ...  # at most two of these run at any time

The layout is the one of Consul's own ``api.Semaphore`` and of
``consul lock -n N PREFIX``, so Python processes and ``consul lock -n N``
(N of 2 or more) on other hosts share the same N slots:

* each contender creates a session (``Behavior: delete``) and takes the key
  ``PREFIX/<session-id>`` with it, flags ``0xe0f69a2baa414de0``, holding the
  contender's value;
* the key ``PREFIX/.lock``, with the same flags and no session, holds
  ``{"Limit": N, "Holders": {"<session-id>": true, ...}}`` and is only ever
  changed with check-and-set;
* a holder whose contender key no longer has its session is dead and is
  pruned from ``Holders`` by the next contender, so a crashed holder frees
  its slot once its session ends.

While a slot is held, a background thread watches the prefix with blocking
queries; the slot is lost when its holder entry or its contender key is
gone. With ``consul lock -n 1`` Consul takes a plain lock on
``PREFIX/.lock`` instead, which a semaphore refuses with
:class:`~consulate.exceptions.LockConflict`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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

__all__ = ['SEMAPHORE_FLAGS', 'SEMAPHORE_KEY', 'HeldSlot', 'Semaphore']

LOGGER = logging.getLogger('consulate')

#: The flags Consul's ``api.Semaphore`` (and ``consul lock -n N``) store on its keys.
SEMAPHORE_FLAGS = 0xE0F69A2BAA414DE0
#: The name of the coordination key under the prefix.
SEMAPHORE_KEY = '.lock'

#: How often release() retries its check-and-set before leaving the entry to pruning.
_RELEASE_ATTEMPTS = 10


class Semaphore(Endpoint):
    """Take slots of semaphores laid out on KV prefixes; reached as ``consul.semaphore``.

    One ``Semaphore`` serves any number of threads: every :meth:`acquire`
    returns its own :class:`HeldSlot` with its own session. It reads and
    writes through the client's KV, session and transaction endpoints.
    """

    PREFIX = 'kv'

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
        **options: Any,
    ) -> None:
        super().__init__(uri, adapter, datacenter, token, **options)
        # Not ``kv or ...``: a KV is falsy when the store is empty (it has a __len__).
        self._session = self._child(Session) if session is None else session
        self._kv = self._child(KV) if kv is None else kv
        self._transactions = self._child(txn.Txn) if transactions is None else transactions

    def acquire(
        self,
        prefix: str,
        limit: int,
        *,
        value: Any = None,
        blocking: bool = False,
        timeout: float | None = None,
        ttl: str | float = '15s',
        delay: str | float | None = None,
        checks: list[str] | None = None,
        on_lost: LostCallback | None = None,
    ) -> HeldSlot:
        """Take one of the ``limit`` slots of the semaphore on ``prefix`` and return it, held.

        ``GET /v1/kv/:prefix?recurse``, ``PUT /v1/session/create``, ``PUT
        /v1/kv/:prefix/:session?acquire=`` (the contender key), then ``PUT
        /v1/txn`` to add the session to ``PREFIX/.lock`` with check-and-set.
        The prefix is used as given (a leading ``/`` is dropped). Use the
        result as a context manager to release the slot when the block ends.

        :param limit: the most holders at once; every holder must pass the same
        :param value: stored in this holder's contender key
        :param blocking: wait for a free slot instead of failing at once; the
            wait watches the prefix with blocking queries, it does not poll
        :param timeout: with ``blocking``, the longest wait in seconds (None: no limit)
        :param ttl: the session's TTL (10s to 24h); renewed every TTL/2
        :param delay: the session's lock-delay (Consul's default: 15s)
        :param checks: the health check IDs the session is tied to (Consul's
            default: ``['serfHealth']``); include ``'serfHealth'`` to keep it
        :param on_lost: called with no arguments, once, from a background
            thread, when the slot is lost; an exception it raises is logged
        :raises consulate.exceptions.LockFailure: every slot is taken (at
            once, or after ``timeout`` seconds when blocking)
        :raises consulate.exceptions.LockConflict: ``PREFIX/.lock`` stores
            another limit, or is not a semaphore's key (a ``consul lock``
            lock, or data); nothing was changed
        :raises consulate.exceptions.ValidationError: ``limit`` is not a
            positive integer, or the prefix is not a valid key
        """
        prefix = _prefix(prefix)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise exceptions.ValidationError(f'limit must be a positive integer, not {limit!r}')
        _check_limit(prefix, self._state(prefix), limit)  # refuse before creating anything
        ttl_string = duration(ttl)
        assert ttl_string is not None
        ttl_seconds = duration_seconds(ttl_string)
        session_id = self._session.create(
            name=f'consulate semaphore on {prefix}',
            behavior='delete',
            ttl=ttl_string,
            delay=delay,
            checks=checks,
        )
        try:
            contender = f'{prefix}/{session_id}'
            if not self._kv.acquire_lock(contender, session_id, value, flags=SEMAPHORE_FLAGS):
                raise exceptions.LockFailure(f'could not take the contender key {contender!r}')
            waiting = Waiting(self._session, session_id, ttl_seconds, blocking, timeout)
            self._take(prefix, limit, session_id, waiting)
        except BaseException:
            self._session.destroy(session_id)  # Behavior delete: the contender key goes too
            raise
        return HeldSlot(self, prefix, limit, session_id, ttl_seconds, on_lost)

    def holders(self, prefix: str) -> list[str]:
        """The session IDs holding slots of the semaphore on ``prefix``, dead ones left out.

        ``GET /v1/kv/:prefix?recurse``; an empty list when there is no semaphore there.

        :raises consulate.exceptions.LockConflict: ``PREFIX/.lock`` is not a semaphore's key
        """
        return sorted(self._state(_prefix(prefix)).holders)

    # -- the algorithm ---------------------------------------------------------------

    def _state(self, prefix: str, index: int = 0, wait: float | None = None) -> _State:
        """Read the prefix (blocking past ``index`` when ``wait`` is given) and decode it."""
        entries = self._kv.entries(f'{prefix}/', raw=True, index=index, wait=wait)
        response = self._kv.last_response
        return _decode(prefix, entries, response.index if response is not None else None)

    def _take(self, prefix: str, limit: int, session_id: str, waiting: Waiting) -> None:
        """Add ``session_id`` to the holders, waiting as ``waiting`` allows."""
        state = self._state(prefix)
        while True:
            _check_limit(prefix, state, limit)
            if session_id not in state.live:
                raise exceptions.LockFailure(
                    f'the session waiting for the semaphore {prefix!r} ended while it waited'
                )
            if len(state.holders) < limit:
                if self._claim(prefix, limit, state, session_id):
                    return
                state = self._state(prefix)  # another contender came first: look again
                continue
            wait = waiting.next_wait()
            if wait is None:
                raise exceptions.LockFailure(
                    f'all {limit} slots of the semaphore {prefix!r} are held'
                )
            state = self._state(prefix, state.index, wait)

    def _claim(self, prefix: str, limit: int, state: _State, session_id: str) -> bool:
        """Write ``.lock`` with ``session_id`` added, if nothing changed since ``state``."""
        holders = state.holders | {session_id}
        operations = [
            txn.kv_check_session(f'{prefix}/{session_id}', session_id),
            txn.kv_cas(
                f'{prefix}/{SEMAPHORE_KEY}',
                _encode(state.limit or limit, holders),
                state.lock_index,
                flags=SEMAPHORE_FLAGS,
            ),
        ]
        try:
            self._transactions.execute(operations)
        except exceptions.TransactionFailed:
            return False
        return True

    def _release(self, slot: HeldSlot) -> None:
        """Remove ``slot`` from ``.lock`` and delete its contender key, in one transaction.

        The last holder out deletes ``.lock``, as ``consul lock -n`` does.
        """
        lock_key = f'{slot.prefix}/{SEMAPHORE_KEY}'
        for _attempt in range(_RELEASE_ATTEMPTS):
            operations = [txn.kv_delete(slot.key)]
            try:
                state = self._state(slot.prefix)
            except exceptions.LockConflict:
                state = None  # .lock was replaced by a key of another use: leave it be
            if state is not None and state.limit is not None:
                holders = state.holders - {slot.session_id}
                if holders:
                    body = _encode(state.limit, holders)
                    update = txn.kv_cas(lock_key, body, state.lock_index, flags=SEMAPHORE_FLAGS)
                else:
                    update = txn.kv_delete_cas(lock_key, state.lock_index)
                operations.append(update)
            try:
                self._transactions.execute(operations)
            except exceptions.TransactionFailed:
                continue  # .lock changed under us: read it again
            return
        LOGGER.warning(
            'could not update %s after %d attempts; its entry for %s is pruned once the '
            'session ends',
            lock_key,
            _RELEASE_ATTEMPTS,
            slot.session_id,
        )


@dataclass
class _State:
    """The semaphore on a prefix as one read saw it."""

    #: The index of the answer, to block on.
    index: int
    #: ``.lock``'s ModifyIndex, 0 when it does not exist.
    lock_index: int = 0
    #: The stored limit, None when ``.lock`` does not exist.
    limit: int | None = None
    #: The holders in ``.lock`` whose session still holds a key under the prefix.
    holders: set[str] = field(default_factory=set)
    #: The sessions holding a key under the prefix.
    live: set[str] = field(default_factory=set)


def _decode(prefix: str, entries: Sequence[Mapping[str, Any]], index: int | None) -> _State:
    """The state of the semaphore from the entries under ``prefix/``.

    :raises consulate.exceptions.LockConflict: ``.lock`` is not a semaphore's key
    """
    lock_key = f'{prefix}/{SEMAPHORE_KEY}'
    state = _State(index or 0)
    state.live = {entry['Session'] for entry in entries if entry.get('Session')}
    lock = next((entry for entry in entries if entry['Key'] == lock_key), None)
    if lock is None:
        return state
    if lock['Flags'] != SEMAPHORE_FLAGS:
        raise exceptions.LockConflict(
            f'{lock_key!r} exists and is not a semaphore key (its flags are {lock["Flags"]:#x},'
            f' not {SEMAPHORE_FLAGS:#x}); is it a "consul lock" lock without -n, or data?'
        )
    try:
        stored = json.loads(lock['Value'] or b'null')
        limit, holders = stored['Limit'], stored.get('Holders') or {}
        if isinstance(limit, bool) or not isinstance(limit, int) or not isinstance(holders, dict):
            raise TypeError(stored)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise exceptions.LockConflict(
            f'{lock_key!r} has the semaphore flags but not its JSON ({{"Limit": N, "Holders": '
            f'{{...}}}}): {lock["Value"][:80]!r}'
        ) from error
    state.lock_index = int(lock['ModifyIndex'])
    state.limit = limit
    state.holders = {holder for holder in holders if holder in state.live}
    return state


def _check_limit(prefix: str, state: _State, limit: int) -> None:
    if state.limit is not None and state.limit != limit:
        raise exceptions.LockConflict(
            f'the semaphore {prefix!r} has a limit of {state.limit}, not {limit}: every '
            'holder must ask for the same limit'
        )


def _encode(limit: int, holders: set[str]) -> bytes:
    """``.lock``'s value, as Go's ``json.Marshal`` writes it."""
    document = {'Limit': limit, 'Holders': {holder: True for holder in sorted(holders)}}
    return json.dumps(document, separators=(',', ':')).encode('utf-8')


def _prefix(prefix: str) -> str:
    """The prefix as stored: checked, without a leading or trailing ``/``."""
    path = key_path(prefix).rstrip('/')
    quote_key(path)  # it is read through URLs: refuse one a URL cannot carry
    return path


class HeldSlot(Hold):
    """A semaphore slot taken by :meth:`Semaphore.acquire`; a context manager that releases it.

    See :class:`~consulate.api.hold.Hold` for :attr:`held`, :attr:`lost`,
    :meth:`release` and how loss is noticed.

    :ivar prefix: the semaphore's prefix
    :ivar limit: the most holders at once
    :ivar key: this holder's contender key, ``PREFIX/<session_id>``
    :ivar session_id: the session holding the slot
    """

    def __init__(
        self,
        semaphore: Semaphore,
        prefix: str,
        limit: int,
        session_id: str,
        ttl: float,
        on_lost: LostCallback | None = None,
    ) -> None:
        self.prefix = prefix
        self.limit = limit
        self.key = f'{prefix}/{session_id}'
        self._semaphore = semaphore
        name = f'a slot of the semaphore {prefix}'
        super().__init__(semaphore._session, session_id, ttl, on_lost, name)

    def __enter__(self) -> HeldSlot:
        return self

    def _give_up(self) -> None:
        self._semaphore._release(self)

    def _watch(self, index: int) -> tuple[str | None, int]:
        kv = self._semaphore._kv
        entries = kv.entries(
            f'{self.prefix}/', raw=True, index=index, wait=MONITOR_WAIT, consistency='consistent'
        )
        response = kv.last_response
        new_index = response.index if response is not None and response.index else 0
        try:
            state = _decode(self.prefix, entries, new_index)
        except exceptions.LockConflict as error:
            return str(error), new_index
        if self.session_id in state.holders:
            return None, new_index
        if self.session_id not in state.live:
            return 'its contender key was deleted or its session ended', new_index
        return f'it is no longer a holder in {self.prefix}/{SEMAPHORE_KEY}', new_index
