"""Peerings need Consul 1.13: on the 1.8.7 test agent every method raises UnsupportedEndpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent


@pytest.mark.parametrize(
    ('call', 'method', 'path'),
    [
        (lambda c: c.peerings.generate_token('dc2', meta={'a': 'b'}), 'POST', '/v1/peering/token'),
        (lambda c: c.peerings.establish('dc2', 'tok'), 'POST', '/v1/peering/establish'),
        (lambda c: c.peerings.get('dc2', partition='p'), 'GET', '/v1/peering/dc2'),
        (lambda c: c.peerings.delete('dc2'), 'DELETE', '/v1/peering/dc2'),
        (lambda c: c.peerings.list(), 'GET', '/v1/peerings'),
    ],
)
def test_unsupported_before_consul_1_13(
    consul: consulate.Consul, call: Callable[[consulate.Consul], Any], method: str, path: str
) -> None:
    with pytest.raises(exceptions.UnsupportedEndpoint, match=r'needs Consul 1\.13') as raised:
        call(consul)
    assert (raised.value.status_code, raised.value.method, raised.value.path) == (404, method, path)


def test_unsupported_on_an_acl_agent_without_a_token(consul_acl_agent: ConsulAgent) -> None:
    # the route probe (OPTIONS) needs no token: a missing route is still told apart
    with consul_acl_agent.client() as anonymous:
        with pytest.raises(exceptions.UnsupportedEndpoint):
            anonymous.peerings.list()
