"""``consulate kv ls|get|set|rm|mkdir``: single keys, moved as exact bytes.

Values are never decoded: ``kv get`` writes the stored bytes to stdout,
``kv set`` stores the argument's bytes (or stdin's, with ``-``) as they are.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, cast

from consulate import exceptions
from consulate.cli import formats, hints, numbers
from consulate.cli.output import EXIT_USAGE, CliError, write_stdout
from consulate.client import Consul

__all__ = ['add_parsers', 'trim_key']


def add_parsers(actions: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``ls``, ``get``, ``set``, ``rm`` and ``mkdir`` to the ``kv`` subcommands."""
    ls = actions.add_parser(
        'ls',
        parents=parents,
        help='list keys',
        description='List every key that starts with PREFIX (every key without one), sorted.',
    )
    ls.add_argument('prefix', nargs='?', default='', metavar='PREFIX')
    ls.add_argument(
        '-l', '--long', action='store_true', help='show the size of each value in bytes'
    )
    ls.set_defaults(handler=list_keys)

    get = actions.add_parser(
        'get',
        parents=parents,
        help='print a value',
        description='Write the value of KEY to stdout as the exact stored bytes (a newline '
        'is added only when stdout is a terminal). A missing key is an error.',
    )
    get.add_argument('key', type=numbers.name, metavar='KEY')
    get.add_argument(
        '-r',
        '--recurse',
        action='store_true',
        help='print "key<TAB>value" for every key that starts with KEY',
    )
    get.add_argument(
        '-t',
        '--trim',
        type=numbers.count,
        default=0,
        metavar='N',
        help='with -r, drop the first N path segments of each key',
    )
    get.set_defaults(handler=get_value)

    set_ = actions.add_parser(
        'set',
        parents=parents,
        help='store a value',
        description='Store VALUE in KEY, byte for byte. A VALUE of "-" reads the value from stdin.',
    )
    set_.add_argument('key', type=numbers.name, metavar='KEY')
    set_.add_argument('value', metavar='VALUE')
    set_.add_argument(
        '--flags',
        type=numbers.flags,
        default=0,
        metavar='N',
        help='the flags stored with the value',
    )
    set_.set_defaults(handler=set_value)

    rm = actions.add_parser(
        'rm',
        parents=parents,
        help='delete a key',
        description='Delete KEY; a missing key is an error. With -r, delete every key that '
        'starts with KEY (give "app/" to spare "application").',
    )
    rm.add_argument('key', type=numbers.name, metavar='KEY')
    rm.add_argument(
        '-r', '--recurse', action='store_true', help='delete every key that starts with KEY'
    )
    rm.set_defaults(handler=remove)

    mkdir = actions.add_parser(
        'mkdir',
        parents=parents,
        help='create a "directory" key',
        description='Create the empty key PATH/ (a "directory" in the Consul UI).',
    )
    mkdir.add_argument('path', type=numbers.name, metavar='PATH')
    mkdir.set_defaults(handler=make_directory)


def list_keys(consul: Consul, args: argparse.Namespace) -> int:
    """``kv ls``: the keys under a prefix (``GET /v1/kv/:prefix?recurse``)."""
    records = sorted(formats.read_entries(consul, args.prefix or None), key=lambda r: r[0])
    lines = [f'{len(value):>14} {key}' if args.long else key for key, _flags, value in records]
    write_stdout(''.join(f'{line}\n' for line in lines).encode('utf-8'))
    if not records:
        hints.acl_filter_hint(consul, args)
    return 0


def get_value(consul: Consul, args: argparse.Namespace) -> int:
    """``kv get``: one value, or with ``-r`` every key and value under a prefix."""
    if args.recurse:
        records = formats.read_entries(consul, args.key)
        if not records:
            hints.acl_filter_hint(consul, args)
            raise CliError(f'no key starts with {args.key!r}')
        lines = [
            trim_key(key, args.trim).encode('utf-8') + b'\t' + value + b'\n'
            for key, _flags, value in records
        ]
        write_stdout(b''.join(lines))
        return 0
    value = cast('bytes | None', consul.kv.get(args.key, raw=True))
    if value is None:
        raise CliError(f'no key {args.key!r}')
    if sys.stdout.isatty() and not value.endswith(b'\n'):
        value += b'\n'
    write_stdout(value)
    return 0


def set_value(consul: Consul, args: argparse.Namespace) -> int:
    """``kv set``: store the bytes of VALUE, or of stdin (``PUT /v1/kv/:key?flags=``)."""
    data = sys.stdin.buffer.read() if args.value == '-' else os.fsencode(args.value)
    consul.kv.set_record(args.key, args.flags, data, exact_key=True)
    return 0


def remove(consul: Consul, args: argparse.Namespace) -> int:
    """``kv rm``: delete one key (an error if it is missing), or with ``-r`` a prefix."""
    if args.recurse:
        if not args.key.strip('/'):
            raise CliError('refusing to delete every key in Consul: give a prefix', EXIT_USAGE)
        consul.kv.delete(args.key, recurse=True)
        return 0
    try:
        consul.kv.delete(args.key, must_exist=True)
    except exceptions.KeyNotFound:
        raise CliError(f'no key {args.key!r}') from None
    return 0


def make_directory(consul: Consul, args: argparse.Namespace) -> int:
    """``kv mkdir``: store an empty value in ``PATH/``."""
    path: str = args.path if args.path.endswith('/') else f'{args.path}/'
    consul.kv.set(path, b'')
    return 0


def trim_key(key: str, segments: int) -> str:
    """Drop the first ``segments`` path segments of ``key``; keep at least its last one.

    A "directory" key keeps its trailing ``/``: ``trim_key('a/b/c/', 1) == 'b/c/'``.
    """
    if segments <= 0:
        return key
    directory = key.endswith('/') and len(key) > 1
    parts = (key[:-1] if directory else key).split('/')
    kept = '/'.join(parts[segments:]) if segments < len(parts) else parts[-1]
    return f'{kept}/' if directory else kept
