"""Failover: a 3-server cluster whose leader is killed (SIGKILL) under clients of a follower.

A client talks to one agent; when the leader dies that agent's default reads
and all writes fail (500) until the survivors elect a new leader, about two
seconds later with ``raft_multiplier=1``. Reads with ``retries`` ride that
out, ``stale`` reads answer throughout, writes fail and are never replayed,
and a watch carries on to the last value. The killed server is restarted
with its data after each test.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent, ConsulCluster
from tests.support.agents import heal
from tests.support.names import unique
from tests.support.polling import eventually
from tests.support.proxy import RecordingProxy

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def cluster() -> Iterator[ConsulCluster]:
    with ConsulCluster() as servers:
        yield servers


@pytest.fixture
def follower(cluster: ConsulCluster) -> Iterator[ConsulAgent]:
    """A follower of a healthy cluster; the killed servers are restarted afterwards."""
    cluster.wait_for_leader()
    yield cluster.followers()[0]
    heal(cluster)


def replicated(cluster: ConsulCluster, key: str, value: Any) -> None:
    """Wait until every running server has applied ``key = value`` (a stale read shows it)."""
    for node in cluster.running():
        with node.client() as client:
            eventually(
                lambda: client.kv.get(key, consistency='stale') == value,
                what=f'{key} = {value!r} on {node}',
            )


def outage(consul: consulate.Consul, key: str, seconds: float = 20.0) -> Iterator[float]:
    """Yield the time since the call, again and again, while default reads of ``key`` fail."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            consul.kv.get(key)
        except exceptions.ServerError:
            yield time.monotonic() - started
            time.sleep(0.05)
            continue
        return
    raise AssertionError(f'no new leader within {seconds} s')


def test_reads_during_an_election(cluster: ConsulCluster, follower: ConsulAgent) -> None:
    key = unique('failover')
    eager = follower.client()
    stale = follower.client(consistency='stale')
    eager.kv[key] = 'before'
    replicated(cluster, key, 'before')

    cluster.kill_leader()
    stale_answers = []
    for _ in outage(eager, key):
        # A stale read is served by the follower itself, leader or not.
        stale_answers.append(stale.kv.get(key))
        assert stale.kv.last_response is not None
        assert stale.kv.last_response.last_contact is not None
    assert stale_answers and set(stale_answers) == {'before'}
    assert eager.kv.get(key) == 'before'  # a leader is back
    eager.kv.delete(key)


def test_a_read_with_retries_answers_once_a_leader_is_elected(
    cluster: ConsulCluster, follower: ConsulAgent
) -> None:
    key = unique('failover')
    patient = follower.client(retries=10)
    patient.kv[key] = 'value'
    replicated(cluster, key, 'value')
    with RecordingProxy(follower.http_addr) as proxy:
        through_proxy = proxy.client(retries=10)
        cluster.kill_leader()
        started = time.monotonic()
        assert through_proxy.kv.get(key) == 'value'  # no exception reaches the caller
        elapsed = time.monotonic() - started
    attempts = [seen for seen in proxy.seen if seen.method == 'GET']
    assert len(attempts) > 1  # it did meet the election, and retried through it
    assert elapsed < 15


def test_writes_during_an_election_fail_and_are_never_replayed(
    cluster: ConsulCluster, follower: ConsulAgent
) -> None:
    name = unique('failover')
    probe = follower.client()
    probe.kv[name] = 'probe'
    replicated(cluster, name, 'probe')
    outcomes: dict[str, str] = {}
    with RecordingProxy(follower.http_addr) as proxy:
        writer = proxy.client(retries=5)
        cluster.kill_leader()
        for number, _elapsed in enumerate(outage(probe, name)):
            session_name = f'{name}-{number}'
            try:
                writer.session.create(name=session_name)  # not idempotent: a replay shows
                outcomes[session_name] = 'done'
            except (exceptions.ServerError, exceptions.RequestError):
                outcomes[session_name] = 'failed'
        puts = [seen for seen in proxy.seen if seen.method == 'PUT']
    assert 'failed' in outcomes.values()
    assert len(puts) == len(outcomes)  # one attempt per write, whatever ``retries`` says
    created: dict[str, int] = {}
    for session in probe.session.list():
        if session['Name'] in outcomes:
            created[session['Name']] = created.get(session['Name'], 0) + 1
            probe.session.destroy(session['ID'])
    for session_name, outcome in outcomes.items():
        if outcome == 'done':
            assert created.get(session_name) == 1, session_name
        else:
            assert created.get(session_name, 0) <= 1, session_name
    # Once a leader is back, the same client writes again.
    writer.kv[name] = 'after'
    assert probe.kv[name] == 'after'
    probe.kv.delete(name)


def test_a_watch_carries_on_to_the_final_value(
    cluster: ConsulCluster, follower: ConsulAgent
) -> None:
    key = unique('failover')
    consul = follower.client()
    consul.kv[key] = 'first'
    replicated(cluster, key, 'first')
    seen: list[Any] = []
    watcher = consul.watch.key(key, wait='2s', max_backoff=0.5)
    errors: list[BaseException] = []

    def follow() -> None:
        try:
            for value in watcher:
                seen.append(value)
                if value == 'final':
                    return
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=follow)
    thread.start()
    try:
        eventually(lambda: seen == ['first'])
        cluster.kill_leader()
        for _ in outage(consul, key):
            pass
        consul.kv[key] = 'second'
        consul.kv[key] = 'final'
        thread.join(20)
        assert not thread.is_alive(), f'the watch stopped at {seen}'
    finally:
        watcher.close()
    assert errors == []
    assert seen[0] == 'first' and seen[-1] == 'final'
    assert set(seen) <= {'first', 'second', 'final'}
    consul.kv.delete(key)


def test_a_client_of_the_killed_server_fails_fast_and_works_after_its_restart(
    cluster: ConsulCluster, follower: ConsulAgent
) -> None:
    leader = cluster.leader()
    assert leader is not None
    key = unique('failover')
    consul = leader.client(timeout=(1.0, 3.0))
    consul.kv[key] = 'kept'
    replicated(cluster, key, 'kept')
    cluster.kill_leader()
    started = time.monotonic()
    with pytest.raises(exceptions.ConnectError):
        consul.kv[key]
    assert time.monotonic() - started < 1.0
    cluster.restart(leader)  # the same ports and data directory
    assert consul.kv.get(key, consistency='stale') == 'kept'
    cluster.wait_for_leader()
    assert consul.kv[key] == 'kept'
    consul.kv.delete(key)
