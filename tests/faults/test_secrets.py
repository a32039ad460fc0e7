"""Secrets: where the ACL token goes (the header) and where it never goes, and TLS settings.

The token must not appear in a URL, a request body, a log record at any
level (consulate's, urllib3's or anyone's), an exception message or
traceback, or a repr. TLS verification is on unless ``verify=False`` or
``CONSUL_HTTP_SSL_VERIFY=false`` turns it off; an explicit ``token=`` beats
the environment. Everything runs against real agents (the ACL agent for
tokens, the TLS agent for verification), the faults through the proxy.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import consulate
from consulate import exceptions
from consulate.api import txn
from consulate.api.base import Endpoint
from consulate.testing import ConsulAgent, free_ports
from tests.support.names import unique
from tests.support.proxy import Canned, RecordingProxy

SYSTEM_CA = '/etc/ssl/certs/ca-certificates.crt'


@pytest.fixture
def token(consul_acl_agent: ConsulAgent) -> str:
    assert consul_acl_agent.master_token
    return consul_acl_agent.master_token


@pytest.fixture
def proxy(consul_acl_agent: ConsulAgent) -> Iterator[RecordingProxy]:
    with RecordingProxy(consul_acl_agent.http_addr) as recording:
        yield recording


def exercise(consul: consulate.Consul, prefix: str) -> None:
    """Use every kind of request once: reads, writes, blocking reads, sessions, locks, txn."""
    consul.kv[f'{prefix}/a'] = 'value'
    consul.kv.set_record(f'{prefix}/b', 3, b'\x00bytes')
    assert consul.kv[f'{prefix}/a'] == 'value'
    consul.kv.get(f'{prefix}/a', raw=True)
    record = consul.kv.get_record(f'{prefix}/a')
    consul.kv.get(f'{prefix}/a', index=record['ModifyIndex'], wait='10ms')
    assert f'{prefix}/a' in consul.kv
    consul.kv.find(prefix)
    consul.kv.find(prefix, '/')
    consul.kv.records(prefix, raw=True)
    consul.kv.update({f'{prefix}/c': 1, f'{prefix}/d': 2})
    consul.txn.execute([txn.kv_get(f'{prefix}/a'), txn.kv_set(f'{prefix}/e', b'e')])
    session = consul.session.create(name=prefix, ttl='10s')
    consul.session.info(session)
    consul.session.list()
    consul.session.renew(session)
    consul.session.destroy(session)
    with consul.lock.acquire(f'{prefix}-lock') as held:
        assert held.held
    consul.status.leader()
    consul.catalog.nodes()
    consul.catalog.services()
    consul.health.state('any')
    consul.event.fire(f'{prefix}-event', 'payload')
    consul.event.list(f'{prefix}-event')
    consul.kv.delete(f'{prefix}/e')
    del consul.kv[f'{prefix}/d']
    consul.kv.delete(prefix, recurse=True)


def failures(
    consul_acl_agent: ConsulAgent, tls_agent: ConsulAgent, token: str, prefix: str
) -> Iterator[BaseException]:
    """One of each exception a client holding ``token`` can meet."""

    def caught(call: Callable[[], Any]) -> BaseException:
        try:
            call()
        except exceptions.ConsulateException as error:
            return error
        raise AssertionError(f'{call} did not fail')

    consul = consul_acl_agent.client(token=token)
    stranger = consul_acl_agent.client(token=str(uuid.uuid4()))  # unknown to the agent
    yield caught(lambda: stranger.kv[f'{prefix}/x'])  # Forbidden: ACL not found
    yield caught(lambda: consul.kv[f'{prefix}/missing'])  # KeyNotFound
    yield caught(lambda: consul.kv.get(f'{prefix}/a//b'))  # ValidationError
    yield caught(lambda: consul.kv._put(consul.kv._url('x'), {'cas': 'abc'}, b'v', raw_body=True))
    yield caught(lambda: consul.txn.execute([txn.kv_check_index(f'{prefix}/none', 7)]))
    yield caught(lambda: consul.session.info(str(uuid.uuid4())))  # NotFound
    held = f'{prefix}/held'
    consul.kv[held] = 'a value to cut short'
    with consul.lock.acquire(f'{prefix}/held'):
        yield caught(lambda: consul.lock.acquire(f'{prefix}/held'))  # LockFailure
    (port,) = free_ports(1)
    yield caught(lambda: consulate.Consul('127.0.0.1', port, token=token, env={}).kv['x'])
    with RecordingProxy(consul_acl_agent.http_addr, delay=1.0) as slow:
        client = slow.client(token=token, timeout=0.3)
        yield caught(lambda: client.kv['x'])  # RequestTimeout
    page = Canned(200, b'<html>login</html>', {'Content-Type': 'text/html'})
    with RecordingProxy(consul_acl_agent.http_addr, answer=lambda seen: page) as garbage:
        yield caught(lambda: garbage.client(token=token).kv['x'])
    bad_gateway = Canned(502, b'<html>bad gateway</html>', {'Content-Type': 'text/html'})
    with RecordingProxy(consul_acl_agent.http_addr, answer=lambda seen: bad_gateway) as gateway:
        yield caught(lambda: gateway.client(token=token).kv['x'])
    with RecordingProxy(consul_acl_agent.http_addr, answer=lambda seen: Canned(cut=1)) as cut:
        yield caught(lambda: cut.client(token=token).kv[held])
    https = consulate.Consul(addr=f'https://{tls_agent.https_addr}', token=token, env={})
    yield caught(lambda: https.kv['x'])  # TLSError
    consul.kv.delete(prefix, recurse=True)


def test_the_token_travels_only_in_the_header(
    proxy: RecordingProxy, token: str, prefix: str
) -> None:
    consul = proxy.client(token=token)
    exercise(consul, prefix)
    consul.watch.key(f'{prefix}/w', timeout=0.2).next()
    assert len(proxy.seen) > 30
    for seen in proxy.seen:
        assert token not in seen.target
        assert token.encode() not in seen.body
        assert seen.headers['X-Consul-Token'] == token
        assert 'Authorization' not in seen.headers


def test_the_token_is_in_no_log_record(
    consul_acl_agent: ConsulAgent,
    consul_agent: ConsulAgent,
    proxy: RecordingProxy,
    token: str,
    prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, every level
    exercise(proxy.client(token=token), prefix)
    errors = list(failures(consul_acl_agent, consul_agent, token, prefix))
    assert len(errors) == 13
    assert any(record.name == 'consulate' for record in caplog.records)
    for record in caplog.records:
        assert token not in record.getMessage()
        assert token not in repr(record.args)
        assert token not in (record.exc_text or '')
    assert token not in caplog.text


def test_the_token_is_in_no_exception_message_or_traceback(
    consul_acl_agent: ConsulAgent, consul_agent: ConsulAgent, token: str, prefix: str
) -> None:
    kinds = set()
    for error in failures(consul_acl_agent, consul_agent, token, prefix):
        kinds.add(type(error).__name__)
        text = ''.join(traceback.format_exception(error))  # the whole chain of causes
        assert token not in text
        chain: BaseException | None = error
        while chain is not None:
            assert token not in str(chain)
            assert token not in repr(chain)
            assert token not in repr(chain.args)
            chain = chain.__cause__ or chain.__context__
    assert kinds >= {
        'Forbidden',
        'KeyNotFound',
        'ValidationError',
        'ServerError',
        'TransactionFailed',
        'NotFound',
        'LockFailure',
        'ConnectError',
        'RequestTimeout',
        'InvalidResponse',
        'ConnectionBroken',
        'TLSError',
    }


def test_the_token_is_in_no_repr(consul_acl_agent: ConsulAgent, token: str, prefix: str) -> None:
    consul = consul_acl_agent.client(token=token)
    shown: list[object] = [consul, consul.adapter, consul.adapter.config, consul.kv._context]
    for name in dir(type(consul)):
        if name.startswith('_') or not hasattr(getattr(type(consul), name), 'func'):
            continue  # only the endpoint properties (cached_property)
        endpoint = getattr(consul, name)
        shown.append(endpoint)
        shown.extend(value for value in vars(endpoint).values() if isinstance(value, Endpoint))
    consul.kv[f'{prefix}/k'] = 'v'
    shown.append(consul.kv.last_response)
    with consul.lock.acquire(f'{prefix}-lock') as held:
        shown.append(held)
        shown.append(consul.lock.last_response)
    watcher = consul.watch.key(f'{prefix}/k')
    watcher.next()
    shown.append(watcher)
    assert len(shown) > 20
    for thing in shown:
        assert token not in repr(thing), type(thing)
        assert token not in str(thing), type(thing)
    # Nor is it kept where requests to another client could pick it up.
    assert token not in repr(vars(consul.adapter))
    assert token not in repr(vars(consul.adapter._transport))


# -- an explicit token beats the environment ---------------------------------------


def writes_as(consul: consulate.Consul, key: str) -> bool:
    """True if ``consul`` may write (its token is the management token), False if refused."""
    try:
        consul.kv[key] = 'written'
    except exceptions.Forbidden:
        return False
    return True


def test_legacy_acl_ids_are_secrets_too(
    acl_consul: consulate.Consul, caplog: pytest.LogCaptureFixture
) -> None:
    """In the legacy ACL API an ACL's ID is its token, and it travels in the URL path.

    consulate's log records and exceptions show it redacted. (urllib3's own DEBUG
    records print each request line whole: the legacy API puts secrets in URLs.)
    """
    caplog.set_level(logging.DEBUG, logger='consulate')
    acl_id = acl_consul.acl.create(unique('secret'))
    copy = acl_consul.acl.clone(acl_id)
    assert acl_consul.acl.info(acl_id)['ID'] == acl_id
    assert acl_consul.acl.destroy(copy) is True
    assert acl_consul.acl.destroy(acl_id) is True
    with pytest.raises(exceptions.NotFound) as caught:
        acl_consul.acl.info(acl_id)
    text = caplog.text + str(caught.value) + ''.join(traceback.format_exception(caught.value))
    assert acl_id not in text
    assert copy not in text
    assert 'GET /v1/acl/info/<redacted>' in caplog.text


def test_an_explicit_token_beats_the_environment(
    consul_acl_agent: ConsulAgent, token: str, prefix: str, tmp_path: Path
) -> None:
    addr = f'http://{consul_acl_agent.http_addr}'
    bogus = str(uuid.uuid4())
    bogus_file = tmp_path / 'bogus-token'
    bogus_file.write_text(f'{bogus}\n')
    good_file = tmp_path / 'good-token'
    good_file.write_text(f'{token}\n')
    key = f'{prefix}/k'
    env_token = {'CONSUL_HTTP_TOKEN': bogus}
    env_file = {'CONSUL_HTTP_TOKEN_FILE': str(bogus_file)}
    # The environment is read when nothing explicit is given ...
    assert not writes_as(consulate.Consul(addr=addr, env=env_token), key)
    assert not writes_as(consulate.Consul(addr=addr, env=env_file), key)
    assert writes_as(consulate.Consul(addr=addr, env={'CONSUL_HTTP_TOKEN': token}), key)
    # ... and loses to an explicit token or token file.
    assert writes_as(consulate.Consul(addr=addr, token=token, env=env_token), key)
    assert writes_as(consulate.Consul(addr=addr, token=token, env=env_file), key)
    assert writes_as(consulate.Consul(addr=addr, token=token, env=env_token | env_file), key)
    assert writes_as(consulate.Consul(addr=addr, token_file=str(good_file), env=env_token), key)
    assert writes_as(consulate.Consul(addr=addr, token_file=str(good_file), env=env_file), key)
    # An explicit empty token means "no token" (anonymous), whatever the environment says.
    assert not writes_as(
        consulate.Consul(addr=addr, token='', env={'CONSUL_HTTP_TOKEN': token}), key
    )


def test_the_token_from_the_process_environment(
    consul_acl_agent: ConsulAgent, token: str, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv('CONSUL_HTTP_ADDR', consul_acl_agent.http_addr)
    monkeypatch.setenv('CONSUL_HTTP_TOKEN', str(uuid.uuid4()))
    monkeypatch.delenv('CONSUL_HTTP_TOKEN_FILE', raising=False)
    assert not writes_as(consulate.Consul(), f'{prefix}/k')
    assert writes_as(consulate.Consul(token=token), f'{prefix}/k')


# -- TLS verification ---------------------------------------------------------------


def https_client(agent: ConsulAgent, **options: Any) -> consulate.Consul:
    options.setdefault('env', {})
    return consulate.Consul(addr=f'https://{agent.https_addr}', **options)


@pytest.mark.parametrize(
    'options',
    [
        {},
        {'verify': True},
        {'verify': None},
        {'verify': ''},
        {'verify': 0},
        {'env': {'CONSUL_HTTP_SSL_VERIFY': 'true'}},
        {'env': {'CONSUL_HTTP_SSL_VERIFY': '1'}},
        {'env': {'CONSUL_HTTP_SSL_VERIFY': ''}},
        {'env': {'CONSUL_CACERT': ''}},
        {'env': {'CONSUL_HTTP_SSL_VERIFY': 'false'}, 'verify': SYSTEM_CA},
    ],
    ids=repr,
)
def test_tls_verification_stays_on(
    consul: consulate.Consul, consul_agent: ConsulAgent, prefix: str, options: dict[str, Any]
) -> None:
    # The agent's CA is in no bundle the client trusts: a verifying client must refuse it.
    with pytest.raises(exceptions.TLSError, match='CERTIFICATE_VERIFY_FAILED'):
        https_client(consul_agent, **options).kv[f'{prefix}/tls'] = 'never written'
    assert f'{prefix}/tls' not in consul.kv


@pytest.mark.parametrize('variable', ['CURL_CA_BUNDLE', 'REQUESTS_CA_BUNDLE'])
def test_an_empty_ca_bundle_variable_does_not_turn_verification_off(
    consul_agent: ConsulAgent, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, '')
    with pytest.raises(exceptions.TLSError):
        https_client(consul_agent).status.leader()


@pytest.mark.parametrize(
    'options',
    [
        {'verify': False},
        {'env': {'CONSUL_HTTP_SSL_VERIFY': 'false'}},
        {'env': {'CONSUL_HTTP_SSL_VERIFY': '0'}},
    ],
    ids=repr,
)
@pytest.mark.filterwarnings('ignore::urllib3.exceptions.InsecureRequestWarning')
def test_only_false_turns_tls_verification_off(
    consul_agent: ConsulAgent, options: dict[str, Any]
) -> None:
    assert https_client(consul_agent, **options).status.leader()


def test_legacy_acl_ids_are_in_no_log_record_through_a_proxy(
    consul_acl_agent: ConsulAgent,
    token: str,
    proxy: RecordingProxy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Through ``HTTP_PROXY`` requests go by requests and urllib3, whose DEBUG lines show each URL.

    Every logger at DEBUG: neither the client's token nor a legacy ACL's ID
    (itself a token, carried in the URL path) is in any record.
    """
    caplog.set_level(logging.DEBUG)  # every logger, every level
    env = {'HTTP_PROXY': f'http://{proxy.addr}'}
    consul = consulate.Consul(addr=consul_acl_agent.http_addr, token=token, env=env)
    acl_id = consul.acl.create(f'secret-{uuid.uuid4().hex[:8]}')
    copy = consul.acl.clone(acl_id)
    assert consul.acl.info(acl_id)['ID'] == acl_id
    assert consul.acl.destroy(copy) is True
    assert consul.acl.destroy(acl_id) is True
    with pytest.raises(exceptions.NotFound):
        consul.acl.info(acl_id)
    assert any(acl_id in seen.target for seen in proxy.seen)  # it did travel in the URL
    urllib3_lines = [r.getMessage() for r in caplog.records if r.name.startswith('urllib3')]
    assert any('/v1/acl/info/<redacted>' in line for line in urllib3_lines), urllib3_lines[:5]
    for secret in (token, acl_id, copy):
        assert secret not in caplog.text
        for record in caplog.records:
            assert secret not in record.getMessage()
            assert secret not in repr(record.args)
            assert secret not in (record.exc_text or '')


def test_legacy_acl_ids_are_in_no_traceback_when_the_proxy_is_down(token: str) -> None:
    """requests' and urllib3's exceptions name the URL; as consulate's causes they are redacted."""
    (port,) = free_ports(1)
    env = {'HTTP_PROXY': f'http://127.0.0.1:{port}'}
    consul = consulate.Consul(addr='127.0.0.1:8500', token=token, env=env)
    acl_id = str(uuid.uuid4())
    for call in (consul.acl.info, consul.acl.clone, consul.acl.destroy):
        with pytest.raises(exceptions.ConnectError) as caught:
            call(acl_id)
        assert acl_id not in ''.join(traceback.format_exception(caught.value))
        chain: BaseException | None = caught.value
        while chain is not None:
            assert acl_id not in repr(chain) and acl_id not in repr(chain.args)
            chain = chain.__cause__ or chain.__context__
