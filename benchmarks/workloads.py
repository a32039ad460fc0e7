"""The benchmark's workloads, each written three times: consulate, requests.Session, http.client.

Every implementation makes the same HTTP calls to the agent and does the
same work with the answers (parse the JSON, base64-decode KV values), so the
difference between them is the client's own overhead. Each workload is a
zero-argument callable doing one operation; a ``Clients`` object builds the
callables of one client for one run.
"""

from __future__ import annotations

import base64
import http.client
import itertools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import requests

import consulate

#: The flags consulate's Lock stores on a lock key (Consul's own api.Lock value).
LOCK_FLAGS = 0x2DDCCBC058A50C18
#: The largest number of operations per transaction, as consulate batches them.
TXN_OPS = 64

Op = Callable[[], Any]


class Names:
    """The keys and names one run uses, all under a prefix unique to the run."""

    def __init__(self, run_id: str, keys: int) -> None:
        self.prefix = f'bench-{run_id}'
        self.keys = keys
        self.service = f'bench-{run_id}-web'
        self.value = 'v' * 64
        #: The names of the two many-key workloads.
        self.bulk = f'bulk load {keys:,} keys'
        self.read = f'read {keys:,} keys'

    def key(self, client: str, name: str) -> str:
        return f'{self.prefix}/{client}/{name}'

    def read_prefix(self) -> str:
        """The prefix holding ``keys`` keys, loaded once before the rounds."""
        return f'{self.prefix}/read'

    def bulk_items(self, client: str) -> dict[str, str]:
        """The ``keys`` keys one bulk load writes."""
        return {
            f'{self.prefix}/bulk-{client}/key-{i:05d}': f'{self.value}-{i}'
            for i in range(self.keys)
        }


def _b64(value: str) -> str:
    return base64.b64encode(value.encode('utf-8')).decode('ascii')


def txn_batches(items: dict[str, str]) -> list[bytes]:
    """The ``PUT /v1/txn`` bodies of a bulk load, 64 sets each."""
    ops = [
        {'KV': {'Verb': 'set', 'Key': key, 'Value': _b64(value)}} for key, value in items.items()
    ]
    return [
        json.dumps(ops[start : start + TXN_OPS], separators=(',', ':')).encode('utf-8')
        for start in range(0, len(ops), TXN_OPS)
    ]


def _decode_records(body: Any) -> dict[str, str]:
    """What a caller needs from a ?recurse answer: {key: value as str}."""
    return {
        row['Key']: base64.b64decode(row['Value']).decode('utf-8') if row['Value'] else ''
        for row in body
    }


class ConsulateClient:
    """The workloads through consulate's public API."""

    name = 'consulate'

    def __init__(self, consul: consulate.Consul, names: Names) -> None:
        self.consul = consul
        self.names = names
        self._counter = itertools.count()

    def close(self) -> None:
        self.consul.close()

    def ops(self) -> dict[str, Op | None]:
        kv = self.consul.kv
        key = self.names.key(self.name, 'key')
        missing = self.names.key(self.name, 'missing')
        read_prefix = self.names.read_prefix()
        bulk = self.names.bulk_items(self.name)
        value = self.names.value
        ops: dict[str, Op | None] = {
            'kv get': lambda: kv[key],
            'kv set': lambda: kv.__setitem__(key, value),
            'kv get (missing)': lambda: kv.get(missing),
            'service register+deregister': self._service_op(),
            'health service': self._health_op(),
            'session create+destroy': self._session_op,
            'lock acquire+release': self._lock_op,
            self.names.bulk: self._bulk_op(bulk),
            self.names.read: lambda: kv.find(read_prefix),
        }
        return ops

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


class _RawClient:
    """The workloads as bare HTTP calls; subclasses say how a call is sent."""

    name = ''

    def __init__(self, base: str, names: Names) -> None:
        self.base = base  # http://127.0.0.1:port
        self.names = names
        self._counter = itertools.count()

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def json(self, method: str, path: str, body: bytes | None = None) -> Any:
        status, content = self.call(method, path, body)
        if status >= 400:
            raise RuntimeError(f'{status} on {method} {path}: {content[:200]!r}')
        return json.loads(content) if content else None

    def ops(self) -> dict[str, Op | None]:
        key = '/v1/kv/' + quote(self.names.key(self.name, 'key'))
        missing = '/v1/kv/' + quote(self.names.key(self.name, 'missing'))
        read = '/v1/kv/' + quote(self.names.read_prefix()) + '?recurse='
        value = self.names.value.encode('utf-8')
        items = self.names.bulk_items(self.name)

        def kv_get() -> str:
            record = self.json('GET', key)[0]
            return base64.b64decode(record['Value']).decode('utf-8')

        def kv_missing() -> None:
            status, _ = self.call('GET', missing)
            assert status == 404

        def bulk() -> None:
            for body in txn_batches(items):
                self.json('PUT', '/v1/txn', body)

        return {
            'kv get': kv_get,
            'kv set': lambda: self.json('PUT', key, value),
            'kv get (missing)': kv_missing,
            'service register+deregister': self._service_op,
            'health service': lambda: self.json(
                'GET', f'/v1/health/service/{quote(self.names.service)}'
            ),
            'session create+destroy': self._session_op,
            'lock acquire+release': self._lock_op,
            self.names.bulk: bulk,
            self.names.read: lambda: _decode_records(self.json('GET', read)),
        }

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
    """A plain ``requests.Session()``, as most code uses it: defaults, a timeout on each call."""

    name = 'requests'

    def __init__(self, base: str, names: Names) -> None:
        super().__init__(base, names)
        self.session = requests.Session()

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        response = self.session.request(method, self.base + path, data=body, timeout=(5.0, 30.0))
        return response.status_code, response.content

    def close(self) -> None:
        self.session.close()


class HttpClientClient(_RawClient):
    """One bare keep-alive ``http.client.HTTPConnection``: the floor of what Python can do."""

    name = 'http.client'

    def __init__(self, base: str, names: Names) -> None:
        super().__init__(base, names)
        host, port = base.split('://', 1)[1].rsplit(':', 1)
        self.connection = http.client.HTTPConnection(host, int(port), timeout=30.0)

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        self.connection.request(method, path, body)
        response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.connection.close()
