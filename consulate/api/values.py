"""KV values and key paths: how a Python value is stored and read back, and how a key is spelled.

Everything that writes or reads KV values uses these functions: the KV
endpoint, transactions, locks and semaphores, and the ``consulate`` command.

Storing (:func:`encode_value`): ``str`` as UTF-8 text, ``bytes`` as they are,
``None`` as an empty value, anything else JSON-encoded.

Reading (:func:`decode_value`): Consul's base64 ``Value`` is decoded to the
stored bytes, returned as ``str`` when they are UTF-8 text, else as the exact
``bytes``; JSON text stays text, as consulate 0.6.0 returned it. With
``decode_json=True`` (``Consul(decode_json=True)``) a value that is JSON (an
object, array, string, number, ``true``, ``false`` or ``null``; NaN and
Infinity are not JSON) is decoded as well. Those are the answers of
``json.loads`` tried on every value whose first byte can start JSON, without
its exceptions: numbers and the three names are matched exactly, objects,
arrays and strings are parsed only when their last byte closes them, so plain
text, digit-led text (``007``, ``2024-01-01``, ``1.2.3``) and binary values
cost no failed parse.

Keys (:func:`key_path`, :func:`quote_key`): one leading ``/`` is dropped, empty,
``.`` and ``..`` segments and control characters are refused, and the URL form
is percent-encoded segment by segment.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from consulate import exceptions

__all__ = [
    'check_flags',
    'decode_value',
    'encode_value',
    'key_path',
    'quote_key',
    'stored_bytes',
    'stored_key',
]

#: The characters a key may not hold (Consul refuses or mangles them).
_CONTROL_CHARS = re.compile('[\x00-\x1f\x7f]')
#: A JSON number (its integer part, fraction, exponent), then only JSON white space:
#: exactly what json.loads accepts. The grammar never needs to backtrack, so every
#: quantifier is possessive, which makes text that merely starts with a digit fail fast.
_JSON_NUMBER = re.compile(rb'(-?+(?:0|[1-9][0-9]*+))(\.[0-9]++)?+([eE][-+]?+[0-9]++)?+[ \t\n\r]*+')
#: The JSON names, each with what it decodes to.
_JSON_NAMES = {b'true': True, b'false': False, b'null': None}
_WHITESPACE = b' \t\n\r'
_OPEN_CLOSE = {ord('{'): ord('}'), ord('['): ord(']'), ord('"'): ord('"')}
_DIGIT_OR_MINUS = frozenset(b'-0123456789')
_NAME_START = frozenset(b'tfn')
#: The first bytes of the JSON texts consulate decodes.
_JSON_START = _DIGIT_OR_MINUS | _NAME_START | frozenset(_OPEN_CLOSE)
#: What :func:`_json_value` returns for text that is not JSON.
_NOT_JSON: Any = object()
#: Integers of up to this many characters convert under any digit limit Python allows
#: (sys.set_int_max_str_digits accepts 640 or more); longer ones are left to json.loads.
_SAFE_DIGITS = 640
#: Non-ASCII values up to this many bytes are told text or binary without an exception
#: (on longer binary values, a strict decode that stops at the first invalid byte costs less).
_SHORT = 64


def encode_value(value: Any) -> bytes:
    """The bytes stored for ``value``: str as UTF-8, bytes as is, None empty, else JSON.

    :raises consulate.exceptions.ValidationError: the value cannot be JSON-encoded
    """
    if value is None:
        return b''
    if isinstance(value, str):
        return value.encode('utf-8')
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    try:
        return json.dumps(value).encode('utf-8')
    except (TypeError, ValueError) as error:
        raise exceptions.ValidationError(
            f'cannot store a {type(value).__name__}: pass str, bytes or a JSON-encodable value'
        ) from error


def decode_value(value: str | None, decode_json: bool = False) -> Any:
    """Decode a base64 ``Value`` from Consul: ``str`` if it is UTF-8, else the ``bytes``.

    :param decode_json: also decode a value that is JSON text (``'true'`` -> ``True``)
    """
    if value is None:
        return None
    data = binascii.a2b_base64(value)  # base64.b64decode without its wrapper's cost
    if decode_json and data and data[0] in _JSON_START:
        decoded = _json_value(data)
        if decoded is not _NOT_JSON:
            return decoded
    if data.isascii() or len(data) > _SHORT:
        try:
            return data.decode('utf-8')
        except UnicodeDecodeError:  # binary: a strict decode stops at the first invalid byte
            return data
    return _short_text_or_bytes(data)


def _short_text_or_bytes(data: bytes) -> str | bytes:
    """A short non-ASCII value as UTF-8 text, or the bytes themselves when it is not UTF-8.

    Decoded with replacement characters and searched for one, which costs
    less than the exception of a failed strict decode; only a value holding a
    real U+FFFD is decoded strictly.
    """
    text = data.decode('utf-8', 'replace')
    if '\ufffd' not in text:
        return text
    if b'\xef\xbf\xbd' not in data:
        return data
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        return data


def _json_value(data: bytes) -> Any:
    """The value of ``data`` when it is a JSON text consulate decodes, else ``_NOT_JSON``.

    The same answers as ``json.loads(data)`` (NaN and Infinity refused), found
    without an exception on the common path: numbers and the three names are
    matched exactly, and only objects, arrays and strings whose last byte
    closes them are parsed, by a decoder built once. A NUL second byte is where
    :func:`json.loads` reads bytes as UTF-16 or UTF-32; such values, and
    integers longer than Python converts, take :func:`json.loads` itself.
    """
    if len(data) > 1 and not data[1]:
        return _loads(data)
    first = data[0]
    if first in _DIGIT_OR_MINUS:
        number = _JSON_NUMBER.fullmatch(data)
        if number is None:
            return _NOT_JSON
        if number.lastindex != 1:
            return float(data)  # a fraction or an exponent; float() ignores the white space
        if number.end(1) > _SAFE_DIGITS:
            return _loads(data)  # past sys.get_int_max_str_digits(), json refuses it
        return int(number[1])
    if first in _NAME_START:
        name = data.rstrip(_WHITESPACE)
        if name in _JSON_NAMES:
            return _JSON_NAMES[name]
        return _NOT_JSON
    close = _OPEN_CLOSE.get(first)
    text = data.rstrip(_WHITESPACE)
    if close is None or len(text) < 2 or text[-1] != close:
        return _NOT_JSON
    try:
        # What json.loads does with bytes that start with {, [ or " and have no NUL second
        # byte, less its Python wrappers: the scanner reads one value, which must end the text.
        string = text.decode('utf-8', 'surrogatepass')
        decoded, end = _SCAN(string, 0)
    except (ValueError, StopIteration):  # UnicodeDecodeError included
        return _NOT_JSON
    return decoded if end == len(string) else _NOT_JSON


def _loads(data: bytes) -> Any:
    """:func:`json.loads` itself, for the rare values the fast rules leave to it."""
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except ValueError:
        return _NOT_JSON


def _reject_constant(name: str) -> Any:
    """Refuse NaN and Infinity, which are not JSON."""
    raise ValueError(name)


#: The scanner of JSON objects, arrays and strings, built once (json.loads with keywords
#: builds a decoder per call): ``_SCAN(text, 0)`` is ``(value, end)``, or raises
#: StopIteration or ValueError.
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder(
    parse_constant=_reject_constant
).scan_once  # type: ignore[attr-defined]  # set by JSONDecoder.__init__, not in the stubs


def stored_bytes(value: str | None) -> bytes:
    """The exact bytes of a base64 ``Value`` from Consul (``b''`` for null)."""
    return base64.b64decode(value) if value else b''


def key_path(key: str) -> str:
    """Check a key and strip one leading ``/``; return it as Consul stores it.

    :raises consulate.exceptions.ValidationError: the key is empty, has an empty,
        ``.`` or ``..`` segment, or holds a control character (Consul would
        redirect, normalise or refuse such a key)
    """
    if not isinstance(key, str):
        raise exceptions.ValidationError(f'a KV key must be a str, not {type(key).__name__}')
    path = key[1:] if key.startswith('/') else key
    if not path:
        raise exceptions.ValidationError('a KV key cannot be empty')
    segments = path.split('/')
    if segments[-1] == '':
        segments.pop()  # a trailing '/' names a "directory" key
    for segment in segments:
        if segment in ('', '.', '..'):
            raise exceptions.ValidationError(
                f'invalid KV key {key!r}: empty, "." and ".." path segments are not allowed'
            )
    if _CONTROL_CHARS.search(path):
        raise exceptions.ValidationError(
            f'invalid KV key {key!r}: control characters are not allowed'
        )
    return path


def stored_key(key: str, value: Any) -> str:
    """``key`` without its trailing slashes if ``value`` is truthy, as consulate 0.6 stored it.

    An empty or ``None`` value keeps them: that is a "folder" key.
    """
    try:
        truthy = bool(value)
    except (TypeError, ValueError):  # objects without a truth value count as a value
        truthy = True
    return key.rstrip('/') if truthy and key.endswith('/') else key


def quote_key(key: str) -> str:
    """The URL path of a key: checked, then percent-encoded segment by segment.

    :raises consulate.exceptions.ValidationError: as :func:`key_path`, or the key
        holds a character Consul's HTTP server refuses in a URL (one that is not
        printable: a format character, a separator other than the space, a
        private-use or unassigned code point); a transaction can still reach it
    """
    path = key_path(key)
    if not path.isprintable():
        raise exceptions.ValidationError(
            f'invalid KV key {key!r}: Consul refuses non-printable characters in a URL'
            ' (format characters, spaces other than " ", unassigned code points)'
        )
    return quote(path, safe='/')


def check_flags(flags: int) -> int:
    """Return ``flags`` if it is an unsigned 64-bit integer.

    :raises consulate.exceptions.ValidationError: it is not
    """
    if isinstance(flags, bool) or not isinstance(flags, int) or not 0 <= flags < 2**64:
        raise exceptions.ValidationError(
            f'flags must be an integer from 0 to 2**64-1, not {flags!r}'
        )
    return flags
