"""No acknowledged write lost: a counter incremented with check-and-set while the leader is killed twice.

Several clients, spread over the three servers of a real cluster and built
with ``retries``, increment one counter: read it (``GET /v1/kv/:key``), then
write ``value + 1`` with a check-and-set on the index read (``PUT /v1/txn``).
Meanwhile the leader is SIGKILLed, a new one elected, the dead server
restarted with its data, and all that once more. Every operation is recorded
with its outcome, in the spirit of Jepsen's counter and CAS-register checks:

* acknowledged: the write returned; it must be in the final value;
* maybe applied: it raised saying it may have been applied (a broken or
  timed-out connection after sending, a 5xx answer to the write);
* failed: it certainly was not applied (a check-and-set that lost, a refused
  connection, a read that failed before any write was sent).

Then the final value must be at least the acknowledged increments and at
most those plus the maybe-applied ones; no two acknowledged increments may
have written the same value (a lost update); and every value from 1 to the
final one must have been written by an acknowledged or maybe-applied
increment (nothing applied that nobody sent).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass

import pytest

import consulate
from consulate import exceptions
from consulate.api import txn
from consulate.testing import ConsulCluster

pytestmark = pytest.mark.slow

KEY = 'history/counter'
CLIENTS = 6
KILLS = 2


@dataclass(frozen=True)
class Operation:
    """One increment as a client saw it."""

    client: int
    started: float
    ended: float
    outcome: str  # 'ok', 'maybe', 'failed'
    wrote: int | None  # the value the write tried to store (None: no write was sent)
    why: str = ''


def increment(consul: consulate.Consul, number: int) -> Operation:
    """Read the counter, write it plus one with a check-and-set; say how it ended."""
    started = time.monotonic()

    def done(outcome: str, wrote: int | None, why: str = '') -> Operation:
        return Operation(number, started, time.monotonic(), outcome, wrote, why)

    try:
        record = consul.kv.get_record(KEY)
    except exceptions.ConsulateException as error:
        return done('failed', None, type(error).__name__)  # nothing was written
    wrote = int(record['Value']) + 1
    try:
        consul.txn.execute([txn.kv_cas(KEY, str(wrote), record['ModifyIndex'])])
    except exceptions.TransactionFailed:
        return done('failed', wrote, 'check-and-set lost')
    except exceptions.RequestError as error:
        return done('maybe' if error.maybe_applied else 'failed', wrote, type(error).__name__)
    except exceptions.ServerError as error:  # a 5xx after a write may mean it was applied
        return done('maybe', wrote, f'ServerError {error.status_code}')
    except exceptions.ClientError as error:
        return done('failed', wrote, type(error).__name__)
    return done('ok', wrote)


def test_no_acknowledged_increment_is_lost_while_the_leader_is_killed_twice() -> None:
    history: list[Operation] = []
    lock = threading.Lock()
    stop = threading.Event()
    with ConsulCluster() as cluster:
        with cluster.wait_for_leader().client() as setup:
            setup.kv[KEY] = '0'
        clients = [
            cluster.nodes[number % len(cluster.nodes)].client(retries=5, timeout=(1.0, 5.0))
            for number in range(CLIENTS)
        ]

        def work(number: int) -> None:
            while not stop.is_set():
                operation = increment(clients[number], number)
                with lock:
                    history.append(operation)
                if operation.outcome != 'ok':
                    time.sleep(0.05)  # no tight loop against a dead server

        threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(CLIENTS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        outages = []
        try:
            for _ in range(KILLS):
                time.sleep(3.0)
                killed_at = time.monotonic()
                killed = cluster.kill_leader()
                cluster.wait_for_leader(30)
                elected_at = time.monotonic()
                time.sleep(1.0)
                cluster.restart(killed, timeout=30)
                outages.append((killed_at - started, elected_at - killed_at))
            time.sleep(3.0)
        finally:
            stop.set()
            for thread in threads:
                thread.join(30)
        assert not any(thread.is_alive() for thread in threads), 'a client hung'
        elapsed = time.monotonic() - started
        with cluster.wait_for_leader().client() as final_reader:
            final = int(final_reader.kv.get(KEY, consistency='consistent'))
        for client in clients:
            client.close()

    outcomes = Counter(operation.outcome for operation in history)
    acknowledged = [op.wrote for op in history if op.outcome == 'ok']
    maybe = [op.wrote for op in history if op.outcome == 'maybe']
    reasons = Counter(op.why for op in history if op.outcome != 'ok')
    print(
        f'\n{len(history)} operations in {elapsed:.1f} s by {CLIENTS} clients, '
        f'{KILLS} leaders killed (at, election took): '
        f'{[(round(at, 1), round(took, 1)) for at, took in outages]}\n'
        f'acknowledged {outcomes["ok"]}, maybe applied {outcomes["maybe"]}, '
        f'failed {outcomes["failed"]}, final value {final}\n'
        f'not acknowledged, by reason: {dict(reasons)}'
    )
    assert outcomes['ok'] > 20 and outcomes['failed'] + outcomes['maybe'] > 0
    # The counter check: nothing acknowledged lost, nothing applied beyond what may have been.
    assert outcomes['ok'] <= final <= outcomes['ok'] + outcomes['maybe']
    # The register check: each value written once, and every value written by someone.
    assert len(set(acknowledged)) == len(acknowledged), (
        'two acknowledged increments wrote one value'
    )
    assert max(acknowledged) <= final
    assert set(range(1, final + 1)) <= set(acknowledged) | set(maybe)
