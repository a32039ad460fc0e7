"""Helpers around the real agents and clusters of :mod:`consulate.testing`."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable

from consulate.testing import ConsulAgent, ConsulCluster

__all__ = ['freeze', 'heal', 'revive']


def heal(cluster: ConsulCluster) -> ConsulAgent:
    """Restart the servers a test stopped (same ports and data) and wait for a leader.

    :returns: the leader
    """
    stopped = [node for node in cluster.nodes if node.pid is None]
    if stopped:
        cluster.restart(*stopped)
    return cluster.wait_for_leader()


def freeze(agent: ConsulAgent) -> Callable[[], None]:
    """SIGSTOP the agent: it accepts connections (the kernel does) but answers nothing.

    :returns: the function that thaws it (SIGCONT)
    """
    assert agent.pid is not None
    pid = agent.pid
    os.kill(pid, signal.SIGSTOP)
    return lambda: os.kill(pid, signal.SIGCONT)


def revive(agent: ConsulAgent) -> ConsulAgent:
    """Bring back an agent a test hurt: thaw a frozen one, start a stopped one."""
    if agent.pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(agent.pid, signal.SIGCONT)
    else:
        agent.start()
    return agent
