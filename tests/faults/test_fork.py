"""Fork safety: a client built and used before ``os.fork()`` works in the child, on connections of its own.

gunicorn, multiprocessing and celery fork worker processes from a parent
that may already have used its client. The child must never write to a
keep-alive connection the parent still uses (each would then read the other's
answer), so the pools are emptied in the child after fork. A lock taken
before the fork stays the parent's: the child inherits no renewal thread and
its copy of the lock is not held.

Each test forks the pytest process; the child runs a function, reports
through a pipe and ends with ``os._exit``, bounded by a deadline.
"""

from __future__ import annotations

import json
import os
import select
import signal
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import pytest

import consulate
from consulate.testing import ConsulAgent
from tests.support.proxy import RecordingProxy

#: The most a child may take before it is killed.
CHILD_DEADLINE = 60.0


def fork_and_run(child: Callable[[], Any], parent: Callable[[], Any] | None = None) -> Any:
    """Run ``child`` in a forked process (and ``parent`` here meanwhile); return the child's result.

    :raises AssertionError: the child raised (its traceback is the message) or overran its deadline
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        os.close(read_end)
        try:
            report = {'result': child()}
        except BaseException:
            report = {'error': traceback.format_exc()}
        try:
            os.write(write_end, json.dumps(report).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        parent_error: BaseException | None = None
        try:
            if parent is not None:
                parent()
        except BaseException as error:
            parent_error = error
        report = _read_report(read_end, pid)
    finally:
        os.close(read_end)
    if parent_error is not None:
        raise parent_error
    assert 'error' not in report, f'the child failed:\n{report["error"]}'
    return report['result']


def _read_report(read_end: int, pid: int) -> dict[str, Any]:
    deadline = time.monotonic() + CHILD_DEADLINE
    data = b''
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f'the child did not finish within {CHILD_DEADLINE} s')
        ready, _, _ = select.select([read_end], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(read_end, 1 << 16)
        if not chunk:
            break
        data += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    report: dict[str, Any] = json.loads(data)
    return report


def warm_up(consul: consulate.Consul, key: str, threads: int = 8) -> None:
    """Leave several idle keep-alive connections in the client's pool (one per thread at once)."""
    barrier = threading.Barrier(threads)

    def read() -> None:
        barrier.wait()
        for _ in range(5):
            consul.kv.get(key)

    workers = [threading.Thread(target=read) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)


def test_a_client_used_before_fork_works_in_the_child(
    consul: consulate.Consul, prefix: str
) -> None:
    consul.kv[f'{prefix}/parent'] = 'written before the fork'
    warm_up(consul, f'{prefix}/parent')

    def child() -> Any:
        consul.kv[f'{prefix}/child'] = 'written by the child'
        return consul.kv[f'{prefix}/parent']

    assert fork_and_run(child) == 'written before the fork'
    assert consul.kv[f'{prefix}/child'] == 'written by the child'
    assert (
        consul.kv[f'{prefix}/parent'] == 'written before the fork'
    )  # the parent's pool still works


@pytest.mark.parametrize('route', ['pooled', 'through-requests'])
def test_the_child_never_reuses_the_parents_connections(
    consul_agent: ConsulAgent, prefix: str, route: str
) -> None:
    """Over consulate's own pools, and over requests' (used when a proxy is configured)."""
    with RecordingProxy(consul_agent.http_addr) as proxy:
        if route == 'pooled':
            consul = consulate.Consul(addr=proxy.addr, env={})
        else:  # the recording proxy is the forward proxy of HTTP_PROXY
            env = {'HTTP_PROXY': f'http://{proxy.addr}'}
            consul = consulate.Consul(addr=consul_agent.http_addr, env=env)
        consul.kv[f'{prefix}/k'] = 'v'
        warm_up(consul, f'{prefix}/k')
        before = {seen.peer for seen in proxy.seen}

        def child() -> Any:
            for _ in range(20):
                consul.kv.get(f'{prefix}/k', raw=True)  # a target the parent never asks for
            return None

        fork_and_run(child)
        consul.kv.get(f'{prefix}/k')  # the parent goes on with its own connections
    by_child = {seen.peer for seen in proxy.seen if '?raw' in seen.target}
    by_parent = {seen.peer for seen in proxy.seen if '?raw' not in seen.target}
    assert len(before) > 1  # the parent had several connections to share
    assert by_child and by_child.isdisjoint(by_parent)
    consul.close()


def test_parent_and_child_at_the_same_time_each_get_their_own_answers(
    consul: consulate.Consul, prefix: str
) -> None:
    rounds = 150
    consul.kv[f'{prefix}/warm'] = 'warm'
    warm_up(consul, f'{prefix}/warm')

    def work(who: str) -> dict[str, int]:
        wrong = errors = 0
        for number in range(rounds):
            key = f'{prefix}/{who}/{number % 10}'
            value = f'{who}-{number}'
            try:
                consul.kv[key] = value
                if consul.kv[key] != value:  # only this process writes its keys
                    wrong += 1
                if consul.kv.get(f'{prefix}/warm') != 'warm':
                    wrong += 1
            except consulate.exceptions.ConsulateException:
                errors += 1
        return {'wrong': wrong, 'errors': errors}

    in_parent: dict[str, int] = {}
    in_child = fork_and_run(lambda: work('child'), lambda: in_parent.update(work('parent')))
    assert in_child == {'wrong': 0, 'errors': 0}
    assert in_parent == {'wrong': 0, 'errors': 0}
    assert consul.kv[f'{prefix}/child/9'] == f'child-{rounds - 1}'


def test_a_lock_taken_before_fork_is_not_held_in_the_child(
    consul: consulate.Consul, prefix: str
) -> None:
    with consul.lock.acquire(f'{prefix}-fork', ttl='10s') as held:

        def child() -> Any:
            seen = held.held
            held.release()  # does nothing in the child: the lock is the parent's
            with held:  # nor does leaving a with-block
                pass
            return seen

        assert fork_and_run(child) is False
        assert held.held  # the parent still holds it, in Consul too
        record = consul.kv.get_record(held.key)
        assert record['Session'] == held.session_id
        assert any(session['ID'] == held.session_id for session in consul.session.list())
    assert held.key not in consul.kv


def test_a_service_registered_before_fork_stays_registered_when_the_child_leaves_its_block(
    consul: consulate.Consul, prefix: str
) -> None:
    with consul.agent.service.registered(f'{prefix}-svc', ttl='10s') as registration:

        def child() -> Any:
            registration.stop()  # does nothing in the child: the registration is the parent's
            return None

        fork_and_run(child)
        services = {service['ID'] for service in consul.agent.service_records()}
        assert registration.service_id in services
    assert registration.service_id not in {
        service['ID'] for service in consul.agent.service_records()
    }


def test_a_cache_started_before_fork_is_not_healthy_in_the_child(
    consul: consulate.Consul, prefix: str
) -> None:
    consul.kv[f'{prefix}/c'] = 'cached'
    with consul.cache.kv(f'{prefix}/') as cache:
        cache.wait_ready(10)
        assert cache.healthy

        def child() -> Any:
            return [cache.healthy, cache.get(f'{prefix}/c')]  # the last snapshot, frozen

        assert fork_and_run(child) == [False, 'cached']
        assert cache.healthy  # the parent's loop goes on
