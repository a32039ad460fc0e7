"""Routes and options newer than Consul 1.8.7: what 1.8.7 does with them, and what is sent.

Each test runs against a real 1.8.7 agent. Where 1.8.7 has no such route or
option, a recording proxy in front of it shows the request consulate sends,
and answers in place of a newer Consul (the answer's shape is the one
Consul's API documents for the route).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent
from tests.support.names import unique
from tests.support.proxy import Canned, RecordingProxy, Seen

#: (method, path) -> the body a newer Consul answers with, as JSON.
Answers = dict[tuple[str, str], Any]


@contextmanager
def newer_consul(
    agent: ConsulAgent, answers: Answers | None = None, token: str | None = None
) -> Iterator[tuple[consulate.Consul, RecordingProxy]]:
    """A client whose requests cross a recording proxy; ``answers`` stand in for a newer Consul."""
    canned = answers or {}

    def answer(seen: Seen) -> Canned | None:
        path = urlsplit(seen.target).path
        if (seen.method, path) not in canned:
            return None
        body = json.dumps(canned[seen.method, path]).encode()
        return Canned(200, body, {'Content-Type': 'application/json'})

    with RecordingProxy(agent.http_addr, answer=answer) as proxy:
        with consulate.Consul(addr=f'http://{proxy.addr}', token=token, env={}) as client:
            yield client, proxy


def query_of(seen: Seen) -> dict[str, list[str]]:
    return parse_qs(urlsplit(seen.target).query, keep_blank_values=True)


def last(proxy: RecordingProxy, method: str, path: str) -> Seen:
    """The last request with this method and path."""
    found = [s for s in proxy.seen if s.method == method and urlsplit(s.target).path == path]
    assert found, f'no {method} {path} in {[s.target for s in proxy.seen]}'
    return found[-1]


# -- the four routes ------------------------------------------------------------------

ROUTES: dict[str, Callable[[consulate.Consul], object]] = {
    'imported_services.list': lambda c: c.imported_services.list(),
    'operator.features': lambda c: c.operator.features(),
    'operator.feature': lambda c: c.operator.feature('v2-catalog'),
    'operator.set_feature': lambda c: c.operator.set_feature('v2-catalog', True),
}


@pytest.mark.parametrize('call', ROUTES.values(), ids=ROUTES.keys())
def test_newer_routes_raise_unsupported_endpoint_on_1_8_7(
    consul: consulate.Consul, call: Callable[[consulate.Consul], object]
) -> None:
    with pytest.raises(exceptions.UnsupportedEndpoint, match='needs a Consul version with'):
        call(consul)


IMPORTED = [{'Service': 'web', 'SourcePeer': 'east'}, {'Service': 'db', 'SourcePeer': 'west'}]


@pytest.mark.parametrize(
    'answer', [IMPORTED, {'Partition': 'default', 'ImportedServices': IMPORTED}, None]
)
def test_imported_services_list_in_both_shapes(consul_agent: ConsulAgent, answer: Any) -> None:
    with newer_consul(consul_agent, {('GET', '/v1/imported-services'): answer}) as (client, proxy):
        found = client.imported_services.list(partition='team-a', wait='1s', index=7)
    assert found == (IMPORTED if answer else [])
    assert query_of(last(proxy, 'GET', '/v1/imported-services')) == {
        'partition': ['team-a'],
        'index': ['7'],
        'wait': ['1s'],
    }


def test_imported_services_of_a_wrong_shape(consul_agent: ConsulAgent) -> None:
    with newer_consul(consul_agent, {('GET', '/v1/imported-services'): {'Partition': 'x'}}) as (
        client,
        _proxy,
    ):
        with pytest.raises(exceptions.InvalidResponse):
            client.imported_services.list()


def test_feature_gates(consul_agent: ConsulAgent) -> None:
    gate = {'Name': 'v2-catalog', 'Stage': 'experimental', 'EffectiveEnabled': False}
    answers: Answers = {
        ('GET', '/v1/operator/features'): [gate],
        ('GET', '/v1/operator/feature/v2-catalog'): gate,
        ('PUT', '/v1/operator/feature/v2-catalog'): {'Applied': True, 'Feature': gate},
    }
    with newer_consul(consul_agent, answers) as (client, proxy):
        assert client.operator.features() == [gate]
        assert client.operator.feature('v2-catalog') == gate
        assert client.operator.set_feature('v2-catalog', True, cas=12)['Applied'] is True
        client.operator.set_feature('v2-catalog', False)
    puts = [s for s in proxy.seen if s.method == 'PUT']
    assert [(query_of(s), json.loads(s.body)) for s in puts] == [
        ({'cas': ['12']}, {'Enabled': True}),
        ({}, {'Enabled': False}),
    ]


# -- options ---------------------------------------------------------------------------


@pytest.fixture
def mesh_node(consul_agent: ConsulAgent) -> Iterator[str]:
    name = unique('node')
    yield name
    with consul_agent.client() as client:
        client.catalog.deregister(name)


def test_tag_on_health_and_catalog_connect(consul_agent: ConsulAgent, mesh_node: str) -> None:
    name = unique('web')
    proxy_service = {
        'Kind': 'connect-proxy',
        'ID': f'{name}-proxy',
        'Service': f'{name}-sidecar-proxy',
        'Port': 21000,
        'Tags': ['v1'],
        'Proxy': {'DestinationServiceName': name},
    }
    with newer_consul(consul_agent) as (client, proxy):
        client.catalog.register(mesh_node, '192.0.2.50', service=proxy_service)
        healthy = client.health.connect(name, tag=['v1', 'blue'], passing=True)
        listed = client.catalog.connect(name, tag='v1')
    assert [e['Service']['ID'] for e in healthy] == [f'{name}-proxy']  # 1.8.7 ignores tag here
    assert [e['ServiceID'] for e in listed] == [f'{name}-proxy']
    health_query = query_of(last(proxy, 'GET', f'/v1/health/connect/{name}'))
    assert health_query['tag'] == ['v1', 'blue']
    assert query_of(last(proxy, 'GET', f'/v1/catalog/connect/{name}'))['tag'] == ['v1']


def test_token_list_by_service_name_and_expanded_read(
    consul_acl_agent: ConsulAgent, acl_consul: consulate.Consul
) -> None:
    token = acl_consul.acl.create_token(service_identities=['web'])
    try:
        with newer_consul(consul_acl_agent, token=consul_acl_agent.master_token) as (client, p):
            listed = client.acl.list_tokens(service_name='web')
            read = client.acl.read_token(token['AccessorID'], expanded=True)
            client.acl.read_token(token['AccessorID'])
    finally:
        acl_consul.acl.delete_token(token['AccessorID'])
    assert token['AccessorID'] in [t['AccessorID'] for t in listed]
    assert read['AccessorID'] == token['AccessorID']  # 1.8.7 ignores ?expanded
    assert query_of(last(p, 'GET', '/v1/acl/tokens')) == {'servicename': ['web']}
    reads = [query_of(s) for s in p.seen if s.target.startswith('/v1/acl/token/')]
    assert reads == [{'expanded': ['']}, {}]


TEMPLATED = [
    'builtin/dns',
    {'TemplateName': 'builtin/service', 'TemplateVariables': {'Name': 'web'}},
]
TEMPLATED_SENT = [
    {'TemplateName': 'builtin/dns'},
    {'TemplateName': 'builtin/service', 'TemplateVariables': {'Name': 'web'}},
]


def test_templated_policies_are_refused_by_1_8_7(acl_consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.BadRequest, match='unknown field "TemplatedPolicies"'):
        acl_consul.acl.create_token(templated_policies=TEMPLATED)
    with pytest.raises(exceptions.BadRequest, match='unknown field "TemplatedPolicies"'):
        acl_consul.acl.create_role(unique('role'), templated_policies=TEMPLATED)
    assert not [t for t in acl_consul.acl.list_tokens() if t.get('TemplatedPolicies')]


def test_templated_policies_on_tokens_and_roles_are_sent(consul_acl_agent: ConsulAgent) -> None:
    accessor, role_id, secret = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    answers: Answers = {
        ('PUT', '/v1/acl/token'): {'AccessorID': accessor, 'SecretID': secret},
        ('PUT', f'/v1/acl/token/{accessor}'): {'AccessorID': accessor, 'SecretID': secret},
        ('PUT', '/v1/acl/role'): {'ID': role_id, 'Name': 'r'},
        ('PUT', f'/v1/acl/role/{role_id}'): {'ID': role_id, 'Name': 'r'},
    }
    with newer_consul(consul_acl_agent, answers, consul_acl_agent.master_token) as (client, p):
        client.acl.create_token(description='t', templated_policies=TEMPLATED)
        client.acl.update_token(accessor, templated_policies=TEMPLATED[:1])
        client.acl.create_role('r', templated_policies=TEMPLATED)
        client.acl.update_role(role_id, 'r', templated_policies=[])
    bodies = [json.loads(s.body) for s in p.seen]
    assert [b['TemplatedPolicies'] for b in bodies] == [
        TEMPLATED_SENT,
        TEMPLATED_SENT[:1],
        TEMPLATED_SENT,
        [],
    ]
    with pytest.raises(exceptions.ValidationError):
        client.acl.create_token(templated_policies='builtin/dns')


def test_bootstrap_secret_is_sent(consul_acl_agent: ConsulAgent) -> None:
    secret = str(uuid.uuid4())
    made = {'AccessorID': str(uuid.uuid4()), 'SecretID': secret}
    with newer_consul(consul_acl_agent, {('PUT', '/v1/acl/bootstrap'): made}) as (client, p):
        assert client.acl.bootstrap(secret_id=secret) == made
        client.acl.bootstrap()
    assert json.loads(p.seen[0].body) == {'BootstrapSecret': secret}
    assert p.seen[1].body == b''


def test_bootstrap_on_1_8_7_already_bootstrapped(acl_consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.Forbidden, match='no longer allowed'):
        acl_consul.acl.bootstrap(secret_id=str(uuid.uuid4()))


PERMISSIONS = [
    {'Action': 'allow', 'HTTP': {'PathPrefix': '/v1/', 'Methods': ['GET']}},
    {'Action': 'deny', 'HTTP': {'PathExact': '/admin'}},
]


def test_l7_permissions_on_intentions(consul_agent: ConsulAgent) -> None:
    answers: Answers = {('PUT', '/v1/connect/intentions/exact'): True}
    with newer_consul(consul_agent, answers) as (client, proxy):
        client.connect.intentions.upsert('web', 'api', permissions=PERMISSIONS)
        client.connect.intentions.upsert('web', 'db', 'deny', description='no')
    first, second = (json.loads(s.body) for s in proxy.seen)
    assert first == {
        'SourceName': 'web',
        'DestinationName': 'api',
        'SourceType': 'consul',
        'Permissions': PERMISSIONS,
    }
    assert (second['Action'], 'Permissions' in second) == ('deny', False)
    assert query_of(proxy.seen[0]) == {'source': ['web'], 'destination': ['api']}


@pytest.mark.parametrize(
    'kwargs',
    [
        {},
        {'action': 'allow', 'permissions': PERMISSIONS},
        {'permissions': [{'HTTP': {'PathPrefix': '/'}}]},
        {'permissions': {'Action': 'allow'}},
    ],
    ids=['neither', 'both', 'no-action', 'not-a-list'],
)
def test_l7_permissions_are_checked_before_sending(kwargs: dict[str, Any]) -> None:
    with consulate.Consul(addr='http://127.0.0.1:1', env={}) as nowhere:
        with pytest.raises(exceptions.ValidationError):
            nowhere.connect.intentions.upsert('web', 'api', **kwargs)


def test_l7_permissions_on_1_8_7(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.UnsupportedEndpoint, match=r'Consul 1\.9'):
        consul.connect.intentions.upsert('web', 'api', permissions=PERMISSIONS)
