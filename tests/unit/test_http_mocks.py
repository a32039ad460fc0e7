"""HTTP mocking libraries see consulate's requests, as they did with consulate 0.6.

Test suites written against consulate 0.6 mock HTTP with ``responses``,
``requests-mock`` or ``httmock``. Each replaces a requests send method; while
one is active, consulate sends through requests so the mock answers. The
client points at 127.0.0.1:1, where nothing listens: a request the mock did
not intercept fails with ConnectError instead of passing.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httmock
import pytest
import requests_mock
import responses

import consulate
from consulate import exceptions
from consulate.adapters.http import PooledTransport
from consulate.adapters.via_requests import RequestsTransport

URL = 'http://127.0.0.1:1/v1/kv/app/flag'
ENTRY = [{'Key': 'app/flag', 'Flags': 0, 'Value': base64.b64encode(b'on').decode(), 'LockIndex': 0}]


def client(**kwargs: Any) -> consulate.Consul:
    return consulate.Consul('127.0.0.1', 1, token='mock-token', env={}, **kwargs)


@responses.activate
def test_responses_intercepts_kv_get_and_set() -> None:
    responses.add(responses.GET, URL, json=ENTRY)
    responses.add(responses.PUT, URL, body='true')
    consul = client()
    assert consul.kv['app/flag'] == 'on'
    consul.kv['app/flag'] = 'off'
    assert [call.request.method for call in responses.calls] == ['GET', 'PUT']
    assert responses.calls[1].request.body == b'off'
    assert responses.calls[0].request.headers['X-Consul-Token'] == 'mock-token'


def test_requests_mock_intercepts_kv_get() -> None:
    with requests_mock.Mocker() as mocker:
        mocker.get(URL, json=ENTRY)
        # Consul marks a missing key's 404 with X-Consul-Index; a bare 404 is a web server's.
        mocker.get(
            'http://127.0.0.1:1/v1/kv/missing', status_code=404, headers={'X-Consul-Index': '1'}
        )
        consul = client()
        assert consul.kv['app/flag'] == 'on'
        with pytest.raises(KeyError):
            consul.kv['missing']
    assert mocker.call_count == 2
    assert mocker.request_history[0].headers['X-Consul-Token'] == 'mock-token'


def test_httmock_intercepts_kv_get() -> None:
    seen: list[str] = []

    @httmock.urlmatch(netloc='127.0.0.1:1', path='/v1/kv/app/flag')
    def answer(url: Any, request: Any) -> dict[str, Any]:
        seen.append(request.method)
        return {'status_code': 200, 'content': json.dumps(ENTRY).encode()}

    with httmock.HTTMock(answer):
        assert client().kv['app/flag'] == 'on'
    assert seen == ['GET']


def test_the_pooled_transport_comes_back_when_the_mock_ends() -> None:
    consul = client()
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, URL, json=ENTRY)
        assert consul.kv['app/flag'] == 'on'
        assert all(isinstance(t, RequestsTransport) for t in consul.adapter._mocked.values())
    # Nothing listens on port 1: the real transport is used again, and fails honestly.
    with pytest.raises(exceptions.ConnectError, match=r'127\.0\.0\.1:1'):
        consul.kv['app/flag']
    assert all(isinstance(t, PooledTransport) for t in consul.adapter._transports.values())


@responses.activate
def test_mocked_errors_map_to_consulate_exceptions() -> None:
    responses.add(responses.GET, URL, status=403, body='Permission denied')
    with pytest.raises(exceptions.Forbidden, match='Permission denied'):
        client().kv['app/flag']
