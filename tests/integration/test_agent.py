"""The agent, its checks (consul.agent.check) and services (consul.agent.service) against real agents."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest

import consulate
from consulate import exceptions
from consulate.api.agent import Agent
from consulate.api.agent.check import Check
from consulate.api.agent.connect import AgentConnect
from consulate.api.agent.service import Service
from consulate.testing import ConsulAgent
from tests.support.names import unique
from tests.support.polling import eventually

T = TypeVar('T')

#: Gossip timings short enough to see a killed member fail within a second.
FAST_GOSSIP = {
    'gossip_lan': {
        'probe_interval': '100ms',
        'probe_timeout': '50ms',
        'gossip_interval': '50ms',
        'suspicion_mult': 1,
    }
}


def checks_by_id(consul: consulate.Consul) -> dict[str, dict[str, Any]]:
    return {check['CheckID']: check for check in consul.agent.check_records()}


def service_ids(consul: consulate.Consul) -> list[str]:
    return [service['ID'] for service in consul.agent.service_records()]


@pytest.fixture
def service_name(consul_agent: ConsulAgent) -> Iterator[str]:
    """A service name no other test uses; the service is deregistered afterwards."""
    name = unique('svc')
    yield name
    with consul_agent.client() as client:
        client.agent.service.deregister(name)


@pytest.fixture
def check_name(consul_agent: ConsulAgent) -> Iterator[str]:
    """A check name no other test uses; the check is deregistered afterwards."""
    name = unique('chk')
    yield name
    with consul_agent.client() as client:
        client.agent.check.deregister(name)


# -- the nested endpoints ---------------------------------------------------------


def test_check_and_service_are_attributes_sharing_the_client(consul: consulate.Consul) -> None:
    agent = consul.agent
    assert isinstance(agent, Agent)
    assert isinstance(agent.check, Agent.Check)
    assert isinstance(agent.service, Agent.Service)
    assert isinstance(agent.connect, Agent.Connect)
    assert Agent.Check is Check
    assert Agent.Service is Service
    assert Agent.Connect is AgentConnect
    assert agent.check._adapter is agent._adapter is agent.service._adapter
    assert agent.connect._adapter is agent._adapter
    assert consul.agent is agent


# -- services ---------------------------------------------------------------------


def test_service_register_list_deregister(any_consul: consulate.Consul, service_name: str) -> None:
    agent = any_consul.agent
    assert agent.service.register(service_name, port=80, tags=['a'], ttl='10s') is True
    services = {s['ID']: s for s in agent.service_records()}
    assert services[service_name]['Service'] == service_name
    assert services[service_name]['Port'] == 80
    assert services[service_name]['Tags'] == ['a']
    check = checks_by_id(any_consul)[f'service:{service_name}']
    assert check['ServiceID'] == service_name
    assert check['Type'] == 'ttl'
    assert agent.service.deregister(service_name) is True
    assert service_name not in service_ids(any_consul)
    assert f'service:{service_name}' not in checks_by_id(any_consul)


def test_one_service_and_one_check_are_still_lists(
    consul: consulate.Consul, service_name: str
) -> None:
    consul.agent.service.register(service_name, ttl=10)
    services = consul.agent.service_records(filter=f'Service == "{service_name}"')
    assert isinstance(services, list)
    assert [s['ID'] for s in services] == [service_name]
    checks = consul.agent.check_records(filter=f'ServiceID == "{service_name}"')
    assert isinstance(checks, list)
    assert [c['CheckID'] for c in checks] == [f'service:{service_name}']


def test_service_register_with_every_option(consul: consulate.Consul, service_name: str) -> None:
    sid = f'{service_name}-1'
    try:
        consul.agent.service.register(
            service_name,
            sid,
            '192.0.2.10',
            8080,
            ['v1', 'blue'],
            httpcheck=f'{consul.base_uri}/status/leader',
            interval='30s',
            check_timeout=2,
            deregister_critical_service_after='10m',
            meta={'team': 'a'},
            enable_tag_override=True,
        )
        service = {s['ID']: s for s in consul.agent.service_records()}[sid]
        assert service['Service'] == service_name
        assert service['Address'] == '192.0.2.10'
        assert service['Port'] == 8080
        assert service['Tags'] == ['v1', 'blue']
        assert service['Meta'] == {'team': 'a'}
        assert service['EnableTagOverride'] is True
        check = checks_by_id(consul)[f'service:{sid}']
        assert check['Type'] == 'http'
        assert check['ServiceID'] == sid
    finally:
        consul.agent.service.deregister(sid)
    assert sid not in service_ids(consul)


def test_service_script_check_runs_as_args(consul: consulate.Consul, service_name: str) -> None:
    consul.agent.service.register(service_name, check='/bin/sh -c "exit 1"', interval='1s')
    check_id = f'service:{service_name}'
    assert checks_by_id(consul)[check_id]['Type'] == 'script'
    # exit 1 is "warning": the quoted argument reached the shell in one piece
    eventually(lambda: checks_by_id(consul)[check_id]['Status'] == 'warning')


def test_service_tcp_check_and_more_checks(
    consul_agent: ConsulAgent, consul: consulate.Consul, service_name: str
) -> None:
    consul.agent.service.register(
        service_name,
        tcpcheck=consul_agent.http_addr,
        interval='1s',
        checks=[{'Name': 'extra', 'TTL': '30s'}],
    )
    checks = {
        c['CheckID']: c for c in consul.agent.check_records(filter=f'ServiceID == "{service_name}"')
    }
    assert sorted(checks) == [f'service:{service_name}:1', f'service:{service_name}:2']
    assert sorted(c['Type'] for c in checks.values()) == ['tcp', 'ttl']
    tcp = next(cid for cid, c in checks.items() if c['Type'] == 'tcp')
    eventually(lambda: checks_by_id(consul)[tcp]['Status'] == 'passing')
    consul.agent.service.deregister(service_name)
    assert not consul.agent.check_records(filter=f'ServiceID == "{service_name}"')


def test_service_grpc_check(consul: consulate.Consul, service_name: str) -> None:
    consul.agent.service.register(service_name, grpccheck='127.0.0.1:1', interval='30s')
    assert checks_by_id(consul)[f'service:{service_name}']['Type'] == 'grpc'


@pytest.mark.parametrize(
    'kwargs',
    [
        {'port': '80'},
        {'port': True},
        {'tags': 'a,b'},
        {'check': '/bin/true'},
        {'httpcheck': 'http://127.0.0.1/'},
        {'tcpcheck': '127.0.0.1:1'},
        {'check': '/bin/true', 'ttl': '10s', 'interval': '10s'},
        {'httpcheck': 'http://127.0.0.1/', 'ttl': '10s'},
        {'check': '/bin/true', 'httpcheck': 'http://127.0.0.1/', 'interval': '10s'},
        {'interval': '10s'},
        {'ttl': '10s', 'interval': '10s'},
        {'ttl': 'ten seconds'},
        {'check': '', 'interval': '10s'},
    ],
)
def test_invalid_service_registrations_raise_and_register_nothing(
    consul: consulate.Consul, service_name: str, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(ValueError) as caught:
        consul.agent.service.register(service_name, **kwargs)
    assert isinstance(caught.value, exceptions.ValidationError)
    assert service_name not in service_ids(consul)


def test_service_without_a_name_is_refused(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.ValidationError):
        consul.agent.service.register('')


def test_service_maintenance(consul: consulate.Consul, service_name: str) -> None:
    consul.agent.service.register(service_name, ttl='10s')
    maintenance = f'_service_maintenance:{service_name}'
    assert consul.agent.service.maintenance(service_name, reason='upgrade') is True
    check = checks_by_id(consul)[maintenance]
    assert check['Status'] == 'critical'
    assert check['Notes'] == 'upgrade'
    assert consul.agent.service.maintenance(service_name, enable=False) is True
    assert maintenance not in checks_by_id(consul)
    with pytest.raises(exceptions.NotFound):
        consul.agent.service.maintenance(unique('missing'))


def test_deregister_unknown_service_and_check(consul: consulate.Consul) -> None:
    assert consul.agent.service.deregister(unique('missing')) is True
    assert consul.agent.check.deregister(unique('missing')) is True


# -- checks -----------------------------------------------------------------------


def test_ttl_check_states_and_notes_reach_health(
    any_consul: consulate.Consul, consul_agent: ConsulAgent, check_name: str
) -> None:
    check = any_consul.agent.check
    assert check.register(check_name, ttl='30s', notes='for humans') is True
    assert checks_by_id(any_consul)[check_name]['Notes'] == 'for humans'

    def health_of() -> tuple[str, str] | None:
        for entry in any_consul.health.node(consul_agent.node_name):
            if entry['CheckID'] == check_name:
                return entry['Status'], entry['Output']
        return None

    assert check.ttl_pass(check_name, 'all good') is True
    eventually(lambda: health_of() == ('passing', 'all good'))
    assert check.ttl_warn(check_name, 'slow') is True
    eventually(lambda: health_of() == ('warning', 'slow'))
    assert check.ttl_fail(check_name) is True
    eventually(lambda: health_of() == ('critical', ''))
    assert check.deregister(check_name) is True
    assert check_name not in checks_by_id(any_consul)
    eventually(lambda: health_of() is None)


def test_check_update_and_initial_status(consul: consulate.Consul, check_name: str) -> None:
    check_id = f'{check_name}-id'
    try:
        consul.agent.check.register(check_name, check_id=check_id, ttl=30, status='passing')
        registered = checks_by_id(consul)[check_id]
        assert (registered['Name'], registered['Status']) == (check_name, 'passing')
        assert consul.agent.check.update(check_id, 'warning', 'degraded') is True
        updated = checks_by_id(consul)[check_id]
        assert (updated['Status'], updated['Output']) == ('warning', 'degraded')
        with pytest.raises(exceptions.ValidationError):
            consul.agent.check.update(check_id, 'bogus')
    finally:
        consul.agent.check.deregister(check_id)


def test_script_check_is_sent_as_args(consul: consulate.Consul, check_name: str) -> None:
    consul.agent.check.register(check_name, script='/bin/sh -c "exit 1"', interval='1s')
    assert checks_by_id(consul)[check_name]['Type'] == 'script'
    eventually(lambda: checks_by_id(consul)[check_name]['Status'] == 'warning')


def test_args_check(consul: consulate.Consul, check_name: str) -> None:
    consul.agent.check.register(check_name, args=['/bin/sh', '-c', 'echo fine'], interval=1)
    passing = eventually(
        lambda: (c := checks_by_id(consul)[check_name])['Status'] == 'passing' and c
    )
    assert passing['Output'].strip() == 'fine'


def test_http_check(consul_agent: ConsulAgent, consul: consulate.Consul, check_name: str) -> None:
    consul.agent.check.register(
        check_name,
        http=f'http://{consul_agent.http_addr}/v1/status/leader',
        interval='1s',
        method='GET',
        header={'X-Test': 'yes'},
        timeout='2s',
    )
    assert checks_by_id(consul)[check_name]['Type'] == 'http'
    eventually(lambda: checks_by_id(consul)[check_name]['Status'] == 'passing')


def test_tcp_check_of_a_service(
    consul_agent: ConsulAgent, consul: consulate.Consul, service_name: str, check_name: str
) -> None:
    consul.agent.service.register(service_name)
    consul.agent.check.register(
        check_name, tcp=consul_agent.http_addr, interval='1s', service_id=service_name
    )
    assert checks_by_id(consul)[check_name]['ServiceID'] == service_name
    eventually(lambda: checks_by_id(consul)[check_name]['Status'] == 'passing')
    consul.agent.service.deregister(service_name)
    assert check_name not in checks_by_id(consul)


def test_ttl_update_of_unknown_check_is_a_server_error(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.ServerError, match='does not have associated TTL'):
        consul.agent.check.ttl_pass(unique('missing'))


@pytest.mark.parametrize(
    'kwargs',
    [
        {},
        {'script': '/bin/true'},
        {'http': 'http://127.0.0.1/'},
        {'script': '/bin/true', 'http': 'http://127.0.0.1/', 'interval': '10s'},
        {'script': '/bin/true', 'ttl': '10s', 'interval': '10s'},
        {'http': 'http://127.0.0.1/', 'ttl': '10s'},
        {'ttl': '10s', 'interval': '10s'},
        {'tcp': '127.0.0.1:1'},
        {'grpc': '127.0.0.1:1'},
        {'args': '/bin/true', 'interval': '10s'},
        {'ttl': '10s', 'status': 'fine'},
        {'interval': -1, 'script': '/bin/true'},
    ],
)
def test_invalid_check_registrations_raise_and_register_nothing(
    consul: consulate.Consul, check_name: str, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(ValueError) as caught:
        consul.agent.check.register(check_name, **kwargs)
    assert isinstance(caught.value, exceptions.ValidationError)
    assert check_name not in checks_by_id(consul)


def test_check_without_a_name_is_refused(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.ValidationError):
        consul.agent.check.register('', ttl='10s')


# -- the agent itself -------------------------------------------------------------


def test_members_self_host_metrics(any_consul: consulate.Consul, consul_agent: ConsulAgent) -> None:
    members = any_consul.agent.members()
    assert isinstance(members, list)
    me = {m['Name']: m for m in members}[consul_agent.node_name]
    assert me['Status'] == 1
    assert me['Port'] == consul_agent.ports['serf_lan']
    wan = any_consul.agent.members(wan=True)
    assert f'{consul_agent.node_name}.dc1' in [m['Name'] for m in wan]
    config = any_consul.agent.self()['Config']
    assert config['NodeName'] == consul_agent.node_name
    assert config['Version'] == '1.8.7'
    assert {'Memory', 'CPU', 'Host'} <= set(any_consul.agent.host())
    metrics = any_consul.agent.metrics()
    assert isinstance(metrics['Gauges'], list)
    assert isinstance(metrics['Counters'], list)


def test_node_maintenance(consul: consulate.Consul) -> None:
    try:
        assert consul.agent.maintenance(reason='patching') is True
        check = checks_by_id(consul)['_node_maintenance']
        assert (check['Status'], check['Notes']) == ('critical', 'patching')
    finally:
        assert consul.agent.maintenance(False) is True
    assert '_node_maintenance' not in checks_by_id(consul)


def test_join_and_force_leave_errors(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.ServerError, match='Failed to join'):
        consul.agent.join('127.0.0.1:1')
    with pytest.raises(exceptions.ServerError, match='No node found'):
        consul.agent.force_leave(unique('missing'))


def test_token_needs_acls_and_a_known_name(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.ACLDisabled):
        consul.agent.token('default', 'x')
    with pytest.raises(exceptions.ValidationError):
        consul.agent.token('bogus', 'x')


class _LoneAgent(ConsulAgent):
    """A client agent in no cluster yet: ready as soon as its HTTP API answers."""

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        with self.client(timeout=(1.0, 5.0)) as consul:
            while True:
                with contextlib.suppress(exceptions.ConsulateException):
                    consul.agent.self()
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(f'consul did not answer in {timeout}s:\n{self.log()}')
                time.sleep(0.05)


@pytest.fixture(scope='module')
def server() -> Iterator[ConsulAgent]:
    """A server of its own, for the tests that change membership or configuration."""
    with ConsulAgent(config=FAST_GOSSIP) as agent:
        yield agent


def test_join_then_force_leave_a_failed_member(server: ConsulAgent) -> None:
    with _LoneAgent(dev=False, config=FAST_GOSSIP) as lone, server.client() as consul:

        def status() -> int | None:
            members = {m['Name']: m for m in consul.agent.members()}
            return members[lone.node_name]['Status'] if lone.node_name in members else None

        assert status() is None
        assert consul.agent.join(f'127.0.0.1:{lone.ports["serf_lan"]}') is True
        eventually(lambda: status() == 1)
        lone.halt(kill=True)
        eventually(lambda: status() == 4)  # failed
        assert consul.agent.force_leave(lone.node_name) is True
        eventually(lambda: status() == 3)  # left
        assert consul.agent.force_leave(lone.node_name, prune=True) is True
        eventually(lambda: status() is None)


def test_leave_shuts_the_agent_down() -> None:
    with _LoneAgent(dev=False) as lone, lone.client(timeout=(1.0, 5.0)) as consul:
        assert consul.agent.leave() is True

        def gone() -> bool:
            try:
                consul.agent.self()
            except exceptions.RequestError:
                return True
            return False

        eventually(gone)


def test_reload_reads_the_configuration_again(server: ConsulAgent) -> None:
    name = unique('reloaded')
    config_file = server.directory / 'agent.json'
    original = config_file.read_text()
    with server.client() as consul:
        try:
            config = json.loads(original) | {'services': [{'name': name, 'port': 1}]}
            config_file.write_text(json.dumps(config))
            assert name not in service_ids(consul)
            assert consul.agent.reload() is True
            eventually(lambda: name in service_ids(consul))
        finally:
            config_file.write_text(original)
            consul.agent.reload()
        eventually(lambda: name not in service_ids(consul))


# -- with ACLs --------------------------------------------------------------------


def test_service_token_rules_are_enforced(
    acl_consul: consulate.Consul, limited: Callable[[str], consulate.Consul]
) -> None:
    name, other = unique('svc'), unique('svc')
    client = limited(f'service "{name}" {{ policy = "write" }}')
    try:
        assert client.agent.service.register(name, ttl='10s') is True
        with pytest.raises(exceptions.Forbidden):
            client.agent.service.register(other, ttl='10s')
        assert acl_consul.agent.service.register(other) is True
        assert service_ids(client) == [name]  # the other service is filtered out
        assert {name, other} <= set(service_ids(acl_consul))
        assert client.agent.check.ttl_pass(f'service:{name}') is True
        with pytest.raises(exceptions.Forbidden):
            client.agent.check.register(unique('chk'), ttl='10s')  # node-level: needs node:write
        with pytest.raises(exceptions.Forbidden):
            client.agent.self()  # needs agent:read
        with pytest.raises(exceptions.Forbidden):
            client.agent.service.deregister(other)
    finally:
        acl_consul.agent.service.deregister(name)
        acl_consul.agent.service.deregister(other)
    assert not {name, other} & set(service_ids(acl_consul))


def test_management_token_reaches_everything(
    consul_acl_agent: ConsulAgent, acl_consul: consulate.Consul
) -> None:
    assert acl_consul.agent.self()['Config']['NodeName'] == consul_acl_agent.node_name
    assert consul_acl_agent.node_name in [m['Name'] for m in acl_consul.agent.members()]
    with consul_acl_agent.client() as anonymous, pytest.raises(exceptions.Forbidden):
        anonymous.agent.self()


def test_default_token_is_used_for_anonymous_requests(
    consul_acl_agent: ConsulAgent,
    acl_consul: consulate.Consul,
    limited: Callable[[str], consulate.Consul],
) -> None:
    key = f'{unique("tok")}/flag'
    acl_consul.kv[key] = 'on'
    reader = limited(f'key_prefix "{key}" {{ policy = "read" }}')
    with consul_acl_agent.client() as anonymous:
        try:
            with pytest.raises(exceptions.Forbidden):
                anonymous.kv.get(key)
            secret = reader.acl.read_self_token()['SecretID']
            assert acl_consul.agent.token('default', secret) is True
            assert anonymous.kv[key] == 'on'
        finally:
            assert acl_consul.agent.token('default', '') is True
            acl_consul.kv.delete(key)
        with pytest.raises(exceptions.Forbidden):
            anonymous.kv.get(key)


# -- one service: its record (hash-based blocking) and its health -------------------


def test_service_info_is_the_registered_service(
    consul: consulate.Consul, service_name: str
) -> None:
    consul.agent.service.register(service_name, port=8080, tags=['v1'], meta={'team': 'a'})
    service = consul.agent.service.info(service_name)
    assert (service['ID'], service['Service'], service['Port']) == (
        service_name,
        service_name,
        8080,
    )
    assert (service['Tags'], service['Meta']) == (['v1'], {'team': 'a'})
    response = consul.agent.service.last_response
    assert response is not None
    assert response.content_hash == service['ContentHash']
    with pytest.raises(exceptions.NotFound, match='unknown service ID'):
        consul.agent.service.info(unique('missing'))


def test_service_info_blocks_on_the_content_hash(
    consul_agent: ConsulAgent, consul: consulate.Consul, service_name: str
) -> None:
    consul.agent.service.register(service_name, port=1)
    consul.agent.service.info(service_name)
    first = consul.agent.service.last_response
    assert first is not None and first.content_hash
    # A read timeout shorter than the wait: the blocking read widens it.
    with consul_agent.client(timeout=(5.0, 0.3)) as short:
        started = time.monotonic()
        same = short.agent.service.info(service_name, hash=first.content_hash, wait=0.8)
        assert time.monotonic() - started >= 0.7  # nothing changed: it waited
        assert same['Port'] == 1
        timer = threading.Timer(0.2, consul.agent.service.register, (service_name,), {'port': 2})
        timer.start()
        started = time.monotonic()
        changed = short.agent.service.info(service_name, hash=first.content_hash, wait='10s')
        timer.join()
        assert time.monotonic() - started < 5  # woken by the change
        assert changed['Port'] == 2
        response = short.agent.service.last_response
        assert response is not None and response.content_hash != first.content_hash


def test_service_health_statuses_are_returned_not_raised(
    consul: consulate.Consul, service_name: str
) -> None:
    service = consul.agent.service
    service.register(service_name, ttl='60s')  # a new TTL check is critical
    status, record = service.health(service_name)
    assert (status, record['AggregatedStatus']) == ('critical', 'critical')
    assert record['Service']['ID'] == service_name
    assert [c['CheckID'] for c in record['Checks']] == [f'service:{service_name}']
    consul.agent.check.ttl_warn(f'service:{service_name}')
    assert service.health(service_name)[0] == 'warning'
    consul.agent.check.ttl_pass(f'service:{service_name}')
    assert service.health(service_name)[0] == 'passing'
    with pytest.raises(exceptions.NotFound, match='not found'):
        service.health(unique('missing'))


def test_service_health_by_name_is_the_worst_instance(
    consul: consulate.Consul, service_name: str
) -> None:
    service, other = consul.agent.service, f'{service_name}-2'
    service.register(service_name, ttl='60s')
    service.register(service_name, other, ttl='60s')
    try:
        consul.agent.check.ttl_pass(f'service:{service_name}')
        consul.agent.check.ttl_warn(f'service:{other}')
        status, records = service.health_by_name(service_name)
        assert status == 'warning'
        by_id = {r['Service']['ID']: r['AggregatedStatus'] for r in records}
        assert by_id == {service_name: 'passing', other: 'warning'}
        service.deregister(other)
        status, records = service.health_by_name(service_name)
        assert (status, len(records)) == ('passing', 1)
        with pytest.raises(exceptions.NotFound, match='Not Found'):
            service.health_by_name(unique('missing'))
    finally:
        service.deregister(other)


# -- Connect: CA roots, leaf certificates, authorization -----------------------------


def test_connect_ca_roots_are_the_datacenter_roots(consul: consulate.Consul) -> None:
    roots = consul.agent.connect.ca_roots()
    assert roots['ActiveRootID'] == consul.connect.ca.roots()['ActiveRootID']
    active = [root for root in roots['Roots'] if root['Active']]
    assert [root['ID'] for root in active] == [roots['ActiveRootID']]
    assert active[0]['RootCert'].startswith('-----BEGIN CERTIFICATE-----')
    response = consul.agent.connect.last_response
    assert response is not None and response.index


def test_connect_ca_leaf_is_a_certificate_for_the_service(consul: consulate.Consul) -> None:
    name = unique('leaf')
    leaf = consul.agent.connect.ca_leaf(name)
    response = consul.agent.connect.last_response
    assert response is not None and response.index
    trust_domain = consul.agent.connect.ca_roots()['TrustDomain']
    assert leaf['Service'] == name
    assert leaf['ServiceURI'] == f'spiffe://{trust_domain}/ns/default/dc/dc1/svc/{name}'
    assert leaf['CertPEM'].startswith('-----BEGIN CERTIFICATE-----')
    assert 'PRIVATE KEY' in leaf['PrivateKeyPEM']
    started = time.monotonic()
    again = consul.agent.connect.ca_leaf(name, index=response.index, wait=0.5)
    assert time.monotonic() - started >= 0.4  # a blocking read: no new certificate yet
    assert again['SerialNumber'] == leaf['SerialNumber']


def test_connect_authorize_follows_the_intentions(consul: consulate.Consul) -> None:
    client, target = unique('client'), unique('target')
    leaf = consul.agent.connect.ca_leaf(client)
    allowed = consul.agent.connect.authorize(
        target, leaf['ServiceURI'], client_cert_serial=leaf['SerialNumber']
    )
    assert allowed['Authorized'] is True  # no intention, and ACLs off: allowed by default
    intention = consul.connect.intentions.create(client, target, 'deny')
    try:

        def denied() -> dict[str, Any] | None:
            # the agent answers from its cache of intentions, refreshed by a blocking query
            answer = consul.agent.connect.authorize(target, leaf['ServiceURI'])
            return answer if answer['Authorized'] is False else None

        assert 'intention' in eventually(denied)['Reason']
    finally:
        consul.connect.intentions.delete(intention)
    with pytest.raises(exceptions.BadRequest, match='not a valid Connect identifier'):
        consul.agent.connect.authorize(target, 'http://example.com/')


# -- routes newer than Consul 1.8 ---------------------------------------------------


@pytest.mark.parametrize(
    ('call', 'path', 'since'),
    [
        (lambda c: c.agent.version(), 'version', 'Consul 1.16'),
        (lambda c: next(c.agent.metrics_stream()), 'metrics/stream', 'Consul 1.10'),
    ],
)
def test_newer_routes_raise_unsupported_endpoint(
    consul: consulate.Consul, call: Callable[[consulate.Consul], Any], path: str, since: str
) -> None:
    with pytest.raises(exceptions.UnsupportedEndpoint) as raised:
        call(consul)
    assert raised.value.status_code == 404
    assert raised.value.path == f'/v1/agent/{path}'
    assert f'this endpoint needs {since}' in str(raised.value)


# -- the log stream -----------------------------------------------------------------


@pytest.fixture
def busy_service(consul_agent: ConsulAgent) -> Iterator[str]:
    """A service registered and deregistered every 0.1 s, so the agent keeps logging."""
    name, stop = unique('busy'), threading.Event()

    def churn() -> None:
        with consul_agent.client() as client:
            while not stop.wait(0.1):
                client.agent.service.register(name, port=1)
                client.agent.service.deregister(name)

    thread = threading.Thread(target=churn, daemon=True)
    thread.start()
    yield name
    stop.set()
    thread.join()


def read_until(lines: Iterator[str], wanted: Callable[[str], bool], limit: int = 2000) -> list[str]:
    """The lines read from ``lines`` up to and including the first ``wanted`` one."""
    seen = []
    for line in lines:
        seen.append(line)
        if wanted(line) or len(seen) >= limit:
            break
    assert seen and wanted(seen[-1]), f'not found in {len(seen)} lines'
    return seen


@pytest.mark.parametrize('level', ['debug', 'info'])
def test_monitor_yields_log_lines_until_closed(
    consul: consulate.Consul, busy_service: str, level: str
) -> None:
    # A second stream at trace level sees the agent finish the first one's request.
    watcher = consul.agent.monitor('trace', timeout=5)
    read_until(watcher, lambda line: busy_service in line)
    lines = consul.agent.monitor(level, timeout=5)
    seen = read_until(lines, lambda line: f'Synced service: service={busy_service}' in line)
    assert all(isinstance(line, str) and '\n' not in line for line in seen)
    if level == 'debug':
        seen += read_until(lines, lambda line: '[DEBUG]' in line)
    else:
        assert not [line for line in seen if '[DEBUG]' in line or '[TRACE]' in line]
    lines.close()
    with pytest.raises(StopIteration):
        next(lines)
    finished = f'Request finished: method=GET url=/v1/agent/monitor?loglevel={level}'
    read_until(watcher, lambda line: finished in line)
    watcher.close()


def test_monitor_log_json_lines(consul: consulate.Consul, busy_service: str) -> None:
    lines = consul.agent.monitor('info', log_json=True, timeout=5)
    try:
        seen = read_until(lines, lambda line: busy_service in line)
    finally:
        lines.close()
    record = json.loads(seen[-1])
    assert record['@level'] == 'info'
    assert record['service'] == busy_service


def test_monitor_never_hangs_and_checks_its_level(consul: consulate.Consul) -> None:
    lines = consul.agent.monitor('error', timeout=0.5)  # nothing is logged at error level
    started = time.monotonic()
    with pytest.raises(exceptions.RequestTimeout):
        next(lines)
    assert time.monotonic() - started < 3
    with pytest.raises(exceptions.BadRequest, match='Unknown log level'):
        next(consul.agent.monitor('loud'))


def test_service_register_takes_the_old_check_models(
    consul: consulate.Consul, service_name: str
) -> None:
    from consulate.models import agent as models

    consul.agent.service.register(
        service_name,
        port=80,
        check=models.Check(name='main', ttl='30s'),
        checks=[models.Check(name='extra', http='http://127.0.0.1:1/', interval='60s')],
    )
    checks = {c['Name']: c for c in consul.health.checks(service_name)}
    assert sorted(checks) == ['extra', 'main']
    assert checks['main']['Type'] == 'ttl' and checks['extra']['Type'] == 'http'
