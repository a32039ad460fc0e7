"""The HTTP layer against real agents: failures, TLS, the token on the wire, timeouts."""

from __future__ import annotations

import logging
import threading
import time

import pytest
import requests
import urllib3

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent, free_ports
from tests.support.proxy import RecordingProxy


def test_closed_port_raises_a_request_error_quickly() -> None:
    (port,) = free_ports(1)
    consul = consulate.Consul('127.0.0.1', port, env={})
    started = time.monotonic()
    with pytest.raises(exceptions.ConnectError, match='cannot reach Consul') as caught:
        consul.kv['x'] = 1
    assert time.monotonic() - started < 5
    assert isinstance(caught.value, exceptions.RequestError)
    assert caught.value.__cause__ is not None
    for call in (consul.status.leader, lambda: consul.kv.get('x'), consul.session.list):
        with pytest.raises(exceptions.RequestError):
            call()


def test_missing_unix_socket() -> None:
    consul = consulate.Consul(addr='unix:///nonexistent/consul.sock', env={})
    with pytest.raises(exceptions.ConnectError):
        consul.status.leader()


def test_slow_agent_hits_the_read_timeout(consul_agent: ConsulAgent) -> None:
    with RecordingProxy(consul_agent.http_addr, delay=2.0) as proxy:
        consul = proxy.client(timeout=(1.0, 0.5))
        started = time.monotonic()
        with pytest.raises(exceptions.RequestTimeout):
            consul.status.leader()
        assert time.monotonic() - started < 1.9


def test_https_with_the_agent_ca(consul_agent: ConsulAgent, prefix: str) -> None:
    with consul_agent.client('https') as consul:
        consul.kv[f'{prefix}/tls'] = 'ok'
        assert consul.kv[f'{prefix}/tls'] == 'ok'


def test_https_verification_is_on_by_default_and_fails_closed(
    consul_agent: ConsulAgent, prefix: str
) -> None:
    # The agent's CA is not in the system bundle (REQUESTS_CA_BUNDLE on these machines).
    consul = consulate.Consul(addr=f'https://{consul_agent.https_addr}', env={})
    with pytest.raises(exceptions.TLSError):
        consul.kv[f'{prefix}/tls'] = 'never written'
    with consul_agent.client() as plain:
        assert f'{prefix}/tls' not in plain.kv


def test_wrong_ca_fails_closed(consul_agent: ConsulAgent) -> None:
    with ConsulAgent(tls=True) as other:
        assert other.ca_file is not None
        consul = consulate.Consul(
            addr=f'https://{consul_agent.https_addr}', verify=other.ca_file, env={}
        )
        with pytest.raises(exceptions.TLSError):
            consul.status.leader()


def test_explicit_verify_beats_requests_ca_bundle(
    consul_agent: ConsulAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/etc/ssl/certs/ca-certificates.crt')
    monkeypatch.setenv('CURL_CA_BUNDLE', '/etc/ssl/certs/ca-certificates.crt')
    consul = consulate.Consul(
        addr=f'https://{consul_agent.https_addr}', verify=consul_agent.ca_file, env={}
    )
    assert consul.status.leader()
    insecure = consulate.Consul(addr=f'https://{consul_agent.https_addr}', verify=False, env={})
    assert insecure.status.leader()


def test_ca_from_environment(consul_agent: ConsulAgent) -> None:
    assert consul_agent.ca_file is not None
    env = {
        'CONSUL_HTTP_ADDR': f'https://{consul_agent.https_addr}',
        'CONSUL_CACERT': consul_agent.ca_file,
    }
    assert consulate.Consul(env=env).status.leader()
    env = {
        'CONSUL_HTTP_ADDR': consul_agent.https_addr,
        'CONSUL_HTTP_SSL': 'true',
        'CONSUL_HTTP_SSL_VERIFY': 'false',
    }
    assert consulate.Consul(env=env).status.leader()


def test_client_certificate() -> None:
    with ConsulAgent(tls=True, config={'verify_incoming_https': True}) as agent:
        assert agent.client_cert is not None
        with agent.client('https', cert=agent.client_cert) as consul:
            assert consul.status.leader()
        with agent.client('https') as consul, pytest.raises(exceptions.RequestError):
            consul.status.leader()


def test_tls_server_name(consul_agent: ConsulAgent) -> None:
    # The agent's certificate names server.dc1.consul and localhost, and 127.0.0.1.
    consul = consulate.Consul(
        addr=f'https://{consul_agent.https_addr}',
        verify=consul_agent.ca_file,
        tls_server_name='server.dc1.consul:8501',
        env={},
    )
    assert consul.status.leader()
    wrong = consulate.Consul(
        addr=f'https://{consul_agent.https_addr}',
        verify=consul_agent.ca_file,
        tls_server_name='wrong.example',
        env={},
    )
    with pytest.raises(exceptions.TLSError):
        wrong.status.leader()


def test_token_travels_only_in_the_header(
    consul_acl_agent: ConsulAgent, caplog: pytest.LogCaptureFixture
) -> None:
    token = consul_acl_agent.master_token
    assert token
    caplog.set_level(logging.DEBUG, logger='consulate')
    with RecordingProxy(consul_acl_agent.http_addr) as proxy:
        consul = proxy.client(token=token)
        consul.kv['token-test'] = 'v'
        assert consul.kv['token-test'] == 'v'
        del consul.kv['token-test']
        with pytest.raises(exceptions.KeyNotFound) as caught:
            consul.kv['token-test']
    assert len(proxy.seen) == 4
    for seen in proxy.seen:
        assert token not in seen.target
        assert seen.headers['X-Consul-Token'] == token
        assert seen.headers.get('Accept-Encoding') == 'identity'
    assert token not in str(caught.value)
    assert token not in caplog.text
    assert 'GET /v1/kv/token-test -> 404' in caplog.text


def test_every_error_status_is_raised_not_swallowed(consul: consulate.Consul) -> None:
    with pytest.raises(exceptions.BadRequest, match='Invalid wait time'):
        consul.kv._get(consul.kv._url('x'), {'index': 1, 'wait': 'bogus'})
    with pytest.raises(exceptions.MethodNotAllowed, match='method POST not allowed'):
        consul.kv._post(consul.kv._url('x'))
    with pytest.raises(exceptions.ServerError, match='parsing'):
        consul.kv._put(consul.kv._url('x'), {'cas': 'abc'}, b'v', raw_body=True)


def test_malformed_json_from_a_proxy_is_a_consulate_exception() -> None:
    response = consulate.adapters.Response(
        502, b'<html>Bad Gateway</html>', {'Content-Type': 'application/json'}, 'GET', '/v1/kv/x'
    )
    with pytest.raises(exceptions.InvalidResponse, match='not JSON'):
        response.json()


def test_threads_share_a_pool_of_unix_socket_connections(
    consul_agent: ConsulAgent, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger='urllib3')
    with consul_agent.client('unix') as consul:
        consul.kv[f'{prefix}/shared'] = 'v'
        errors: list[BaseException] = []

        def reads() -> None:
            try:
                for _ in range(20):
                    assert consul.kv[f'{prefix}/shared'] == 'v'
            except BaseException as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=reads) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert 'Connection pool is full' not in caplog.text


def test_old_except_clauses_catch_a_closed_port_as_consulate_0_6_0_let_them() -> None:
    """Retry loops written for 0.6.0 catch requests' ConnectionError; ours is one."""
    (port,) = free_ports(1)
    consul = consulate.Consul('127.0.0.1', port, env={})
    try:
        consul.kv['x']
    except requests.exceptions.ConnectionError as error:
        caught: BaseException = error
    assert isinstance(caught, exceptions.ConnectError)
    assert not caught.sent and not caught.maybe_applied
    with pytest.raises(exceptions.ConnectError):
        consul.kv['x']


def test_a_read_timeout_is_requests_timeout_too(consul_agent: ConsulAgent) -> None:
    with RecordingProxy(consul_agent.http_addr, delay=1.0) as proxy:
        with pytest.raises(requests.exceptions.Timeout) as caught:
            proxy.client(timeout=(1.0, 0.3)).status.leader()
    assert isinstance(caught.value, exceptions.RequestTimeout)


def test_verify_false_warns_as_requests_does(consul_agent: ConsulAgent) -> None:
    consul = consulate.Consul(addr=f'https://{consul_agent.https_addr}', verify=False, env={})
    with pytest.warns(urllib3.exceptions.InsecureRequestWarning):
        assert consul.status.leader()
