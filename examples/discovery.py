"""Service discovery with consulate: registered services, live caches, pick, the agent's cache.

Uses the Consul that CONSUL_HTTP_ADDR (or localhost:8500) names if one
answers; otherwise starts a throwaway dev agent and stops it at the end.
Everything it registers or writes is removed again; it ends by itself in a
few seconds::

    .venv/bin/python examples/discovery.py
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable

from demo import local_consul

import consulate
from consulate.types import ServiceEntry


def until(probe: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait (briefly) for something the cache's thread does."""
    deadline = time.monotonic() + timeout
    while not probe() and time.monotonic() < deadline:
        time.sleep(0.01)


def ports(instances: list[ServiceEntry]) -> list[int]:
    return sorted(entry['Service']['Port'] for entry in instances)


def main() -> int:
    with local_consul() as consul:
        name = f'demo-web-{uuid.uuid4().hex[:6]}'
        config = f'consulate-demo/{uuid.uuid4().hex[:6]}/'

        print(f'\n1. Two instances of {name}, each registered for the length of a block')
        with (
            consul.agent.service.registered(
                name, service_id=f'{name}-1', port=8081, ttl='3s'
            ) as one,
            consul.agent.service.registered(name, service_id=f'{name}-2', port=8082, ttl='3s'),
        ):
            print(f'   {one.check_id} is reported every {one.interval:.1f} s')

            print('\n2. A live cache of the passing instances, with a listener')
            seen: list[list[int]] = []
            web = consul.cache.service(name)
            web.add_listener(lambda instances: seen.append(ports(instances)))
            with web:
                print(f'   first answer: ports {ports(web.wait_ready(5))}')
                picks = sorted({web.pick() for _ in range(20)})
                print(f'   cache.pick() x20 (no request) chose among {picks}')
                print(f'   consul.health.pick() (one request): {consul.health.pick(name)}')

                one.fail('going into maintenance')
                until(lambda: ports(web.value) == [8082])
                print(f'   after {one.service_id} fails: ports {ports(web.value)}')
                one.pass_('back')
                until(lambda: ports(web.value) == [8081, 8082])
                print(f'   after it passes again: ports {ports(web.value)}')
                print(f'   the listener saw {seen}')

            print('\n3. A live cache of a KV prefix: a read-only mapping')
            with consul.cache.kv(config) as settings:
                settings.wait_ready(5)
                consul.kv[f'{config}timeout'] = 30
                until(lambda: f'{config}timeout' in settings)
                key = f'{config}timeout'
                print(f'   settings[{key!r}] = {settings[key]!r}')
                print(f'   healthy={settings.healthy}, keys={sorted(settings)}')

            print("\n4. The agent's cache")
            for _ in range(2):
                consul.health.service(name, passing=True, cached=True)
                answer = consul.health.last_response
                assert answer is not None
                print(f'   health.service(cached=True): X-Cache {answer.cache}, Age {answer.age}')

        print('\n5. The blocks are left: both instances are deregistered')
        print(f'   health.service({name!r}) = {consul.health.service(name)}')
        try:
            consul.health.pick(name)
        except consulate.NotFound as error:
            print(f'   pick() raises NotFound: {error}')
        consul.kv.delete(config, recurse=True)
        print('\nDone.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
