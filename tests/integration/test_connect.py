"""Connect CA and intentions against a real agent (dev agents have Connect on)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

import consulate
from consulate import exceptions
from tests.support.names import unique


@pytest.fixture
def names() -> tuple[str, str]:
    """A source and a destination service name only this test uses."""
    return unique('src'), unique('dst')


@pytest.fixture
def intentions(consul: consulate.Consul) -> Iterator[list[str]]:
    """Intention IDs appended here are deleted after the test."""
    created: list[str] = []
    yield created
    for intention_id in created:
        try:
            consul.connect.intentions.delete(intention_id)
        except exceptions.ServerError:  # the test deleted it already
            pass


# -- CA -----------------------------------------------------------------------------


def test_ca_roots(consul: consulate.Consul) -> None:
    roots = consul.connect.ca.roots()
    assert roots['TrustDomain'].endswith('.consul')
    active = [root for root in roots['Roots'] if root['Active']]
    assert [root['ID'] for root in active] == [roots['ActiveRootID']]
    assert active[0]['RootCert'].startswith('-----BEGIN CERTIFICATE-----')
    assert consul.connect.ca.last_response is not None
    assert consul.connect.ca.last_response.index


def test_ca_roots_blocking_read_waits(consul: consulate.Consul) -> None:
    consul.connect.ca.roots()
    index = consul.connect.ca.last_response.index  # type: ignore[union-attr]
    started = time.monotonic()
    consul.connect.ca.roots(index=index, wait='1s', consistency='stale')
    assert time.monotonic() - started >= 0.9


def test_ca_roots_pem(consul: consulate.Consul) -> None:
    pem = consul.connect.ca.roots_pem()
    roots = consul.connect.ca.roots()['Roots']
    assert pem.count('-----BEGIN CERTIFICATE-----') == len(roots)
    for root in roots:
        assert root['RootCert'].strip() in pem


def test_ca_configuration_get_and_set(consul: consulate.Consul) -> None:
    original = consul.connect.ca.configuration()
    assert original['Provider'] == 'consul'
    active_root = consul.connect.ca.roots()['ActiveRootID']
    changed = {**original['Config'], 'LeafCertTTL': '36h'}
    try:
        consul.connect.ca.set_configuration('consul', changed)
        now = consul.connect.ca.configuration()
        assert now['Config']['LeafCertTTL'] == '36h'
        assert now['ModifyIndex'] > original['ModifyIndex']
        assert consul.connect.ca.roots()['ActiveRootID'] == active_root  # same key: no rotation
    finally:
        consul.connect.ca.set_configuration('consul', original['Config'])
    assert consul.connect.ca.configuration()['Config'] == original['Config']


def test_ca_set_configuration_with_an_unknown_provider_fails(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.ServerError):
        consul.connect.ca.set_configuration('no-such-provider', {})


# -- intentions ---------------------------------------------------------------------------


def test_create_get_list_update_delete(
    consul: consulate.Consul, names: tuple[str, str], intentions: list[str]
) -> None:
    source, destination = names
    ixn = consul.connect.intentions
    intention_id = ixn.create(source, destination, 'deny', description='d', meta={'k': 'v'})
    intentions.append(intention_id)
    got = ixn.get(intention_id)
    assert (got['SourceName'], got['DestinationName'], got['Action']) == (
        source,
        destination,
        'deny',
    )
    assert (got['Description'], got['Meta'], got['SourceType']) == ('d', {'k': 'v'}, 'consul')
    assert intention_id in [i['ID'] for i in ixn.list()]
    ixn.update(intention_id, source, destination, 'allow', description='now allowed')
    got = ixn.get(intention_id)
    assert (got['Action'], got['Description']) == ('allow', 'now allowed')
    ixn.delete(intention_id)
    with pytest.raises(exceptions.NotFound, match='Intention not found'):
        ixn.get(intention_id)
    with pytest.raises(exceptions.ServerError, match='non-existent intention'):
        ixn.delete(intention_id)
    with pytest.raises(exceptions.ServerError, match='non-existent intention'):
        ixn.update(intention_id, source, destination, 'deny')


def test_duplicate_intention_is_refused(
    consul: consulate.Consul, names: tuple[str, str], intentions: list[str]
) -> None:
    intentions.append(consul.connect.intentions.create(*names))
    with pytest.raises(exceptions.ServerError, match='duplicate intention'):
        consul.connect.intentions.create(*names, 'deny')


def test_list_filter_and_blocking(
    consul: consulate.Consul, names: tuple[str, str], intentions: list[str]
) -> None:
    source, destination = names
    ixn = consul.connect.intentions
    ixn.list()
    index = ixn.last_response.index  # type: ignore[union-attr]
    started = time.monotonic()
    ixn.list(index=index, wait='1s')
    assert time.monotonic() - started >= 0.9
    intentions.append(ixn.create(source, destination, 'deny'))
    assert ixn.list(index=index, wait='5s')
    assert ixn.last_response.index > index  # type: ignore[union-attr]
    found = ixn.list(filter=f'SourceName == "{source}"')
    assert [i['DestinationName'] for i in found] == [destination]


def test_check(consul: consulate.Consul, names: tuple[str, str], intentions: list[str]) -> None:
    source, destination = names
    ixn = consul.connect.intentions
    assert ixn.check(source, destination) is True  # no intention, no ACLs: allowed
    intentions.append(ixn.create(source, destination, 'deny'))
    assert ixn.check(source, destination) is False
    assert ixn.check(f'other-{source}', destination, source_type='consul') is True


def test_match(consul: consulate.Consul, names: tuple[str, str], intentions: list[str]) -> None:
    source, destination = names
    ixn = consul.connect.intentions
    exact = ixn.create(source, destination, 'deny')
    wildcard = ixn.create('*', destination, 'allow')
    intentions.extend([exact, wildcard])
    matched = ixn.match('destination', [destination, f'none-{destination}'])
    assert [i['ID'] for i in matched[destination]] == [exact, wildcard]  # most precise first
    assert matched[f'none-{destination}'] == []
    by_source = ixn.match('source', source)
    assert list(by_source) == [source]
    assert [i['ID'] for i in by_source[source]] == [exact, wildcard]  # '*' matches any source
    with pytest.raises(exceptions.ValidationError, match='by must be'):
        ixn.match('sideways', destination)


def test_bad_intentions_are_refused_before_sending(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.ValidationError, match='action'):
        consul.connect.intentions.create('a', 'b', 'maybe')
    with pytest.raises(exceptions.ValidationError, match='source and a destination'):
        consul.connect.intentions.create('', 'b')


def test_exact_routes_need_consul_1_9(consul: consulate.Consul, names: tuple[str, str]) -> None:
    ixn = consul.connect.intentions
    with pytest.raises(exceptions.UnsupportedEndpoint, match=r'needs Consul 1\.9'):
        ixn.get_exact(*names)
    with pytest.raises(exceptions.UnsupportedEndpoint, match=r'needs Consul 1\.9'):
        ixn.upsert(*names, 'allow')
    with pytest.raises(exceptions.UnsupportedEndpoint, match=r'needs Consul 1\.9') as err:
        ixn.delete_exact(*names)
    assert err.value.path == '/v1/connect/intentions/exact'
    assert names[0] not in [i['SourceName'] for i in ixn.list()]  # nothing was written
