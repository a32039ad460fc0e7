"""Health against a real agent, over HTTP, HTTPS and a UNIX socket, and with ACLs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any, TypeVar

import pytest

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent
from tests.support.names import unique
from tests.support.polling import eventually

T = TypeVar('T')


@pytest.fixture
def service(consul_agent: ConsulAgent) -> Iterator[str]:
    """A service with a passing TTL check, registered on the agent; deregistered afterwards."""
    name = unique('svc')
    with consul_agent.client() as client:
        client.agent.service.register(name, tags=['a'], ttl='60s')
        client.agent.check.ttl_pass(f'service:{name}')
        eventually(lambda: client.health.service(name, passing=True))
        yield name
        client.agent.service.deregister(name)


def statuses(entries: list[dict[str, Any]], check_id: str) -> list[str]:
    return [entry['Status'] for entry in entries if entry['CheckID'] == check_id]


def test_service_checks_node_and_state(
    any_consul: consulate.Consul, consul_agent: ConsulAgent, service: str
) -> None:
    health = any_consul.health
    check_id = f'service:{service}'
    instances = health.service(service)
    assert isinstance(instances, list)
    assert len(instances) == 1
    assert instances[0]['Node']['Node'] == consul_agent.node_name
    assert instances[0]['Service']['ID'] == service
    assert {c['CheckID'] for c in instances[0]['Checks']} == {'serfHealth', check_id}
    assert [c['CheckID'] for c in health.checks(service)] == [check_id]
    assert statuses(health.node(consul_agent.node_name), check_id) == ['passing']
    assert statuses(health.state('passing'), check_id) == ['passing']
    assert statuses(health.state('any'), check_id) == ['passing']
    assert statuses(health.state('critical'), check_id) == []

    any_consul.agent.check.ttl_fail(check_id, 'down')
    eventually(lambda: health.service(service, passing=True) == [])
    assert len(health.service(service)) == 1
    assert statuses(health.checks(service), check_id) == ['critical']
    assert statuses(health.state('critical'), check_id) == ['critical']
    assert statuses(health.state('passing'), check_id) == []
    assert health.checks(service)[0]['Output'] == 'down'


def test_warning_state(consul: consulate.Consul, service: str) -> None:
    check_id = f'service:{service}'
    consul.agent.check.ttl_warn(check_id)
    eventually(lambda: statuses(consul.health.state('warning'), check_id) == ['warning'])
    assert consul.health.service(service, passing=True) == []
    assert statuses(consul.health.state('unknown'), check_id) == []


def test_tags_filters_and_near(consul: consulate.Consul, service: str) -> None:
    assert len(consul.health.service(service, 'a')) == 1
    assert consul.health.service(service, 'nope') == []
    assert consul.health.service(service, ['a', 'nope']) == []
    assert len(consul.health.service(service, tag=['a'], passing=True)) == 1
    assert consul.health.service(service, filter='Service.Port == 1') == []
    assert consul.health.service(service, node_meta={'rack': 'nope'}) == []
    assert len(consul.health.service(service, near='_agent')) == 1
    assert consul.health.checks(service, filter='Status == "critical"') == []
    assert len(consul.health.checks(service, near='_agent', node_meta={})) == 1
    assert consul.health.state('any', filter=f'ServiceName == "{service}"')[0]['ServiceName'] == (
        service
    )


def test_unknown_names_give_empty_lists(consul: consulate.Consul) -> None:
    assert consul.health.service(unique('missing')) == []
    assert consul.health.checks(unique('missing')) == []
    assert consul.health.node(unique('missing')) == []


@pytest.mark.parametrize('state', ['bogus', 'PASSING', '', 'maintenance'])
def test_invalid_state_is_refused_before_any_request(state: str) -> None:
    with consulate.Consul(addr='http://127.0.0.1:1', env={}) as nowhere:  # nothing listens
        with pytest.raises(ValueError) as caught:
            nowhere.health.state(state)
    assert isinstance(caught.value, exceptions.ValidationError)


def test_blocking_read_follows_a_service(
    consul_agent: ConsulAgent, consul: consulate.Consul, service: str
) -> None:
    assert len(consul.health.service(service, passing=True)) == 1
    index = consul.health.last_response.index  # type: ignore[union-attr]
    assert isinstance(index, int)

    def fail_later() -> None:
        time.sleep(0.3)
        with consul_agent.client() as other:
            other.agent.check.ttl_fail(f'service:{service}')

    writer = threading.Thread(target=fail_later)
    started = time.monotonic()
    writer.start()
    try:
        passing = consul.health.service(service, passing=True, index=index, wait='10s')
    finally:
        writer.join()
    assert 0.25 < time.monotonic() - started < 5
    assert passing == []
    assert consul.health.last_response.index > index  # type: ignore[union-attr]


def test_blocking_read_times_out_unchanged(consul: consulate.Consul, service: str) -> None:
    consul.health.checks(service)
    index = consul.health.last_response.index  # type: ignore[union-attr]
    started = time.monotonic()
    consul.health.checks(service, index=index, wait=0.2, consistency='consistent')
    assert time.monotonic() - started >= 0.15
    assert consul.health.last_response.index == index  # type: ignore[union-attr]


# -- the service mesh: Connect instances and ingress gateways ----------------------------


@pytest.fixture
def mesh_node(consul_agent: ConsulAgent) -> Iterator[str]:
    """A catalog node no other test uses; deregistered with all it holds afterwards."""
    name = unique('node')
    yield name
    with consul_agent.client() as client:
        client.catalog.deregister(name)


def proxy_of(name: str, proxy_id: str, status: str) -> dict[str, Any]:
    """A sidecar proxy of ``name`` with one check in ``status``, as catalog.register arguments."""
    service = {
        'Kind': 'connect-proxy',
        'ID': proxy_id,
        'Service': f'{name}-sidecar-proxy',
        'Port': 21000,
        'Tags': [proxy_id],
        'Proxy': {'DestinationServiceName': name},
    }
    check = {'CheckID': f'check-{proxy_id}', 'Name': 'proxy', 'Status': status}
    return {'service': service, 'check': check | {'ServiceID': proxy_id}}


def test_connect_lists_the_proxies_with_their_checks(
    consul: consulate.Consul, mesh_node: str
) -> None:
    name = unique('web')
    consul.catalog.register(mesh_node, '192.0.2.40', service={'Service': name})
    assert consul.health.connect(name) == []
    consul.catalog.register(mesh_node, '192.0.2.40', **proxy_of(name, 'good', 'passing'))
    consul.catalog.register(mesh_node, '192.0.2.40', **proxy_of(name, 'bad', 'critical'))
    entries = consul.health.connect(name)
    assert sorted(e['Service']['ID'] for e in entries) == ['bad', 'good']
    assert {e['Service']['Kind'] for e in entries} == {'connect-proxy'}
    assert {e['Node']['Node'] for e in entries} == {mesh_node}
    statuses = {e['Service']['ID']: [c['Status'] for c in e['Checks']] for e in entries}
    assert statuses == {'good': ['passing'], 'bad': ['critical']}
    assert [e['Service']['ID'] for e in consul.health.connect(name, passing=True)] == ['good']
    only = consul.health.connect(name, filter='"bad" in Service.Tags')
    assert [e['Service']['ID'] for e in only] == ['bad']
    assert consul.health.connect(name, node_meta={'rack': 'none'}) == []
    assert len(consul.health.connect(name, near='_agent')) == 2
    assert [e['Service']['ID'] for e in consul.health.service(name)] == [name]  # not the proxies


def test_connect_blocks_until_a_proxy_changes(
    consul_agent: ConsulAgent, consul: consulate.Consul, mesh_node: str
) -> None:
    name = unique('web')
    consul.catalog.register(mesh_node, '192.0.2.41', **proxy_of(name, 'p1', 'passing'))
    assert len(consul.health.connect(name, passing=True)) == 1
    index = consul.health.last_response.index  # type: ignore[union-attr]
    with consul_agent.client() as other:
        failing = proxy_of(name, 'p1', 'critical')
        timer = threading.Timer(0.2, other.catalog.register, (mesh_node, '192.0.2.41'), failing)
        timer.start()
        started = time.monotonic()
        passing = consul.health.connect(name, passing=True, index=index, wait='10s')
        timer.join()
    assert 0.15 < time.monotonic() - started < 5
    assert passing == []


def test_ingress_lists_the_gateways_of_a_service(consul: consulate.Consul, mesh_node: str) -> None:
    gateway, name = unique('gw'), unique('web')
    consul.catalog.register(
        mesh_node,
        '192.0.2.42',
        service={'Kind': 'ingress-gateway', 'ID': gateway, 'Service': gateway, 'Port': 8443},
        check={'CheckID': 'gw-check', 'Name': 'gw', 'Status': 'passing', 'ServiceID': gateway},
    )
    assert consul.health.ingress(name) == []  # no configuration entry links them yet
    listener = {'Port': 8080, 'Protocol': 'tcp', 'Services': [{'Name': name}]}
    consul.config.apply({'Kind': 'ingress-gateway', 'Name': gateway, 'Listeners': [listener]})
    try:
        entries = consul.health.ingress(name)
        assert [(e['Node']['Node'], e['Service']['ID']) for e in entries] == [(mesh_node, gateway)]
        assert entries[0]['Service']['Kind'] == 'ingress-gateway'
        assert [c['CheckID'] for c in entries[0]['Checks']] == ['gw-check']
        assert len(consul.health.ingress(name, passing=True)) == 1
        assert consul.health.ingress(name, filter='Service.Port == 1') == []
        assert consul.health.ingress(unique('other')) == []
    finally:
        consul.config.delete('ingress-gateway', gateway)


# -- with ACLs -------------------------------------------------------------------------


def test_token_rules_filter_what_is_seen(
    consul_acl_agent: ConsulAgent, acl_consul: consulate.Consul
) -> None:
    name, other = unique('svc'), unique('svc')
    policy = acl_consul.acl.create_policy(
        unique('policy'),
        f'service "{name}" {{ policy = "read" }}\nnode_prefix "" {{ policy = "read" }}',
    )
    token = acl_consul.acl.create_token(policies=[{'ID': policy['ID']}])
    try:
        for service in (name, other):
            acl_consul.agent.service.register(service, ttl='60s')
            acl_consul.agent.check.ttl_pass(f'service:{service}')
        eventually(lambda: acl_consul.health.service(other, passing=True))
        eventually(lambda: acl_consul.health.service(name, passing=True))
        with consul_acl_agent.client(token=token['SecretID']) as client:
            assert len(client.health.service(name)) == 1
            assert client.health.service(other) == []  # filtered out
            assert [c['ServiceName'] for c in client.health.checks(name)] == [name]
            seen = {c['ServiceName'] for c in client.health.state('passing')}
            assert name in seen
            assert other not in seen
            assert 'serfHealth' in [
                c['CheckID'] for c in client.health.node(consul_acl_agent.node_name)
            ]
        with consul_acl_agent.client() as anonymous:
            assert anonymous.health.service(name) == []
            assert anonymous.health.state('any') == []
        assert len(acl_consul.health.service(other)) == 1
    finally:
        for service in (name, other):
            acl_consul.agent.service.deregister(service)
        acl_consul.acl.delete_token(token['AccessorID'])
        acl_consul.acl.delete_policy(policy['ID'])


# -- pick: one passing instance, spread over them ---------------------------------


@pytest.fixture
def pool(consul: consulate.Consul) -> Iterator[str]:
    """Four instances of one service: two passing, one warning, one critical."""
    name = unique('pool')
    instances = {
        f'{name}-a': ('', 9001, 'passing'),  # no address of its own: the node's
        f'{name}-b': ('10.1.2.3', 9002, 'passing'),
        f'{name}-c': ('10.1.2.4', 9003, 'warning'),
        f'{name}-d': ('10.1.2.5', 9004, 'critical'),
    }
    for service_id, (address, port, status) in instances.items():
        consul.agent.service.register(
            name, service_id, address=address or None, port=port, tags=[status], ttl='60s'
        )
        consul.agent.check.update(f'service:{service_id}', status)
    eventually(lambda: len(consul.health.service(name, passing=True)) == 2)
    yield name
    for service_id in instances:
        consul.agent.service.deregister(service_id)


def test_pick_returns_only_passing_instances_and_spreads_over_them(
    consul: consulate.Consul, consul_agent: ConsulAgent, pool: str
) -> None:
    node_address = consul.catalog.node(consul_agent.node_name)['Node']['Address']
    picks = [consul.health.pick(pool) for _ in range(40)]
    assert set(picks) == {(node_address, 9001), ('10.1.2.3', 9002)}
    assert min(picks.count(pick) for pick in set(picks)) >= 5  # both chosen, not always one
    assert consul.health.pick(pool, tag='passing') in set(picks)
    assert consul.health.pick(pool, near='_agent') in set(picks)


def test_pick_without_a_passing_instance_names_the_service(
    consul: consulate.Consul, pool: str
) -> None:
    with pytest.raises(exceptions.NotFound, match=f"no passing instance of service '{pool}'"):
        consul.health.pick(pool, tag='critical')
    with pytest.raises(exceptions.NotFound, match='nothing-is-called-this'):
        consul.health.pick('nothing-is-called-this')
