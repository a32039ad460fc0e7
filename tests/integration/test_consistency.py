"""Consistency modes, per client and per call, and read metadata, against a real agent.

The agent reports the mode it applied in ``X-Consul-Effective-Consistency``
(on catalog and health reads), which is what these tests check. Stale reads
during a leader loss are in test_cluster.py.
"""

from __future__ import annotations

import pytest

import consulate
from consulate import exceptions
from consulate.api.base import Endpoint
from consulate.testing import ConsulAgent


def effective(endpoint: Endpoint) -> str | None:
    """The consistency the agent applied to the endpoint's last read."""
    assert endpoint.last_response is not None
    return endpoint.last_response.headers.get('X-Consul-Effective-Consistency')


@pytest.mark.parametrize(
    ('mode', 'applied'),
    [(None, 'leader'), ('default', 'leader'), ('stale', 'stale'), ('consistent', 'consistent')],
)
def test_client_level_mode_applies_to_every_read(
    consul_agent: ConsulAgent, mode: str | None, applied: str
) -> None:
    with consul_agent.client(consistency=mode) as consul:
        consul.catalog.nodes()
        assert effective(consul.catalog) == applied
        consul.health.state('any')
        assert effective(consul.health) == applied


@pytest.mark.parametrize('mode', ['stale', 'consistent'])
def test_per_call_mode_wins_over_the_client_mode(consul_agent: ConsulAgent, mode: str) -> None:
    with consul_agent.client(consistency='stale' if mode == 'consistent' else 'consistent') as c:
        c.catalog.nodes(consistency=mode)
        assert effective(c.catalog) == mode
        c.catalog.nodes(consistency='default')
        assert effective(c.catalog) == 'leader'


def test_writes_are_not_given_a_read_mode(consul_agent: ConsulAgent, prefix: str) -> None:
    # A write never carries a read mode: Consul always applies it through the leader.
    with consul_agent.client(consistency='stale') as consul:
        consul.kv[f'{prefix}/k'] = 'v'
        assert consul.kv.last_response is not None
        assert consul.kv.last_response.known_leader is None  # writes carry no read metadata
        assert consul.kv.get(f'{prefix}/k') == 'v'


def test_a_stale_read_reports_leader_contact(consul: consulate.Consul, prefix: str) -> None:
    consul.kv.get(f'{prefix}/missing', consistency='stale')
    response = consul.kv.last_response
    assert response is not None
    assert response.known_leader is True
    assert response.last_contact is not None and response.last_contact >= 0
    assert response.index is not None and response.index >= 1


def test_an_unknown_mode_is_refused_before_any_request(consul_agent: ConsulAgent) -> None:
    with pytest.raises(exceptions.ValidationError):
        consul_agent.client(consistency='eventual')
    with consul_agent.client() as consul:
        with pytest.raises(exceptions.ValidationError, match='consistency'):
            consul.catalog.nodes(consistency='eventual')
        assert consul.catalog.last_response is None


def test_a_watch_reads_in_the_mode_asked(consul: consulate.Consul) -> None:
    watcher = consul.watch.nodes(consistency='stale', timeout=5)
    assert next(watcher)
    assert effective(consul.catalog) == 'stale'
