"""Locks against a real agent: exclusion across clients and threads, release on every exit."""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import consulate
from consulate import exceptions
from consulate.api.hold import Hold
from consulate.api.lock import LOCK_FLAGS, HeldLock, LockHolder
from consulate.api.semaphore import HeldSlot
from consulate.testing import ConsulAgent, consul_binary
from tests.support.holds import Calls, eventually, hold_threads
from tests.support.names import unique
from tests.support.proxy import Canned, RecordingProxy, Seen


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
            assert consul.kv[f'{prefix}/locks/job'] == '{"pid": 42}'
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


# -- consul lock as a peer --------------------------------------------------------------------


def consul_lock(
    consul_agent: ConsulAgent, *args: str, wait: bool = True
) -> subprocess.Popen[bytes] | subprocess.CompletedProcess[bytes]:
    """Run (or with ``wait=False`` start) ``consul lock *args`` against the shared agent."""
    env = {'PATH': os.environ.get('PATH', ''), 'CONSUL_HTTP_ADDR': consul_agent.http_addr}
    command = [consul_binary(), 'lock', *args]
    if not wait:
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    return subprocess.run(command, env=env, capture_output=True, timeout=60, check=False)


def test_python_and_consul_lock_exclude_each_other(
    consul: consulate.Consul, consul_agent: ConsulAgent, prefix: str, tmp_path: Path
) -> None:
    key = f'{prefix}/.lock'
    ran = tmp_path / 'ran'
    consul.lock.prefix = ''
    with consul.lock.acquire(key) as held:
        refused = consul_lock(consul_agent, '-timeout=300ms', prefix, f'touch {ran}')
        assert refused.returncode != 0 and not ran.exists()
        assert consul.kv.get_record(key)['Session'] == held.session_id
    assert consul_lock(consul_agent, '-timeout=5s', prefix, f'touch {ran}').returncode == 0
    assert ran.exists()

    started, stop = tmp_path / 'started', tmp_path / 'stop'
    script = f'touch {started}; i=0; while [ ! -e {stop} ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done'
    theirs = consul_lock(consul_agent, prefix, script, wait=False)
    assert isinstance(theirs, subprocess.Popen)
    try:
        eventually(started.exists)
        theirs_session = consul.kv.get_record(key)['Session']
        with pytest.raises(exceptions.LockFailure, match='held by another session'):
            consul.lock.acquire(key)
        threading.Timer(0.3, stop.touch).start()
        with consul.lock.acquire(key, blocking=True, timeout=20) as mine:
            assert theirs.wait(timeout=10) == 0
            assert consul.kv.get_record(key)['Session'] == mine.session_id != theirs_session
    finally:
        theirs.kill()
        theirs.wait()
    assert key not in consul.kv


# -- who holds it -------------------------------------------------------------------------------


def test_holder_names_session_node_and_value(
    consul: consulate.Consul, consul_agent: ConsulAgent, name: str
) -> None:
    assert consul.lock.holder(name) is None
    with consul.lock.acquire(name, value={'host': 'a'}) as held:
        holder = consul.lock.holder(name)
        assert holder == LockHolder(
            key=f'consulate/locks/{name}',
            session_id=held.session_id,
            node=consul_agent.node_name,
            value='{"host": "a"}',  # the stored text, as consul.kv reads it
            lock_index=1,
        )
    assert consul.lock.holder(name) is None


def test_holder_of_a_consul_lock_and_of_a_free_key(
    consul: consulate.Consul, consul_agent: ConsulAgent, prefix: str, tmp_path: Path
) -> None:
    consul.lock.prefix = ''
    consul.kv[f'{prefix}/plain'] = 'data'
    assert consul.lock.holder(f'{prefix}/plain') is None
    started = tmp_path / 'started'
    theirs = consul_lock(consul_agent, prefix, f'touch {started}; sleep 30', wait=False)
    assert isinstance(theirs, subprocess.Popen)
    try:
        eventually(started.exists)
        holder = consul.lock.holder(f'{prefix}/.lock')
        assert holder is not None
        assert holder.session_id == consul.kv.get_record(f'{prefix}/.lock')['Session']
        assert holder.node == consul_agent.node_name
        assert holder.value is None
    finally:
        theirs.terminate()
        theirs.wait(timeout=10)


# -- losing the hold ----------------------------------------------------------------------------

KINDS = ['lock', 'semaphore']


def take(consul: consulate.Consul, kind: str, prefix: str, **options: Any) -> Hold:
    """A held lock on ``PREFIX/lock``, or a slot of a semaphore of 2 on ``PREFIX``."""
    if kind == 'lock':
        consul.lock.prefix = ''
        return consul.lock.acquire(f'{prefix}/lock', **options)
    return consul.semaphore.acquire(prefix, 2, **options)


def the_key(held: Hold) -> str:
    """The key whose deletion loses the hold: the lock key, or the slot's contender key."""
    assert isinstance(held, (HeldLock, HeldSlot))
    return held.key


def assert_lost_once(held: Hold, calls: Calls, since: float) -> None:
    assert held.lost.wait(2.0), 'not lost within 2s'
    assert time.monotonic() - since < 2.0
    assert not held.held
    eventually(calls.called.is_set, timeout=2.0)
    held.release()
    eventually(lambda: not hold_threads(), timeout=10.0)
    assert calls.seen == [False]  # called once, with held already false


@pytest.mark.parametrize('kind', KINDS)
def test_deleting_the_key_loses_the_hold(consul: consulate.Consul, prefix: str, kind: str) -> None:
    calls = Calls()
    held = take(consul, kind, prefix, on_lost=calls)
    calls.probe = lambda: held.held
    started = time.monotonic()
    consul.kv.delete(the_key(held))
    assert_lost_once(held, calls, started)
    assert 'deleted' in (held.lost_reason or '')


def test_deleting_the_semaphore_key_loses_the_slot(consul: consulate.Consul, prefix: str) -> None:
    calls = Calls()
    held = take(consul, 'semaphore', prefix, on_lost=calls)
    calls.probe = lambda: held.held
    started = time.monotonic()
    consul.kv.delete(f'{prefix}/.lock')
    assert_lost_once(held, calls, started)


@pytest.mark.parametrize('kind', KINDS)
def test_destroying_the_session_loses_the_hold(
    consul: consulate.Consul, prefix: str, kind: str
) -> None:
    calls = Calls()
    held = take(consul, kind, prefix, on_lost=calls)
    calls.probe = lambda: held.held
    started = time.monotonic()
    consul.session.destroy(held.session_id)
    assert_lost_once(held, calls, started)


@pytest.mark.parametrize('kind', KINDS)
def test_a_critical_node_check_loses_the_hold(
    consul: consulate.Consul, prefix: str, kind: str
) -> None:
    check = unique('check')
    consul.agent.check.register(check, check_id=check, ttl='60s')
    try:
        consul.agent.check.ttl_pass(check)
        calls = Calls()
        held = take(consul, kind, prefix, on_lost=calls, checks=['serfHealth', check])
        calls.probe = lambda: held.held
        assert consul.session.info(held.session_id)['Checks'] == ['serfHealth', check]
        started = time.monotonic()
        consul.agent.check.ttl_fail(check, 'failing on purpose')
        assert_lost_once(held, calls, started)
        with pytest.raises(exceptions.NotFound):
            consul.session.info(held.session_id)  # Consul invalidated it
    finally:
        consul.agent.check.deregister(check)


def test_another_session_taking_the_key_loses_the_lock(consul: consulate.Consul, name: str) -> None:
    calls = Calls()
    held = consul.lock.acquire(name, on_lost=calls)
    calls.probe = lambda: held.held
    other = consul.session.create(ttl='10s', delay='0s')
    try:
        started = time.monotonic()
        consul.kv.release_lock(held.key, held.session_id)
        consul.kv.acquire_lock(held.key, other, flags=LOCK_FLAGS)
        assert_lost_once(held, calls, started)
        # release() leaves the key alone: it is the other session's now.
        assert consul.kv.get_record(held.key)['Session'] == other
    finally:
        consul.session.destroy(other)
        consul.kv.delete(held.key)


def test_an_on_lost_that_raises_is_logged(
    consul: consulate.Consul, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    def fail() -> None:
        raise RuntimeError('callback bug')

    held = consul.lock.acquire(name, on_lost=fail)
    with caplog.at_level(logging.WARNING, logger='consulate'):
        consul.kv.delete(held.key)
        assert held.lost.wait(2.0)
        eventually(lambda: any(r.exc_info for r in caplog.records))
    held.release()
    messages = [record.getMessage() for record in caplog.records]
    assert any('lost the lock on' in message for message in messages)
    logged = next(r for r in caplog.records if r.exc_info)
    assert 'on_lost' in logged.getMessage()
    assert logged.exc_info is not None and logged.exc_info[1] is not None
    assert str(logged.exc_info[1]) == 'callback bug'


@pytest.mark.parametrize('kind', KINDS)
def test_release_is_prompt_and_ends_the_threads(
    consul: consulate.Consul, prefix: str, kind: str
) -> None:
    calls = Calls()
    holds = [take(consul, kind, f'{prefix}/{n}', on_lost=calls) for n in range(3)]
    assert len(hold_threads()) >= 6
    time.sleep(0.3)  # let every monitor settle into its blocking query
    for held in holds:
        started = time.monotonic()
        held.release()
        assert time.monotonic() - started < 2.5  # no wait for a long poll (5 s) to end
        assert not held.held and not held.lost.is_set()
        held.release()  # twice is harmless
    eventually(lambda: not hold_threads(), timeout=10.0)
    assert not calls.called.is_set()  # a release is not a loss


def test_released_lock_is_not_lost_when_the_key_goes(consul: consulate.Consul, name: str) -> None:
    calls = Calls()
    with consul.lock.acquire(name, on_lost=calls) as held:
        pass
    consul.kv.delete(held.key)
    assert not held.lost.is_set() and not calls.called.is_set()


@pytest.mark.slow
def test_a_failing_renewal_loses_the_lock(consul_agent: ConsulAgent, name: str) -> None:
    def refuse_renewals(seen: Seen) -> Canned | None:
        return Canned(404, b'') if seen.target.startswith('/v1/session/renew/') else None

    with RecordingProxy(consul_agent.http_addr, answer=refuse_renewals) as proxy:
        with consulate.Consul(addr=proxy.addr, env={}) as consul:
            calls = Calls()
            held = consul.lock.acquire(name, ttl='10s', on_lost=calls)
            calls.probe = lambda: held.held
            assert held.lost.wait(15), 'the failed renewal at TTL/2 did not lose the lock'
            assert 'session' in (held.lost_reason or '')
            eventually(calls.called.is_set, timeout=2.0)
            held.release()
            assert calls.seen == [False]
    eventually(lambda: not hold_threads(), timeout=10.0)


@pytest.mark.slow
def test_the_lock_delay_of_a_dead_holder_is_honoured(consul: consulate.Consul, name: str) -> None:
    dead = consul.lock.acquire(name, delay='2s')
    consul.session.destroy(dead.session_id)  # it ends without releasing the lock
    started = time.monotonic()
    with pytest.raises(exceptions.LockFailure, match='lock-delay'):
        consul.lock.acquire(name)
    with consul.lock.acquire(name, blocking=True, timeout=20) as held:
        assert 1.5 < time.monotonic() - started < 10
        assert consul.kv.get_record(held.key)['Session'] == held.session_id
    dead.release()


def test_on_lost_may_release_the_lock(consul: consulate.Consul, name: str) -> None:
    box: list[HeldLock] = []
    calls = Calls(lambda: box[0].release())
    held = consul.lock.acquire(name, on_lost=calls)
    box.append(held)
    assert consul.lock.key == held.key
    consul.session.destroy(held.session_id)
    eventually(calls.called.is_set, timeout=2.0)
    eventually(lambda: not hold_threads(), timeout=10.0)
    assert consul.lock.key is None  # released in the monitor thread, not this one
    assert held.key not in consul.kv or consul.kv.get_record(held.key).get('Session') is None
