"""``consulate kv backup|restore|export|import``: whole KV trees, moved byte for byte.

Reads take one ``GET /v1/kv/:prefix?recurse`` and keep the exact stored
bytes. Writes go through ``PUT /v1/txn`` in batches of at most 64
operations and 512 KiB (:meth:`consulate.api.txn.Txn.execute_batches`);
every row of the input is checked before the first batch is sent.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from consulate import exceptions
from consulate.api import txn
from consulate.api.values import key_path
from consulate.cli import formats, hints
from consulate.cli.output import CliError, read_input, write_output, write_stdout
from consulate.cli.writer import write_operations
from consulate.client import Consul

__all__ = ['add_parsers']


def add_parsers(actions: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``backup``, ``restore``, ``export`` and ``import`` to the ``kv`` subcommands."""
    backup_parser = actions.add_parser(
        'backup',
        parents=parents,
        help='save keys to a JSON backup',
        description='Save every key under PREFIX (every key without one) as a JSON list of '
        '[key, flags, value], keys relative to PREFIX. The file is written whole or not at all.',
    )
    backup_parser.add_argument('prefix', nargs='?', default='', metavar='PREFIX')
    backup_parser.add_argument('-f', '--file', metavar='FILE', help='write here, not to stdout')
    backup_parser.add_argument(
        '-b', '--base64', action='store_true', help='store values as base64 (for binary values)'
    )
    backup_parser.add_argument('-p', '--pretty', action='store_true', help='indent the JSON')
    backup_parser.set_defaults(handler=backup)

    restore_parser = actions.add_parser(
        'restore',
        parents=parents,
        help='restore keys from a backup or an export',
        description='Write the keys of a backup (or of a "consul kv export" file) under '
        'PREFIX, through transactions of at most 64 keys and 512 KiB.',
    )
    restore_parser.add_argument('prefix', nargs='?', default='', metavar='PREFIX')
    restore_parser.add_argument('-f', '--file', metavar='FILE', help='read here, not from stdin')
    restore_parser.add_argument(
        '-b', '--base64', action='store_true', help='the backup was made with -b/--base64'
    )
    restore_parser.add_argument(
        '--text',
        action='store_true',
        help='store the values as written, even if they all look like base64 '
        '(without -b or --text, such a backup is refused)',
    )
    restore_parser.add_argument(
        '-n', '--no-replace', action='store_true', help='leave keys that already exist alone'
    )
    restore_parser.add_argument(
        '--prune', action='store_true', help='delete the keys under PREFIX that are not restored'
    )
    restore_parser.set_defaults(handler=restore)

    export_parser = actions.add_parser(
        'export',
        parents=parents,
        help='print keys as "consul kv export" does',
        description='Print every key that starts with PREFIX in the format of '
        '"consul kv export": a list of {"key", "flags", "value" (base64)}.',
    )
    export_parser.add_argument('prefix', nargs='?', default='', metavar='PREFIX')
    export_parser.set_defaults(handler=export)

    import_parser = actions.add_parser(
        'import',
        parents=parents,
        help='store keys from a "consul kv export" file',
        description='Store the keys of a "consul kv export" file, printing "Imported: KEY" '
        'for each. DATA is @FILE, - (stdin) or the JSON itself, as for "consul kv import".',
    )
    import_parser.add_argument('data', nargs='?', metavar='DATA')
    import_parser.add_argument('-f', '--file', metavar='FILE', help='read here, not from stdin')
    import_parser.set_defaults(handler=import_)


def backup(consul: Consul, args: argparse.Namespace) -> int:
    """``kv backup``: write the backup file (or stdout) in one step."""
    prefix = _prefix(args.prefix)
    entries: list[formats.Entry] = []
    origin: dict[str, str] = {}
    for key, flags, value in formats.read_entries(consul, prefix or None):
        relative = formats.relative_key(key, prefix)
        if relative is None:
            continue
        if relative in origin:
            raise CliError(
                f'{origin[relative]!r} and {key!r} would both be saved as {relative!r}: '
                f'give the prefix as {prefix.rstrip("/")}/ to leave {prefix.rstrip("/")!r} out'
            )
        origin[relative] = key
        entries.append((relative, flags, value))
    data = formats.dump_backup(entries, base64_values=args.base64, pretty=args.pretty)
    write_output(args.file, data)
    if not entries:
        hints.acl_filter_hint(consul, args)
    return 0


def restore(consul: Consul, args: argparse.Namespace) -> int:
    """``kv restore``: write every row under PREFIX; optionally skip existing keys, prune others."""
    prefix = _prefix(args.prefix)
    source = args.file or 'stdin'
    if args.base64 and args.text:
        raise CliError('give -b/--base64 or --text, not both', 2)
    rows = formats.load_rows(
        read_input(args.file), base64_values=args.base64, source=source, text=args.text
    )
    # A key listed twice is restored once, with its last row.
    targets = {_target_key(prefix, key, source): (flags, value) for key, flags, value in rows}
    entries = [(key, flags, value) for key, (flags, value) in targets.items()]
    existing: set[str] = set()
    if args.no_replace or args.prune:
        existing = set(consul.kv.keys())
    restored = set(targets)
    ops = [
        txn.kv_cas(key, value, 0, flags=flags)
        if args.no_replace
        else txn.kv_set(key, value, flags=flags)
        for key, flags, value in entries
        if not (args.no_replace and key in existing)
    ]
    if args.prune:
        stale = sorted(k for k in existing if formats.under_prefix(k, prefix) and k not in restored)
        ops.extend(txn.kv_delete(key) for key in stale)
    write_operations(consul, ops, 'restore')
    return 0


def export(consul: Consul, args: argparse.Namespace) -> int:
    """``kv export``: the keys that start with PREFIX, as ``consul kv export`` prints them."""
    prefix = args.prefix[1:] if args.prefix.startswith('/') else args.prefix
    records = formats.read_entries(consul, prefix or None)
    write_stdout(formats.dump_export(records))
    if not records:
        hints.acl_filter_hint(consul, args)
    return 0


def import_(consul: Consul, args: argparse.Namespace) -> int:
    """``kv import``: store every entry of an export file, then name each key stored."""
    data, source = _import_data(args)
    entries = formats.load_rows(data, base64_values=True, source=source)
    for key, _flags, _value in entries:
        _check_key(key, source)
    ops = [txn.kv_set(key, value, flags=flags) for key, flags, value in entries]

    def imported(names: Sequence[str]) -> None:
        write_stdout(''.join(f'Imported: {name}\n' for name in names).encode('utf-8'))

    write_operations(consul, ops, 'import', on_written=imported)
    return 0


def _prefix(prefix: str) -> str:
    """A PREFIX argument as keys are stored: no leading ``/``; ``''`` for the whole store."""
    prefix = prefix[1:] if prefix.startswith('/') else prefix
    return key_path(prefix) if prefix else ''


def _target_key(prefix: str, key: str, source: str) -> str:
    full = formats.join_key(prefix, key)
    if not full:
        raise CliError(
            f'{source} holds an entry with an empty key: give a PREFIX to restore it under'
        )
    return _check_key(full, source)


def _check_key(key: str, source: str) -> str:
    try:
        return key_path(key)
    except exceptions.ValidationError as exc:
        raise CliError(f'{source}: {exc}') from None


def _import_data(args: argparse.Namespace) -> tuple[bytes, str]:
    """The import's JSON and where it came from: DATA (``@file``, ``-``, JSON) or ``-f``."""
    data: str | None = args.data
    if data is None or data == '-':
        return read_input(args.file), args.file or 'stdin'
    if args.file:
        raise CliError('give the data either as DATA or with -f, not both', 2)
    if data.startswith('@'):
        return read_input(data[1:]), data[1:]
    return data.encode('utf-8'), 'DATA'
