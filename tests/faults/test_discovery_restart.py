"""Service discovery through an agent restart: a live cache keeps its snapshot and recovers,
a registration comes back by itself.

The agent (``own_agent``, see conftest.py) is a dev agent: started again on the
same ports it has lost every service, as an agent restarted without its data.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent
from tests.support.polling import eventually, within

ClientOf = Callable[..., consulate.Consul]


def test_a_service_cache_keeps_its_snapshot_through_a_restart_and_recovers(
    own_agent: ConsulAgent, client_of: ClientOf
) -> None:
    name = f'cached-{uuid.uuid4().hex[:8]}'
    consul = client_of(timeout=(1.0, 3.0))
    consul.agent.service.register(name, f'{name}-1', port=8001)
    with consul.cache.service(name, wait=30, max_backoff=0.5) as cache:
        [before] = cache.wait_ready(10)
        own_agent.halt(kill=True)
        eventually(lambda: not cache.healthy, 10)
        assert isinstance(cache.last_error, exceptions.RequestError)
        for _ in range(10):  # the agent is gone: the last snapshot is still served
            assert cache.value == [before]
            assert cache.pick() == ('127.0.0.1', 8001)
            time.sleep(0.05)

        own_agent.start()  # a fresh dev agent: the service is gone
        eventually(lambda: cache.healthy, 20)
        within(1.0, lambda: cache.value == [])
        consul.agent.service.register(name, f'{name}-2', port=8002)
        within(1.0, lambda: [e['Service']['Port'] for e in cache.value] == [8002])
        assert cache.last_error is None
    consul.agent.service.deregister(f'{name}-2')


def test_a_registration_comes_back_after_the_agent_restarts(
    own_agent: ConsulAgent, client_of: ClientOf
) -> None:
    name = f'reborn-{uuid.uuid4().hex[:8]}'
    consul = client_of(timeout=(1.0, 3.0))
    with consul.agent.service.registered(name, port=8080, ttl='1s') as web:
        own_agent.halt(kill=True)
        eventually(lambda: web.last_error is not None, 10)
        own_agent.start()
        eventually(lambda: consul.health.service(name, passing=True), 20)
        assert web.reregistrations >= 1
        assert web.last_error is None
    assert consul.health.service(name) == []
