"""The agent's cache (``?cached``, ``Cache-Control``) on every read a 1.8.7 agent serves from it.

A recording proxy in front of the shared agent shows what went over the wire;
the answer's ``X-Cache`` and ``Age`` come back as ``last_response.cache`` and
``last_response.age``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent
from tests.support.names import unique
from tests.support.proxy import RecordingProxy


def query_of(target: str) -> dict[str, list[str]]:
    """The query parameters of a request target, blank values kept."""
    return parse_qs(urlsplit(target).query, keep_blank_values=True)


@pytest.fixture
def proxied(consul_agent: ConsulAgent) -> Iterator[tuple[consulate.Consul, RecordingProxy]]:
    """A client talking to the shared agent through a recording proxy."""
    with (
        RecordingProxy(consul_agent.http_addr) as proxy,
        consulate.Consul(addr=f'http://{proxy.addr}', env={}) as client,
    ):
        yield client, proxy


@pytest.fixture
def names(consul_agent: ConsulAgent) -> Iterator[dict[str, str]]:
    """A registered service and a prepared query over it, for the reads below."""
    service = unique('cached')
    with consul_agent.client() as consul:
        consul.agent.service.register(service, port=8080)
        query = consul.query.create(service, unique('query'))
        yield {'service': service, 'query': query}
        consul.query.delete(query)
        consul.agent.service.deregister(service)


#: Each read the agent can answer from its cache: (name, endpoint, call).
READS: list[tuple[str, Callable[[consulate.Consul], Any], Callable[..., Any]]] = [
    ('health.service', lambda c: c.health, lambda c, n, **o: c.health.service(n['service'], **o)),
    ('health.connect', lambda c: c.health, lambda c, n, **o: c.health.connect(n['service'], **o)),
    ('catalog.services', lambda c: c.catalog, lambda c, n, **o: c.catalog.services(**o)),
    (
        'catalog.service',
        lambda c: c.catalog,
        lambda c, n, **o: c.catalog.service(n['service'], **o),
    ),
    ('catalog.datacenters', lambda c: c.catalog, lambda c, n, **o: c.catalog.datacenters(**o)),
    ('query.execute', lambda c: c.query, lambda c, n, **o: c.query.execute(n['query'], **o)),
    (
        'discovery_chain.get',
        lambda c: c.discovery_chain,
        lambda c, n, **o: c.discovery_chain.get(n['service'], **o),
    ),
    (
        'agent.connect.ca_roots',
        lambda c: c.agent.connect,
        lambda c, n, **o: c.agent.connect.ca_roots(**o),
    ),
    (
        'agent.connect.ca_leaf',
        lambda c: c.agent.connect,
        lambda c, n, **o: c.agent.connect.ca_leaf(n['service'], **o),
    ),
]


@pytest.mark.parametrize(('name', 'endpoint', 'read'), READS, ids=[r[0] for r in READS])
def test_cached_sends_the_flag_and_the_second_read_is_a_hit(
    proxied: tuple[consulate.Consul, RecordingProxy],
    names: dict[str, str],
    name: str,
    endpoint: Callable[[consulate.Consul], Any],
    read: Callable[..., Any],
) -> None:
    consul, proxy = proxied
    first = read(consul, names, cached=True)
    second = read(consul, names, cached=True)
    assert second == first
    response = endpoint(consul).last_response
    assert response.cache == 'HIT', name
    assert isinstance(response.age, int) and response.age >= 0
    assert [query_of(seen.target).get('cached') for seen in proxy.seen] == [[''], ['']]


def test_max_age_and_stale_if_error_are_sent_as_cache_control(
    proxied: tuple[consulate.Consul, RecordingProxy], names: dict[str, str]
) -> None:
    consul, proxy = proxied
    consul.query.execute(names['query'], cached=True, max_age=30, stale_if_error='2m')
    assert proxy.seen[-1].headers['Cache-Control'] == 'max-age=30, stale-if-error=120'
    consul.catalog.services(cached=True, max_age=1.9)
    assert proxy.seen[-1].headers['Cache-Control'] == 'max-age=1'
    consul.health.service(names['service'], cached=True)
    assert 'Cache-Control' not in proxy.seen[-1].headers
    assert consul.health.last_response is not None
    assert consul.health.last_response.cache in ('HIT', 'MISS')


def test_a_read_without_cached_bypasses_the_cache(
    proxied: tuple[consulate.Consul, RecordingProxy], names: dict[str, str]
) -> None:
    consul, proxy = proxied
    consul.health.service(names['service'])
    assert 'cached' not in query_of(proxy.seen[-1].target)
    assert consul.health.last_response is not None
    assert consul.health.last_response.cache is None
    assert consul.health.last_response.age is None


def test_max_age_without_cached_is_refused_before_sending(
    proxied: tuple[consulate.Consul, RecordingProxy], names: dict[str, str]
) -> None:
    consul, proxy = proxied
    with pytest.raises(exceptions.ValidationError, match='cached=True'):
        consul.catalog.services(max_age=10)
    with pytest.raises(exceptions.ValidationError, match='cached=True'):
        consul.health.service(names['service'], stale_if_error=10)
    with pytest.raises(exceptions.ValidationError, match='duration'):
        consul.catalog.services(cached=True, max_age='soon')
    assert proxy.seen == []


def test_cached_with_consistent_is_refused_by_consul(
    consul: consulate.Consul, names: dict[str, str]
) -> None:
    with pytest.raises(exceptions.BadRequest, match='cached'):
        consul.health.service(names['service'], cached=True, consistency='consistent')


def test_a_cached_blocking_read_wakes_on_a_change(
    consul: consulate.Consul, names: dict[str, str]
) -> None:
    service = names['service']
    consul.health.service(service, cached=True)
    assert consul.health.last_response is not None
    index = consul.health.last_response.index
    consul.agent.service.register(service, f'{service}-2', port=8081)
    try:
        found = consul.health.service(service, cached=True, index=index, wait='10s')
        assert {entry['Service']['Port'] for entry in found} == {8080, 8081}
    finally:
        consul.agent.service.deregister(f'{service}-2')
