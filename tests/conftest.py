"""Fixtures shared by every test: real Consul agents.

consulate's pytest plugin (consulate/pytest_plugin.py, installed with the
package) gives ``consul_agent``, ``consul_acl_agent`` and ``consul``; here:

- ``consul_agent_options``: the session agent serves HTTPS and a UNIX socket
  too, so that every transport can be tested against it.
- ``consul`` (the plugin's): a client of ``consul_agent`` over HTTP; the
  agent's KV, sessions, services and checks are cleared after each test.
- ``any_consul``: the same, once over each transport (http, https, unix).
- ``acl_consul``: a management-token client of ``consul_acl_agent``.
- ``prefix``: a KV prefix unique to the test, deleted afterwards.
- ``limited``: makes clients of the ACL agent whose tokens hold only given rules.

``pytest --check-shapes`` checks every answer of every public method reachable
from ``Consul`` against its return annotation while the tests run
(:mod:`tests.support.shapes`); the fields no shape declares are listed at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

import consulate
from tests.support import shapes
from tests.support.names import unique

if TYPE_CHECKING:
    from consulate.testing import ConsulAgent


@pytest.fixture(scope='session')
def consul_agent_options() -> dict[str, Any]:
    """The session agent serves HTTP, HTTPS (certificates made by ``consul tls``) and a UNIX socket."""
    return {'tls': True, 'unix_socket': True}


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
    name = unique('test')
    yield name
    with consul_agent.client() as client:
        client.kv.delete(name, recurse=True)


@pytest.fixture
def limited(
    consul_acl_agent: ConsulAgent, acl_consul: consulate.Consul
) -> Iterator[Callable[[str], consulate.Consul]]:
    """Make clients of the ACL agent whose tokens hold only the given rules; all removed afterwards."""
    made: list[tuple[str, str, consulate.Consul]] = []

    def make(rules: str) -> consulate.Consul:
        policy = acl_consul.acl.create_policy(unique('policy'), rules)
        token = acl_consul.acl.create_token(policies=[{'ID': policy['ID']}])
        client = consul_acl_agent.client(token=token['SecretID'])
        made.append((policy['ID'], token['AccessorID'], client))
        return client

    yield make
    for policy_id, accessor_id, client in made:
        client.close()
        acl_consul.acl.delete_token(accessor_id)
        acl_consul.acl.delete_policy(policy_id)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        '--check-shapes',
        action='store_true',
        help="check each answer of consulate's public methods against its return annotation",
    )


@pytest.fixture(scope='session', autouse=True)
def check_shapes(request: pytest.FixtureRequest) -> Iterator[None]:
    """With ``--check-shapes``: every public method reachable from Consul checks its answers."""
    if not request.config.getoption('--check-shapes'):
        yield
        return
    replaced = shapes.instrument(shapes.reachable_classes().values())
    yield
    for cls, name, function in replaced:
        setattr(cls, name, function)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if config.getoption('--check-shapes'):
        extra = ', '.join(sorted(shapes.EXTRA_KEYS)) or 'none'
        terminalreporter.write_line(f'fields the answers held that no shape declares: {extra}')
