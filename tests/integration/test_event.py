"""User events against a real agent, over HTTP, HTTPS and a UNIX socket, and with ACLs."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any, TypeVar

import pytest

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent
from tests.support.names import unique
from tests.support.polling import eventually

T = TypeVar('T')


def seen(consul: consulate.Consul, name: str) -> list[dict[str, Any]]:
    """The events named ``name`` the agent lists, once it lists any."""
    return eventually(lambda: consul.event.list(name))


def test_fire_and_list(any_consul: consulate.Consul) -> None:
    name = unique('ev')
    event_id = any_consul.event.fire(name, 'hello ✈')
    assert isinstance(event_id, str)
    uuid.UUID(event_id)
    events = seen(any_consul, name)
    assert isinstance(events, list)
    assert [(e['ID'], e['Name'], e['Payload']) for e in events] == [
        (event_id, name, 'hello ✈'.encode())
    ]
    assert event_id in [e['ID'] for e in any_consul.event.list()]


def test_payloads(consul: consulate.Consul) -> None:
    empty, binary = unique('ev'), unique('ev')
    consul.event.fire(empty)
    consul.event.fire(binary, b'\x00\xff\x01')
    assert seen(consul, empty)[0]['Payload'] is None
    assert seen(consul, binary)[0]['Payload'] == b'\x00\xff\x01'


def test_unknown_name_is_an_empty_list(consul: consulate.Consul) -> None:
    assert consul.event.list(unique('never-fired')) == []


def test_filters_travel_with_the_event(consul_agent: ConsulAgent, consul: consulate.Consul) -> None:
    name, service = unique('ev'), unique('svc')
    node_filter = f'^{consul_agent.node_name}$'
    consul.agent.service.register(service, tags=['blue'])
    try:
        event_id = consul.event.fire(name, 'x', 'dc1', node_filter, service, 'bl.e')
        event = seen(consul, name)[0]
    finally:
        consul.agent.service.deregister(service)
    assert event['ID'] == event_id
    assert (event['NodeFilter'], event['ServiceFilter'], event['TagFilter']) == (
        node_filter,
        service,
        'bl.e',
    )


def test_unknown_datacenter(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.ServerError, match='No path to datacenter'):
        consul.event.fire(unique('ev'), datacenter='nowhere')


def test_oversized_event_raises_a_clear_error(consul: consulate.Consul) -> None:
    name = unique('ev')
    with pytest.raises(exceptions.ServerError) as caught:
        consul.event.fire(name, 'x' * 500)
    message = str(caught.value)
    assert '512 bytes' in message
    assert '500-byte payload' in message
    assert 'KV' in message
    assert caught.value.status_code == 500
    assert isinstance(caught.value.__cause__, exceptions.ServerError)
    assert consul.event.list(name) == []


def test_payload_of_another_type_is_refused() -> None:
    with consulate.Consul(addr='http://127.0.0.1:1', env={}) as nowhere:  # nothing listens
        with pytest.raises(exceptions.ValidationError):
            nowhere.event.fire('ev', {'a': 1})  # type: ignore[arg-type]


def test_blocking_list_wakes_on_a_new_event(
    consul_agent: ConsulAgent, consul: consulate.Consul
) -> None:
    name = unique('ev')
    consul.event.fire(name, 'first')
    seen(consul, name)
    index = consul.event.last_response.index  # type: ignore[union-attr]
    assert isinstance(index, int)

    def fire_later() -> None:
        time.sleep(0.3)
        with consul_agent.client() as other:
            other.event.fire(name, 'second')

    writer = threading.Thread(target=fire_later)
    started = time.monotonic()
    writer.start()
    try:
        events = consul.event.list(name, index=index, wait='10s')
    finally:
        writer.join()
    assert 0.25 < time.monotonic() - started < 5
    assert [e['Payload'] for e in events] == [b'first', b'second']
    assert consul.event.last_response.index != index  # type: ignore[union-attr]


# -- with ACLs -------------------------------------------------------------------------


def test_token_rules_are_enforced(
    consul_acl_agent: ConsulAgent, acl_consul: consulate.Consul
) -> None:
    prefix = unique('ev')
    policy = acl_consul.acl.create_policy(
        unique('policy'), f'event_prefix "{prefix}" {{ policy = "write" }}'
    )
    token = acl_consul.acl.create_token(policies=[{'ID': policy['ID']}])
    other = unique('other')
    try:
        with consul_acl_agent.client(token=token['SecretID']) as client:
            mine = client.event.fire(f'{prefix}-a', 'ok')
            with pytest.raises(exceptions.Forbidden):
                client.event.fire(other)
            theirs = acl_consul.event.fire(other)
            assert [e['ID'] for e in seen(client, f'{prefix}-a')] == [mine]
            assert theirs in [e['ID'] for e in seen(acl_consul, other)]
            assert client.event.list(other) == []  # filtered out
            assert theirs not in [e['ID'] for e in client.event.list()]
        with consul_acl_agent.client() as anonymous:
            with pytest.raises(exceptions.Forbidden):
                anonymous.event.fire(f'{prefix}-b')
            assert anonymous.event.list() == []
    finally:
        acl_consul.acl.delete_token(token['AccessorID'])
        acl_consul.acl.delete_policy(policy['ID'])
