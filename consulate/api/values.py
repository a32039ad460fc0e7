"""KV values and key paths: how a Python value is stored and read back, and how a key is spelled.

Everything that writes or reads KV values uses these functions: the KV
endpoint, transactions, locks and semaphores, and the ``consulate`` command.

Storing (:func:`encode_value`): ``str`` as UTF-8 text, ``bytes`` as they are,
``None`` as an empty value, anything else JSON-encoded.

Reading (:func:`decode_value`): Consul's base64 ``Value`` is decoded, then the
bytes are "fully decoded if possible": JSON when the text is a JSON object,
array, number, ``true``, ``false`` or ``null``; else ``str`` for UTF-8 text;
else the exact ``bytes``. A quoted JSON string (``"abc"``) stays text. Whether
the text can be JSON is decided by its first byte and, for numbers and the
three names, a strict match, so plain text, digit-led text (``007``,
``2024-01-01``, ``1.2.3``) and binary values cost no failed parse.

Keys (:func:`key_path`, :func:`quote_key`): one leading ``/`` is dropped, empty,
``.`` and ``..`` segments and control characters are refused, and the URL form
is percent-encoded segment by segment.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any
from urllib.parse import quote

from consulate import exceptions

__all__ = ['check_flags', 'decode_value', 'encode_value', 'key_path', 'quote_key', 'stored_bytes']

#: The characters a key may not hold (Consul refuses or mangles them).
_CONTROL_CHARS = re.compile('[\x00-\x1f\x7f]')
#: A JSON number, then only JSON white space: exactly what json.loads accepts.
_JSON_NUMBER = re.compile(rb'-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?[ \t\n\r]*')
_INTEGER = re.compile(rb'-?(?:0|[1-9][0-9]*)')
#: The JSON names, each with what it decodes to.
_JSON_NAMES = {b'true': True, b'false': False, b'null': None}
_WHITESPACE = b' \t\n\r'
_OPEN_CLOSE = {ord('{'): ord('}'), ord('['): ord(']')}
_DIGIT_OR_MINUS = frozenset(b'-0123456789')
_NAME_START = frozenset(b'tfn')


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


def decode_value(value: str | None, decode_json: bool = True) -> Any:
    """Decode a base64 ``Value`` from Consul: JSON if it is JSON, else str, else bytes.

    :param decode_json: False returns JSON text as ``str``
    """
    if value is None:
        return None
    data = binascii.a2b_base64(value)  # base64.b64decode without its wrapper's cost
    if decode_json and data:
        found, decoded = _json_value(data)
        if found:
            return decoded
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        return data


def _json_value(data: bytes) -> tuple[bool, Any]:
    """``(True, value)`` when ``data`` is a JSON text consulate decodes, else ``(False, None)``.

    Numbers and names are matched exactly, so most text that merely starts
    like JSON is told apart without an exception; only objects and arrays
    whose brackets match are handed to :func:`json.loads`.
    """
    first = data[0]
    if first in _DIGIT_OR_MINUS:
        if _JSON_NUMBER.fullmatch(data) is None:
            return False, None
        text = data.rstrip(_WHITESPACE)
        if _INTEGER.fullmatch(text):
            return True, int(text)
        return True, float(text)
    if first in _NAME_START:
        name = data.rstrip(_WHITESPACE)
        if name in _JSON_NAMES:
            return True, _JSON_NAMES[name]
        return False, None
    close = _OPEN_CLOSE.get(first)
    if close is None or data.rstrip(_WHITESPACE)[-1] != close:
        return False, None
    try:
        return True, json.loads(data, parse_constant=_reject_constant)
    except ValueError:  # UnicodeDecodeError included
        return False, None


def _reject_constant(name: str) -> Any:
    """Refuse NaN and Infinity, which are not JSON."""
    raise ValueError(name)


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
