"""The benchmark's workloads, each written three times: consulate, requests.Session, http.client.

Every implementation makes the same HTTP calls to the agent and does the
same work with the answers (parse the JSON, base64-decode KV values), so the
difference between them is the client's own overhead. Each workload is a
zero-argument callable doing one operation (or a :class:`measure.Workload`
saying how to time it); each client class builds the workloads of one client
for one run. The threaded and watch workloads use :mod:`concurrency`: the
consulate client is shared by every thread, the baselines give each thread
its own ``requests.Session`` or ``http.client`` connection (the watches of
the requests baseline share its one Session, as the watches of consulate
share its client).
"""

from __future__ import annotations

import base64
import http.client
import itertools
import json
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import requests
from concurrency import WATCH_WAIT, Gang, ThreadOp, WatchSet
from data import (
    GANG_GETS,
    LOCK_FLAGS,
    THREADS,
    WATCHES,
    Names,
    decode_base64,
    decode_records,
    txn_batches,
)
from measure import Workload

import consulate

Op = Callable[[], Any]
Ops = dict[str, Op | Workload | None]


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
        with self.consul.lock.acquire(f'{self.names.prefix}-{self.name}-{next(self._counter)}'):
            pass

    def _bulk_op(self, items: dict[str, str]) -> Op | None:
        update = getattr(self.consul.kv, 'update', None)
        if update is None:
            return None
        return lambda: update(items)


def _nothing() -> None:
    pass


class _RawClient:
    """The workloads as bare HTTP calls; subclasses say how a call is sent."""

    name = ''

    def __init__(self, base: str, names: Names) -> None:
        self.base = base  # http://127.0.0.1:port
        self.names = names
        self._counter = itertools.count()
        self._gangs: list[Gang] = []
        self._wakes = itertools.count()

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        raise NotImplementedError

    def index(self, path: str) -> int:
        """GET ``path`` (a blocking query, if it says so) and return its ``X-Consul-Index``."""
        raise NotImplementedError

    def for_thread(self) -> _RawClient:
        """The client a thread of the threaded workloads uses (its own connection)."""
        return type(self)(self.base, self.names)

    def for_watch(self) -> _RawClient:
        """The client a watch thread uses."""
        return self.for_thread()

    def close(self) -> None:
        for gang in self._gangs:
            gang.close()

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
            gang = Gang(self._thread_op, count, max(1, GANG_GETS // count))
            self._gangs.append(gang)
            ops[self.names.threaded[count]] = Workload(gang, per_call=gang.threads * gang.each)
        watches = WatchSet(self._watch, WATCHES, self._wake)
        ops[self.names.watched] = Workload(
            get, before=watches.open, after=watches.close, latency=True
        )
        return ops

    def _thread_op(self) -> ThreadOp:
        client = self.for_thread()
        return client.kv_get(), client.close

    def _watch(self, index: int, stop: threading.Event, ready: Callable[[], None]) -> None:
        """A watch as a loop of blocking queries, each sending the last X-Consul-Index."""
        client = self.for_watch()
        path = '/v1/kv/' + quote(self.names.watched_key(self.name, index))
        try:
            at = client.index(path)
            ready()
            while not stop.is_set():
                at = client.index(f'{path}?index={at}&wait={WATCH_WAIT:g}s')
        finally:
            if client is not self:
                client.close()

    def _wake(self) -> None:
        wake = next(self._wakes)
        items = {self.names.watched_key(self.name, i): f'wake-{wake}' for i in range(WATCHES)}
        for body in txn_batches(items):
            self.json('PUT', '/v1/txn', body)

    def _service_op(self) -> None:
        name = f'{self.names.service}-{self.name}'
        body = json.dumps({'Name': name, 'ID': name, 'Port': 8080}).encode('utf-8')
        self.json('PUT', '/v1/agent/service/register', body)
        self.json('PUT', f'/v1/agent/service/deregister/{quote(name)}')

    def _session_op(self) -> None:
        session = self.json('PUT', '/v1/session/create', b'{"Behavior":"release"}')['ID']
        self.json('PUT', f'/v1/session/destroy/{session}')

    def _lock_op(self) -> None:
        name = f'consulate/locks/{self.names.prefix}-{self.name}-{next(self._counter)}'
        body = json.dumps({'Name': f'lock on {name}', 'TTL': '15s', 'Behavior': 'release'})
        session = self.json('PUT', '/v1/session/create', body.encode('utf-8'))['ID']
        taken = self.json('PUT', f'/v1/kv/{quote(name)}?acquire={session}&flags={LOCK_FLAGS}', b'')
        assert taken is True
        release = [
            {'KV': {'Verb': 'check-session', 'Key': name, 'Session': session}},
            {'KV': {'Verb': 'delete', 'Key': name}},
        ]
        self.json('PUT', '/v1/txn', json.dumps(release).encode('utf-8'))
        self.json('PUT', f'/v1/session/destroy/{session}')


class RequestsClient(_RawClient):
    """A plain ``requests.Session()``, as most code uses it: defaults, a timeout on each call.

    Each thread of the threaded workloads has its own Session; the watches
    share this one (its default pool keeps 10 connections).
    """

    name = 'requests'

    def __init__(self, base: str, names: Names) -> None:
        super().__init__(base, names)
        self.session = requests.Session()

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        response = self.session.request(method, self.base + path, data=body, timeout=(5.0, 30.0))
        return response.status_code, response.content

    def index(self, path: str) -> int:
        response = self.session.get(self.base + path, timeout=(5.0, 30.0))
        return int(response.headers['X-Consul-Index'])

    def for_watch(self) -> _RawClient:
        return self

    def close(self) -> None:
        super().close()
        self.session.close()


class HttpClientClient(_RawClient):
    """One bare keep-alive ``http.client.HTTPConnection``: the floor of what Python can do.

    Each thread, and each watch, has a connection of its own.
    """

    name = 'http.client'

    def __init__(self, base: str, names: Names) -> None:
        super().__init__(base, names)
        host, port = base.split('://', 1)[1].rsplit(':', 1)
        self.connection = http.client.HTTPConnection(host, int(port), timeout=30.0)

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        self.connection.request(method, path, body)
        response = self.connection.getresponse()
        return response.status, response.read()

    def index(self, path: str) -> int:
        self.connection.request('GET', path)
        response = self.connection.getresponse()
        response.read()
        return int(response.headers['X-Consul-Index'])

    def close(self) -> None:
        super().close()
        self.connection.close()
