"""KV value encoding and decoding, key checking and quoting, durations."""

from __future__ import annotations

import base64

import pytest

from consulate import exceptions
from consulate.api.base import duration_seconds, go_duration
from consulate.api.kv import decode_value, encode_value, key_path, quote_key


def stored(data: bytes) -> str:
    """What Consul returns in ``Value`` for stored bytes."""
    return base64.b64encode(data).decode('ascii')


@pytest.mark.parametrize(
    ('value', 'expected'),
    [
        ('bar', b'bar'),
        ('I like ✈', 'I like ✈'.encode()),
        ('{"x": 1}', b'{"x": 1}'),
        (b'\xff\x00bin', b'\xff\x00bin'),
        (bytearray(b'ab'), b'ab'),
        (None, b''),
        (True, b'true'),
        (False, b'false'),
        (5, b'5'),
        (1.5, b'1.5'),
        ({'a': 1}, b'{"a": 1}'),
        ([1, 2], b'[1, 2]'),
    ],
)
def test_encode_value(value: object, expected: bytes) -> None:
    assert encode_value(value) == expected


def test_encode_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(exceptions.ValidationError, match='cannot store a object'):
        encode_value(object())


@pytest.mark.parametrize(
    ('data', 'expected'),
    [
        (b'true', True),
        (b'false', False),
        (b'5', 5),
        (b'-1.5', -1.5),
        (b'{"a": [1, null]}', {'a': [1, None]}),
        (b'null', None),
        (b'bar', 'bar'),
        (b'trueish', 'trueish'),
        (b'{not json', '{not json'),
        ('I like ✈'.encode(), 'I like ✈'),
        (b'\xff\x00bin', b'\xff\x00bin'),
        (b'NaN', 'NaN'),
        (b'', ''),
    ],
)
def test_decode_value_with_json(data: bytes, expected: object) -> None:
    assert decode_value(stored(data), decode_json=True) == expected
    assert type(decode_value(stored(data), decode_json=True)) is type(expected)


def test_decode_null_value_is_none() -> None:
    assert decode_value(None) is None


@pytest.mark.parametrize(
    ('data', 'expected'),
    [
        (b'123', '123'),
        (b'true', 'true'),
        (b'null', 'null'),
        (b'{"a": 1}', '{"a": 1}'),
        (b'\xff\x00bin', b'\xff\x00bin'),
        (b'', ''),
    ],
)
def test_decode_by_default_gives_the_stored_text(data: bytes, expected: str | bytes) -> None:
    """As consulate 0.6.0: UTF-8 text as str, anything else as bytes, no JSON decoding."""
    assert decode_value(stored(data)) == expected
    assert type(decode_value(stored(data))) is type(expected)
    assert decode_value(stored(data), decode_json=False) == expected


@pytest.mark.parametrize(
    ('key', 'path', 'quoted'),
    [
        ('a/b', 'a/b', 'a/b'),
        ('/a/b', 'a/b', 'a/b'),
        ('dir/', 'dir/', 'dir/'),
        ('q?mark#hash', 'q?mark#hash', 'q%3Fmark%23hash'),
        ('50%/x y', '50%/x y', '50%25/x%20y'),
        ('ünï/✈', 'ünï/✈', '%C3%BCn%C3%AF/%E2%9C%88'),
        ('trailing ', 'trailing ', 'trailing%20'),
    ],
)
def test_keys_are_checked_and_quoted_per_segment(key: str, path: str, quoted: str) -> None:
    assert key_path(key) == path
    assert quote_key(key) == quoted


@pytest.mark.parametrize(
    'key', ['', '/', 'a//b', '//a', 'a/./b', 'a/../b', '..', 'a\nb', 'a\x00', 'x\x7f']
)
def test_keys_consul_would_redirect_or_refuse_are_rejected(key: str) -> None:
    with pytest.raises(exceptions.ValidationError):
        key_path(key)


def test_key_must_be_text() -> None:
    with pytest.raises(exceptions.ValidationError, match='must be a str'):
        key_path(b'a')  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ('value', 'expected', 'seconds'),
    [
        (10, '10s', 10.0),
        (0, '0s', 0.0),
        (1.5, '1500ms', 1.5),
        (0.0001, '1ms', 0.001),
        ('15s', '15s', 15.0),
        ('1m30s', '1m30s', 90.0),
        ('250ms', '250ms', 0.25),
        ('1h', '1h', 3600.0),
    ],
)
def test_durations(value: str | float, expected: str, seconds: float) -> None:
    assert go_duration(value) == expected
    assert duration_seconds(expected) == pytest.approx(seconds)


@pytest.mark.parametrize('value', ['10', 'ten seconds', '-5s', -1, True, '5 s'])
def test_bad_durations_are_refused(value: object) -> None:
    with pytest.raises(exceptions.ValidationError):
        go_duration(value)  # type: ignore[arg-type]
