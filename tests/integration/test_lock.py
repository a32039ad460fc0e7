"""Locks against a real agent: exclusion across clients and threads, release on every exit."""

from __future__ import annotations

import threading
import time

import pytest

import consulate
from consulate import exceptions
from consulate.api.lock import LOCK_FLAGS
from consulate.testing import ConsulAgent
from tests.support.names import unique


@pytest.fixture
def name() -> str:
    return unique('test')


def sessions(consul: consulate.Consul) -> set[str]:
    return {s['ID'] for s in consul.session.list()}


def test_seed_usage(any_consul: consulate.Consul, name: str) -> None:
    before = sessions(any_consul)
    with any_consul.lock.acquire(name) as held:
        assert any_consul.lock.key == f'consulate/locks/{name}'
        record = any_consul.kv.get_record(any_consul.lock.key)
        assert record['Session'] == held.session_id
        assert record['Flags'] == LOCK_FLAGS
        assert any_consul.session.info(held.session_id)['TTL'] == '15s'
    assert any_consul.lock.key is None
    assert f'consulate/locks/{name}' not in any_consul.kv
    assert sessions(any_consul) == before


def test_second_holder_fails_and_can_take_it_after_release(
    consul_agent: ConsulAgent, name: str
) -> None:
    with consul_agent.client() as first, consul_agent.client() as second:
        with first.lock.acquire(name):
            with pytest.raises(exceptions.LockFailure, match='held by another session'):
                second.lock.acquire(name)
        with second.lock.acquire(name) as held:
            assert held.held


def test_exception_in_block_releases_and_propagates(consul: consulate.Consul, name: str) -> None:
    before = sessions(consul)
    with pytest.raises(RuntimeError, match='boom'), consul.lock.acquire(name):
        raise RuntimeError('boom')
    assert f'consulate/locks/{name}' not in consul.kv
    assert sessions(consul) == before
    with consul.lock.acquire(name):
        pass


def test_failed_acquire_leaves_no_session(consul: consulate.Consul, name: str) -> None:
    with consul.lock.acquire(name):
        before = sessions(consul)
        with pytest.raises(exceptions.LockFailure):
            consul.lock.acquire(name)
        assert sessions(consul) == before


def test_value_and_prefix(consul_agent: ConsulAgent, prefix: str) -> None:
    with consul_agent.client() as consul:
        consul.lock.prefix = f'{prefix}/locks'
        with consul.lock.acquire('job', value={'pid': 42}):
            assert consul.lock.key == f'{prefix}/locks/job'
            assert consul.kv[f'{prefix}/locks/job'] == {'pid': 42}
        consul.lock.prefix = ''
        with consul.lock.acquire(f'{prefix}/bare'):
            assert consul.lock.key == f'{prefix}/bare'


def test_random_key_when_none_is_given(consul: consulate.Consul) -> None:
    with consul.lock.acquire() as held:
        assert held.key.startswith('consulate/locks/')
        assert consul.lock.key == held.key


def test_blocking_acquire_waits_for_release(consul_agent: ConsulAgent, name: str) -> None:
    with consul_agent.client() as holder, consul_agent.client() as waiter:
        held = holder.lock.acquire(name)
        timer = threading.Timer(0.5, held.release)
        timer.start()
        started = time.monotonic()
        with waiter.lock.acquire(name, blocking=True, timeout=10) as mine:
            waited = time.monotonic() - started
            assert mine.held
        timer.join()
        assert 0.4 < waited < 5


def test_blocking_acquire_times_out(consul_agent: ConsulAgent, name: str) -> None:
    with consul_agent.client() as holder, consul_agent.client() as waiter:
        with holder.lock.acquire(name):
            started = time.monotonic()
            with pytest.raises(exceptions.LockFailure):
                waiter.lock.acquire(name, blocking=True, timeout=1)
            assert 0.9 < time.monotonic() - started < 4


def test_threads_sharing_a_client_never_hold_it_together(
    consul: consulate.Consul, name: str
) -> None:
    holders = 0
    overlaps = 0
    done = 0
    guard = threading.Lock()

    def work() -> None:
        nonlocal holders, overlaps, done
        with consul.lock.acquire(name, blocking=True, timeout=30):
            with guard:
                holders += 1
                overlaps += holders > 1
            time.sleep(0.05)
            with guard:
                holders -= 1
                done += 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert done == 4
    assert overlaps == 0


def test_key_is_per_thread(consul: consulate.Consul, name: str) -> None:
    seen: list[str | None] = []
    with consul.lock.acquire(name):
        thread = threading.Thread(target=lambda: seen.append(consul.lock.key))
        thread.start()
        thread.join()
        assert consul.lock.key == f'consulate/locks/{name}'
    assert seen == [None]


@pytest.mark.slow
def test_session_is_renewed_while_held(consul: consulate.Consul, name: str) -> None:
    with consul.lock.acquire(name, ttl='10s') as held:
        time.sleep(12)  # past the TTL: only renewals keep the session alive
        assert held.held
        assert consul.kv.get_record(held.key)['Session'] == held.session_id
