"""What the benchmark stores and names: keys, values, transaction bodies, and decoding helpers."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Mapping
from typing import Any

#: The flags consulate's Lock stores on a lock key (Consul's own api.Lock value).
LOCK_FLAGS = 0x2DDCCBC058A50C18
#: The largest number of operations per transaction, as consulate batches them.
TXN_OPS = 64
#: The thread counts of the threaded kv get workloads.
THREADS = (8, 32)
#: About how many kv gets one call of a threaded workload makes, over all its threads.
GANG_GETS = 400
#: The watches open during the latency workload.
WATCHES = 50
#: The idle connections the requests floor's Session keeps per agent (consulate's default pool_size).
FLOOR_POOL = 32


class Names:
    """The keys and names one run uses, all under a prefix unique to the run."""

    def __init__(self, run_id: str, keys: int) -> None:
        self.prefix = f'bench-{run_id}'
        self.keys = keys
        self.service = f'bench-{run_id}-web'
        self.value = 'v' * 64
        #: The names of the many-key workloads.
        self.bulk = f'bulk load {keys:,} keys'
        self.read = f'read {keys:,} keys'
        self.mixed = f'read {keys:,} mixed values'
        #: The names of the concurrent workloads.
        self.threaded = {count: f'kv get, {count} threads' for count in THREADS}
        self.watched = f'kv get, {WATCHES} watches open'

    def key(self, client: str, name: str) -> str:
        return f'{self.prefix}/{slug(client)}/{name}'

    def read_prefix(self) -> str:
        """The prefix holding ``keys`` keys, loaded once before the rounds."""
        return f'{self.prefix}/read'

    def mixed_prefix(self) -> str:
        """The prefix holding ``keys`` keys of mixed values (:func:`mixed_value`)."""
        return f'{self.prefix}/mixed'

    def watched_key(self, client: str, index: int) -> str:
        """The key that watch ``index`` of ``client`` follows."""
        return f'{self.prefix}/watch-{slug(client)}/key-{index:02d}'

    def bulk_items(self, client: str) -> dict[str, str]:
        """The ``keys`` keys one bulk load writes."""
        return {
            f'{self.prefix}/bulk-{slug(client)}/key-{i:05d}': f'{self.value}-{i}'
            for i in range(self.keys)
        }


def slug(client: str) -> str:
    """A client's name as it appears in keys and service names: ``requests floor`` is ``requests-floor``."""
    return client.replace(' ', '-')


def mixed_value(index: int) -> bytes:
    """Value ``index`` of the mixed read: a quarter each digit-led text, JSON, plain text, binary.

    Digit-led text (zero-padded ids, dates, versions, counts) is what a
    JSON-guessing decoder is slowest on; the JSON values are objects, arrays,
    numbers and names; the binary values are not UTF-8.
    """
    kind, variant = index % 4, index // 4 % 4
    if kind == 0:
        return [
            f'{index:08d}',
            f'2024-01-{index % 28 + 1:02d}T10:{index % 60:02d}:00Z',
            f'1.{index % 10}.{index % 7}',
            f'{index} items in stock',
        ][variant].encode()
    if kind == 1:
        return [
            json.dumps({'id': index, 'name': f'item-{index}', 'tags': ['a', 'b'], 'on': True}),
            json.dumps([index, index + 1, index + 2]),
            str(index * 7) if index % 3 else f'{index}.5e3',
            'true' if index % 2 else 'null',
        ][variant].encode()
    if kind == 2:
        return f'the value of key {index}, in plain text'.encode()
    return b'\xff' + random.Random(index).randbytes(31)


def b64(value: str | bytes) -> str:
    data = value.encode('utf-8') if isinstance(value, str) else value
    return base64.b64encode(data).decode('ascii')


def txn_batches(items: Mapping[str, str | bytes]) -> list[bytes]:
    """The ``PUT /v1/txn`` bodies of a bulk load, 64 sets each."""
    ops = [{'KV': {'Verb': 'set', 'Key': key, 'Value': b64(value)}} for key, value in items.items()]
    return [
        json.dumps(ops[start : start + TXN_OPS], separators=(',', ':')).encode('utf-8')
        for start in range(0, len(ops), TXN_OPS)
    ]


def decode_records(body: Any) -> dict[str, str]:
    """What a caller needs from a ?recurse answer: {key: value as str}."""
    return {
        row['Key']: base64.b64decode(row['Value']).decode('utf-8') if row['Value'] else ''
        for row in body
    }


def decode_base64(body: Any) -> dict[str, bytes]:
    """A ?recurse answer of mixed values, base64-decoded and nothing more: {key: bytes}."""
    return {row['Key']: base64.b64decode(row['Value']) if row['Value'] else b'' for row in body}
