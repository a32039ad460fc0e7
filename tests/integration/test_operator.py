"""Operator endpoints against real agents: raft, autopilot, keyring, and the newer routes.

The keyring tests start an agent with gossip encryption; the peer-removal
test starts a 3-server cluster (marked slow).
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent, free_ports
from tests.support.polling import eventually

#: What a server says while it is still starting or electing: a 429, a 500, no answer.
AUTOPILOT_NOT_READY = (exceptions.ConsulateException,)


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode('ascii')


# -- raft -----------------------------------------------------------------------------


def test_raft_configuration(consul: consulate.Consul, consul_agent: ConsulAgent) -> None:
    config = consul.operator.raft.configuration()
    (server,) = config['Servers']
    assert server['Node'] == consul_agent.node_name
    assert server['Leader'] is True
    assert server['Voter'] is True
    assert server['Address'] == f'127.0.0.1:{consul_agent.ports["server"]}'
    assert consul.operator.raft.configuration(stale=True)['Servers'] == config['Servers']


def test_stale_reads_win_over_a_consistent_client(consul_agent: ConsulAgent) -> None:
    # ?stale and ?consistent together are refused by Consul; the per-call stale wins
    with consul_agent.client(consistency='consistent') as consul:
        assert consul.operator.raft.configuration(stale=True)['Servers']
        assert consul.operator.autopilot.configuration(stale=True)['MaxTrailingLogs'] >= 0
        assert isinstance(consul.operator.autopilot.health(stale=True)['Servers'], list)
        assert consul.operator.raft.configuration()['Servers']


def test_remove_unknown_peer_raises(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.ServerError, match=r'"127\.0\.0\.1:1" was not found'):
        consul.operator.raft.remove_peer('127.0.0.1:1')
    with pytest.raises(exceptions.ServerError, match='id "nobody" was not found'):
        consul.operator.raft.remove_peer(id='nobody')
    assert len(consul.operator.raft.configuration()['Servers']) == 1


def test_remove_peer_needs_one_of_address_or_id(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.ValidationError):
        consul.operator.raft.remove_peer()
    with pytest.raises(exceptions.ValidationError):
        consul.operator.raft.remove_peer('127.0.0.1:8300', id='x')


# -- autopilot -----------------------------------------------------------------------


def test_autopilot_configuration_set_with_cas(consul: consulate.Consul) -> None:
    autopilot = consul.operator.autopilot
    original = autopilot.configuration()
    assert original['CleanupDeadServers'] is True
    try:
        changed = {**original, 'LastContactThreshold': '350ms', 'MaxTrailingLogs': 300}
        assert autopilot.set_configuration(changed, cas=original['ModifyIndex']) is True
        now = autopilot.configuration(stale=True)
        assert (now['LastContactThreshold'], now['MaxTrailingLogs']) == ('350ms', 300)
        stale = {**original, 'MaxTrailingLogs': 1}
        assert autopilot.set_configuration(stale, cas=original['ModifyIndex']) is False
        assert autopilot.configuration()['MaxTrailingLogs'] == 300
    finally:
        assert autopilot.set_configuration(original) is True
    assert autopilot.configuration()['LastContactThreshold'] == original['LastContactThreshold']
    with pytest.raises(exceptions.ValidationError):
        autopilot.set_configuration(original, cas=-1)


def test_autopilot_health(consul: consulate.Consul, consul_agent: ConsulAgent) -> None:
    # a server that has just started is unhealthy (a 429 answer) for a second or two
    health = eventually(lambda: _healthy(consul), timeout=15, ignoring=AUTOPILOT_NOT_READY)
    assert health['Healthy'] is True
    assert consul.operator.autopilot.last_response.status_code == 200  # type: ignore[union-attr]
    assert health['FailureTolerance'] == 0
    (server,) = health['Servers']
    assert (server['Name'], server['Leader'], server['Healthy']) == (
        consul_agent.node_name,
        True,
        True,
    )


# -- keyring -------------------------------------------------------------------------


@pytest.fixture(scope='module')
def encrypted_agent() -> Iterator[tuple[ConsulAgent, str]]:
    key = new_key()
    with ConsulAgent(config={'encrypt': key}) as agent:
        yield agent, key


def keys_by_pool(consul: consulate.Consul, **kwargs: Any) -> dict[bool, tuple[set[str], set[str]]]:
    return {
        pool['WAN']: (set(pool['Keys']), set(pool.get('PrimaryKeys') or {}))
        for pool in consul.operator.keyring.list(**kwargs)
    }


def test_keyring_rotation(encrypted_agent: tuple[ConsulAgent, str]) -> None:
    agent, first = encrypted_agent
    second = new_key()
    with agent.client() as consul:
        keyring = consul.operator.keyring
        pools = keyring.list()
        assert sorted(pool['WAN'] for pool in pools) == [False, True]
        assert all(pool['Keys'] == {first: 1} and pool['NumNodes'] == 1 for pool in pools)

        keyring.install(second)
        assert keys_by_pool(consul) == {
            False: ({first, second}, {first}),
            True: ({first, second}, {first}),
        }
        keyring.use(second, relay_factor=2)
        assert keys_by_pool(consul)[False] == ({first, second}, {second})
        with pytest.raises(exceptions.ServerError, match='Removing the primary key is not allowed'):
            keyring.remove(second)
        keyring.remove(first)
        assert keys_by_pool(consul) == {False: ({second}, {second}), True: ({second}, {second})}
        assert keys_by_pool(consul, local_only=True) == {False: ({second}, {second})}


def test_keyring_refuses_bad_keys_before_sending(encrypted_agent: tuple[ConsulAgent, str]) -> None:
    agent, _ = encrypted_agent
    with agent.client() as consul:
        with pytest.raises(exceptions.ValidationError, match='base64'):
            consul.operator.keyring.install('not base64!')
        with pytest.raises(exceptions.ValidationError, match='16, 24 or 32 bytes'):
            consul.operator.keyring.install(base64.b64encode(b'short').decode())
        with pytest.raises(exceptions.ValidationError, match='relay_factor'):
            consul.operator.keyring.list(relay_factor=6)


def test_keyring_without_encryption_raises(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.ServerError, match='Keyring is empty'):
        consul.operator.keyring.list()


# -- routes newer than Consul 1.8 ------------------------------------------------------


@pytest.mark.parametrize(
    ('call', 'since', 'path'),
    [
        (lambda c: c.operator.raft.transfer_leader(), 'Consul 1.14', 'raft/transfer-leader'),
        (lambda c: c.operator.autopilot.state(), 'Consul 1.10', 'autopilot/state'),
        (lambda c: c.operator.usage(all_datacenters=True), 'Consul 1.15', 'usage'),
        (lambda c: c.operator.license(), 'Consul Enterprise', 'license'),
        (lambda c: c.operator.segments(), 'Consul Enterprise', 'segment'),
        (lambda c: c.operator.audit_hash('x'), 'Consul Enterprise 1.16', 'audit-hash'),
        (lambda c: c.operator.utilization(), 'Consul Enterprise 1.22', 'utilization'),
        (lambda c: c.operator.areas.list(), 'Consul Enterprise', 'area'),
        (lambda c: c.operator.areas.create('dc2'), 'Consul Enterprise', 'area'),
        (lambda c: c.operator.areas.members('a-b-c'), 'Consul Enterprise', 'area/a-b-c/members'),
    ],
)
def test_newer_routes_raise_unsupported_endpoint(
    consul: consulate.Consul, call: Callable[[consulate.Consul], Any], since: str, path: str
) -> None:
    with pytest.raises(exceptions.UnsupportedEndpoint) as raised:
        call(consul)
    assert raised.value.status_code == 404
    assert raised.value.path == f'/v1/operator/{path}'
    assert f'this endpoint needs {since}' in str(raised.value)
    assert isinstance(raised.value, exceptions.NotFound)


# -- a 3-server cluster: autopilot health while a server is down, peer removal -----------


@pytest.fixture(scope='module')
def cluster() -> Iterator[list[ConsulAgent]]:
    names = ('http', 'https', 'serf_lan', 'serf_wan', 'server')
    ports = free_ports(len(names) * 3)
    port_sets = [dict(zip(names, ports[i * 5 : i * 5 + 5], strict=True)) for i in range(3)]
    joins = [f'127.0.0.1:{p["serf_lan"]}' for p in port_sets]
    agents = [
        ConsulAgent(
            dev=False,
            ports=port_set,
            config={
                'server': True,
                'bootstrap_expect': 3,
                'retry_join': [j for j in joins if j != f'127.0.0.1:{port_set["serf_lan"]}'],
                'autopilot': {'cleanup_dead_servers': False},
            },
        )
        for port_set in port_sets
    ]
    errors: list[BaseException] = []

    def start(agent: ConsulAgent) -> None:
        try:
            agent.start(timeout=90)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=start, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        if errors:
            raise errors[0]
        yield agents
    finally:
        for agent in agents:
            agent.stop()


@pytest.mark.slow
def test_unhealthy_autopilot_and_peer_removal(cluster: list[ConsulAgent]) -> None:
    # talk to the leader, and stop a follower (stopping the leader would start an
    # election, after which autopilot knows no servers for a moment)
    with cluster[0].client() as consul:
        assert eventually(consul.status.leader, timeout=30, ignoring=AUTOPILOT_NOT_READY)
        leader_port = int(consul.status.leader().rsplit(':', 1)[1])
    (first,) = [a for a in cluster if a.ports['server'] == leader_port]
    second, third = [a for a in cluster if a is not first]
    with first.client() as consul:
        assert eventually(
            lambda: consul.operator.autopilot.health()['Healthy'],
            timeout=30,
            ignoring=AUTOPILOT_NOT_READY,
        )
        servers = {s['Node']: s for s in consul.operator.raft.configuration()['Servers']}
        assert set(servers) == {a.node_name for a in cluster}
        third_id = servers[third.node_name]['ID']

        third.halt()
        health = eventually(  # a 429, returned
            lambda: _unhealthy(consul, third.node_name), timeout=30, ignoring=AUTOPILOT_NOT_READY
        )
        assert health['Healthy'] is False
        assert consul.operator.autopilot.last_response.status_code == 429  # type: ignore[union-attr]

        consul.operator.raft.remove_peer(id=third_id)
        nodes = {s['Node'] for s in consul.operator.raft.configuration()['Servers']}
        assert nodes == {first.node_name, second.node_name}
        with pytest.raises(exceptions.ServerError, match='was not found'):
            consul.operator.raft.remove_peer(id=third_id)

        # back it comes (the leader re-adds a live member), then out by address
        third.start(timeout=90)
        assert eventually(
            lambda: len(consul.operator.raft.configuration()['Servers']) == 3,
            timeout=60,
            ignoring=AUTOPILOT_NOT_READY,
        )
        third.halt()
        consul.operator.raft.remove_peer(f'127.0.0.1:{third.ports["server"]}')
        nodes = {s['Node'] for s in consul.operator.raft.configuration()['Servers']}
        assert nodes == {first.node_name, second.node_name}


def _unhealthy(consul: consulate.Consul, node: str) -> dict[str, Any] | None:
    """Autopilot's health once it reports ``node`` unhealthy, else None."""
    health = consul.operator.autopilot.health()
    down = [s for s in health['Servers'] if s['Name'] == node and not s['Healthy']]
    return health if down and not health['Healthy'] else None


def _healthy(consul: consulate.Consul) -> dict[str, Any] | None:
    health = consul.operator.autopilot.health()
    assert isinstance(health['Servers'], list)
    return health if health['Healthy'] else None
