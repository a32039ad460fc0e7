"""The catalog against a real agent, over HTTP, HTTPS and a UNIX socket, and with ACLs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent
from tests.support.names import unique


def seed_service(node: str, name: str) -> dict[str, Any]:
    """A service dict shaped as the seed documents it."""
    return {'ID': f'{name}1', 'Service': name, 'Tags': ['master', 'v1'], 'Port': 8000}


def seed_check(node: str, name: str) -> dict[str, Any]:
    """A check dict shaped as the seed documents it."""
    return {
        'Node': node,
        'CheckID': f'service:{name}1',
        'Name': 'Redis health check',
        'Notes': 'Script based health check',
        'Status': 'passing',
        'ServiceID': f'{name}1',
    }


@pytest.fixture
def node(consul_agent: ConsulAgent) -> Iterator[str]:
    """A node name no other test uses; the node is deregistered afterwards."""
    name = unique('node')
    yield name
    with consul_agent.client() as client:
        client.catalog.deregister(name)


def test_datacenters_is_a_list(any_consul: consulate.Consul) -> None:
    assert any_consul.catalog.datacenters() == ['dc1']


def test_register_read_deregister(any_consul: consulate.Consul, node: str) -> None:
    catalog = any_consul.catalog
    name = unique('redis')
    assert catalog.register(
        node, '192.0.2.1', None, seed_service(node, name), seed_check(node, name)
    )
    assert node in [n['Node'] for n in catalog.nodes()]
    found = catalog.node(node)
    assert found['Node']['Address'] == '192.0.2.1'
    assert found['Services'][f'{name}1']['Port'] == 8000
    instances = catalog.service(name)
    assert isinstance(instances, list)
    assert [(i['Node'], i['ServiceID'], i['ServiceTags']) for i in instances] == [
        (node, f'{name}1', ['master', 'v1'])
    ]
    assert {'Service': name, 'Tags': ['master', 'v1']} in catalog.service_records()  # tags sorted
    assert [c['Status'] for c in any_consul.health.checks(name)] == ['passing']

    assert catalog.deregister(node, check_id=f'service:{name}1') is True
    assert any_consul.health.checks(name) == []
    assert catalog.service(name)  # the service stays
    assert catalog.deregister(node, service_id=f'{name}1') is True
    assert catalog.service(name) == []
    assert node in [n['Node'] for n in catalog.nodes()]  # the node stays
    assert catalog.deregister(node) is True
    assert node not in [n['Node'] for n in catalog.nodes()]
    with pytest.raises(exceptions.NotFound):
        catalog.node(node)
    assert catalog.deregister(node) is True  # what does not exist is not an error


def test_deregistering_a_node_takes_its_services_and_checks(
    consul: consulate.Consul, node: str
) -> None:
    name = unique('svc')
    consul.catalog.register(node, '192.0.2.2', service=seed_service(node, name))
    consul.catalog.register(node, '192.0.2.2', check={'CheckID': 'node-check', 'Name': 'n'})
    assert [c['CheckID'] for c in consul.health.node(node)] == ['node-check']
    consul.catalog.deregister(node)
    assert consul.catalog.service(name) == []
    assert consul.health.node(node) == []


def test_filters_and_options(consul: consulate.Consul, node: str) -> None:
    name, rack = unique('svc'), unique('rack')
    consul.catalog.register(
        node,
        '192.0.2.3',
        'dc1',
        {'Service': name, 'Tags': ['a', 'b'], 'Port': 1},
        node_meta={'rack': rack},
        tagged_addresses={'wan': '198.51.100.3'},
        checks=[{'CheckID': 'c1', 'Name': 'one'}, {'CheckID': 'c2', 'Name': 'two'}],
    )
    nodes = consul.catalog.nodes(node_meta={'rack': rack})
    assert [n['Node'] for n in nodes] == [node]  # one node is still a list
    assert nodes[0]['TaggedAddresses']['wan'] == '198.51.100.3'
    assert [n['Node'] for n in consul.catalog.nodes(filter=f'Meta.rack == "{rack}"')] == [node]
    assert {'Service': name, 'Tags': ['a', 'b']} in consul.catalog.service_records(
        node_meta={'rack': rack}
    )
    assert all(
        s['Service'] == name for s in consul.catalog.service_records(node_meta={'rack': rack})
    )
    assert len(consul.catalog.service(name, tag='a')) == 1
    assert len(consul.catalog.service(name, tag=['a', 'b'])) == 1
    assert consul.catalog.service(name, tag=['a', 'nope']) == []
    assert consul.catalog.service(name, filter='ServicePort == 2') == []
    assert consul.catalog.service(name, node_meta={'rack': 'other'}) == []
    assert consul.catalog.service(name, near='_agent')[0]['Node'] == node
    assert sorted(c['CheckID'] for c in consul.health.node(node)) == ['c1', 'c2']
    assert consul.catalog.node(node, filter='Service == "nope"')['Services'] == {}

    assert consul.catalog.register(node, '192.0.2.4', skip_node_update=True) is True
    assert consul.catalog.node(node)['Node']['Address'] == '192.0.2.3'


def test_unknown_datacenter(consul: consulate.Consul, node: str) -> None:
    with pytest.raises(exceptions.ServerError, match='No path to datacenter'):
        consul.catalog.register(node, '192.0.2.5', datacenter='nowhere')
    with pytest.raises(exceptions.ServerError, match='No path to datacenter'):
        consul.catalog.deregister(node, datacenter='nowhere')
    with pytest.raises(exceptions.NotFound):
        consul.catalog.node(node)  # nothing was registered


def test_client_datacenter_is_used(consul_agent: ConsulAgent, node: str) -> None:
    with consul_agent.client(datacenter='nowhere') as elsewhere:
        with pytest.raises(exceptions.ServerError, match='No path to datacenter'):
            elsewhere.catalog.nodes()
        with pytest.raises(exceptions.ServerError, match='No path to datacenter'):
            elsewhere.catalog.register(node, '192.0.2.6')
        assert elsewhere.catalog.register(node, '192.0.2.6', datacenter='dc1') is True


def test_blocking_read_wakes_on_a_change(
    consul_agent: ConsulAgent, consul: consulate.Consul, node: str
) -> None:
    name = unique('svc')
    assert consul.catalog.service(name) == []
    index = consul.catalog.last_response.index  # type: ignore[union-attr]
    assert isinstance(index, int)

    def register_later() -> None:
        time.sleep(0.3)
        with consul_agent.client() as other:
            other.catalog.register(node, '192.0.2.7', service={'Service': name})

    writer = threading.Thread(target=register_later)
    started = time.monotonic()
    writer.start()
    try:
        instances = consul.catalog.service(name, index=index, wait='10s')
    finally:
        writer.join()
    assert 0.25 < time.monotonic() - started < 5
    assert [i['Node'] for i in instances] == [node]
    assert consul.catalog.last_response.index > index  # type: ignore[union-attr]


def test_blocking_read_times_out_unchanged(consul: consulate.Consul) -> None:
    consul.catalog.nodes()
    index = consul.catalog.last_response.index  # type: ignore[union-attr]
    started = time.monotonic()
    consul.catalog.nodes(index=index, wait='200ms', consistency='stale')
    assert time.monotonic() - started >= 0.15
    assert consul.catalog.last_response.index == index  # type: ignore[union-attr]


# -- Connect instances, a node's service list, gateways ---------------------------------


def sidecar(name: str, port: int = 21000) -> dict[str, Any]:
    """A sidecar proxy of ``name``, as a catalog service dict."""
    return {
        'Kind': 'connect-proxy',
        'ID': f'{name}-sidecar-proxy',
        'Service': f'{name}-sidecar-proxy',
        'Port': port,
        'Proxy': {'DestinationServiceName': name},
    }


def test_connect_lists_the_sidecar_proxies(consul: consulate.Consul, node: str) -> None:
    name = unique('web')
    consul.catalog.register(node, '192.0.2.20', service={'Service': name, 'Port': 80})
    assert consul.catalog.connect(name) == []  # the service itself is not Connect-capable
    consul.catalog.register(node, '192.0.2.20', service=sidecar(name) | {'Tags': ['v1']})
    proxies = consul.catalog.connect(name)
    assert [(p['Node'], p['ServiceID'], p['ServiceKind']) for p in proxies] == [
        (node, f'{name}-sidecar-proxy', 'connect-proxy')
    ]
    assert proxies[0]['ServiceProxy']['DestinationServiceName'] == name
    assert [i['ServiceID'] for i in consul.catalog.service(name)] == [name]
    assert len(consul.catalog.connect(name, filter='"v1" in ServiceTags')) == 1
    assert consul.catalog.connect(name, filter='"v2" in ServiceTags') == []
    assert consul.catalog.connect(name, node_meta={'rack': 'none'}) == []
    assert consul.catalog.connect(name, near='_agent')[0]['Node'] == node
    assert consul.catalog.connect(unique('missing')) == []


def test_node_services_lists_a_nodes_services(consul: consulate.Consul, node: str) -> None:
    consul.catalog.register(node, '192.0.2.21')
    found = consul.catalog.node_services(node)
    assert (found['Node']['Node'], found['Services']) == (node, [])
    name = unique('svc')
    consul.catalog.register(node, '192.0.2.21', service={'ID': f'{name}1', 'Service': name})
    services = consul.catalog.node_services(node)['Services']
    assert [(s['ID'], s['Service']) for s in services] == [(f'{name}1', name)]
    assert consul.catalog.node_services(node, filter='Service == "nope"')['Services'] == []
    with pytest.raises(exceptions.NotFound):
        consul.catalog.node_services(unique('missing'))


def test_node_services_blocks_until_a_change(
    consul_agent: ConsulAgent, consul: consulate.Consul, node: str
) -> None:
    consul.catalog.register(node, '192.0.2.22')
    consul.catalog.node_services(node)
    index = consul.catalog.last_response.index  # type: ignore[union-attr]
    name = unique('svc')
    with consul_agent.client() as other:
        timer = threading.Timer(
            0.2, other.catalog.register, (node, '192.0.2.22'), {'service': {'Service': name}}
        )
        timer.start()
        started = time.monotonic()
        services = consul.catalog.node_services(node, index=index, wait='10s')['Services']
        timer.join()
    assert 0.15 < time.monotonic() - started < 5
    assert [s['Service'] for s in services] == [name]


@pytest.fixture
def ingress_gateway(consul: consulate.Consul, node: str) -> Iterator[tuple[str, str]]:
    """An ingress gateway registered on ``node`` routing TCP port 8080 to a service: (gateway, service)."""
    gateway, service = unique('gw'), unique('web')
    consul.catalog.register(
        node, '192.0.2.30', service={'Kind': 'ingress-gateway', 'Service': gateway, 'Port': 8443}
    )
    listener = {'Port': 8080, 'Protocol': 'tcp', 'Services': [{'Name': service}]}
    consul.config.apply({'Kind': 'ingress-gateway', 'Name': gateway, 'Listeners': [listener]})
    yield gateway, service
    consul.config.delete('ingress-gateway', gateway)


def test_gateway_services_lists_what_a_gateway_routes_to(
    consul: consulate.Consul, ingress_gateway: tuple[str, str]
) -> None:
    gateway, service = ingress_gateway
    links = consul.catalog.gateway_services(gateway)
    assert isinstance(links, list)
    assert [(g['Gateway']['Name'], g['Service']['Name']) for g in links] == [(gateway, service)]
    assert (links[0]['GatewayKind'], links[0]['Port'], links[0]['Protocol']) == (
        'ingress-gateway',
        8080,
        'tcp',
    )
    assert consul.catalog.last_response.index  # type: ignore[union-attr]
    assert consul.catalog.gateway_services(unique('missing')) == []  # Consul answers null


# -- with ACLs -------------------------------------------------------------------------


def test_token_rules_are_enforced(
    consul_acl_agent: ConsulAgent,
    acl_consul: consulate.Consul,
    limited: Callable[[str], consulate.Consul],
) -> None:
    node, name = unique('node'), unique('svc')
    client = limited(
        f'node "{node}" {{ policy = "write" }}\nservice "{name}" {{ policy = "write" }}'
    )
    try:
        assert client.catalog.register(node, '192.0.2.8', service={'Service': name}) is True
        with pytest.raises(exceptions.Forbidden):
            client.catalog.register(unique('node'), '192.0.2.9')
        with pytest.raises(exceptions.Forbidden):
            client.catalog.register(node, '192.0.2.8', service={'Service': unique('svc')})
        assert [n['Node'] for n in client.catalog.nodes()] == [node]  # filtered
        assert client.catalog.service_records() == [{'Service': name, 'Tags': []}]
        assert consul_acl_agent.node_name in [n['Node'] for n in acl_consul.catalog.nodes()]
        assert {'Service': 'consul', 'Tags': []} in acl_consul.catalog.service_records()
        with consul_acl_agent.client() as anonymous:
            assert anonymous.catalog.nodes() == []
            with pytest.raises(exceptions.Forbidden):
                anonymous.catalog.register(unique('node'), '192.0.2.10')
        with pytest.raises(exceptions.Forbidden):
            client.catalog.deregister(consul_acl_agent.node_name)
        assert client.catalog.deregister(node) is True
    finally:
        acl_consul.catalog.deregister(node)
    assert node not in [n['Node'] for n in acl_consul.catalog.nodes()]
