"""The Consul facade's settings: addresses, environment variables, adapters."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

import consulate
from consulate import adapters, exceptions
from consulate.client import parse_addr, parse_bool


def test_signature_keeps_the_seed_positional_order() -> None:
    parameters = list(inspect.signature(consulate.Consul).parameters.values())
    positional = [p for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert [(p.name, p.default) for p in positional] == [
        ('host', 'localhost'),
        ('port', 8500),
        ('datacenter', None),
        ('token', None),
        ('scheme', 'http'),
        ('adapter', None),
        ('verify', True),
        ('cert', None),
    ]
    assert all(p.kind is p.KEYWORD_ONLY for p in parameters[len(positional) :])


def test_session_is_an_alias_of_consul() -> None:
    assert consulate.Session is consulate.Consul


def test_defaults() -> None:
    consul = consulate.Consul(env={})
    assert consul.base_uri == 'http://localhost:8500/v1'
    assert type(consul.adapter) is adapters.Request
    assert consul.adapter.timeout == (5.0, 30.0)


@pytest.mark.parametrize(
    ('addr', 'expected'),
    [
        ('127.0.0.1:18500', ('http', '127.0.0.1', 18500)),
        ('consul.local', ('http', 'consul.local', 8500)),
        ('http://10.0.0.1:8500', ('http', '10.0.0.1', 8500)),
        ('https://consul.example.com:8501', ('https', 'consul.example.com', 8501)),
        ('https://consul.example.com', ('https', 'consul.example.com', 8500)),
        ('[::1]:8500', ('http', '::1', 8500)),
        ('unix:///var/run/consul.sock', ('http+unix', '/var/run/consul.sock', None)),
    ],
)
def test_parse_addr(addr: str, expected: tuple[str, str, int | None]) -> None:
    assert parse_addr(addr) == expected


@pytest.mark.parametrize(
    'addr', ['ftp://host:21', 'http://host:8500/prefix', 'http://:8500', 'unix://', 'host:port']
)
def test_parse_addr_refuses_other_forms(addr: str) -> None:
    with pytest.raises(exceptions.ValidationError):
        parse_addr(addr)


@pytest.mark.parametrize(
    ('env', 'uri'),
    [
        ({'CONSUL_HTTP_ADDR': '127.0.0.1:9500'}, 'http://127.0.0.1:9500/v1'),
        ({'CONSUL_HTTP_ADDR': 'https://c:8501'}, 'https://c:8501/v1'),
        ({'CONSUL_HTTP_ADDR': 'c:8501', 'CONSUL_HTTP_SSL': 'true'}, 'https://c:8501/v1'),
        ({'CONSUL_HTTP_ADDR': 'http://c:8501', 'CONSUL_HTTP_SSL': '1'}, 'https://c:8501/v1'),
        ({'CONSUL_HTTP_ADDR': 'https://c:8501', 'CONSUL_HTTP_SSL': 'false'}, 'https://c:8501/v1'),
        ({'CONSUL_HTTP_ADDR': 'unix:///tmp/c.sock'}, 'http+unix://%2Ftmp%2Fc.sock/v1'),
    ],
)
def test_address_from_environment(env: dict[str, str], uri: str) -> None:
    assert consulate.Consul(env=env).base_uri == uri


def test_unix_address_picks_the_unix_socket_adapter() -> None:
    consul = consulate.Consul(env={'CONSUL_HTTP_ADDR': 'unix:///tmp/c.sock'})
    assert type(consul.adapter) is adapters.UnixSocketRequest


def test_explicit_host_port_or_scheme_win_over_the_environment() -> None:
    env = {'CONSUL_HTTP_ADDR': '10.1.1.1:9999'}
    assert consulate.Consul('consul', env=env).base_uri == 'http://consul:8500/v1'
    assert consulate.Consul(port=8600, env=env).base_uri == 'http://localhost:8600/v1'
    assert consulate.Consul(addr='x:1', env=env).base_uri == 'http://x:1/v1'


def test_seed_unix_socket_example() -> None:
    consul = consulate.Consul(
        '/path/to/socket', None, scheme='http+unix', adapter=consulate.adapters.UnixSocketRequest
    )
    assert consul.base_uri == 'http+unix://%2Fpath%2Fto%2Fsocket/v1'
    assert type(consul.adapter) is adapters.UnixSocketRequest


def test_adapter_may_be_an_instance() -> None:
    adapter = adapters.Request(timeout=3)
    consul = consulate.Consul(adapter=adapter, env={})
    assert consul.adapter is adapter
    assert consul.kv._adapter is adapter


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(exceptions.ValidationError, match='unknown scheme'):
        consulate.Consul(scheme='ftp', env={})


def test_token_precedence(tmp_path: Path) -> None:
    token_file = tmp_path / 'token'
    token_file.write_text('  file-token\n')
    env = {'CONSUL_HTTP_TOKEN': 'env-token', 'CONSUL_HTTP_TOKEN_FILE': str(token_file)}
    assert consulate.Consul(token='explicit', env=env)._config.token == 'explicit'
    assert consulate.Consul(env=env)._config.token == 'file-token'
    assert consulate.Consul(env={'CONSUL_HTTP_TOKEN': 'env-token'})._config.token == 'env-token'
    other = tmp_path / 'other'
    other.write_text('arg-file')
    assert consulate.Consul(token_file=str(other), env=env)._config.token == 'arg-file'
    assert consulate.Consul(env={})._config.token is None


def test_empty_token_file_falls_back_to_the_token_variable(tmp_path: Path) -> None:
    token_file = tmp_path / 'token'
    token_file.write_text('\n')
    env = {'CONSUL_HTTP_TOKEN': 'env-token', 'CONSUL_HTTP_TOKEN_FILE': str(token_file)}
    assert consulate.Consul(env=env)._config.token == 'env-token'


def test_unreadable_token_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(exceptions.ValidationError, match='cannot read the token file'):
        consulate.Consul(env={'CONSUL_HTTP_TOKEN_FILE': str(tmp_path / 'missing')})


def test_token_never_in_repr() -> None:
    consul = consulate.Consul(token='s3cr3t-token', env={})
    for text in (repr(consul), repr(consul.kv), repr(consul.adapter), repr(consul.session)):
        assert 's3cr3t-token' not in text


def test_tls_settings_from_environment() -> None:
    env = {'CONSUL_CACERT': '/ca.pem'}
    assert consulate.Consul(env=env).adapter.verify == '/ca.pem'
    env = {'CONSUL_CAPATH': '/etc/ca.d'}
    assert consulate.Consul(env=env).adapter.verify == '/etc/ca.d'
    env = {'CONSUL_HTTP_SSL_VERIFY': 'false', 'CONSUL_CACERT': '/ca.pem'}
    assert consulate.Consul(env=env).adapter.verify is False
    env = {'CONSUL_CLIENT_CERT': '/c.pem', 'CONSUL_CLIENT_KEY': '/k.pem'}
    assert consulate.Consul(env=env).adapter.config.cert == ('/c.pem', '/k.pem')


def test_explicit_verify_and_cert_win() -> None:
    env = {'CONSUL_HTTP_SSL_VERIFY': 'false', 'CONSUL_CLIENT_CERT': '/c', 'CONSUL_CLIENT_KEY': '/k'}
    consul = consulate.Consul(verify='/mine.pem', cert='/both.pem', env=env)
    assert consul.adapter.verify == '/mine.pem'
    assert consul.adapter.config.cert == '/both.pem'
    assert consulate.Consul(verify=False, env={}).adapter.verify is False


def test_explicit_ca_bundle_wins_over_requests_ca_bundle() -> None:
    env = {'REQUESTS_CA_BUNDLE': '/etc/ssl/certs/ca-certificates.crt'}
    assert consulate.Consul(verify='/mine.pem', env=env).adapter.verify == '/mine.pem'
    assert consulate.Consul(verify=False, env=env).adapter.verify is False
    # verify=True means "the default bundle", which the environment names, as in requests.
    assert consulate.Consul(env=env).adapter.config.ca_bundle == env['REQUESTS_CA_BUNDLE']


def test_env_mapping_is_the_only_environment_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/from/os/environ.pem')
    monkeypatch.setenv('HTTP_PROXY', 'http://proxy.invalid:3128')
    config = consulate.Consul(env={}).adapter.config
    assert config.ca_bundle is None
    assert dict(config.proxies) == {}


def test_client_cert_needs_both_halves() -> None:
    with pytest.raises(exceptions.ValidationError, match='both CONSUL_CLIENT_CERT'):
        consulate.Consul(env={'CONSUL_CLIENT_CERT': '/c.pem'})


def test_namespace_and_partition_from_environment() -> None:
    consul = consulate.Consul(env={'CONSUL_NAMESPACE': 'team', 'CONSUL_PARTITION': 'p1'})
    assert consul.kv._params(None, read=True) == {'ns': 'team', 'partition': 'p1'}
    assert consulate.Consul(env={}).kv._params(None, read=True) == {}


@pytest.mark.parametrize(
    ('text', 'value'), [('1', True), ('true', True), ('T', True), ('0', False), ('False', False)]
)
def test_parse_bool(text: str, value: bool) -> None:
    assert parse_bool(text) is value


def test_parse_bool_refuses_other_text() -> None:
    with pytest.raises(exceptions.ValidationError, match='CONSUL_HTTP_SSL must be true or false'):
        consulate.Consul(env={'CONSUL_HTTP_SSL': 'yes please'})


def test_endpoints_are_built_once_and_share_the_adapter() -> None:
    consul = consulate.Consul(env={})
    assert consul.kv is consul.kv
    assert consul.session is consul.session
    assert consul.kv._adapter is consul.session._adapter is consul.adapter
    assert 'status' not in vars(consul)
    consul.status  # noqa: B018 - building it is the point
    assert 'status' in vars(consul)


def test_consistency_is_checked() -> None:
    with pytest.raises(exceptions.ValidationError, match='consistency'):
        consulate.Consul(consistency='eventual', env={})
    consul = consulate.Consul(consistency='stale', env={})
    assert consul.kv._params(None, read=True) == {'stale': ''}
    assert consul.kv._params(None, read=False) == {}
    assert consul.kv._params(None, read=True, consistency='consistent') == {'consistent': ''}


def test_datacenter_is_sent_where_accepted() -> None:
    consul = consulate.Consul(datacenter='dc2', env={})
    assert consul.kv._params({'recurse': True, 'x': None}, read=True) == {
        'recurse': '',
        'dc': 'dc2',
    }


@pytest.mark.parametrize(
    ('options', 'named'),
    [
        ({'timeout': -1}, 'timeout'),
        ({'timeout': 0}, 'timeout'),
        ({'timeout': 'x'}, 'timeout'),
        ({'timeout': float('nan')}, 'timeout'),
        ({'timeout': (5, -1)}, 'timeout'),
        ({'timeout': (5, 30, 1)}, 'timeout'),
        ({'port': 'abc'}, 'port'),
        ({'port': 0}, 'port'),
        ({'port': 65536}, 'port'),
        ({'port': True}, 'port'),
        ({'port': 8500.5}, 'port'),
        ({'host': ''}, 'host'),
        ({'host': None}, 'host'),
        ({'host': 'two words'}, 'host'),
        ({'host': 'consul/v1'}, 'host'),
        ({'host': 5}, 'host'),
        ({'retries': -1}, 'retries'),
        ({'retries': '3'}, 'retries'),
        ({'pool_size': 0}, 'pool_size'),
        ({'pool_size': 2.5}, 'pool_size'),
        ({'scheme': 'ftp'}, 'scheme'),
        ({'addr': ''}, 'addr'),
        ({'addr': 8500}, 'addr'),
        ({'token_file': ''}, 'token_file'),
        ({'token': 5}, 'token'),
        ({'token': 'a\nb'}, 'token'),
        ({'datacenter': ' '}, 'datacenter'),
        ({'datacenter': 1}, 'datacenter'),
        ({'namespace': ['ns']}, 'namespace'),
        ({'verify': '/etc/ssl/ca.pem'}, None),
        ({'verify': ['ca.pem']}, 'verify'),
        ({'cert': 5}, 'cert'),
        ({'cert': ('a', 'b', 'c')}, 'cert'),
        ({'consistency': 'fast'}, 'consistency'),
    ],
)
def test_bad_arguments_are_refused_when_the_client_is_built(
    options: dict[str, Any], named: str | None
) -> None:
    if named is None:  # a valid value among the invalid ones: it builds
        consulate.Consul(env={}, **options).close()
        return
    with pytest.raises(exceptions.ValidationError, match=named):
        consulate.Consul(env={}, **options)


def test_good_arguments_still_build() -> None:
    assert consulate.Consul(port='8501', env={}).port == 8501
    assert consulate.Consul(timeout=float('inf'), env={})._config.timeout == float('inf')
    assert consulate.Consul(timeout=(1, 2.5), env={})._config.timeout == (1, 2.5)
    assert consulate.Consul(datacenter='', namespace='', env={})._config.namespace is None
    assert consulate.Consul('/run/consul.sock', None, scheme='http+unix', env={}).port is None
    assert consulate.Consul(addr='https://[::1]:8501', env={}).host == '::1'


def test_an_empty_token_file_named_on_purpose_is_refused(tmp_path: Path) -> None:
    token_file = tmp_path / 'token'
    token_file.write_text(' \n')
    with pytest.raises(exceptions.ValidationError, match=r'token file .* is empty'):
        consulate.Consul(token_file=str(token_file), env={})
