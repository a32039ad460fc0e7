"""Namespaces are Consul Enterprise: on the OSS 1.8.7 test agent every method raises UnsupportedEndpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import consulate
from consulate import exceptions
from consulate.api.namespace import namespace_definition


@pytest.mark.parametrize(
    ('call', 'method', 'path'),
    [
        (lambda c: c.namespaces.create('team-a', description='d'), 'PUT', '/v1/namespace'),
        (lambda c: c.namespaces.get('team-a'), 'GET', '/v1/namespace/team-a'),
        (lambda c: c.namespaces.update('team-a', meta={'k': 'v'}), 'PUT', '/v1/namespace/team-a'),
        (lambda c: c.namespaces.delete('team-a'), 'DELETE', '/v1/namespace/team-a'),
        (lambda c: c.namespaces.list(), 'GET', '/v1/namespaces'),
    ],
)
def test_unsupported_on_consul_oss(
    consul: consulate.Consul, call: Callable[[consulate.Consul], Any], method: str, path: str
) -> None:
    with pytest.raises(exceptions.UnsupportedEndpoint, match='needs Consul Enterprise') as raised:
        call(consul)
    assert (raised.value.method, raised.value.path) == (method, path)


def test_namespace_definition() -> None:
    body = namespace_definition(
        'team-a',
        description='Team A',
        policy_defaults=[{'Name': 'read'}],
        role_defaults=[{'ID': 'r1'}],
        meta={'owner': 'a'},
    )
    assert body == {
        'Name': 'team-a',
        'Description': 'Team A',
        'ACLs': {'PolicyDefaults': [{'Name': 'read'}], 'RoleDefaults': [{'ID': 'r1'}]},
        'Meta': {'owner': 'a'},
    }
    assert namespace_definition('b') == {'Name': 'b'}
