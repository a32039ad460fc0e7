"""``consul.agent.service.registered(...)`` against a real agent: a service's whole life.

The agent restarting under a registration is in tests/faults/test_discovery_restart.py.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent
from tests.support.names import unique
from tests.support.polling import eventually
from tests.support.proxy import RecordingProxy


def own_check(consul: consulate.Consul, service_id: str) -> dict[str, Any] | None:
    """The service's TTL check as the agent holds it, or None."""
    return {c['CheckID']: c for c in consul.agent.check_records()}.get(f'service:{service_id}')


def registered_ids(consul: consulate.Consul) -> set[str]:
    return {service['ID'] for service in consul.agent.service_records()}


def test_the_service_stays_passing_for_longer_than_three_ttls(consul: consulate.Consul) -> None:
    name = unique('alive')
    with consul.agent.service.registered(name, port=8080, tags=['v1'], ttl='1s') as web:
        assert (web.service_id, web.check_id, web.interval) == (name, f'service:{name}', 1 / 3)
        started = time.monotonic()
        while time.monotonic() - started < 3.5:  # more than three TTLs of one second
            check = own_check(consul, name)
            assert check is not None and check['Status'] == 'passing'
            time.sleep(0.1)
        [entry] = consul.health.service(name, passing=True)
        assert (entry['Service']['Port'], entry['Service']['Tags']) == (8080, ['v1'])
        assert web.last_error is None and web.reregistrations == 0
    assert name not in registered_ids(consul)
    assert own_check(consul, name) is None


def test_warn_fail_and_pass_set_the_next_reports(consul: consulate.Consul) -> None:
    name = unique('moody')
    with consul.agent.service.registered(name, ttl='1s') as web:
        web.warn('shedding load')
        eventually(lambda: (own_check(consul, name) or {}).get('Status') == 'warning', 5)
        time.sleep(1.5)  # longer than the TTL: the heartbeat keeps reporting the warning
        check = own_check(consul, name)
        assert check is not None
        assert (check['Status'], check['Output'], web.status) == (
            'warning',
            'shedding load',
            'warning',
        )
        web.fail('database gone')
        eventually(lambda: (own_check(consul, name) or {}).get('Output') == 'database gone', 5)
        assert consul.health.service(name, passing=True) == []
        web.pass_()
        eventually(lambda: consul.health.service(name, passing=True), 5)


def test_it_deregisters_when_the_block_is_left_by_an_exception(consul: consulate.Consul) -> None:
    name = unique('broken')
    with (
        pytest.raises(ZeroDivisionError),
        consul.agent.service.registered(name, port=1, ttl='1s') as web,
    ):
        assert name in registered_ids(consul)
        1 / 0  # noqa: B018
    assert name not in registered_ids(consul)
    time.sleep(web.interval * 2)  # the heartbeat does not bring it back
    assert name not in registered_ids(consul)


def test_a_forgotten_service_is_registered_again(consul: consulate.Consul) -> None:
    name = unique('forgotten')
    with consul.agent.service.registered(
        name, service_id=f'{name}-1', ttl='1s', meta={'owner': 'tests'}
    ) as web:
        consul.agent.service.deregister(f'{name}-1')  # as an agent restarted without data
        eventually(lambda: f'{name}-1' in registered_ids(consul), 5)
        eventually(lambda: (own_check(consul, f'{name}-1') or {}).get('Status') == 'passing', 5)
        assert web.reregistrations >= 1
        [service] = [s for s in consul.agent.service_records() if s['ID'] == f'{name}-1']
        assert (service['Service'], service['Meta']) == (name, {'owner': 'tests'})
    assert f'{name}-1' not in registered_ids(consul)


def test_the_check_is_registered_to_deregister_a_dead_service(consul_agent: ConsulAgent) -> None:
    name = unique('mortal')
    with (
        RecordingProxy(consul_agent.http_addr) as proxy,
        consulate.Consul(addr=f'http://{proxy.addr}', env={}) as client,
        client.agent.service.registered(name, ttl='30s', deregister_after='90s'),
    ):
        [entry] = client.health.service(name)
        check = next(c for c in entry['Checks'] if c['CheckID'] == f'service:{name}')
        assert check['Status'] == 'passing'
    [registration] = [seen for seen in proxy.seen if seen.target.endswith('/service/register')]
    definition = json.loads(registration.body)
    assert definition['Check'] == {'TTL': '30s', 'DeregisterCriticalServiceAfter': '90s'}
    assert proxy.seen[-1].target == f'/v1/agent/service/deregister/{name}'


def test_bad_definitions_are_refused_before_anything_is_registered(
    consul: consulate.Consul,
) -> None:
    with pytest.raises(exceptions.ValidationError, match='ttl'):
        consul.agent.service.registered(unique('bad'), ttl=0)
    name = unique('bad')
    with pytest.raises(exceptions.ValidationError, match='port'):
        consul.agent.service.registered(name, port='80').start()  # type: ignore[arg-type]
    with pytest.raises(exceptions.ValidationError, match='one kind'):
        consul.agent.service.registered(
            name, httpcheck='http://127.0.0.1:1/', interval='10s'
        ).start()
    assert name not in registered_ids(consul)
