"""Discovery chains against a real agent: compiled from config entries, with overrides."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent
from tests.support.names import unique
from tests.support.proxy import RecordingProxy


@pytest.fixture
def service(consul: consulate.Consul) -> Iterator[str]:
    name = unique('chain')
    yield name
    consul.config.delete('service-resolver', name)
    consul.config.delete('service-defaults', name)


def test_default_chain(consul: consulate.Consul, consul_agent: ConsulAgent, service: str) -> None:
    chain = consul.discovery_chain.get(service)
    start = f'resolver:{service}.default.{consul_agent.datacenter}'
    assert (chain['ServiceName'], chain['Protocol'], chain['StartNode']) == (service, 'tcp', start)
    assert chain['Nodes'][start]['Resolver']['Default'] is True
    assert consul.discovery_chain.get(service, compile_dc=consul_agent.datacenter) == chain


def test_chain_follows_config_entries(consul: consulate.Consul, service: str) -> None:
    consul.config.apply({'Kind': 'service-defaults', 'Name': service, 'Protocol': 'http'})
    consul.config.apply({'Kind': 'service-resolver', 'Name': service, 'ConnectTimeout': '12s'})
    chain = consul.discovery_chain.get(service)
    assert chain['Protocol'] == 'http'
    resolver = chain['Nodes'][chain['StartNode']]['Resolver']
    assert (resolver.get('Default', False), resolver['ConnectTimeout']) == (False, '12s')


def test_overrides_are_posted(consul: consulate.Consul, service: str) -> None:
    chain = consul.discovery_chain.get(
        service, override_protocol='grpc', override_connect_timeout=7, override_mesh_gateway='local'
    )
    assert consul.discovery_chain.last_response.method == 'POST'  # type: ignore[union-attr]
    assert chain['Protocol'] == 'grpc'
    assert chain['Nodes'][chain['StartNode']]['Resolver']['ConnectTimeout'] == '7s'


def test_blocking_get_and_post(consul: consulate.Consul, service: str) -> None:
    consul.discovery_chain.get(service)
    index = consul.discovery_chain.last_response.index  # type: ignore[union-attr]
    for overrides in ({}, {'override_protocol': 'http'}):
        started = time.monotonic()
        consul.discovery_chain.get(service, index=index, wait='1s', **overrides)  # type: ignore[arg-type]
        assert time.monotonic() - started >= 0.9, overrides
    consul.config.apply({'Kind': 'service-defaults', 'Name': service, 'Protocol': 'http2'})
    chain = consul.discovery_chain.get(service, index=index, wait='10s', consistency='consistent')
    assert chain['Protocol'] == 'http2'


def test_namespace_is_sent(consul: consulate.Consul, service: str) -> None:
    with pytest.raises(exceptions.BadRequest, match='Namespaces are a Consul Enterprise feature'):
        consul.discovery_chain.get(service, namespace='team-a')


@pytest.mark.parametrize('overrides', [{}, {'override_protocol': 'http'}], ids=['GET', 'POST'])
def test_evaluate_in_datacenter_is_sent_as_compile_dc(
    consul_agent: ConsulAgent, service: str, overrides: dict[str, str]
) -> None:
    with RecordingProxy(consul_agent.http_addr) as proxy:
        with consulate.Consul(addr=f'http://{proxy.addr}', env={}) as client:
            chain = client.discovery_chain.get(
                service,
                evaluate_in_datacenter='dc2',
                **overrides,  # type: ignore[arg-type]
            )
    (seen,) = proxy.seen
    query = parse_qs(urlsplit(seen.target).query)
    assert query['compile-dc'] == ['dc2']
    assert b'EvaluateInDatacenter' not in seen.body
    # what Consul did with it: the chain was compiled for dc2
    assert chain['StartNode'] == f'resolver:{service}.default.dc2'


def test_evaluate_in_datacenter_and_a_different_compile_dc_are_refused(
    consul: consulate.Consul, service: str
) -> None:
    with pytest.raises(exceptions.ValidationError, match='one setting'):
        consul.discovery_chain.get(service, compile_dc='dc1', evaluate_in_datacenter='dc2')
    same = consul.discovery_chain.get(service, compile_dc='dc2', evaluate_in_datacenter='dc2')
    assert same['StartNode'].endswith('.dc2')
