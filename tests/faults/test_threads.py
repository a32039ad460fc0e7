"""Thread safety, proven: 16 threads share one client for 10 seconds of mixed work on their own keys.

Each thread keeps its own model of its keys and, at random, puts, gets,
checks-and-sets (fresh and stale), creates only if absent, deletes and runs
transactions, checking every answer against the model as it goes. Nothing
may raise, no answer may be another thread's or out of date, and at the end
Consul holds exactly what every thread's model says: no write lost.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Any

import consulate
from consulate import exceptions
from consulate.api import txn
from consulate.testing import ConsulAgent

THREADS = 16
SECONDS = 10.0
KEYS_PER_THREAD = 6


class Worker(threading.Thread):
    """One thread's share of the work: its own keys, its own model, its own tally."""

    def __init__(self, consul: consulate.Consul, prefix: str, number: int, stop: float) -> None:
        super().__init__(name=f'worker-{number}', daemon=True)
        self.consul = consul
        self.prefix = f'{prefix}/t{number:02d}'
        self.stop_at = stop
        self.model: dict[str, str] = {}
        self.done: Counter[str] = Counter()
        self.wrong: list[str] = []
        self.error: BaseException | None = None
        self.random = random.Random(number)
        self.serial = 0

    def key(self) -> str:
        return f'{self.prefix}/k{self.random.randrange(KEYS_PER_THREAD)}'

    def value(self) -> str:
        self.serial += 1
        return f'{self.name}:{self.serial}'

    def check(self, what: str, got: Any, expected: Any) -> None:
        if got != expected:
            self.wrong.append(f'{what}: got {got!r}, expected {expected!r}')

    def run(self) -> None:
        operations = [self.put, self.get, self.cas, self.create, self.delete, self.transaction]
        try:
            while time.monotonic() < self.stop_at and not self.wrong:
                operation = self.random.choice(operations)
                operation()
                self.done[operation.__name__] += 1
        except BaseException as error:
            self.error = error

    def put(self) -> None:
        key, value = self.key(), self.value()
        self.consul.kv[key] = value
        self.model[key] = value

    def get(self) -> None:
        key = self.key()
        self.check(f'get {key}', self.consul.kv.get(key), self.model.get(key))
        assert self.consul.kv.last_response is not None
        self.check('last_response', self.consul.kv.last_response.path, f'/v1/kv/{key}')

    def cas(self) -> None:
        key = self.key()
        if key not in self.model:
            return
        record = self.consul.kv.get_record(key)
        self.check(f'record {key}', record['Value'], self.model[key])
        stale, fresh = self.value(), self.value()
        self.consul.txn.execute([txn.kv_cas(key, fresh, record['ModifyIndex'])])
        self.model[key] = fresh
        try:  # the index just used is stale now: this must change nothing
            self.consul.txn.execute([txn.kv_cas(key, stale, record['ModifyIndex'])])
            self.wrong.append(f'a stale check-and-set of {key} was applied')
        except exceptions.TransactionFailed:
            pass

    def create(self) -> None:
        key, value = self.key(), self.value()
        created = self.consul.kv.set_record(key, 0, value, replace=False)
        self.check(f'create {key}', created, key not in self.model)
        if created:
            self.model[key] = value

    def delete(self) -> None:
        key = self.key()
        self.check(f'delete {key}', self.consul.kv.delete(key), True)
        self.model.pop(key, None)

    def transaction(self) -> None:
        first, second = f'{self.prefix}/k0', f'{self.prefix}/k1'
        one, two = self.value(), self.value()
        results = self.consul.txn.execute(
            [txn.kv_set(first, one), txn.kv_set(second, two), txn.kv_get(first)]
        )
        self.model[first], self.model[second] = one, two
        self.check('txn results', len(results), 3)
        self.check('txn read', results[2]['KV']['Value'], one.encode())


def test_sixteen_threads_share_one_client_and_every_answer_is_right(
    consul_agent: ConsulAgent, prefix: str
) -> None:
    consul = consul_agent.client(pool_size=THREADS)
    stop = time.monotonic() + SECONDS
    workers = [Worker(consul, prefix, number, stop) for number in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(SECONDS + 60)
    assert not any(worker.is_alive() for worker in workers), 'a worker hung'
    for worker in workers:
        assert worker.error is None, f'{worker.name} raised {worker.error!r}'
        assert worker.wrong == [], worker.wrong[:5]
    # Nothing lost: Consul holds exactly what each thread believes it wrote.
    stored = consul.kv.find(prefix)
    expected = {key: value for worker in workers for key, value in worker.model.items()}
    assert stored == expected
    total = sum((worker.done for worker in workers), Counter())
    print(f'operations by kind: {dict(total)}, in all {sum(total.values())}')
    assert all(total[name] > 50 for name in ('put', 'get', 'cas', 'delete', 'transaction'))
    consul.close()
