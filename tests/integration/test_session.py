"""Sessions against a real agent."""

from __future__ import annotations

import uuid

import pytest

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent
from tests.support.names import unique


def test_create_info_list_node_renew_destroy(any_consul: consulate.Consul) -> None:
    name = unique('test')
    session_id = any_consul.session.create(name=name, ttl='30s', delay=5, behavior='delete')
    try:
        info = any_consul.session.info(session_id)
        assert info['ID'] == session_id
        assert info['Name'] == name
        assert info['TTL'] == '30s'
        assert info['Behavior'] == 'delete'
        assert info['LockDelay'] == 5_000_000_000
        assert session_id in [s['ID'] for s in any_consul.session.list()]
        node_sessions = any_consul.session.node(info['Node'])
        assert isinstance(node_sessions, list)
        assert session_id in [s['ID'] for s in node_sessions]
        renewed = any_consul.session.renew(session_id)
        assert renewed['ID'] == session_id
        assert renewed['TTL'] == '30s'
    finally:
        assert any_consul.session.destroy(session_id) is True
    with pytest.raises(exceptions.NotFound):
        any_consul.session.info(session_id)
    assert session_id not in [s['ID'] for s in any_consul.session.list()]


def test_defaults_and_checks(consul: consulate.Consul) -> None:
    session_id = consul.session.create()
    try:
        info = consul.session.info(session_id)
        assert info['Behavior'] == 'release'
        assert info['NodeChecks'] == ['serfHealth']  # 'Checks' before Consul 1.7
        assert info['TTL'] == ''
    finally:
        consul.session.destroy(session_id)
    bare = consul.session.create(checks=[])
    try:
        assert consul.session.info(bare)['NodeChecks'] == []
    finally:
        consul.session.destroy(bare)


def test_one_session_is_still_a_list() -> None:
    with ConsulAgent() as agent, agent.client() as consul:
        session_id = consul.session.create()
        sessions = consul.session.list()
        assert isinstance(sessions, list)
        assert [s['ID'] for s in sessions] == [session_id]


def test_destroy_unknown_session_is_not_an_error(consul: consulate.Consul) -> None:
    assert consul.session.destroy(str(uuid.uuid4())) is True


def test_renew_unknown_session_raises_not_found(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.NotFound, match='not found'):
        consul.session.renew(str(uuid.uuid4()))


def test_invalid_settings(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.ValidationError, match='behavior'):
        consul.session.create(behavior='bogus')
    with pytest.raises(exceptions.ValidationError, match='duration'):
        consul.session.create(ttl='soon')
    with pytest.raises(exceptions.ServerError, match='Invalid Session TTL'):
        consul.session.create(ttl='5s')


def test_delete_behavior_removes_held_keys(consul: consulate.Consul, prefix: str) -> None:
    session_id = consul.session.create(behavior='delete', delay=0)
    assert consul.kv.acquire_lock(f'{prefix}/ephemeral', session_id, 'v')
    consul.session.destroy(session_id)
    assert f'{prefix}/ephemeral' not in consul.kv


def test_session_under_acl(consul_acl_agent: ConsulAgent) -> None:
    with consul_acl_agent.client() as anonymous:
        with pytest.raises(exceptions.Forbidden):
            anonymous.session.create()
    with consul_acl_agent.client(token=consul_acl_agent.master_token) as admin:
        session_id = admin.session.create()
        assert admin.session.destroy(session_id)
