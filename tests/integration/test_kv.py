"""KV against a real agent, over HTTP, HTTPS and a UNIX socket."""

from __future__ import annotations

import base64
import uuid

import pytest

import consulate
from consulate import exceptions
from consulate.testing import ConsulAgent


def raw(consul: consulate.Consul, key: str) -> bytes | None:
    """What Consul holds for ``key``, read without consulate's decoding."""
    response = consul.adapter.get(f'{consul.base_uri}/kv/{key}')
    assert response.status_code == 200, response.status_code
    value = response.json()[0]['Value']
    return None if value is None else base64.b64decode(value)


@pytest.mark.parametrize(
    ('value', 'stored', 'read_back'),
    [
        ('bar', b'bar', 'bar'),
        ('I like ✈', 'I like ✈'.encode(), 'I like ✈'),
        (True, b'true', 'true'),
        (0, b'0', '0'),
        (1.5, b'1.5', '1.5'),
        ({'a': [1, None]}, b'{"a": [1, null]}', '{"a": [1, null]}'),
        (b'\xff\x00bin', b'\xff\x00bin', b'\xff\x00bin'),
        (None, None, None),
        ('', None, None),
    ],
)
def test_values_are_stored_and_read_as_documented(
    any_consul: consulate.Consul,
    prefix: str,
    value: object,
    stored: bytes | None,
    read_back: object,
) -> None:
    key = f'{prefix}/value'
    any_consul.kv[key] = value
    assert raw(any_consul, key) == stored
    assert any_consul.kv[key] == read_back
    assert type(any_consul.kv[key]) is type(read_back)
    assert any_consul.kv.get(key, default='missing') == read_back


def test_raw_get_returns_the_stored_bytes(any_consul: consulate.Consul, prefix: str) -> None:
    any_consul.kv[f'{prefix}/j'] = {'x': 1}
    assert any_consul.kv.get(f'{prefix}/j', raw=True) == b'{"x": 1}'
    any_consul.kv[f'{prefix}/b'] = b'\x00\x01'
    assert any_consul.kv.get(f'{prefix}/b', raw=True) == b'\x00\x01'
    assert any_consul.kv.get(f'{prefix}/nope', 'dflt', raw=True) == 'dflt'


def test_json_decoding_can_be_turned_on(consul_agent: ConsulAgent, prefix: str) -> None:
    with consul_agent.client(decode_json=True) as consul:
        consul.kv[f'{prefix}/n'] = '123'
        consul.kv[f'{prefix}/t'] = True
        consul.kv[f'{prefix}/d'] = {'a': [1, None]}
        consul.kv[f'{prefix}/s'] = 'plain'
        assert consul.kv[f'{prefix}/n'] == 123
        assert consul.kv.get(f'{prefix}/t') is True
        assert consul.kv.find(prefix) == {
            f'{prefix}/d': {'a': [1, None]},
            f'{prefix}/n': 123,
            f'{prefix}/s': 'plain',
            f'{prefix}/t': True,
        }
        assert consul.kv.get(f'{prefix}/d', raw=True) == b'{"a": [1, null]}'


def test_missing_key(consul: consulate.Consul, prefix: str) -> None:
    key = f'{prefix}/missing'
    with pytest.raises(KeyError):
        consul.kv[key]
    with pytest.raises(AttributeError):  # what the seed's usage example catches
        consul.kv[key]
    with pytest.raises(exceptions.KeyNotFound):
        consul.kv.get_record(key)
    assert consul.kv.get(key) is None
    assert consul.kv.get(key, 'fallback') == 'fallback'
    assert consul.kv.get(key, default=0) == 0
    assert key not in consul.kv


def test_falsy_stored_value_is_returned_not_the_default(
    consul: consulate.Consul, prefix: str
) -> None:
    consul.kv[f'{prefix}/zero'] = 0
    consul.kv[f'{prefix}/false'] = False
    consul.kv[f'{prefix}/empty'] = ''
    assert consul.kv.get(f'{prefix}/zero', 'd') == '0'
    assert consul.kv.get(f'{prefix}/false', 'd') == 'false'
    assert consul.kv.get(f'{prefix}/empty', 'd') is None


def test_contains_and_delete(any_consul: consulate.Consul, prefix: str) -> None:
    key = f'{prefix}/flag'
    any_consul.kv[key] = 'x'
    assert key in any_consul.kv
    assert f'/{key}' in any_consul.kv
    del any_consul.kv[key]
    assert key not in any_consul.kv
    del any_consul.kv[key]  # a missing key is not an error, as in consulate 0.6.0
    with pytest.raises(KeyError):
        any_consul.kv.delete(key, must_exist=True)
    assert 42 not in any_consul.kv  # type: ignore[operator]


def test_delete_returns_true_and_recurse_removes_the_prefix(
    consul: consulate.Consul, prefix: str
) -> None:
    consul.kv[f'{prefix}/a'] = 1
    consul.kv[f'{prefix}/b/c'] = 2
    consul.kv[f'{prefix}x'] = 'sibling'
    assert consul.kv.delete(f'{prefix}/a') is True
    assert f'{prefix}/a' not in consul.kv
    assert consul.kv.delete(f'{prefix}/never-there') is True
    assert consul.kv.delete(f'{prefix}/', recurse=True) is True
    assert consul.kv.find(f'{prefix}/') == {}
    assert consul.kv[f'{prefix}x'] == 'sibling'
    consul.kv.delete(f'{prefix}x')


@pytest.mark.parametrize(
    'name', ['q?mark#hash', '50% off', 'sp ace/and tab', 'ünïcødé/✈', 'trailing ', 'a+b=c&d']
)
def test_keys_round_trip(any_consul: consulate.Consul, prefix: str, name: str) -> None:
    key = f'{prefix}/{name}'
    any_consul.kv[key] = name
    assert any_consul.kv[key] == name
    assert any_consul.kv.keys() and key in any_consul.kv.find(prefix)
    assert any_consul.kv.find(prefix) == {key: name}
    del any_consul.kv[key]
    assert any_consul.kv.find(prefix) == {}


def test_invalid_keys_are_refused_before_any_request(consul: consulate.Consul, prefix: str) -> None:
    for key in (f'{prefix}//x', f'{prefix}/../x', f'{prefix}/a\nb', ''):
        with pytest.raises(exceptions.ValidationError):
            consul.kv[key] = 'v'
    assert consul.kv.find(prefix) == {}


def test_find_items_keys_values_records_len_iter(consul_agent: ConsulAgent) -> None:
    # A whole-store view needs a store of its own.
    with ConsulAgent() as agent, agent.client() as consul:
        assert consul.kv.items() == {}
        assert consul.kv.keys() == []
        assert len(consul.kv) == 0
        consul.kv['fl/a'] = 'x'
        consul.kv['fly'] = True
        consul.kv['foo/'] = None
        consul.kv['bar'] = {'n': 1}
        consul.kv.set_record('baz', 128, b'\xff')
        assert consul.kv.items() == {
            'bar': '{"n": 1}',
            'baz': b'\xff',
            'fl/a': 'x',
            'fly': 'true',
            'foo/': None,
        }
        assert consul.kv.keys() == ['bar', 'baz', 'fl/a', 'fly', 'foo/']
        assert list(consul.kv) == consul.kv.keys()
        assert len(consul.kv) == 5
        assert consul.kv.values() == ['{"n": 1}', b'\xff', 'x', 'true', None]
        assert list(consul.kv.iteritems()) == list(consul.kv.items().items())
        assert consul.kv.records() == [
            ('bar', 0, '{"n": 1}'),
            ('baz', 128, b'\xff'),
            ('fl/a', 0, 'x'),
            ('fly', 0, 'true'),
            ('foo/', 0, None),
        ]
        assert consul.kv.records('fl') == [('fl/a', 0, 'x'), ('fly', 0, 'true')]
        assert consul.kv.find('fl') == {'fl/a': 'x', 'fly': 'true'}
        assert consul.kv.find('fl', separator='/') == ['fl/', 'fly']
        assert consul.kv.find('fl/', separator='/') == ['fl/a']
        assert consul.kv.find('nothing') == {}
        assert consul.kv.find('nothing', separator='/') == []


def test_get_record_and_set_record(any_consul: consulate.Consul, prefix: str) -> None:
    key = f'{prefix}/rec'
    assert any_consul.kv.set_record(key, 42, 'v1') is True
    record = any_consul.kv.get_record(key)
    assert record['Key'] == key
    assert record['Flags'] == 42
    assert record['Value'] == 'v1'
    assert record['ModifyIndex'] >= record['CreateIndex'] > 0
    assert any_consul.kv.set_record(key, 7, 'v2', replace=False) is False
    assert any_consul.kv.get_record(key)['Value'] == 'v1'
    assert any_consul.kv.set_record(key, 2**64 - 1, 'v3') is True
    assert any_consul.kv.get_record(key)['Flags'] == 2**64 - 1
    assert any_consul.kv.set_record(f'{prefix}/new', value='n', replace=False) is True
    assert any_consul.kv[f'{prefix}/new'] == 'n'


@pytest.mark.parametrize('value', ['v', True, 128, {'a': 1}, b'\x00'])
def test_set_with_a_value_strips_the_trailing_slash_as_060_did(
    consul: consulate.Consul, prefix: str, value: object
) -> None:
    consul.kv.set(f'{prefix}/a/', value)
    consul.kv[f'{prefix}/b//'] = value
    assert consul.kv.set_record(f'{prefix}/c/', 5, value) is True
    assert sorted(consul.kv.find(prefix)) == [f'{prefix}/a', f'{prefix}/b', f'{prefix}/c']
    assert consul.kv.get_record(f'{prefix}/c')['Flags'] == 5


@pytest.mark.parametrize('value', [None, '', b'', 0, False, {}])
def test_set_without_a_value_keeps_the_folder_key(
    consul: consulate.Consul, prefix: str, value: object
) -> None:
    consul.kv.set(f'{prefix}/dir/', value)
    consul.kv[f'{prefix}/sub/'] = value
    assert sorted(consul.kv.find(prefix)) == [f'{prefix}/dir/', f'{prefix}/sub/']


def test_exact_key_keeps_the_trailing_slash(consul: consulate.Consul, prefix: str) -> None:
    consul.kv.set(f'{prefix}/a/', 'v', exact_key=True)
    assert consul.kv.set_record(f'{prefix}/b/', 1, 'w', exact_key=True) is True
    assert consul.kv.find(prefix) == {f'{prefix}/a/': 'v', f'{prefix}/b/': 'w'}


@pytest.mark.parametrize('flags', [-1, 2**64, 1.5, True])
def test_bad_flags_are_refused(consul: consulate.Consul, prefix: str, flags: object) -> None:
    with pytest.raises(exceptions.ValidationError):
        consul.kv.set_record(f'{prefix}/f', flags, 'v')  # type: ignore[arg-type]
    assert f'{prefix}/f' not in consul.kv


def test_set_is_one_put(consul: consulate.Consul, prefix: str) -> None:
    calls: list[str] = []
    request = consul.adapter.request

    def counting(method: str, uri: str, **kwargs: object) -> consulate.adapters.Response:
        calls.append(method)
        return request(method, uri, **kwargs)  # type: ignore[arg-type]

    consul.adapter.request = counting  # type: ignore[method-assign]
    consul.kv[f'{prefix}/one'] = 'v'
    consul.kv.set(f'{prefix}/one', 'w')
    assert calls == ['PUT', 'PUT']
    assert raw(consul, f'{prefix}/one') == b'w'


def test_value_over_the_limit_raises_and_keeps_the_stored_value(
    consul: consulate.Consul, prefix: str
) -> None:
    key = f'{prefix}/big'
    consul.kv[key] = 'original'
    with pytest.raises(exceptions.PayloadTooLarge, match='too large'):
        consul.kv[key] = b'x' * (512 * 1024 + 1)
    assert consul.kv[key] == 'original'
    consul.kv[key] = b'y' * (512 * 1024)
    assert consul.kv.get(key, raw=True) == b'y' * (512 * 1024)


def test_acquire_and_release_lock(consul: consulate.Consul, prefix: str) -> None:
    key = f'{prefix}/lock'
    first = consul.session.create(ttl='10s', delay='0s')
    second = consul.session.create(ttl='10s', delay='0s')
    try:
        assert consul.kv.acquire_lock(key, first, value='holder-1', flags=5) is True
        record = consul.kv.get_record(key)
        assert (record['Session'], record['Value'], record['Flags']) == (first, 'holder-1', 5)
        assert consul.kv.acquire_lock(key, second) is False
        assert consul.kv.release_lock(key, second) is False
        assert consul.kv.release_lock(key, first) is True
        assert 'Session' not in consul.kv.get_record(key)
        assert consul.kv.acquire_lock(key, second) is True
    finally:
        consul.session.destroy(first)
        consul.session.destroy(second)


def test_acquire_lock_with_cas_is_check_and_set(consul: consulate.Consul, prefix: str) -> None:
    key = f'{prefix}/caslock'
    session = consul.session.create(ttl='10s', delay='0s')
    try:
        assert consul.kv.acquire_lock(key, session, 'v', cas=0) is True
        index = consul.kv.get_record(key)['ModifyIndex']
        consul.kv.release_lock(key, session)
        assert consul.kv.acquire_lock(key, session, cas=0) is False  # it exists now
        assert consul.kv.acquire_lock(key, session, cas=index) is False  # release moved it on
        current = consul.kv.get_record(key)['ModifyIndex']
        assert consul.kv.acquire_lock(key, session, 'w', cas=current, flags=9) is True
        record = consul.kv.get_record(key)
        assert (record['Session'], record['Value'], record['Flags']) == (session, 'w', 9)
    finally:
        consul.session.destroy(session)


def test_acquire_lock_with_unknown_session_is_an_error(
    consul: consulate.Consul, prefix: str
) -> None:
    with pytest.raises(exceptions.ServerError, match='session'):
        consul.kv.acquire_lock(f'{prefix}/l', str(uuid.uuid4()))


def test_blocking_get_returns_after_a_change(consul: consulate.Consul, prefix: str) -> None:
    key = f'{prefix}/watched'
    consul.kv[key] = 'before'
    assert consul.kv.get(key) == 'before'
    index = consul.kv.last_response.index
    assert index
    # Nothing changes: the query blocks for about `wait` and returns the same index.
    assert consul.kv.get(key, index=index, wait='200ms') == 'before'
    assert consul.kv.last_response.index == index


def test_entries_give_every_field_and_block(consul: consulate.Consul, prefix: str) -> None:
    assert consul.kv.entries(f'{prefix}/') == []
    session = consul.session.create(ttl='10s', delay='0s')
    try:
        consul.kv.set_record(f'{prefix}/a', 7, {'n': 1})
        consul.kv.acquire_lock(f'{prefix}/b', session, b'\xff')
        entries = {entry['Key']: entry for entry in consul.kv.entries(f'{prefix}/')}
        assert set(entries) == {f'{prefix}/a', f'{prefix}/b'}
        assert (entries[f'{prefix}/a']['Flags'], entries[f'{prefix}/a']['Value']) == (7, '{"n": 1}')
        assert 'Session' not in entries[f'{prefix}/a']
        assert entries[f'{prefix}/b']['Session'] == session
        assert entries[f'{prefix}/b']['LockIndex'] == 1
        raw_values = {e['Key']: e['Value'] for e in consul.kv.entries(prefix, raw=True)}
        assert raw_values == {f'{prefix}/a': b'{"n": 1}', f'{prefix}/b': b'\xff'}
        index = consul.kv.last_response.index
        assert len(consul.kv.entries(prefix, index=index, wait='200ms')) == 2
        assert consul.kv.last_response.index == index  # nothing changed: it blocked
    finally:
        consul.session.destroy(session)


def test_forbidden_is_not_a_missing_key(consul_acl_agent: ConsulAgent, prefix: str) -> None:
    with consul_acl_agent.client(token=consul_acl_agent.master_token) as admin:
        admin.kv[f'{prefix}/secret'] = 's'
    with consul_acl_agent.client() as anonymous:
        with pytest.raises(exceptions.Forbidden) as caught:
            anonymous.kv[f'{prefix}/secret']
        assert not isinstance(caught.value, KeyError)
        with pytest.raises(exceptions.Forbidden):
            anonymous.kv[f'{prefix}/other'] = 'x'
        with pytest.raises(exceptions.Forbidden):
            f'{prefix}/secret' in anonymous.kv  # noqa: B015
    with consul_acl_agent.client(token='not-a-real-token') as wrong:
        with pytest.raises(exceptions.Forbidden, match='ACL not found'):
            wrong.kv.get(f'{prefix}/secret')
    with consul_acl_agent.client(token=consul_acl_agent.master_token) as admin:
        assert admin.kv[f'{prefix}/secret'] == 's'
        admin.kv.delete(prefix, recurse=True)
