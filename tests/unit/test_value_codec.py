"""The KV value decoder decides like json.loads-then-fallback, without its exceptions.

The reference is the rule consulate has always had: a value whose first byte
is one of ``{["-0123456789tfn`` is given to :func:`json.loads` (NaN and
Infinity refused); if that fails, or for any other first byte, it is UTF-8
text, else the exact bytes. :func:`decode_value` must give the same answer,
of the same type, for every value: digit-led text, numbers with exponents and
white space, the three names, brackets, binary, invalid UTF-8, and the bytes
json.loads reads as UTF-16 or UTF-32.
"""

from __future__ import annotations

import base64
import json
import string
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from consulate.api.values import decode_value, encode_value

_JSON_START = b'{["-0123456789tfn'


def _refuse(name: str) -> Any:
    raise ValueError(name)


def reference(data: bytes) -> Any:
    """The old rule: json.loads when the first byte may start JSON, else text, else bytes."""
    if data and data[0] in _JSON_START:
        try:
            return json.loads(data, parse_constant=_refuse)
        except ValueError:
            pass
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        return data


def decoded(data: bytes, decode_json: bool = True) -> Any:
    return decode_value(base64.b64encode(data).decode('ascii'), decode_json)


def assert_same(data: bytes) -> None:
    """The decoder's answer is the reference's: same type, same value (``-0.0`` is not ``0.0``)."""
    expected = reference(data)
    got = decoded(data)
    assert type(got) is type(expected), data
    assert repr(got) == repr(expected), data


_WHITESPACE = st.sampled_from([' ', '\t', '\n', '\r', '  ', '\r\n', ''])
_JUNK = st.text(alphabet=string.printable + 'é✈\x00', max_size=6)

_NUMBERS = st.builds(
    lambda sign, whole, fraction, exponent, space: f'{sign}{whole}{fraction}{exponent}{space}',
    st.sampled_from(['', '-', '+', '--']),
    st.sampled_from(['0', '00', '01', '7', '42', '123456789', '']),
    st.sampled_from(['', '.', '.5', '.05', '.0', '..1']),
    st.sampled_from(['', 'e', 'E5', 'e+10', 'e-3', 'E+', 'e999', 'e-999']),
    _WHITESPACE,
)
_DIGIT_LED = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(['007', '2024-01-05', '1.2.3', '12', '0x1F', '1_000', '١٢', '9']),
    st.text(alphabet='0123456789-:.TZ abc/', max_size=12),
)
_NAMES = st.builds(
    lambda name, space, tail: name + space + tail,
    st.sampled_from(['true', 'false', 'null', 'tru', 'nul', 'fals', 'NaN', 'nan', 'trueish']),
    _WHITESPACE,
    st.sampled_from(['', 'x', ' x', ',', '\x00']),
)
_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def _bracketed(draw: st.DrawFn) -> str:
    """JSON texts, whole or damaged: cut, extended, with white space or junk around them."""
    text = json.dumps(draw(_JSON_VALUES), allow_nan=False)
    text = draw(st.sampled_from(['[{}]', '{"a": [%s]}', '%s', '"%s"'])).replace('%s', text)
    damage = draw(st.sampled_from(['none', 'cut', 'junk', 'space', 'constant']))
    if damage == 'cut':
        text = text[: draw(st.integers(1, len(text)))]
    elif damage == 'junk':
        text += draw(_JUNK)
    elif damage == 'space':
        text += draw(_WHITESPACE)
    elif damage == 'constant':
        text = '[' + draw(st.sampled_from(['NaN', 'Infinity', '-Infinity', '1'])) + ']'
    return text


_TEXTS = st.one_of(_NUMBERS, _DIGIT_LED, _NAMES, _bracketed(), st.text(max_size=20))


@st.composite
def _encoded(draw: st.DrawFn) -> bytes:
    """A text as UTF-8, or as json.loads would also read it (UTF-16/32), or broken UTF-8."""
    text = draw(_TEXTS)
    how = draw(st.sampled_from(['utf-8', 'utf-16-le', 'utf-32-le', 'broken', 'surrogate']))
    if how == 'broken':
        data = text.encode('utf-8')
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.sampled_from([b'\xff', b'\xc3', b'\xed\xa0\x80'])) + data[at:]
    if how == 'surrogate':  # an encoded lone surrogate inside a JSON string
        return b'["\xed\xa0\x80' + text.encode('utf-8') + b'"]'
    return text.encode(how)


@settings(max_examples=1500, deadline=None)
@given(_encoded())
@example(b'1' * 4301)  # past Python's int digit limit: json.loads refuses it, so it is text
@example(b'-' + b'9' * 4300)
@example(b'1' * 4300)
@example(b'1\x00')  # json.loads reads this as UTF-16: the number 1
@example(b't\x00r\x00u\x00e\x00')
@example(b'{\x00}\x00\x00\x00')
@example(b'5\x00\x00\x00')  # UTF-32
@example(b'1\x00x')  # three bytes: json.loads reads UTF-8 and fails
@example(b'\xef\xbf\xbd')  # a real U+FFFD is text
@example(b'a\xef\xbf\xbd\xff')  # a U+FFFD beside an invalid byte is binary
@example(b'1e5 \n\t\r')
@example(b'-0')
@example(b'-0.0')
@example(b'[1,2] ')
@example(b'{"a": 1}}')
def test_decoder_decides_as_json_loads_then_fallback(data: bytes) -> None:
    assert_same(data)


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_decode_as_the_reference_does(data: bytes) -> None:
    assert_same(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=60, max_size=70))
def test_values_either_side_of_the_short_length_decode_alike(data: bytes) -> None:
    assert_same(data)
    assert_same(data + 'é'.encode())
    assert_same(b'\xef\xbf\xbd' + data)


@settings(max_examples=500, deadline=None)
@given(_JSON_VALUES)
def test_stored_json_values_come_back(value: Any) -> None:
    data = encode_value(value)
    assert_same(data)
    if value is not None and not isinstance(value, str):  # None is stored empty, str verbatim
        assert decoded(data) == value


@settings(max_examples=500, deadline=None)
@given(_encoded())
def test_without_json_decoding_values_are_text_or_bytes(data: bytes) -> None:
    try:
        expected: Any = data.decode('utf-8')
    except UnicodeDecodeError:
        expected = data
    got = decoded(data, decode_json=False)
    assert type(got) is type(expected)
    assert got == expected


@pytest.mark.parametrize(
    ('data', 'expected'),
    [
        (b'00000000', '00000000'),  # zero-padded ids stay text
        (b'2024-01-05T10:04:00Z', '2024-01-05T10:04:00Z'),
        (b'1.2.3', '1.2.3'),
        (b'12 items', '12 items'),
        (b'1e3', 1000.0),
        (b' 1', ' 1'),  # JSON may start with white space, but the old rule looked at the first byte
        (b'-12.5E-1\n', -1.25),
        (b'true \r\n', True),
        (b'"quoted"', 'quoted'),  # a JSON string, decoded
        (b'"a" and "b"', '"a" and "b"'),
        (b'"', '"'),
        (b'[NaN]', '[NaN]'),
        (b'\xffbinary', b'\xffbinary'),
        (b'\xff' * 200, b'\xff' * 200),
    ],
)
def test_what_common_values_decode_to(data: bytes, expected: Any) -> None:
    got = decoded(data)
    assert type(got) is type(expected)
    assert got == expected
    assert_same(data)
