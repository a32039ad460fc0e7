"""What crosses the wire: one HTTP request per KV operation, and proxies taken from the environment.

A recording proxy sits on 127.0.0.1 in front of the real agent, which answers
every request; the proxy writes down each request the client sent.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent
from tests.support.proxy import RecordingProxy


@pytest.fixture
def proxy(consul_agent: ConsulAgent) -> Iterator[RecordingProxy]:
    with RecordingProxy(consul_agent.http_addr) as recording:
        yield recording


@pytest.fixture
def counted(proxy: RecordingProxy) -> Iterator[consulate.Consul]:
    """A client whose every request goes through ``proxy``."""
    with proxy.client() as client:
        yield client


def _sent(proxy: RecordingProxy) -> list[tuple[str, str]]:
    """The requests seen since the last call, as (method, path), and forget them."""
    seen = [(s.method, s.target.split('?', 1)[0]) for s in proxy.seen]
    proxy.seen.clear()
    return seen


def test_get_is_one_request(
    counted: consulate.Consul, consul: consulate.Consul, proxy: RecordingProxy, prefix: str
) -> None:
    consul.kv[f'{prefix}/a'] = {'n': 1}
    assert counted.kv[f'{prefix}/a'] == '{"n": 1}'
    assert _sent(proxy) == [('GET', f'/v1/kv/{prefix}/a')]
    assert counted.kv.get(f'{prefix}/a') == '{"n": 1}'
    assert _sent(proxy) == [('GET', f'/v1/kv/{prefix}/a')]
    assert counted.kv.get(f'{prefix}/missing', 'default') == 'default'
    assert _sent(proxy) == [('GET', f'/v1/kv/{prefix}/missing')]
    with pytest.raises(KeyError):
        counted.kv[f'{prefix}/missing']
    assert _sent(proxy) == [('GET', f'/v1/kv/{prefix}/missing')]


def test_set_is_one_request_and_no_read_first(
    counted: consulate.Consul, consul: consulate.Consul, proxy: RecordingProxy, prefix: str
) -> None:
    counted.kv[f'{prefix}/a'] = 'one'
    assert _sent(proxy) == [('PUT', f'/v1/kv/{prefix}/a')]
    counted.kv.set(f'{prefix}/a', 'two')
    assert _sent(proxy) == [('PUT', f'/v1/kv/{prefix}/a')]
    assert consul.kv.get(f'{prefix}/a', raw=True) == b'two'


def test_del_is_one_request_and_silent_when_missing(
    counted: consulate.Consul, consul: consulate.Consul, proxy: RecordingProxy, prefix: str
) -> None:
    consul.kv[f'{prefix}/a'] = 'x'
    del counted.kv[f'{prefix}/a']
    assert _sent(proxy) == [('DELETE', f'/v1/kv/{prefix}/a')]
    assert f'{prefix}/a' not in consul.kv
    del counted.kv[f'{prefix}/a']  # a missing key: no error, as in consulate 0.6.0
    assert _sent(proxy) == [('DELETE', f'/v1/kv/{prefix}/a')]


def test_delete_must_exist_is_one_transaction(
    counted: consulate.Consul, consul: consulate.Consul, proxy: RecordingProxy, prefix: str
) -> None:
    consul.kv[f'{prefix}/a'] = 'x'
    assert counted.kv.delete(f'{prefix}/a', must_exist=True) is True
    assert _sent(proxy) == [('PUT', '/v1/txn')]
    assert f'{prefix}/a' not in consul.kv
    with pytest.raises(exceptions.KeyNotFound):
        counted.kv.delete(f'{prefix}/a', must_exist=True)
    assert _sent(proxy) == [('PUT', '/v1/txn')]


def test_delete_is_one_request(
    counted: consulate.Consul, consul: consulate.Consul, proxy: RecordingProxy, prefix: str
) -> None:
    consul.kv[f'{prefix}/a'] = 'x'
    assert counted.kv.delete(f'{prefix}/a') is True
    assert _sent(proxy) == [('DELETE', f'/v1/kv/{prefix}/a')]
    assert consul.kv.get(f'{prefix}/a') is None


def test_membership_is_one_request(
    counted: consulate.Consul, consul: consulate.Consul, proxy: RecordingProxy, prefix: str
) -> None:
    consul.kv[f'{prefix}/a'] = ''
    assert f'{prefix}/a' in counted.kv
    assert _sent(proxy) == [('GET', f'/v1/kv/{prefix}/a')]
    assert f'{prefix}/b' not in counted.kv
    assert _sent(proxy) == [('GET', f'/v1/kv/{prefix}/b')]


def test_reading_many_keys_is_one_request(
    counted: consulate.Consul, consul: consulate.Consul, proxy: RecordingProxy, prefix: str
) -> None:
    consul.kv.update({f'{prefix}/k{i:03d}': f'v{i}' for i in range(300)})
    found = counted.kv.find(prefix)
    assert _sent(proxy) == [('GET', f'/v1/kv/{prefix}')]
    assert len(found) == 300
    assert found[f'{prefix}/k123'] == 'v123'


def test_environment_proxy_is_honoured(
    consul_agent: ConsulAgent,
    proxy: RecordingProxy,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ('NO_PROXY', 'no_proxy', 'http_proxy', 'all_proxy', 'ALL_PROXY'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('HTTP_PROXY', f'http://{proxy.addr}')
    with consul_agent.client(env=None) as client:  # os.environ
        client.kv[f'{prefix}/via-proxy'] = 'yes'
        assert client.kv[f'{prefix}/via-proxy'] == 'yes'
    with consul_agent.client(env={'HTTP_PROXY': f'http://{proxy.addr}'}) as client:
        assert client.kv[f'{prefix}/via-proxy'] == 'yes'
    # Through a forward proxy, the request line names the whole URL.
    origin = f'http://{consul_agent.http_addr}'
    assert [s.target for s in proxy.seen] == [f'{origin}/v1/kv/{prefix}/via-proxy'] * 3
    with consul_agent.client(env={}) as client:  # an env mapping without proxies: none
        assert client.kv[f'{prefix}/via-proxy'] == 'yes'
    assert len(proxy.seen) == 3


def test_no_proxy_is_honoured(
    consul_agent: ConsulAgent,
    proxy: RecordingProxy,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv('HTTP_PROXY', f'http://{proxy.addr}')
    monkeypatch.setenv('NO_PROXY', '127.0.0.1')
    with consul_agent.client(env=None) as client:
        client.kv[f'{prefix}/direct'] = 'yes'
        assert client.kv[f'{prefix}/direct'] == 'yes'
    assert proxy.seen == []


def test_client_keeps_working_after_close_and_after_its_pool_is_dropped(
    consul_agent: ConsulAgent, prefix: str
) -> None:
    consul = consul_agent.client()
    consul.kv[f'{prefix}/a'] = 'one'
    consul.close()
    consul.kv[f'{prefix}/a'] = 'two'
    # An idle connection that broke (as when the agent restarts) is noticed
    # before it is used, and replaced: the write is not lost or doubled.
    session = consul.adapter._transport._session  # type: ignore[attr-defined]
    pool = session.get_adapter(consul.base_uri).poolmanager.connection_from_url(consul.base_uri)
    for connection in list(pool.pool.queue):  # the idle connections urllib3 keeps
        if connection is not None and connection.sock is not None:
            connection.sock.shutdown(socket.SHUT_RDWR)
    consul.kv[f'{prefix}/a'] = 'three'
    assert consul.kv[f'{prefix}/a'] == 'three'
    consul.close()


def test_a_free_lock_is_taken_and_released_in_four_writes(
    counted: consulate.Consul, proxy: RecordingProxy, prefix: str
) -> None:
    counted.lock.prefix = prefix
    with counted.lock.acquire('job') as held:
        taken = _sent(proxy)
    released = _sent(proxy)
    writes = [(method, path) for method, path in taken + released if method != 'GET']
    assert writes == [
        ('PUT', '/v1/session/create'),
        ('PUT', '/v1/txn'),  # take the key only if it is absent
        ('PUT', '/v1/txn'),  # delete it only while the session holds it
        ('PUT', f'/v1/session/destroy/{held.session_id}'),
    ]
    # Every read is the monitor's watch on the key: nothing lists the store.
    reads = {path for method, path in taken + released if method == 'GET'}
    assert reads <= {f'/v1/kv/{prefix}/job'}
