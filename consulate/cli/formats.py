"""The two KV file formats, read and written byte for byte.

**Backup** (``kv backup``, the original consulate's format): a JSON list of
``[key, flags, value]`` rows. Keys are relative to the PREFIX given to
``kv backup`` (the prefix key itself is ``""``). The value is the stored
text, or with ``-b`` its base64; an empty value is ``""`` (``null`` is read
as empty too, as older consulate versions wrote it).

**Export** (``consul kv export`` / ``consul kv import``): a JSON list of
``{"key": ..., "flags": ..., "value": <base64>}`` objects with full keys,
tab-indented, exactly as Consul's own CLI writes it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from consulate.cli.output import CliError

if TYPE_CHECKING:
    from consulate.client import Consul

__all__ = [
    'Entry',
    'dump_backup',
    'dump_export',
    'join_key',
    'load_rows',
    'read_entries',
    'relative_key',
    'under_prefix',
]

#: One KV entry as the CLI moves it: ``(key, flags, exact bytes)``.
Entry = tuple[str, int, bytes]

_MAX_FLAGS = 2**64


def read_entries(consul: Consul, prefix: str | None) -> list[Entry]:
    """Every key under ``prefix`` (all of them for None) with its flags and exact stored bytes."""
    return cast('list[Entry]', consul.kv.records(prefix, raw=True))


# -- prefixes ------------------------------------------------------------------------


def relative_key(key: str, prefix: str) -> str | None:
    """``key`` relative to ``prefix`` (``''`` for the prefix itself), or None if it is not under it.

    The prefix is a path: ``app`` holds ``app`` and ``app/...`` but not
    ``application``; ``app/`` holds ``app/`` and ``app/...``.
    """
    if not prefix:
        return key
    if key == prefix:
        return ''
    if prefix.endswith('/'):
        return key[len(prefix) :] if key.startswith(prefix) else None
    return key[len(prefix) + 1 :] if key.startswith(f'{prefix}/') else None


def under_prefix(key: str, prefix: str) -> bool:
    """Whether ``key`` is under the path ``prefix`` (see :func:`relative_key`)."""
    return relative_key(key, prefix) is not None


def join_key(prefix: str, relative: str) -> str:
    """The full key of ``relative`` restored under ``prefix``: the inverse of :func:`relative_key`."""
    if not prefix:
        return relative
    if not relative:
        return prefix
    return f'{prefix}{relative}' if prefix.endswith('/') else f'{prefix}/{relative}'


# -- writing ----------------------------------------------------------------------------


def dump_backup(entries: Iterable[Entry], *, base64_values: bool, pretty: bool) -> bytes:
    """The backup file for ``entries``: ``[[key, flags, value], ...]`` and a newline.

    :raises CliError: without ``base64_values``, a value is not UTF-8 text
    """
    rows: list[list[Any]] = []
    for key, flags, value in entries:
        if base64_values:
            text = base64.b64encode(value).decode('ascii')
        else:
            try:
                text = value.decode('utf-8')
            except UnicodeDecodeError:
                raise CliError(
                    f'the value of {key!r} is not UTF-8 text: back it up with -b/--base64'
                ) from None
        rows.append([key, flags, text])
    if pretty:
        return (json.dumps(rows, indent=2, separators=(',', ': ')) + '\n').encode('ascii')
    return (json.dumps(rows) + '\n').encode('ascii')


def dump_export(entries: Iterable[Entry]) -> bytes:
    """``entries`` exactly as ``consul kv export`` prints them (Go's tab-indented JSON)."""
    items = [
        '\t{\n'
        f'\t\t"key": {_go_string(key)},\n'
        f'\t\t"flags": {flags},\n'
        f'\t\t"value": "{base64.b64encode(value).decode("ascii")}"\n'
        '\t}'
        for key, flags, value in entries
    ]
    if not items:
        return b'[]\n'
    return ('[\n' + ',\n'.join(items) + '\n]\n').encode('utf-8')


def _go_string(text: str) -> str:
    """A JSON string as Go's encoding/json writes it (HTML-safe, UTF-8 kept)."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append('\\' + char)
        elif char == '\n':
            out.append('\\n')
        elif char == '\r':
            out.append('\\r')
        elif char == '\t':
            out.append('\\t')
        elif code < 0x20 or char in '<>&\u2028\u2029':
            out.append(f'\\u{code:04x}')
        else:
            out.append(char)
    out.append('"')
    return ''.join(out)


# -- reading ----------------------------------------------------------------------------


def load_rows(data: bytes, *, base64_values: bool, source: str, text: bool = False) -> list[Entry]:
    """Read a backup or an export file into entries, checking every row first.

    Rows that are lists are backup rows (their values are base64 only with
    ``base64_values``); rows that are objects are export rows (``key``,
    ``flags``, ``value``; any letter case, as Go reads them), whose values
    are always base64.

    Backup rows read as text whose values are all base64, some of them
    ``=``-padded, are refused unless ``text`` is given: such a file was
    almost surely made with ``-b``, and
    restoring it without ``-b`` would store the base64 in place of the values.

    :raises CliError: the data is not such a file; the message names the bad row
    """
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise CliError(f'{source} is not JSON: {exc}') from None
    if document is None:
        return []
    if not isinstance(document, list):
        raise CliError(f'{source} is not a JSON list of KV entries')
    entries = []
    texts: list[str] = []
    for number, row in enumerate(document):
        if isinstance(row, list):
            entries.append(_backup_row(row, number, base64_values, source))
            if len(row) == 3 and row[2]:
                texts.append(row[2])
        elif isinstance(row, dict):
            entries.append(_export_row(row, number, source))
        else:
            raise CliError(f'{source}: entry {number} is neither [key, flags, value] nor an object')
    if not base64_values and not text and _all_base64(texts):
        raise CliError(
            f'{source}: every value is base64, as in a backup made with -b/--base64: '
            'restore it with -b to store the decoded values, or with --text to store '
            'the values as they are written'
        )
    return entries


def _all_base64(values: list[str]) -> bool:
    """Whether ``values`` look like a ``-b`` backup's: all canonical base64, some ``=``-padded.

    Short words (``text``, ``true``) are valid base64 too; padding is what
    two values out of three of a real ``-b`` backup show, and text rarely does.
    """
    return any(v.endswith('=') for v in values) and all(map(_is_base64, values))


def _is_base64(value: str) -> bool:
    """Whether ``value`` is canonical base64 (what ``kv backup -b`` writes)."""
    try:
        return base64.b64encode(base64.b64decode(value, validate=True)).decode() == value
    except (binascii.Error, ValueError):
        return False


def _backup_row(row: list[Any], number: int, base64_values: bool, source: str) -> Entry:
    if len(row) != 3:
        raise CliError(f'{source}: entry {number} is not [key, flags, value]')
    key, flags, value = row
    key = _check_key(key, number, source)
    flags = _check_flags(flags, key, source)
    if value is None:
        return key, flags, b''
    if not isinstance(value, str):
        raise CliError(f'{source}: the value of {key!r} is not a string')
    if base64_values:
        return key, flags, _decode_base64(value, key, source, hint=True)
    try:
        return key, flags, value.encode('utf-8')
    except UnicodeEncodeError:
        raise CliError(f'{source}: the value of {key!r} holds a lone surrogate') from None


def _export_row(row: dict[str, Any], number: int, source: str) -> Entry:
    fields = {name.lower(): value for name, value in row.items()}
    key = _check_key(fields.get('key'), number, source)
    flags = _check_flags(fields.get('flags', 0), key, source)
    value = fields.get('value')
    if value is None or value == '':
        return key, flags, b''
    if not isinstance(value, str):
        raise CliError(f'{source}: the value of {key!r} is not a base64 string')
    return key, flags, _decode_base64(value, key, source, hint=False)


def _check_key(key: Any, number: int, source: str) -> str:
    if not isinstance(key, str):
        raise CliError(f'{source}: entry {number} has no key string')
    return key


def _check_flags(flags: Any, key: str, source: str) -> int:
    if flags is None:
        return 0
    if isinstance(flags, bool) or not isinstance(flags, int) or not 0 <= flags < _MAX_FLAGS:
        raise CliError(f'{source}: the flags of {key!r} are not an integer from 0 to 2**64-1')
    return flags


def _decode_base64(value: str, key: str, source: str, *, hint: bool) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        advice = ': was the backup made without -b/--base64?' if hint else ''
        raise CliError(f'{source}: the value of {key!r} is not valid base64{advice}') from None
