"""The import surface of consulate 0.6.0 and of the unreleased code after it, kept as aliases.

Also: no module inside the package imports the package top (``consulate``),
so the aliases at the top are re-exports, never the definitions.
"""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path

import pytest

import consulate
import consulate.utils
from consulate import adapters, exceptions, utils

PACKAGE = Path(consulate.__file__).parent


def test_top_level_names_of_060() -> None:
    assert (consulate.DEFAULT_HOST, consulate.DEFAULT_PORT) == ('localhost', 8500)
    assert consulate.DEFAULT_SCHEME == 'http'
    assert consulate.VERSION == 'v1'
    assert consulate.Session is consulate.Consul
    for name in ('ConsulateException', 'ACLDisabled', 'Forbidden', 'NotFound'):
        assert getattr(consulate, name) is getattr(exceptions, name)
    for name in ('ClientError', 'ServerError', 'LockFailure', 'RequestError'):
        assert getattr(consulate, name) is getattr(exceptions, name)
    assert consulate.utils is utils
    assert consulate.api is importlib.import_module('consulate.api')


def test_client_module_names_of_the_code_after_060() -> None:
    from consulate import client

    assert client.API_VERSION == 'v1'
    assert (client.DEFAULT_HOST, client.DEFAULT_PORT, client.DEFAULT_SCHEME) == (
        'localhost',
        8500,
        'http',
    )
    assert client.DEFAULT_ADDR is None and client.DEFAULT_TOKEN is None


@pytest.mark.parametrize(
    ('name', 'module'),
    [
        ('ACL', 'consulate.api.acl'),
        ('Agent', 'consulate.api.agent'),
        ('Catalog', 'consulate.api.catalog'),
        ('Coordinate', 'consulate.api.coordinate'),
        ('Event', 'consulate.api.event'),
        ('Health', 'consulate.api.health'),
        ('KV', 'consulate.api.kv'),
        ('Lock', 'consulate.api.lock'),
        ('Session', 'consulate.api.session'),
        ('Status', 'consulate.api.status'),
        ('Response', 'consulate.adapters.response'),
    ],
)
def test_api_package_names(name: str, module: str) -> None:
    assert getattr(consulate.api, name) is getattr(importlib.import_module(module), name)
    assert name in dir(consulate.api)


def test_api_base_response() -> None:
    from consulate.api import base

    assert base.Response is adapters.Response
    with pytest.raises(AttributeError):
        base.NoSuchName  # noqa: B018


def test_api_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match='NoSuchEndpoint'):
        consulate.api.NoSuchEndpoint  # noqa: B018


def test_star_imports_work() -> None:
    names: dict[str, object] = {}
    exec('from consulate import *', names)
    exec('from consulate.api import *', names)
    assert names['KV'] is consulate.api.KV
    assert names['DEFAULT_SCHEME'] == 'http'


def test_adapter_names() -> None:
    assert adapters.Request and adapters.UnixSocketRequest and adapters.Response
    assert adapters.CONTENT_FORM.startswith('application/x-www-form-urlencoded')
    assert adapters.CONTENT_JSON.startswith('application/json')


def test_prepare_data_json_encodes_all_but_text() -> None:
    @adapters.prepare_data
    def put(_self: object, uri: str, data: object = None) -> object:
        return data

    assert json.loads(put(None, '/u', {'a': [1]})) == {'a': [1]}
    assert put(None, '/u', data=[1, 2]) == '[1, 2]'
    assert put(None, '/u', 'text') == 'text'
    assert put(None, '/u', b'raw') == b'raw'
    assert put(None, '/u') is None


def test_utils_helpers_warn_and_work() -> None:
    with pytest.warns(DeprecationWarning, match='consulate.utils.maybe_encode'):
        assert utils.maybe_encode('foo') == b'foo'
    with pytest.warns(DeprecationWarning):
        assert utils.maybe_encode(b'bar') == b'bar'
    with pytest.warns(DeprecationWarning):
        assert utils.is_string('a') and utils.is_string(b'a') and not utils.is_string(1)
    assert utils.quote('/foo@bar', '') == '%2Ffoo%40bar'
    assert utils.PYTHON3 is True


@pytest.mark.parametrize('value', ['5µs', '300ms', '-1.5h', '2h45m', '5m', '30s'])
def test_validate_go_interval_accepts(value: str) -> None:
    with pytest.warns(DeprecationWarning):
        assert utils.validate_go_interval(value)


@pytest.mark.parametrize('value', ['100', '1 year', '5M', '30S'])
def test_validate_go_interval_refuses(value: str) -> None:
    with pytest.warns(DeprecationWarning):
        assert not utils.validate_go_interval(value)


def test_validate_url() -> None:
    with pytest.warns(DeprecationWarning):
        assert utils.validate_url('https://foo') and utils.validate_url('http://localhost/bar')
        assert not utils.validate_url('localhost') and not utils.validate_url('a')


class _Answer:
    def __init__(self, status_code: int, body: bytes | str) -> None:
        self.status_code = status_code
        self.body = body


@pytest.mark.parametrize(
    ('status', 'error'),
    [
        (400, exceptions.ClientError),
        (401, exceptions.ACLDisabled),
        (403, exceptions.Forbidden),
        (500, exceptions.ServerError),
    ],
)
def test_response_ok_raises_what_060_raised(status: int, error: type[Exception]) -> None:
    with pytest.warns(DeprecationWarning), pytest.raises(error, match='the text'):
        utils.response_ok(_Answer(status, b'the text'))


def test_response_ok_200_and_404() -> None:
    with pytest.warns(DeprecationWarning):
        assert utils.response_ok(_Answer(200, b'ok')) is True
        assert utils.response_ok(_Answer(404, 'not found')) is False
        assert utils.response_ok(_Answer(429, b'slow down')) is False
        with pytest.raises(exceptions.NotFound):
            utils.response_ok(_Answer(404, b'Not Found'), True)


def _top_imports(path: Path) -> list[str]:
    """The lines of ``path`` that import the package top rather than a submodule."""
    found = []
    submodules = {p.stem for p in PACKAGE.iterdir() if p.suffix == '.py' or p.is_dir()}
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
        if isinstance(node, ast.Import):
            found += [f'{path}:{node.lineno}' for a in node.names if a.name == 'consulate']
        elif isinstance(node, ast.ImportFrom) and node.module == 'consulate' and node.level == 0:
            if any(alias.name not in submodules for alias in node.names):
                found.append(f'{path}:{node.lineno}')
    return found


def test_nothing_inside_the_package_imports_its_top() -> None:
    offenders = [
        line
        for path in sorted(PACKAGE.rglob('*.py'))
        if path.name != '__init__.py' or path.parent != PACKAGE
        for line in _top_imports(path)
    ]
    assert offenders == []


def test_a_mocked_adapter_class_is_what_new_clients_use() -> None:
    from unittest import mock

    with mock.patch('consulate.adapters.Request') as request_class:
        client = consulate.Consul('127.0.0.1', 8500, env={})
        assert client.adapter is request_class.return_value
    with consulate.Consul('127.0.0.1', 8500, env={}) as real:
        assert type(real.adapter) is adapters.Request
