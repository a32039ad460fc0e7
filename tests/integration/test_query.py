"""Prepared queries against a real agent: create, get, list, update, delete, execute, explain."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

import consulate
from consulate import exceptions
from tests.support.names import unique


@pytest.fixture
def service(consul: consulate.Consul) -> Iterator[str]:
    """Two instances of a service only this test uses, tagged 'a' and 'b'."""
    name = unique('pq')
    consul.agent.service.register(name, f'{name}-1', port=8001, tags=['a'])
    consul.agent.service.register(name, f'{name}-2', port=8002, tags=['b'])
    yield name
    consul.agent.service.deregister(f'{name}-1')
    consul.agent.service.deregister(f'{name}-2')


@pytest.fixture
def queries(consul: consulate.Consul) -> Iterator[list[str]]:
    """IDs appended here are deleted after the test."""
    created: list[str] = []
    yield created
    for query_id in created:
        try:
            consul.query.delete(query_id)
        except exceptions.ServerError:  # already deleted by the test
            pass


def test_create_get_list_delete(consul: consulate.Consul, service: str, queries: list[str]) -> None:
    query_id = consul.query.create(service, f'{service}-q', tags=['a'], only_passing=True)
    queries.append(query_id)
    got = consul.query.get(query_id)
    assert got['ID'] == query_id
    assert got['Name'] == f'{service}-q'
    assert got['Service']['Service'] == service
    assert got['Service']['Tags'] == ['a']
    assert got['Service']['OnlyPassing'] is True
    assert query_id in [q['ID'] for q in consul.query.list()]
    consul.query.delete(query_id)
    with pytest.raises(exceptions.NotFound, match='Query not found'):
        consul.query.get(query_id)
    assert query_id not in [q['ID'] for q in consul.query.list()]


def test_definition_fields_are_stored(
    consul: consulate.Consul, service: str, queries: list[str]
) -> None:
    session = consul.session.create(ttl='60s')
    query_id = consul.query.create(
        service,
        session=session,
        near='_agent',
        nearest_n=2,
        datacenters=['dc2', 'dc3'],
        dns_ttl=10,
        node_meta={'rack': 'r1'},
        service_meta={'version': '2'},
        definition={'Service': {'IgnoreCheckIDs': ['serfHealth']}},
    )
    queries.append(query_id)
    got = consul.query.get(query_id)
    assert got['Name'] == ''
    assert got['Session'] == session
    assert got['Service']['Near'] == '_agent'
    assert got['Service']['Failover'] == {'NearestN': 2, 'Datacenters': ['dc2', 'dc3']}
    assert got['Service']['NodeMeta'] == {'rack': 'r1'}
    assert got['Service']['ServiceMeta'] == {'version': '2'}
    assert got['Service']['IgnoreCheckIDs'] == ['serfHealth']
    assert got['DNS'] == {'TTL': '10s'}
    consul.session.destroy(session)  # a query bound to a session goes with it
    assert query_id not in [q['ID'] for q in consul.query.list()]


def test_an_unnamed_query_needs_a_session(consul: consulate.Consul, service: str) -> None:
    with pytest.raises(exceptions.ServerError, match='Must be bound to a session'):
        consul.query.create(service)


def test_update_replaces_the_definition(
    consul: consulate.Consul, service: str, queries: list[str]
) -> None:
    query_id = consul.query.create(service, f'{service}-q', tags=['a'])
    queries.append(query_id)
    consul.query.update(query_id, service, f'{service}-renamed')
    got = consul.query.get(query_id)
    assert got['Name'] == f'{service}-renamed'
    assert got['Service']['Tags'] is None  # not merged: left out means reset
    got['Service']['Tags'] = ['b']
    consul.query.update(query_id, definition=got)
    assert consul.query.get(query_id)['Service']['Tags'] == ['b']
    with pytest.raises(exceptions.ServerError, match='non-existent prepared query'):
        consul.query.update(str(uuid.uuid4()), service)
    consul.query.delete(query_id)
    with pytest.raises(exceptions.ServerError, match='non-existent prepared query'):
        consul.query.delete(query_id)


def test_execute_by_id_and_name_with_near_and_limit(
    consul: consulate.Consul, service: str, queries: list[str]
) -> None:
    name = f'{service}-q'
    query_id = consul.query.create(service, name)
    queries.append(query_id)
    by_id = consul.query.execute(query_id)
    assert by_id['Service'] == service
    assert by_id['Failovers'] == 0
    assert sorted(n['Service']['ID'] for n in by_id['Nodes']) == [f'{service}-1', f'{service}-2']
    by_name = consul.query.execute(name, near='_agent', limit=1)
    assert len(by_name['Nodes']) == 1
    assert by_name['Nodes'][0]['Service']['Service'] == service
    assert consul.query.execute(name, connect=True)['Nodes'] == []  # no proxies registered


def test_execute_filters_by_tag(consul: consulate.Consul, service: str, queries: list[str]) -> None:
    query_id = consul.query.create(service, f'{service}-not-a', tags=['!a'])
    queries.append(query_id)
    nodes = consul.query.execute(query_id)['Nodes']
    assert [n['Service']['ID'] for n in nodes] == [f'{service}-2']


def test_execute_and_explain_unknown_raise_not_found(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.NotFound):
        consul.query.execute(unique('nothing'))
    with pytest.raises(exceptions.NotFound):
        consul.query.explain(unique('nothing'))


def test_explain_renders_a_template(
    consul: consulate.Consul, service: str, queries: list[str]
) -> None:
    prefix = unique('tmpl') + '-'
    query_id = consul.query.create('${name.suffix}', prefix, template={'Type': 'name_prefix_match'})
    queries.append(query_id)
    explained = consul.query.explain(prefix + service)
    assert explained['ID'] == query_id
    assert explained['Service']['Service'] == service
    assert consul.query.execute(prefix + service)['Service'] == service


def test_list_blocks_until_a_query_changes(
    consul: consulate.Consul, service: str, queries: list[str]
) -> None:
    consul.query.list()
    index = consul.query.last_response.index  # type: ignore[union-attr]
    started = time.monotonic()
    consul.query.list(index=index, wait='1s')
    assert time.monotonic() - started >= 0.9
    queries.append(consul.query.create(service, f'{service}-q'))
    assert consul.query.list(index=index, wait='1s', consistency='consistent')
    assert consul.query.last_response.index > index  # type: ignore[union-attr]


def test_bad_definitions_are_refused_before_sending(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.ValidationError, match='service'):
        consul.query.create(name='no-service')
    with pytest.raises(exceptions.ValidationError, match='tags'):
        consul.query.create('web', tags='a')
    with pytest.raises(exceptions.ValidationError, match='limit'):
        consul.query.execute('web', limit=0)
