"""``consulate register|deregister|services`` against the local agent."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

import consulate
from tests.cli.conftest import Runner, assert_failed


@pytest.fixture
def service(consul: consulate.Consul, name: str) -> Iterator[str]:
    """A service name unique to the test; anything registered with it is removed afterwards."""
    yield name
    for record in consul.agent.service_records():
        if record['Service'] == name:
            consul.agent.service.deregister(record['ID'])


def registered(consul: consulate.Consul, service_id: str) -> dict[str, object] | None:
    return next((s for s in consul.agent.service_records() if s['ID'] == service_id), None)


def checks_of(consul: consulate.Consul, service_id: str) -> list[dict[str, object]]:
    found = consul.agent.check_records()
    records = found.values() if isinstance(found, dict) else found
    return [check for check in records if check.get('ServiceID') == service_id]


def test_register_without_a_check(cli: Runner, consul: consulate.Consul, service: str) -> None:
    result = cli('register', service, '-a', '10.1.2.3', '-p', '8080', '-t', 'v1, blue')
    assert (result.returncode, result.stdout, result.stderr) == (0, b'', b'')
    record = registered(consul, service)
    assert record is not None
    assert (record['Address'], record['Port'], record['Tags']) == ('10.1.2.3', 8080, ['v1', 'blue'])
    assert checks_of(consul, service) == []


def test_register_with_a_service_id_and_a_ttl_check(
    cli: Runner, consul: consulate.Consul, service: str
) -> None:
    result = cli('register', service, '-s', f'{service}-1', '-p', '81', 'ttl', '30')
    assert result.returncode == 0, result.stderr
    assert registered(consul, f'{service}-1') is not None
    [check] = checks_of(consul, f'{service}-1')
    assert check['Type'] == 'ttl'


def test_register_with_an_http_check(cli: Runner, consul: consulate.Consul, service: str) -> None:
    url = 'http://127.0.0.1:1/health'
    result = cli('register', service, '-p', '82', 'httpcheck', '10s', url)
    assert result.returncode == 0, result.stderr
    [check] = checks_of(consul, service)
    assert check['Type'] == 'http'


def test_register_with_a_script_check(cli: Runner, consul: consulate.Consul, service: str) -> None:
    result = cli('register', service, 'check', '1m', '/bin/true')
    assert result.returncode == 0, result.stderr
    [check] = checks_of(consul, service)
    assert check['Type'] == 'script'


def test_register_rejects_a_bad_interval(
    cli: Runner, consul: consulate.Consul, service: str
) -> None:
    assert_failed(cli('register', service, 'ttl', 'soon'), 2, 'not a duration')
    assert registered(consul, service) is None


def test_services_lists_the_agent_services_as_json(
    cli: Runner, consul: consulate.Consul, service: str
) -> None:
    consul.agent.service.register(service, port=9000, tags=['x'])
    result = cli('services', '-i', '2')
    assert result.returncode == 0
    listing = json.loads(result.stdout)
    assert isinstance(listing, list)
    [record] = [s for s in listing if s['ID'] == service]
    assert (record['Service'], record['Port'], record['Tags']) == (service, 9000, ['x'])
    assert result.stdout.startswith(b'[\n  {')


def test_deregister(cli: Runner, consul: consulate.Consul, service: str) -> None:
    consul.agent.service.register(service, port=9001, ttl='30s')
    result = cli('deregister', service)
    assert (result.returncode, result.stderr) == (0, b'')
    assert registered(consul, service) is None
    assert checks_of(consul, service) == []
    assert_failed(cli('deregister', service), 1, 'no service', service)
