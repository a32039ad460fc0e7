"""Discovery chains against a real agent: compiled from config entries, with overrides."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent
from tests.support.names import unique


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
