"""Namespace and partition: sent only when set, and a per-call value wins over the client's."""

from __future__ import annotations

from consulate import adapters
from consulate.api.base import Endpoint


def endpoint(**options: str) -> Endpoint:
    return Endpoint('http://127.0.0.1:8500/v1', adapters.Request(), **options)


def test_not_sent_unless_set() -> None:
    assert endpoint()._params({'ns': None, 'partition': None}, read=True) == {}


def test_client_level_values_are_sent() -> None:
    query = endpoint(namespace='team-a', partition='p1')._params(None, read=False)
    assert query == {'ns': 'team-a', 'partition': 'p1'}


def test_per_call_values_win() -> None:
    client = endpoint(namespace='team-a', partition='p1')
    query = client._params({'ns': '*', 'partition': 'p2'}, read=True)
    assert (query['ns'], query['partition']) == ('*', 'p2')
    assert client._params({'ns': None}, read=True)['ns'] == 'team-a'
