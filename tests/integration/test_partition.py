"""Admin partitions are Consul Enterprise: on the OSS 1.8.7 test agent every method raises UnsupportedEndpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import consulate
from consulate import exceptions


@pytest.mark.parametrize(
    ('call', 'method', 'path'),
    [
        (lambda c: c.partitions.create('p1', description='d'), 'PUT', '/v1/partition'),
        (lambda c: c.partitions.get('p1', consistency='consistent'), 'GET', '/v1/partition/p1'),
        (lambda c: c.partitions.update('p1', description='e'), 'PUT', '/v1/partition/p1'),
        (lambda c: c.partitions.delete('p1'), 'DELETE', '/v1/partition/p1'),
        (lambda c: c.partitions.list(), 'GET', '/v1/partitions'),
    ],
)
def test_unsupported_on_consul_oss(
    consul: consulate.Consul, call: Callable[[consulate.Consul], Any], method: str, path: str
) -> None:
    with pytest.raises(
        exceptions.UnsupportedEndpoint, match=r'needs Consul Enterprise 1\.11'
    ) as raised:
        call(consul)
    assert (raised.value.method, raised.value.path) == (method, path)
