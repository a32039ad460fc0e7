"""HTTP mocking libraries see consulate's requests, as they did with consulate 0.6.

Test suites written against consulate 0.6 mock HTTP with ``responses``,
``requests-mock``, ``httmock`` or ``httpretty``. The first three replace a
requests send method, httpretty replaces the socket module; every consulate
request goes out through :meth:`requests.Session.send`, so each of them
answers. The client points at 127.0.0.1:1, where nothing listens: a request
the mock did not intercept fails with ConnectError instead of passing.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httmock
import httpretty
import pytest
import requests
import requests_mock
import responses

import consulate
from consulate import exceptions

URL = 'http://127.0.0.1:1/v1/kv/app/flag'
ENTRY = [{'Key': 'app/flag', 'Flags': 0, 'Value': base64.b64encode(b'on').decode(), 'LockIndex': 0}]
CONSUL_HEADERS = {'X-Consul-Index': '7', 'X-Consul-KnownLeader': 'true'}


def client(**kwargs: Any) -> consulate.Consul:
    return consulate.Consul('127.0.0.1', 1, token='mock-token', env={}, **kwargs)


@responses.activate
def test_responses_intercepts_kv_get_and_set() -> None:
    responses.add(responses.GET, URL, json=ENTRY, headers=CONSUL_HEADERS)
    responses.add(responses.PUT, URL, body='true')
    consul = client()
    assert consul.kv['app/flag'] == 'on'
    consul.kv['app/flag'] = 'off'
    assert [call.request.method for call in responses.calls] == ['GET', 'PUT']
    assert responses.calls[1].request.body == b'off'
    assert responses.calls[0].request.headers['X-Consul-Token'] == 'mock-token'


def test_requests_mock_intercepts_kv_get() -> None:
    with requests_mock.Mocker() as mocker:
        mocker.get(URL, json=ENTRY, headers=CONSUL_HEADERS)
        # Consul marks a missing key's 404 with X-Consul-Index; a bare 404 is a web server's.
        mocker.get('http://127.0.0.1:1/v1/kv/missing', status_code=404, headers=CONSUL_HEADERS)
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
        return {
            'status_code': 200,
            'content': json.dumps(ENTRY).encode(),
            'headers': CONSUL_HEADERS,
        }

    with httmock.HTTMock(answer):
        assert client().kv['app/flag'] == 'on'
    assert seen == ['GET']


def test_httpretty_intercepts_at_the_socket() -> None:
    # httpretty 1.1's allow_net_connect=False breaks on urllib3 2.3+ for every
    # client (its fake socket raises UnmockedError where urllib3 reads
    # ``getattr(sock, 'shutdown', None)``); its default setting works.
    httpretty.enable()
    try:
        httpretty.register_uri(
            httpretty.GET, URL, body=json.dumps(ENTRY), adding_headers=CONSUL_HEADERS
        )
        httpretty.register_uri(httpretty.PUT, URL, body='true')
        consul = client()
        assert consul.kv['app/flag'] == 'on'
        consul.kv['app/flag'] = 'off'
        methods = [request.method for request in httpretty.latest_requests()]
        assert methods[0] == 'GET' and set(methods) == {
            'GET',
            'PUT',
        }  # httpretty may list one twice
        assert httpretty.last_request().body == b'off'
        assert httpretty.last_request().headers['X-Consul-Token'] == 'mock-token'
    finally:
        httpretty.disable()
        httpretty.reset()


def test_a_client_used_before_the_mock_and_after_it_goes_to_the_network() -> None:
    consul = client()
    with pytest.raises(exceptions.ConnectError, match=r'127\.0\.0\.1:1'):
        consul.kv['app/flag']
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, URL, json=ENTRY, headers=CONSUL_HEADERS)
        assert consul.kv['app/flag'] == 'on'
    # Nothing listens on port 1: without the mock the request fails honestly.
    with pytest.raises(exceptions.ConnectError, match=r'127\.0\.0\.1:1'):
        consul.kv['app/flag']


@responses.activate
def test_mocked_errors_map_to_consulate_exceptions() -> None:
    responses.add(responses.GET, URL, status=403, body='Permission denied')
    with pytest.raises(exceptions.Forbidden, match='Permission denied'):
        client().kv['app/flag']


@responses.activate
def test_the_callers_session_carries_its_auth_headers_and_hooks() -> None:
    responses.add(responses.GET, URL, json=ENTRY, headers=CONSUL_HEADERS)
    seen: list[int] = []
    session = requests.Session()
    session.auth = ('user', 'secret')
    session.headers['X-Tenant'] = 'blue'
    session.hooks['response'].append(lambda response, **_: seen.append(response.status_code))
    consul = client(session=session)
    assert consul.kv['app/flag'] == 'on'
    sent = responses.calls[0].request
    assert sent.headers['Authorization'].startswith('Basic ')
    assert sent.headers['X-Tenant'] == 'blue'
    assert sent.headers['X-Consul-Token'] == 'mock-token'
    assert seen == [200]
    consul.close()
    assert session.adapters, 'the caller owns the session: consulate does not close it'


def test_a_mocked_answer_with_no_body_at_all_is_an_empty_one() -> None:
    @httmock.all_requests
    def answer(url: Any, request: Any) -> Any:
        return httmock.response(200, None, CONSUL_HEADERS, None, 0, request)  # content None

    with httmock.HTTMock(answer):
        assert 'app/flag' in client().kv


def test_a_session_that_is_not_a_requests_session_is_refused() -> None:
    with pytest.raises(exceptions.ValidationError, match=r'requests\.Session'):
        client(session='http://127.0.0.1:1')
