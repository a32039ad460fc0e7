"""An agent that stops, dies, freezes and comes back, under one long-lived client.

Each test hurts an agent of its own (``own_agent``, see conftest.py): stopped
with SIGINT or SIGKILL and started again on the same ports, or frozen with
SIGSTOP so that it accepts connections but never answers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import consulate
from consulate import exceptions
from consulate.api import txn
from consulate.testing import ConsulAgent
from tests.support.agents import freeze
from tests.support.names import unique

ClientOf = Callable[..., consulate.Consul]


def every_kind_of_call(consul: consulate.Consul, prefix: str) -> dict[str, Callable[[], Any]]:
    """One call of each kind: reads, writes, blocking reads, transactions, sessions, locks."""
    key = f'{prefix}/key'
    return {
        'status.leader': consul.status.leader,
        'kv.set': lambda: consul.kv.set(key, 'value'),
        'kv.get': lambda: consul.kv.get(key),
        'kv[key]': lambda: consul.kv[key],
        'key in kv': lambda: key in consul.kv,
        'kv.find': lambda: consul.kv.find(prefix),
        'blocking kv.get': lambda: consul.kv.get(key, index=1, wait='2s'),
        'txn.execute': lambda: consul.txn.execute([txn.kv_set(key, b'v')]),
        'kv.delete': lambda: consul.kv.delete(key),
        'session.create': lambda: consul.session.create(ttl='10s'),
        'session.list': consul.session.list,
        'catalog.nodes': consul.catalog.nodes,
        'health.state': lambda: consul.health.state('any'),
        'lock.acquire': lambda: consul.lock.acquire(f'{prefix}-lock').release(),
    }


def fill_the_pool(consul: consulate.Consul, prefix: str, threads: int = 6) -> None:
    """Open several keep-alive connections at once, so the pool holds more than one."""
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda i: consul.kv.set(f'{prefix}/fill/{i}', i), range(threads * 4)))


@pytest.mark.parametrize(
    ('transport', 'kill'),
    [('http', True), ('http', False), ('https', True), ('unix', False)],
    ids=['http-SIGKILL', 'http-SIGINT', 'https-SIGKILL', 'unix-SIGINT'],
)
def test_a_stopped_agent_fails_every_call_fast_and_the_same_client_recovers(
    own_agent: ConsulAgent, client_of: ClientOf, transport: str, kill: bool
) -> None:
    prefix = unique('restart')
    consul = client_of(transport, timeout=(1.0, 3.0))
    fill_the_pool(consul, prefix)

    own_agent.halt(kill=kill)
    for name, call in every_kind_of_call(consul, prefix).items():
        started = time.monotonic()
        with pytest.raises(exceptions.RequestError) as caught:
            call()
        assert time.monotonic() - started < 1.0, name
        assert isinstance(caught.value, exceptions.ConnectError), name
        assert caught.value.__cause__ is not None

    own_agent.start()  # the same ports, the same certificates, a fresh (dev) store
    # Every pooled connection is dead now; none of them may surface as an error.
    errors: list[BaseException] = []

    def first_calls(i: int) -> Any:
        try:
            consul.kv.set(f'{prefix}/after/{i}', i)
            return consul.kv[f'{prefix}/after/{i}']
        except BaseException as error:
            errors.append(error)
            raise

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(first_calls, range(24))) == [str(i) for i in range(24)]
    assert errors == []
    for name, call in every_kind_of_call(consul, prefix).items():
        if name != 'blocking kv.get':
            call()
    consul.kv.delete(prefix, recurse=True)


def test_retried_connection_failures_are_bounded(
    own_agent: ConsulAgent, client_of: ClientOf
) -> None:
    consul = client_of(retries=3)
    own_agent.halt()
    started = time.monotonic()
    with pytest.raises(exceptions.ConnectError):
        consul.status.leader()
    # Three back-offs of at most 0.1, 0.2 and 0.4 s: no hang, no endless retrying.
    assert 0.3 <= time.monotonic() - started < 1.5


def test_an_agent_dying_under_a_blocking_query(own_agent: ConsulAgent, client_of: ClientOf) -> None:
    key = unique('blocking')
    consul = client_of(timeout=(1.0, 3.0))
    consul.kv[key] = 'before'
    consul.kv.get_record(key)
    assert consul.kv.last_response is not None
    index = consul.kv.last_response.index
    outcome: dict[str, Any] = {}

    def block() -> None:
        started = time.monotonic()
        try:
            outcome['value'] = consul.kv.get(key, index=index, wait='30s')
        except BaseException as error:
            outcome['error'] = error
        outcome['seconds'] = time.monotonic() - started

    thread = threading.Thread(target=block)
    thread.start()
    time.sleep(0.5)
    own_agent.halt(kill=True)
    thread.join(10)
    assert not thread.is_alive()
    assert isinstance(outcome.get('error'), exceptions.RequestError)
    assert outcome['seconds'] < 2.0  # at once, not after the 30 s wait

    own_agent.start()
    consul.kv[key] = 'after'
    assert consul.kv[key] == 'after'


def test_a_frozen_agent_times_out_every_call_and_the_client_recovers(
    own_agent: ConsulAgent, client_of: ClientOf
) -> None:
    prefix = unique('frozen')
    consul = client_of(timeout=(0.3, 0.3), retries=3)
    consul.kv[f'{prefix}/key'] = 'v'
    thaw = freeze(own_agent)
    try:
        for name, call in every_kind_of_call(consul, prefix).items():
            if name == 'blocking kv.get':
                continue
            started = time.monotonic()
            with pytest.raises(exceptions.RequestTimeout):
                call()
            # One read timeout: a timed-out request is not retried, whatever ``retries`` says.
            assert time.monotonic() - started < 0.6, name
        # A blocking query widens its read timeout to wait + wait/16 + 5 s, and no more.
        started = time.monotonic()
        with pytest.raises(exceptions.RequestTimeout):
            consul.kv.get(f'{prefix}/key', index=1, wait='1s')
        assert 6.0 <= time.monotonic() - started < 7.0
    finally:
        thaw()
    # The timed-out writes above (a set, a transaction, a delete) may still be applied, in any
    # order, once the agent runs again: what is left under `key` is not defined. The client works.
    consul.kv[f'{prefix}/after'] = 'ok'
    assert consul.kv[f'{prefix}/after'] == 'ok'
    consul.kv.delete(prefix, recurse=True)


def test_a_timed_out_write_is_never_replayed(own_agent: ConsulAgent, client_of: ClientOf) -> None:
    name = unique('timed-out')
    consul = client_of(timeout=(0.5, 0.5), retries=5)
    thaw = freeze(own_agent)
    try:
        with pytest.raises(exceptions.RequestTimeout):
            consul.session.create(name=name, ttl='10s')
    finally:
        thaw()
    time.sleep(0.5)  # the agent works off what it received while frozen
    created = [s for s in consul.session.list() if s['Name'] == name]
    # The outcome of a timed-out write is unknown to the client, but it was sent once:
    # the agent applied it at most once.
    assert len(created) <= 1
    for session in created:
        consul.session.destroy(session['ID'])
