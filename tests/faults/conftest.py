"""Fixtures of the fault tests: agents of their own, which the tests stop, freeze and restart.

The session-wide ``consul_agent`` is never stopped here; a test that hurts an
agent uses :func:`own_agent` (a dev agent serving HTTP, HTTPS and a UNIX
socket, restarted on the same ports between tests when a test left it down).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

import consulate
from consulate.testing import ConsulAgent
from tests.support.agents import revive


@pytest.fixture(scope='module')
def module_agent() -> Iterator[ConsulAgent]:
    """A dev agent (HTTP, HTTPS, UNIX socket) for one test module to hurt."""
    with ConsulAgent(tls=True, unix_socket=True) as agent:
        yield agent


@pytest.fixture
def own_agent(module_agent: ConsulAgent) -> Iterator[ConsulAgent]:
    """The module's agent, running; brought back (thawed or restarted) after the test."""
    if module_agent.pid is None:
        module_agent.start()
    yield module_agent
    revive(module_agent)


@pytest.fixture
def client_of(own_agent: ConsulAgent) -> Iterator[Callable[..., consulate.Consul]]:
    """Build clients of ``own_agent`` (transport, then Consul options); closed afterwards."""
    clients: list[consulate.Consul] = []

    def build(transport: str = 'http', **options: object) -> consulate.Consul:
        client = own_agent.client(transport, **options)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()
