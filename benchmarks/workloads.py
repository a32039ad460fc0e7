"""The benchmark's workloads, each written three times: consulate, the requests floor, py-consul.

* ``consulate``: consulate's public API (``consul.kv[key]``, ``kv.find``,
  ``kv.update``, ``consul.lock.acquire``, ``consul.watch.key``, ...);
* ``requests floor``: the floor of any client built on requests, and so of
  consulate, whose every request goes through ``requests.Session.send``: one
  ``requests.Session`` (``trust_env`` off, an ``HTTPAdapter`` keeping 32
  connections mounted for ``http://``) sending a ``requests.PreparedRequest``,
  built once per distinct method, path and body and reused, with
  ``Session.send`` and explicit settings (timeout, no redirects, no proxies,
  no streaming), the same HTTP calls made by hand;
* ``py-consul``: the ``py-consul`` package (``import consul``) through its
  public API, a ``consul.Consul`` client.

Every implementation makes the same HTTP calls to the agent (py-consul
through whatever its API sends for them) and does the same work with the
answers: parse the JSON, base64-decode the KV values, and decode them to
``str`` where the others do (the mixed read only base64-decodes, except
consulate, which also decodes the JSON values and tells text from binary, as
it does for every read). Each workload is a zero-argument callable doing one
operation (or a :class:`measure.Workload` saying how to time it); each client
class builds the workloads of one client for one run. The threaded and watch
workloads use :mod:`concurrency`: every client is shared by all the threads
of a threaded workload (consulate's client and pool, the floor's one
Session, py-consul's one ``consul.Consul``); each watch of the watch
workload is a thread of its own, through the shared consulate client (whose
watchers have sessions of their own), or through a floor client or a
``consul.Consul`` of its own (so its own Session).
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import weakref
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import consul
import requests
import requests.adapters
from concurrency import WATCH_WAIT, Gang, ThreadOp, WatchSet
from data import (
    FLOOR_POOL,
    GANG_GETS,
    LOCK_FLAGS,
    THREADS,
    TXN_OPS,
    WATCHES,
    Names,
    b64,
    decode_base64,
    decode_records,
    slug,
    txn_batches,
)
from measure import Workload

import consulate

Op = Callable[[], Any]
Ops = dict[str, Op | Workload | None]

#: Which client each requests.Session the baselines make belongs to (for the
#: "connection pool is full" warnings; consulate's pools are told by their class).
SESSION_OWNERS: weakref.WeakKeyDictionary[requests.Session, str] = weakref.WeakKeyDictionary()
#: The timeout of every call of the floor client, as consulate's default.
TIMEOUT = (5.0, 30.0)


def text(value: bytes | None) -> str | bytes | None:
    """A KV value as a caller wants it: ``str`` when it is UTF-8, else the bytes."""
    if value is None:
        return None
    try:
        return value.decode('utf-8')
    except UnicodeDecodeError:
        return value


class ConsulateClient:
    """The workloads through consulate's public API; every thread shares the one client."""

    name = 'consulate'

    def __init__(self, consul: consulate.Consul, names: Names) -> None:
        self.consul = consul
        self.names = names
        self._counter = itertools.count()
        self._gangs: list[Gang] = []
        self._wakes = itertools.count()

    def close(self) -> None:
        for gang in self._gangs:
            gang.close()
        self.consul.close()

    def ops(self) -> Ops:
        kv = self.consul.kv
        key = self.names.key(self.name, 'key')
        missing = self.names.key(self.name, 'missing')
        read_prefix = self.names.read_prefix()
        mixed_prefix = self.names.mixed_prefix()
        bulk = self.names.bulk_items(self.name)
        value = self.names.value

        def get() -> Any:
            return kv[key]

        ops: Ops = {
            'kv get': Workload(get, latency=True),
            'kv set': lambda: kv.__setitem__(key, value),
            'kv get (missing)': lambda: kv.get(missing),
            'service register+deregister': self._service_op(),
            'health service': self._health_op(),
            'session create+destroy': self._session_op,
            'lock acquire+release': self._lock_op,
            self.names.bulk: self._bulk_op(bulk),
            self.names.read: lambda: kv.find(read_prefix),
            self.names.mixed: lambda: kv.find(mixed_prefix),
        }
        for count in THREADS:
            ops[self.names.threaded[count]] = self._gang(lambda: (get, _nothing), count)
        watches = WatchSet(self._watch, WATCHES, self._wake)
        ops[self.names.watched] = Workload(
            get, before=watches.open, after=watches.close, latency=True
        )
        return ops

    def _gang(self, make: Callable[[], ThreadOp], threads: int) -> Workload:
        gang = Gang(make, threads, max(1, GANG_GETS // threads))
        self._gangs.append(gang)
        return Workload(gang, per_call=gang.threads * gang.each)

    def _watch(self, index: int, stop: threading.Event, ready: Callable[[], None]) -> None:
        key = self.names.watched_key(self.name, index)
        with self.consul.watch.key(key, wait=WATCH_WAIT) as watcher:
            for _ in watcher:
                ready()
                if stop.is_set():
                    return

    def _wake(self) -> None:
        wake = next(self._wakes)
        self.consul.kv.update(
            {self.names.watched_key(self.name, i): f'wake-{wake}' for i in range(WATCHES)}
        )

    def _service_op(self) -> Op | None:
        try:
            service = self.consul.agent.service
            register, deregister = service.register, service.deregister
        except (ImportError, AttributeError):
            return None
        name = f'{self.names.service}-{self.name}'

        def op() -> None:
            register(name, service_id=name, port=8080)
            deregister(name)

        return op

    def _health_op(self) -> Op | None:
        try:
            health = self.consul.health
            service = health.service
        except (ImportError, AttributeError):
            return None
        name = self.names.service
        return lambda: service(name)

    def _session_op(self) -> None:
        session = self.consul.session
        session.destroy(session.create())

    def _lock_op(self) -> None:
        with self.consul.lock.acquire(
            f'{self.names.prefix}-{slug(self.name)}-{next(self._counter)}'
        ):
            pass

    def _bulk_op(self, items: dict[str, str]) -> Op | None:
        update = getattr(self.consul.kv, 'update', None)
        if update is None:
            return None
        return lambda: update(items)


def _nothing() -> None:
    pass


class FloorClient:
    """The requests floor: prepared requests sent with ``Session.send`` on one Session.

    The threads of the threaded workloads share this client (and its Session,
    whose pool keeps :data:`FLOOR_POOL` connections, as consulate's does);
    each watch has a client, and so a Session, of its own.
    """

    name = 'requests floor'

    def __init__(self, base: str, names: Names) -> None:
        self.base = base  # http://127.0.0.1:port
        self.names = names
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.mount('http://', requests.adapters.HTTPAdapter(pool_maxsize=FLOOR_POOL))
        SESSION_OWNERS[self.session] = self.name
        self._prepared: dict[tuple[str, str, bytes | None], requests.PreparedRequest] = {}
        self._counter = itertools.count()
        self._gangs: list[Gang] = []
        self._wakes = itertools.count()

    def close(self) -> None:
        for gang in self._gangs:
            gang.close()
        self.session.close()

    def send(self, method: str, path: str, body: bytes | None = None) -> requests.Response:
        """One bare ``Session.send`` of the prepared request for ``method path body``."""
        prepared = self._prepared.get((method, path, body))
        if prepared is None:
            prepared = requests.Request(method, self.base + path, data=body).prepare()
            self._prepared[method, path, body] = prepared
        return self.session.send(
            prepared,
            timeout=TIMEOUT,
            allow_redirects=False,
            verify=True,
            cert=None,
            proxies={},
            stream=False,
        )

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        response = self.send(method, path, body)
        return response.status_code, response.content

    def index(self, path: str) -> int:
        """GET ``path`` (a blocking query, if it says so) and return its ``X-Consul-Index``."""
        return int(self.send('GET', path).headers['X-Consul-Index'])

    def json(self, method: str, path: str, body: bytes | None = None) -> Any:
        status, content = self.call(method, path, body)
        if status >= 400:
            raise RuntimeError(f'{status} on {method} {path}: {content[:200]!r}')
        return json.loads(content) if content else None

    def kv_get(self) -> Op:
        """One kv get of the benchmark's key, its value base64- and UTF-8-decoded."""
        key = '/v1/kv/' + quote(self.names.key(self.name, 'key'))

        def get() -> str:
            record = self.json('GET', key)[0]
            return base64.b64decode(record['Value']).decode('utf-8')

        return get

    def ops(self) -> Ops:
        key = '/v1/kv/' + quote(self.names.key(self.name, 'key'))
        missing = '/v1/kv/' + quote(self.names.key(self.name, 'missing'))
        read = '/v1/kv/' + quote(self.names.read_prefix()) + '?recurse='
        mixed = '/v1/kv/' + quote(self.names.mixed_prefix()) + '?recurse='
        value = self.names.value.encode('utf-8')
        items = self.names.bulk_items(self.name)
        get = self.kv_get()

        def kv_missing() -> None:
            status, _ = self.call('GET', missing)
            assert status == 404

        def bulk() -> None:
            for body in txn_batches(items):
                self.json('PUT', '/v1/txn', body)

        ops: Ops = {
            'kv get': Workload(get, latency=True),
            'kv set': lambda: self.json('PUT', key, value),
            'kv get (missing)': kv_missing,
            'service register+deregister': self._service_op,
            'health service': lambda: self.json(
                'GET', f'/v1/health/service/{quote(self.names.service)}'
            ),
            'session create+destroy': self._session_op,
            'lock acquire+release': self._lock_op,
            self.names.bulk: bulk,
            self.names.read: lambda: decode_records(self.json('GET', read)),
            self.names.mixed: lambda: decode_base64(self.json('GET', mixed)),
        }
        for count in THREADS:
            gang = Gang(lambda: (get, _nothing), count, max(1, GANG_GETS // count))
            self._gangs.append(gang)
            ops[self.names.threaded[count]] = Workload(gang, per_call=gang.threads * gang.each)
        watches = WatchSet(self._watch, WATCHES, self._wake)
        ops[self.names.watched] = Workload(
            get, before=watches.open, after=watches.close, latency=True
        )
        return ops

    def _watch(self, index: int, stop: threading.Event, ready: Callable[[], None]) -> None:
        """A watch as a loop of blocking queries, each sending the last X-Consul-Index."""
        client = FloorClient(self.base, self.names)
        path = '/v1/kv/' + quote(self.names.watched_key(self.name, index))
        try:
            at = client.index(path)
            ready()
            while not stop.is_set():
                at = client.index(f'{path}?index={at}&wait={WATCH_WAIT:g}s')
        finally:
            client.close()

    def _wake(self) -> None:
        wake = next(self._wakes)
        items = {self.names.watched_key(self.name, i): f'wake-{wake}' for i in range(WATCHES)}
        for body in txn_batches(items):
            self.json('PUT', '/v1/txn', body)

    def _service_op(self) -> None:
        name = f'{self.names.service}-{slug(self.name)}'
        body = json.dumps({'Name': name, 'ID': name, 'Port': 8080}).encode('utf-8')
        self.json('PUT', '/v1/agent/service/register', body)
        self.json('PUT', f'/v1/agent/service/deregister/{quote(name)}')

    def _session_op(self) -> None:
        session = self.json('PUT', '/v1/session/create', b'{"Behavior":"release"}')['ID']
        self.json('PUT', f'/v1/session/destroy/{session}')

    def _lock_op(self) -> None:
        name = f'consulate/locks/{self.names.prefix}-{slug(self.name)}-{next(self._counter)}'
        body = json.dumps({'Name': f'lock on {name}', 'TTL': '15s', 'Behavior': 'release'})
        session = self.json('PUT', '/v1/session/create', body.encode('utf-8'))['ID']
        taken = self.json('PUT', f'/v1/kv/{quote(name)}?acquire={session}&flags={LOCK_FLAGS}', b'')
        assert taken is True
        self.json('PUT', '/v1/txn', _release(name, session))
        self.json('PUT', f'/v1/session/destroy/{session}')


def _release(name: str, session: str) -> bytes:
    """The transaction that deletes a lock key while ``session`` still holds it."""
    return json.dumps(_release_ops(name, session)).encode('utf-8')


def _release_ops(name: str, session: str) -> list[dict[str, Any]]:
    return [
        {'KV': {'Verb': 'check-session', 'Key': name, 'Session': session}},
        {'KV': {'Verb': 'delete', 'Key': name}},
    ]


class PyConsulClient:
    """py-consul's public API: one ``consul.Consul`` shared by every thread.

    Each watch has a ``consul.Consul`` (and so a requests Session) of its own.
    py-consul's ``close()`` keeps its Session's connections; :meth:`close`
    closes the Sessions this client made.
    """

    name = 'py-consul'

    def __init__(self, base: str, names: Names) -> None:
        self.base = base
        self.names = names
        self.consul = self._client()
        self._counter = itertools.count()
        self._gangs: list[Gang] = []
        self._wakes = itertools.count()

    def _client(self) -> consul.Consul:
        address = urlsplit(self.base)
        client = consul.Consul(host=address.hostname, port=address.port, scheme=address.scheme)
        SESSION_OWNERS[client.http.session] = self.name
        return client

    def close(self) -> None:
        for gang in self._gangs:
            gang.close()
        _close(self.consul)

    def ops(self) -> Ops:
        kv = self.consul.kv
        key = self.names.key(self.name, 'key')
        missing = self.names.key(self.name, 'missing')
        read_prefix = self.names.read_prefix()
        mixed_prefix = self.names.mixed_prefix()
        items = self.names.bulk_items(self.name)
        value = self.names.value
        health = self.consul.health
        service = self.names.service

        def get() -> str | bytes | None:
            _, record = kv.get(key)
            return text(record['Value'])

        def kv_missing() -> None:
            _, record = kv.get(missing)
            assert record is None

        def read() -> dict[str, str | bytes | None]:
            _, records = kv.get(read_prefix, recurse=True)
            return {record['Key']: text(record['Value']) for record in records}

        def mixed() -> dict[str, bytes]:
            _, records = kv.get(mixed_prefix, recurse=True)
            return {record['Key']: record['Value'] or b'' for record in records}

        ops: Ops = {
            'kv get': Workload(get, latency=True),
            'kv set': lambda: kv.put(key, value),
            'kv get (missing)': kv_missing,
            'service register+deregister': self._service_op,
            'health service': lambda: health.service(service),
            'session create+destroy': self._session_op,
            'lock acquire+release': self._lock_op,
            self.names.bulk: lambda: self._bulk(items),
            self.names.read: read,
            self.names.mixed: mixed,
        }
        for count in THREADS:
            gang = Gang(lambda: (get, _nothing), count, max(1, GANG_GETS // count))
            self._gangs.append(gang)
            ops[self.names.threaded[count]] = Workload(gang, per_call=gang.threads * gang.each)
        watches = WatchSet(self._watch, WATCHES, self._wake)
        ops[self.names.watched] = Workload(
            get, before=watches.open, after=watches.close, latency=True
        )
        return ops

    def _bulk(self, items: dict[str, str]) -> None:
        """Set every key, 64 per transaction (``txn.put``)."""
        ops = [{'KV': {'Verb': 'set', 'Key': k, 'Value': b64(v)}} for k, v in items.items()]
        put = self.consul.txn.put
        for start in range(0, len(ops), TXN_OPS):
            put(ops[start : start + TXN_OPS])

    def _watch(self, index: int, stop: threading.Event, ready: Callable[[], None]) -> None:
        """A watch as a loop of ``kv.get(index=, wait=)`` through a client of its own."""
        client = self._client()
        key = self.names.watched_key(self.name, index)
        wait = f'{WATCH_WAIT:g}s'
        try:
            at, _ = client.kv.get(key)
            ready()
            while not stop.is_set():
                at, _ = client.kv.get(key, index=at, wait=wait)
        finally:
            _close(client)

    def _wake(self) -> None:
        wake = next(self._wakes)
        self._bulk({self.names.watched_key(self.name, i): f'wake-{wake}' for i in range(WATCHES)})

    def _service_op(self) -> None:
        name = f'{self.names.service}-{slug(self.name)}'
        service = self.consul.agent.service
        service.register(name, service_id=name, port=8080)
        service.deregister(name)

    def _session_op(self) -> None:
        session = self.consul.session
        session.destroy(session.create())

    def _lock_op(self) -> None:
        name = f'consulate/locks/{self.names.prefix}-{slug(self.name)}-{next(self._counter)}'
        client = self.consul
        session = client.session.create(name=f'lock on {name}', ttl=15, behavior='release')
        taken = client.kv.put(name, '', acquire=session, flags=LOCK_FLAGS)
        assert taken is True
        client.txn.put(_release_ops(name, session))
        client.session.destroy(session)


def _close(client: consul.Consul) -> None:
    client.http.close()
    client.http.session.close()
