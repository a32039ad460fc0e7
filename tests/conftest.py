"""Fixtures shared by every test: real Consul agents from consulate.testing.

- ``consul_agent`` / ``consul_acl_agent``: session-wide dev agents (the first
  serves HTTP, HTTPS and a UNIX socket; the second has ACLs, default deny).
- ``consul``: a client of ``consul_agent`` over HTTP.
- ``any_consul``: the same, once over each transport (http, https, unix).
- ``acl_consul``: a management-token client of ``consul_acl_agent``.
- ``prefix``: a KV prefix unique to the test, deleted afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

import consulate

if TYPE_CHECKING:
    from consulate.testing import ConsulAgent

pytest_plugins = ['consulate.testing']


@pytest.fixture(params=['http', 'https', 'unix'])
def any_consul(
    request: pytest.FixtureRequest, consul_agent: ConsulAgent
) -> Iterator[consulate.Consul]:
    """A client of the shared agent over each transport in turn."""
    with consul_agent.client(request.param) as client:
        yield client


@pytest.fixture
def acl_consul(consul_acl_agent: ConsulAgent) -> Iterator[consulate.Consul]:
    """A client of the ACL agent holding the management token."""
    with consul_acl_agent.client(token=consul_acl_agent.master_token) as client:
        yield client


@pytest.fixture
def prefix(consul_agent: ConsulAgent) -> Iterator[str]:
    """A KV prefix no other test uses; everything under it is deleted afterwards."""
    name = f'test-{uuid.uuid4().hex[:12]}'
    yield name
    with consul_agent.client() as client:
        client.kv.delete(name, recurse=True)
