"""Exported services need Consul 1.17.3: on the 1.8.7 test agent the list raises UnsupportedEndpoint."""

from __future__ import annotations

import pytest

import consulate
from consulate import exceptions


def test_unsupported_before_consul_1_17_3(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.UnsupportedEndpoint, match=r'needs Consul 1\.17\.3') as raised:
        consul.exported_services.list(partition='default', index=1, wait='1s')
    assert (raised.value.method, raised.value.path) == ('GET', '/v1/exported-services')
