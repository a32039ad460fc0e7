"""Configuration entries against a real agent: apply (with cas), get, list, delete."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

import consulate
from consulate import exceptions
from tests.support.names import unique


@pytest.fixture
def name(consul: consulate.Consul) -> Iterator[str]:
    """A service name only this test uses; its entries are deleted afterwards."""
    service = unique('cfg')
    yield service
    for kind in ('service-resolver', 'service-defaults'):
        consul.config.delete(kind, service)


def test_apply_get_list_delete(consul: consulate.Consul, name: str) -> None:
    entry = {'Kind': 'service-defaults', 'Name': name, 'Protocol': 'http'}
    assert consul.config.apply(entry) is True
    got = consul.config.get('service-defaults', name)
    assert (got['Kind'], got['Name'], got['Protocol']) == ('service-defaults', name, 'http')
    assert got['ModifyIndex'] > 0
    listed = consul.config.list('service-defaults')
    assert isinstance(listed, list)
    assert [e['Protocol'] for e in listed if e['Name'] == name] == ['http']
    assert consul.config.delete('service-defaults', name) is True
    with pytest.raises(exceptions.NotFound, match='Config entry not found'):
        consul.config.get('service-defaults', name)
    assert consul.config.delete('service-defaults', name) is True  # already gone: no error


def test_apply_with_cas(consul: consulate.Consul, name: str) -> None:
    entry = {'Kind': 'service-defaults', 'Name': name, 'Protocol': 'http'}
    assert consul.config.apply(entry, cas=0) is True  # created: it did not exist
    assert consul.config.apply({**entry, 'Protocol': 'grpc'}, cas=0) is False  # exists now
    current = consul.config.get('service-defaults', name)
    assert current['Protocol'] == 'http'
    index = current['ModifyIndex']
    assert consul.config.apply({**entry, 'Protocol': 'http2'}, cas=index) is True
    assert consul.config.apply({**entry, 'Protocol': 'tcp'}, cas=index) is False  # stale
    assert consul.config.get('service-defaults', name)['Protocol'] == 'http2'


def test_delete_with_cas_is_refused_on_agents_that_ignore_it(
    consul: consulate.Consul, name: str
) -> None:
    consul.config.apply({'Kind': 'service-defaults', 'Name': name, 'Protocol': 'http'})
    index = consul.config.get('service-defaults', name)['ModifyIndex']
    with pytest.raises(exceptions.UnsupportedEndpoint, match=r'Consul 1\.11.*runs 1\.8\.7') as err:
        consul.config.delete('service-defaults', name, cas=index)
    assert err.value.method == 'DELETE'
    assert err.value.path == f'/v1/config/service-defaults/{name}'
    assert consul.config.get('service-defaults', name)['Protocol'] == 'http'  # not deleted


def test_other_kinds_and_snake_case_fields(consul: consulate.Consul, name: str) -> None:
    resolver = {'kind': 'service-resolver', 'name': name, 'connect_timeout': '15s'}
    assert consul.config.apply(resolver) is True
    got = consul.config.get('service-resolver', name)
    assert got['Kind'] == 'service-resolver'
    assert got['ConnectTimeout'] == '15s'
    assert name in [e['Name'] for e in consul.config.list('service-resolver')]


def test_unknown_kind_and_field(consul: consulate.Consul, name: str) -> None:
    with pytest.raises(exceptions.ServerError, match='invalid config entry kind'):
        consul.config.list('no-such-kind')
    with pytest.raises(exceptions.ServerError, match='invalid config entry kind'):
        consul.config.get('no-such-kind', name)
    with pytest.raises(exceptions.BadRequest, match='invalid config key "Bogus"'):
        consul.config.apply({'Kind': 'service-defaults', 'Name': name, 'Bogus': 1})


def test_entries_without_kind_or_name_are_refused_before_sending(
    consul: consulate.Consul,
) -> None:
    with pytest.raises(exceptions.ValidationError, match='Kind'):
        consul.config.apply({'Name': 'x'})
    with pytest.raises(exceptions.ValidationError, match='Name'):
        consul.config.apply({'Kind': 'service-defaults'})
    with pytest.raises(exceptions.ValidationError, match='cas'):
        consul.config.apply({'Kind': 'service-defaults', 'Name': 'x'}, cas=-1)


def test_list_blocks_until_an_entry_changes(consul: consulate.Consul, name: str) -> None:
    consul.config.list('service-defaults')
    index = consul.config.last_response.index  # type: ignore[union-attr]
    started = time.monotonic()
    consul.config.list('service-defaults', index=index, wait='1s')
    assert time.monotonic() - started >= 0.9
    consul.config.apply({'Kind': 'service-defaults', 'Name': name, 'Protocol': 'tcp'})
    consul.config.get('service-defaults', name, index=index, wait='5s', consistency='consistent')
    assert consul.config.last_response.index > index  # type: ignore[union-attr]


def test_namespace_is_sent_per_call(consul: consulate.Consul, name: str) -> None:
    # OSS Consul refuses any ?ns, which shows it was sent; without it the call works
    with pytest.raises(exceptions.BadRequest, match='Namespaces are a Consul Enterprise feature'):
        consul.config.list('service-defaults', namespace='team-a')
    consul.config.list('service-defaults')
