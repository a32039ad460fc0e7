"""consulate's answers against their return annotations, on real agents, with typeguard.

Each call goes through :func:`tests.support.shapes.checked`, which checks the
answer against the method's own return annotation: every item of every
list, every field a shape declares, required fields present. Fields a shape
does not declare are tolerated (newer Consul versions add some) but, on
Consul 1.8.7, the version the shapes were measured on, they fail the test:
the shapes must be complete for it. The agents are the suite's own: the
plain one (over HTTP, HTTPS and its UNIX socket), the ACL-enabled one and a
3-server cluster.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import consulate
from consulate import exceptions
from consulate.api import txn
from consulate.testing import ConsulAgent, ConsulCluster
from tests.integration.test_acl import make_jwt
from tests.support import shapes
from tests.support.names import unique
from tests.support.polling import eventually
from tests.support.shapes import checked

#: The Consul version whose answers the shapes describe field for field.
MEASURED = '1.8.7'
#: The shapes that declare only the fields every variant has: a config entry's other
#: fields depend on its kind (its author's document).
OPEN_SHAPES = ('ConfigEntry.',)


def consul_version(consul: consulate.Consul) -> str:
    return str(consul.agent.self()['Config']['Version'])


@pytest.fixture(autouse=True)
def no_undeclared_fields(consul_agent: ConsulAgent) -> Iterator[None]:
    """On Consul 1.8.7, an answer holding a field its shape does not declare fails the test."""
    shapes.EXTRA_KEYS.clear()
    yield
    with consul_agent.client() as client:
        version = consul_version(client)
    extra = {key for key in shapes.EXTRA_KEYS if not key.startswith(OPEN_SHAPES)}
    if version == MEASURED:
        assert not extra, f'fields Consul {version} sends that no shape declares'


@pytest.fixture
def service(consul: consulate.Consul) -> Iterator[str]:
    """A service of the agent with a passing TTL check; its ID."""
    name = unique('web')
    consul.agent.service.register(
        name, port=8080, address='127.0.0.1', tags=['v1'], ttl='30s', meta={'team': 'a'}
    )
    consul.agent.check.ttl_pass(f'service:{name}')
    yield name
    consul.agent.service.deregister(name)


# -- the plain agent, over each transport (HTTPS: TLS) ------------------------------------


def test_answers_over_every_transport(any_consul: consulate.Consul) -> None:
    consul = any_consul
    key = unique('shapes')
    consul.kv[key] = 'v'
    try:
        checked(consul.kv.get_record, key)
        checked(consul.kv.entries, key)
        checked(consul.catalog.nodes)
        checked(consul.health.state, 'any')
        checked(consul.agent.members)
    finally:
        consul.kv.delete(key)


# -- KV, transactions, sessions, events ---------------------------------------------------


def test_kv_and_transaction_answers(consul: consulate.Consul, prefix: str) -> None:
    consul.kv[f'{prefix}/a'] = 'text'
    consul.kv[f'{prefix}/b'] = b'\xff\x00'
    session = consul.session.create(unique('s'), ttl='30s')
    assert consul.kv.acquire_lock(f'{prefix}/held', session, 'mine')
    record = checked(consul.kv.get_record, f'{prefix}/held')
    assert record['Session'] == session
    checked(consul.kv.get_record, f'{prefix}/b')
    checked(consul.kv.entries, prefix)
    checked(consul.kv.entries, prefix, raw=True)
    results = checked(
        consul.txn.execute,
        [txn.kv_get(f'{prefix}/a'), txn.kv_set(f'{prefix}/c', b'x'), txn.kv_get_tree(prefix)],
    )
    assert results and all('KV' in result for result in results)
    node = consul.agent.self()['Config']['NodeName']
    results = checked(consul.txn.execute, [txn.node_get(node)])
    assert results[0]['Node']['Node'] == node


def test_session_answers(consul: consulate.Consul, service: str) -> None:
    session = consul.session.create(unique('s'), ttl='30s', delay='5s')
    node = consul.agent.self()['Config']['NodeName']
    checked(consul.session.info, session)
    checked(consul.session.renew, session)
    checked(consul.session.list)
    checked(consul.session.node, node)
    consul.session.destroy(session)


def test_event_answers(consul: consulate.Consul) -> None:
    name = unique('deploy')
    consul.event.fire(name, b'payload')
    consul.event.fire(name)
    events = eventually(lambda: checked(consul.event.list, name) or None)
    assert events


# -- the agent, its services and checks ------------------------------------------------------


def test_agent_answers(consul: consulate.Consul, service: str) -> None:
    checked(consul.agent.self)
    checked(consul.agent.host)
    checked(consul.agent.members)
    checked(consul.agent.members, wan=True)
    checked(consul.agent.metrics)
    checked(consul.agent.service.info, service)
    status, _ = checked(consul.agent.service.health, service)
    assert status == 'passing'
    checked(consul.agent.service.health_by_name, service)
    checked(consul.agent.services)
    checked(consul.agent.service_records)
    checked(consul.agent.checks)
    checked(consul.agent.check_records)
    checked(consul.catalog.services)
    checked(consul.catalog.service_records)


def test_agent_answers_with_a_proxy(consul: consulate.Consul, service: str) -> None:
    """A sidecar proxy fills the Proxy and Kind fields of AgentService, CatalogService and health entries."""
    proxy = f'{service}-proxy'
    consul.catalog.register(
        consul.agent.self()['Config']['NodeName'],
        '127.0.0.1',
        service={
            'Kind': 'connect-proxy',
            'ID': proxy,
            'Service': proxy,
            'Port': 21000,
            'Proxy': {
                'DestinationServiceName': service,
                'DestinationServiceID': service,
                'LocalServicePort': 8080,
                'Upstreams': [{'DestinationName': 'db', 'LocalBindPort': 9191}],
            },
        },
    )
    try:
        found = checked(consul.catalog.connect, service)
        assert found and found[0]['ServiceKind'] == 'connect-proxy'
        checked(consul.health.connect, service)
    finally:
        consul.catalog.deregister(consul.agent.self()['Config']['NodeName'], service_id=proxy)


def test_connect_answers(consul: consulate.Consul) -> None:
    client, target = unique('client'), unique('target')
    checked(consul.agent.connect.ca_roots)
    leaf = checked(consul.agent.connect.ca_leaf, client)
    checked(consul.agent.connect.authorize, target, leaf['ServiceURI'])
    checked(consul.connect.ca.roots)
    checked(consul.connect.ca.configuration)
    intention = consul.connect.intentions.create(client, target, 'deny', meta={'by': 'test'})
    try:
        checked(consul.connect.intentions.get, intention)
        checked(consul.connect.intentions.list)
        checked(consul.connect.intentions.match, 'destination', [target, unique('none')])
    finally:
        consul.connect.intentions.delete(intention)
    checked(consul.discovery_chain.get, target)


def test_config_entry_answers(consul: consulate.Consul) -> None:
    name = unique('svc')
    consul.config.apply({'Kind': 'service-defaults', 'Name': name, 'Protocol': 'http'})
    try:
        checked(consul.config.get, 'service-defaults', name)
        checked(consul.config.list, 'service-defaults')
        checked(consul.discovery_chain.get, name)
    finally:
        consul.config.delete('service-defaults', name)


# -- the catalog and health ------------------------------------------------------------------


def test_catalog_and_health_answers(consul: consulate.Consul, service: str) -> None:
    node = consul.agent.self()['Config']['NodeName']
    external = unique('ext')
    consul.catalog.register(
        external,
        '192.0.2.10',
        service={'Service': 'db', 'Port': 5432, 'Tags': ['primary'], 'Meta': {'v': '1'}},
        check={'Name': 'alive', 'Status': 'passing', 'ServiceID': 'db'},
        node_meta={'rack': 'r1'},
        tagged_addresses={'wan': '198.51.100.10'},
    )
    try:
        checked(consul.catalog.datacenters)
        checked(consul.catalog.nodes)
        checked(consul.catalog.node, node)
        checked(consul.catalog.node, external)
        checked(consul.catalog.node_services, node)
        checked(consul.catalog.service, service)
        checked(consul.catalog.service, 'db')
        entries = checked(consul.health.service, service, passing=True)
        assert entries and entries[0]['Service']['ID'] == service
        checked(consul.health.service, 'db')
        checked(consul.health.checks, service)
        checked(consul.health.node, node)
        checked(consul.health.node, external)
        checked(consul.health.state, 'passing')
        checked(consul.coordinate.datacenters)
        for entry in checked(consul.coordinate.nodes)[:1]:  # once the agent has sent one
            checked(consul.coordinate.node, entry['Node'])
    finally:
        consul.catalog.deregister(external)


def test_gateway_answers(consul: consulate.Consul) -> None:
    node = consul.agent.self()['Config']['NodeName']
    gateway, target = unique('gw'), unique('web')
    consul.catalog.register(
        node, '127.0.0.1', service={'Kind': 'ingress-gateway', 'Service': gateway, 'Port': 8443}
    )
    listener = {'Port': 8080, 'Protocol': 'tcp', 'Services': [{'Name': target}]}
    consul.config.apply({'Kind': 'ingress-gateway', 'Name': gateway, 'Listeners': [listener]})
    try:
        assert checked(consul.catalog.gateway_services, gateway)
        checked(consul.health.ingress, target)
    finally:
        consul.config.delete('ingress-gateway', gateway)
        consul.catalog.deregister(node, service_id=gateway)


def test_prepared_query_answers(consul: consulate.Consul, service: str) -> None:
    query = consul.query.create(service, unique('q'), tags=['v1'], only_passing=True)
    try:
        checked(consul.query.get, query)
        checked(consul.query.list)
        found = checked(consul.query.execute, query)
        assert found['Nodes'] and found['Nodes'][0]['Service']['ID'] == service
        checked(consul.query.explain, query)
    finally:
        consul.query.delete(query)


def test_operator_answers(consul: consulate.Consul) -> None:
    checked(consul.operator.raft.configuration)
    checked(consul.operator.autopilot.configuration)
    checked(consul.operator.autopilot.health)


def test_watches_and_caches_yield_their_shapes(consul: consulate.Consul, service: str) -> None:
    with consul.watch.service(service) as watcher:
        shapes.check_answer(watcher.next(timeout=10), list[consulate.types.ServiceEntry])
    with consul.watch.nodes() as watcher:
        shapes.check_answer(watcher.next(timeout=10), list[consulate.types.Node])
    with consul.watch.checks(service) as watcher:
        shapes.check_answer(watcher.next(timeout=10), list[consulate.types.HealthCheck])
    with consul.cache.service(service, passing=False) as cache:
        shapes.check_answer(cache.wait_ready(timeout=10), list[consulate.types.ServiceEntry])


# -- the ACL-enabled agent -----------------------------------------------------------------------


@pytest.fixture(scope='module')
def jwt_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """An RSA key made by openssl, to sign the JWT of a login: its path, and the public key."""
    openssl = shutil.which('openssl')
    if openssl is None:
        pytest.skip('openssl is needed to sign a JWT')
    key = tmp_path_factory.mktemp('jwt') / 'key.pem'
    subprocess.run([openssl, 'genrsa', '-out', str(key), '2048'], check=True, capture_output=True)
    public = subprocess.run(
        [openssl, 'rsa', '-in', str(key), '-pubout'], check=True, capture_output=True, text=True
    ).stdout
    return key, public


def test_acl_answers(
    consul_acl_agent: ConsulAgent, acl_consul: consulate.Consul, jwt_key: tuple[Path, str]
) -> None:
    consul = acl_consul
    key, public = jwt_key
    config = {'JWTValidationPubKeys': [public], 'BoundAudiences': ['consul']}
    policy = checked(consul.acl.create_policy, unique('p'), 'key_prefix "" { policy = "read" }')
    role = checked(
        consul.acl.create_role,
        unique('r'),
        policies=[{'ID': policy['ID']}],
        service_identities=[{'ServiceName': 'web', 'Datacenters': ['dc1']}],
        node_identities=[{'NodeName': 'n1', 'Datacenter': 'dc1'}],
    )
    token = checked(
        consul.acl.create_token,
        description='shapes',
        policies=[{'ID': policy['ID']}],
        roles=[{'ID': role['ID']}],
        service_identities=[{'ServiceName': 'api'}],
        expiration_ttl='1h',
    )
    method = checked(consul.acl.create_auth_method, unique('m'), 'jwt', config, max_token_ttl='1h')
    try:
        checked(consul.acl.read_token, token['AccessorID'])
        checked(consul.acl.read_self_token)
        checked(consul.acl.update_token, token['AccessorID'], description='again')
        clone = checked(consul.acl.clone_token, token['AccessorID'])
        consul.acl.delete_token(clone['AccessorID'])
        checked(consul.acl.list_tokens)
        checked(consul.acl.read_policy, policy['ID'])
        checked(consul.acl.read_policy_by_name, policy['Name'])
        checked(consul.acl.update_policy, policy['ID'], policy['Name'], policy['Rules'])
        checked(consul.acl.list_policies)
        checked(consul.acl.read_role, role['ID'])
        checked(consul.acl.read_role_by_name, role['Name'])
        checked(consul.acl.list_roles)
        checked(consul.acl.read_auth_method, method['Name'])
        checked(consul.acl.list_auth_methods)
        rule = checked(consul.acl.create_binding_rule, method['Name'], 'service', 'web')
        checked(consul.acl.read_binding_rule, rule['ID'])
        checked(consul.acl.update_binding_rule, rule['ID'], method['Name'], 'service', 'api')
        checked(consul.acl.list_binding_rules)
        checked(consul.acl.update_auth_method, method['Name'], 'jwt', config, description='d')
        jwt = make_jwt(key, {'aud': 'consul', 'sub': 'x'})
        with consul_acl_agent.client() as anonymous:
            login = checked(anonymous.acl.login, method['Name'], jwt, meta={'pod': 'p1'})
            anonymous.acl.logout(login['SecretID'])
        checked(consul.acl.replication)
    finally:
        consul.acl.delete_auth_method(method['Name'])
        consul.acl.delete_token(token['AccessorID'])
        consul.acl.delete_role(role['ID'])
        consul.acl.delete_policy(policy['ID'])


def test_legacy_acl_answers(acl_consul: consulate.Consul) -> None:
    try:
        legacy = acl_consul.acl.create(unique('legacy'))
    except exceptions.ConsulateException as error:  # an agent without the legacy ACL routes
        pytest.skip(f'no legacy ACL tokens here: {error}')
    try:
        checked(acl_consul.acl.info, legacy)
        checked(acl_consul.acl.list)
    finally:
        acl_consul.acl.destroy(legacy)


# -- a 3-server cluster --------------------------------------------------------------------------


@pytest.fixture(scope='module')
def cluster() -> Iterator[ConsulCluster]:
    with ConsulCluster() as servers:
        yield servers


@pytest.mark.slow
def test_cluster_answers(cluster: ConsulCluster) -> None:
    leader = cluster.wait_for_leader()
    with leader.client() as consul:
        config = checked(consul.operator.raft.configuration)
        assert len(config['Servers']) == 3
        eventually(lambda: checked(consul.operator.autopilot.health)['Healthy'] or None, timeout=30)
        checked(consul.operator.autopilot.configuration, stale=True)
        checked(consul.agent.members)
        checked(consul.catalog.nodes)
        eventually(lambda: checked(consul.coordinate.datacenters)[0]['Coordinates'] or None)
        checked(consul.coordinate.nodes)
        checked(consul.health.service, 'consul')
        session = consul.session.create(unique('s'))
        checked(consul.session.info, session)
        consul.session.destroy(session)
    started = time.monotonic()
    for node in cluster.running():
        with node.client(consistency='stale') as consul:
            checked(consul.catalog.service, 'consul')
    assert time.monotonic() - started < 30


def test_report_the_optional_fields_each_shape_held(consul_agent: ConsulAgent) -> None:
    """Not a check (it runs last): print the optional fields each shape held, to find those a version always sends (``-s``)."""
    for shape, seen in sorted(shapes.SEEN.items()):
        always = sorted(key for key, count in seen.items() if key and count == seen[''])
        sometimes = sorted(key for key, count in seen.items() if key and count < seen[''])
        print(f'{shape} x{seen[""]}: always {always}; sometimes {sometimes}')
