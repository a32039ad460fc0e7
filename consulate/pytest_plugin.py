"""pytest fixtures of a real Consul agent, installed with consulate (a ``pytest11`` plugin).

Nothing to configure: with consulate installed and a Consul binary at hand,
any test may ask for the fixtures::

    def test_flag(consul):                   # a client of a dev agent
        consul.kv['flag'] = True
        assert consul.kv['flag'] == 'true'     # the stored text, as in consulate 0.6.0

``consul_agent``
    One dev agent (:class:`~consulate.testing.ConsulAgent`) for the test
    session, on free ports of 127.0.0.1, stopped at the end. Its options
    come from the ``consul_agent_options`` fixture: override it in a
    conftest.py to get more listeners, for example
    ``{'tls': True, 'unix_socket': True}``.
``consul_acl_agent``
    One more dev agent for the session, with ACLs on (default deny); its
    management token is ``consul_acl_agent.master_token``.
``consul``
    A :class:`~consulate.Consul` client of ``consul_agent``. After each test
    the agent is cleared: every KV key, session, service and check
    registered with the agent, and every catalog node but the agent's own
    (see :func:`clear`).

The Consul binary is ``$CONSUL_BIN``, else ``consul`` on PATH, else the one
``scripts/install-consul.sh`` put in a consulate checkout's ``.consul/bin``;
without one, the tests that use these fixtures are skipped, with the reason.
The plugin is registered as ``consulate.pytest_plugin``: ``-p
no:consulate.pytest_plugin`` turns it off.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from consulate.client import Consul
from consulate.testing import ConsulAgent, consul_binary

__all__ = ['clear', 'consul', 'consul_acl_agent', 'consul_agent', 'consul_agent_options']

#: Why the fixtures are skipped when no binary is found.
NO_BINARY = (
    'no Consul binary: set CONSUL_BIN to the path of consul, put consul on PATH, '
    'or run scripts/install-consul.sh in a consulate checkout ({})'
)


def _find_binary() -> str:
    try:
        return consul_binary(install=False)
    except RuntimeError as error:
        pytest.skip(NO_BINARY.format(error))


@pytest.fixture(scope='session')
def consul_agent_options() -> dict[str, Any]:
    """The keyword arguments of the session's :class:`~consulate.testing.ConsulAgent` (none)."""
    return {}


@pytest.fixture(scope='session')
def consul_agent(consul_agent_options: dict[str, Any]) -> Iterator[ConsulAgent]:
    """A dev agent on free ports for the whole test session, stopped at its end."""
    _find_binary()
    with ConsulAgent(**consul_agent_options) as agent:
        yield agent


@pytest.fixture(scope='session')
def consul_acl_agent() -> Iterator[ConsulAgent]:
    """A dev agent with ACLs on (default deny); its management token is ``master_token``."""
    _find_binary()
    with ConsulAgent(acl=True) as agent:
        yield agent


@pytest.fixture
def consul(consul_agent: ConsulAgent) -> Iterator[Consul]:
    """A client of ``consul_agent`` over HTTP; the agent is cleared after the test."""
    with consul_agent.client() as client:
        yield client
    with consul_agent.client(token=consul_agent.master_token) as admin:
        clear(admin, consul_agent.node_name)


def clear(consul: Consul, node: str) -> None:
    """Remove every session, KV key, agent service and check, and every catalog node but ``node``.

    What the ``consul`` fixture does after each test. ``node`` is the
    agent's own node, which stays.

    :raises consulate.exceptions.ConsulateException: the agent refused or
        could not be reached
    """
    for session in consul.session.list():
        consul.session.destroy(session['ID'])
    consul.kv.delete('', recurse=True)
    for service in consul.agent.service_records():
        consul.agent.service.deregister(service['ID'])
    for check in consul.agent.check_records():
        consul.agent.check.deregister(check['CheckID'])
    for other in consul.catalog.nodes():
        if other['Node'] != node:
            consul.catalog.deregister(other['Node'])
