"""Status against a real agent."""

from __future__ import annotations

import consulate
from consulate.testing import ConsulAgent


def test_leader_and_peers(any_consul: consulate.Consul, consul_agent: ConsulAgent) -> None:
    leader = any_consul.status.leader()
    assert leader == f'127.0.0.1:{consul_agent.ports["server"]}'
    peers = any_consul.status.peers()
    assert peers == [leader]  # one peer, still a list
