"""Live caches (``consul.cache``) against a real agent: snapshots, changes within 1 s, listeners,
pick, closing, faults.

The restart of an agent under a cache is in tests/faults/test_cache_restart.py.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent, free_ports
from tests.support.names import unique
from tests.support.polling import eventually, within
from tests.support.proxy import RecordingProxy


def check_status(snapshot: list[dict[str, Any]], service_id: str) -> str | None:
    """The status of ``service_id``'s own check in a service cache's snapshot (None: absent)."""
    for entry in snapshot:
        if entry['Service']['ID'] == service_id:
            return next(c['Status'] for c in entry['Checks'] if c['ServiceID'] == service_id)
    return None


@pytest.fixture
def web(consul: consulate.Consul) -> Iterator[str]:
    """A service with two passing TTL instances, ``<name>-1`` (port 8001) and ``<name>-2`` (8002)."""
    name = unique('web')
    for number in (1, 2):
        consul.agent.service.register(name, f'{name}-{number}', port=8000 + number, ttl='60s')
        consul.agent.check.ttl_pass(f'service:{name}-{number}')
    yield name
    for number in (1, 2):
        consul.agent.service.deregister(f'{name}-{number}')


def test_a_service_cache_sees_critical_passing_and_deregistered_within_a_second(
    consul: consulate.Consul, web: str
) -> None:
    one = f'{web}-1'
    with (
        consul.cache.service(web, passing=False, wait=30) as every,
        consul.cache.service(web, wait=30) as passing,
    ):
        assert check_status(every.wait_ready(10), one) == 'passing'
        assert len(passing.wait_ready(10)) == 2

        consul.agent.check.ttl_fail(f'service:{one}', 'down')
        within(1.0, lambda: check_status(every.value, one) == 'critical')
        within(1.0, lambda: [e['Service']['ID'] for e in passing.value] == [f'{web}-2'])

        consul.agent.check.ttl_pass(f'service:{one}')
        within(1.0, lambda: check_status(every.value, one) == 'passing')
        within(1.0, lambda: len(passing.value) == 2)

        consul.agent.service.deregister(one)
        within(1.0, lambda: check_status(every.value, one) is None)
        within(1.0, lambda: len(passing.value) == 1)
        assert every.healthy and passing.healthy and every.last_error is None


def test_reading_a_cache_makes_no_request(consul_agent: ConsulAgent, web: str) -> None:
    with (
        RecordingProxy(consul_agent.http_addr) as proxy,
        consulate.Consul(addr=f'http://{proxy.addr}', env={}) as client,
        client.cache.service(web, wait=30) as cache,
    ):
        cache.wait_ready(10)
        eventually(lambda: len(proxy.seen) == 2)  # the first read, then the open long poll
        before = len(proxy.seen)
        for _ in range(200):
            assert len(cache.value) == 2
            cache.pick()
        assert len(proxy.seen) == before


def test_cache_pick_never_returns_a_critical_instance_and_spreads(
    consul: consulate.Consul, web: str
) -> None:
    consul.agent.service.register(web, f'{web}-3', port=8003, ttl='60s')  # critical until passed
    try:
        with consul.cache.service(web, passing=False, wait=30) as cache:
            assert len(cache.wait_ready(10)) == 3
            picks = [cache.pick() for _ in range(60)]
            assert {port for _address, port in picks} == {8001, 8002}
            assert min(picks.count(pick) for pick in set(picks)) >= 10
            assert all(address == '127.0.0.1' for address, _port in picks)  # the node's

            consul.agent.check.ttl_fail(f'service:{web}-1')
            consul.agent.check.ttl_fail(f'service:{web}-2')
            within(1.0, lambda: check_status(cache.value, f'{web}-2') == 'critical')
            with pytest.raises(
                exceptions.NotFound, match=f"no passing instance of service '{web}'"
            ):
                cache.pick()
    finally:
        consul.agent.service.deregister(f'{web}-3')


def test_pick_before_the_first_answer_says_so(consul: consulate.Consul, web: str) -> None:
    cache = consul.cache.service(web)  # never started
    with pytest.raises(exceptions.NotFound, match='no answer'):
        cache.pick()
    assert cache.value == [] and not cache.ready and not cache.healthy


def test_listeners_get_the_first_answer_then_every_change_and_errors_are_logged(
    consul: consulate.Consul, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    consul.kv[f'{prefix}/a'] = 1
    seen: list[dict[str, Any]] = []
    late: list[dict[str, Any]] = []
    threads: set[str] = set()

    def record(snapshot: Any) -> None:
        threads.add(threading.current_thread().name)
        seen.append(dict(snapshot))

    def broken(snapshot: Any) -> None:
        raise RuntimeError('listener bug')

    cache = consul.cache.kv(prefix, wait=30)
    cache.add_listener(broken)
    cache.add_listener(record)
    with caplog.at_level(logging.ERROR, logger='consulate'), cache:
        cache.wait_ready(10)
        eventually(lambda: seen)
        cache.add_listener(late.append)  # called at once with the current snapshot
        assert [dict(s) for s in late] == [{f'{prefix}/a': '1'}]
        consul.kv[f'{prefix}/b'] = 'two'
        within(1.0, lambda: len(seen) == 2)
        consul.kv[f'{prefix}/a'] = 1  # the same value again: no change, no call
        del consul.kv[f'{prefix}/b']
        within(1.0, lambda: len(seen) == 3)
        cache.remove_listener(record)
        cache.remove_listener(record)  # not there any more: nothing happens
        consul.kv[f'{prefix}/c'] = 3
        within(1.0, lambda: len(late) == 4)
    assert seen == [
        {f'{prefix}/a': '1'},
        {f'{prefix}/a': '1', f'{prefix}/b': 'two'},
        {f'{prefix}/a': '1'},
    ]
    assert dict(late[-1]) == {f'{prefix}/a': '1', f'{prefix}/c': '3'}
    assert threads == {f"consulate-cache kv '{prefix}'"}
    assert [r.getMessage() for r in caplog.records].count(f'a listener of {cache!r} failed') >= 3
    assert cache.healthy is False  # closed


def test_a_kv_cache_is_a_read_only_mapping(consul: consulate.Consul, prefix: str) -> None:
    consul.kv[f'{prefix}/db'] = {'host': 'db1', 'port': 5432}
    consul.kv[f'{prefix}/flag'] = True
    with consul.cache.kv(f'{prefix}/') as cache:
        cache.wait_ready(10)
        assert cache[f'{prefix}/db'] == '{"host": "db1", "port": 5432}'
        assert f'{prefix}/flag' in cache and f'{prefix}/nope' not in cache
        assert sorted(cache) == [f'{prefix}/db', f'{prefix}/flag'] and len(cache) == 2
        assert cache.get(f'{prefix}/nope', 'default') == 'default'
        with pytest.raises(KeyError):
            cache[f'{prefix}/nope']
        with pytest.raises(TypeError):
            cache.value[f'{prefix}/x'] = 1  # type: ignore[index]
        snapshot = cache.value
        consul.kv[f'{prefix}/flag'] = False
        within(1.0, lambda: cache[f'{prefix}/flag'] == 'false')
        assert snapshot[f'{prefix}/flag'] == 'true'  # an old snapshot is never changed


def test_the_services_cache_follows_the_catalog(consul: consulate.Consul) -> None:
    name = unique('listed')
    with consul.cache.services(wait=30) as cache:
        assert name not in {s['Service'] for s in cache.wait_ready(10)}
        consul.agent.service.register(name, tags=['b', 'a'])
        try:
            within(1.0, lambda: {'Service': name, 'Tags': ['a', 'b']} in cache.value)
        finally:
            consul.agent.service.deregister(name)
        within(1.0, lambda: name not in {s['Service'] for s in cache.value})


def test_close_abandons_the_open_long_poll(consul: consulate.Consul, web: str) -> None:
    cache = consul.cache.service(web, wait=30).start()
    cache.wait_ready(10)
    eventually(lambda: cache._watcher.reading)  # the blocking query is open
    started = time.monotonic()
    cache.close()
    assert time.monotonic() - started < 1.0
    assert cache.closed and len(cache.value) == 2  # the last snapshot stays
    consul.agent.service.deregister(f'{web}-1')
    time.sleep(0.3)
    assert len(cache.value) == 2  # a closed cache is not updated
    with pytest.raises(RuntimeError, match='closed'):
        cache.start()


def test_a_cache_of_an_unreachable_agent_is_unhealthy_and_wait_ready_times_out() -> None:
    (port,) = free_ports(1)
    with (
        consulate.Consul(addr=f'http://127.0.0.1:{port}', env={}, timeout=1) as nowhere,
        nowhere.cache.kv('x', max_backoff=0.2) as cache,
    ):
        with pytest.raises(TimeoutError, match=r'last error: .*Connection refused'):
            cache.wait_ready(1.0)
        assert isinstance(cache.last_error, exceptions.ConnectError)
        assert not cache.healthy and not cache.ready
        assert dict(cache) == {}
        started = time.monotonic()
    assert time.monotonic() - started < 1.0  # closing while backing off: at once


def test_many_caches_do_not_starve_ordinary_calls(consul: consulate.Consul, prefix: str) -> None:
    caches = [consul.cache.kv(f'{prefix}/{n}/', wait=30).start() for n in range(12)]
    try:
        for cache in caches:
            cache.wait_ready(10)
        started = time.monotonic()
        for n in range(20):
            consul.kv[f'{prefix}/plain/{n}'] = n
            assert consul.kv[f'{prefix}/plain/{n}'] == str(n)
        assert time.monotonic() - started < 5.0  # 40 calls, none waiting for a long poll
        consul.kv[f'{prefix}/3/key'] = 'x'
        within(1.0, lambda: dict(caches[3]) == {f'{prefix}/3/key': 'x'})
    finally:
        for cache in caches:
            cache.close()
