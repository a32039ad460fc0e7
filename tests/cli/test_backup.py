"""``consulate kv backup|restore|export|import``: byte-exact round trips against real agents."""

from __future__ import annotations

import base64
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

import consulate
from consulate.api import txn
from consulate.testing import ConsulAgent
from tests.cli.conftest import Runner, assert_failed, cli_env, run_cli

MAX_VALUE = 512 * 1024

#: Every kind of value a KV store holds, with its flags.
ENTRIES: list[tuple[str, int, bytes]] = [
    ('text', 0, b'hello'),
    ('unicode/✈ ünï', 7, 'I like ✈ — ünïcødé 🚀'.encode()),
    ('empty', 0, b''),
    ('dir/', 0, b''),
    ('json', 1, b'{"a": [1, 2], "b": null}'),
    ('json-looking', 0, b'123'),
    ('binary', 2**64 - 1, bytes(range(256)) * 3),
    ('nul', 0, b'\x00'),
    ('odd key ?#%&<>"', 3, b'odd'),
    ('trailing-newline', 0, b'line\n'),
    ('vault/core/keyring', 0, os.urandom(4096)),
    ('big/binary', 0, os.urandom(MAX_VALUE)),
    ('big/text', 0, b'a' * MAX_VALUE),
    ('mid/binary', 9, os.urandom(300_000)),
]


def _is_text(value: bytes) -> bool:
    try:
        value.decode('utf-8')
    except UnicodeDecodeError:
        return False
    return True


TEXT_ENTRIES = [entry for entry in ENTRIES if _is_text(entry[2])]


def seed(consul: consulate.Consul, entries: list[tuple[str, int, bytes]], prefix: str = '') -> None:
    """Store ``entries`` (a plain PUT each: the largest do not fit a transaction)."""
    for key, flags, value in entries:
        assert consul.kv.set_record(f'{prefix}{key}', flags, value)


def stored(consul: consulate.Consul, prefix: str = '') -> list[tuple[str, int, bytes]]:
    """Every entry under ``prefix`` (keys made relative to it), values as exact bytes."""
    return [
        (key[len(prefix) :], flags, value)
        for key, flags, value in consul.kv.records(prefix or None, raw=True)
    ]


def expected(entries: list[tuple[str, int, bytes]]) -> list[tuple[str, int, bytes]]:
    return sorted(entries)


def fresh_cli(
    agent: ConsulAgent, *args: str, **kwargs: object
) -> subprocess.CompletedProcess[bytes]:
    return run_cli(*args, addr=agent.http_addr, **kwargs)  # type: ignore[arg-type]


# -- the whole store, into an empty agent --------------------------------------------------


@pytest.mark.parametrize(
    ('dump', 'load'),
    [
        (['kv', 'backup', '-b'], ['kv', 'restore', '-b']),
        (['kv', 'backup', '-b', '-p'], ['kv', 'restore', '-b']),
        (['kv', 'export'], ['kv', 'restore']),
        (['kv', 'export'], ['kv', 'import', '-f']),
    ],
    ids=['backup-b', 'backup-b-pretty', 'export-restore', 'export-import'],
)
def test_round_trip_of_the_whole_store_is_byte_exact(
    fresh_agent: ConsulAgent,
    fresh: consulate.Consul,
    tmp_path: Path,
    dump: list[str],
    load: list[str],
) -> None:
    seed(fresh, ENTRIES)
    before = stored(fresh)
    assert before == expected(ENTRIES)
    path = tmp_path / 'kv.json'
    if dump[1] == 'backup':
        result = fresh_cli(fresh_agent, *dump, '-f', str(path))
        assert (result.returncode, result.stdout) == (0, b'')
    else:
        result = fresh_cli(fresh_agent, *dump)
        assert result.returncode == 0
        path.write_bytes(result.stdout)
    fresh.kv.delete('', recurse=True)
    assert stored(fresh) == []
    if load[-1] == '-f':
        result = fresh_cli(fresh_agent, *load, str(path))
    else:
        result = fresh_cli(fresh_agent, *load, '-f', str(path))
    assert result.returncode == 0, result.stderr
    assert stored(fresh) == before


def test_text_backup_round_trip_without_base64(
    fresh_agent: ConsulAgent, fresh: consulate.Consul, tmp_path: Path
) -> None:
    seed(fresh, TEXT_ENTRIES)
    path = tmp_path / 'kv.json'
    assert fresh_cli(fresh_agent, 'kv', 'backup', '-f', str(path)).returncode == 0
    rows = json.loads(path.read_bytes())
    assert ['empty', 0, ''] in rows
    assert ['unicode/✈ ünï', 7, 'I like ✈ — ünïcødé 🚀'] in rows
    fresh.kv.delete('', recurse=True)
    assert fresh_cli(fresh_agent, 'kv', 'restore', '-f', str(path)).returncode == 0
    assert stored(fresh) == expected(TEXT_ENTRIES)


def test_five_thousand_keys_round_trip(
    fresh_agent: ConsulAgent, fresh: consulate.Consul, tmp_path: Path
) -> None:
    entries = [
        (f'many/{n:05d}', n, os.urandom(n % 50) if n % 3 else f'value {n} ✈'.encode())
        for n in range(5000)
    ]
    fresh.txn.execute_batches([txn.kv_set(k, v, flags=f) for k, f, v in entries])
    path = tmp_path / 'many.json'
    assert fresh_cli(fresh_agent, 'kv', 'backup', '-b', 'many', '-f', str(path)).returncode == 0
    assert len(json.loads(path.read_bytes())) == 5000
    fresh.kv.delete('', recurse=True)
    result = fresh_cli(fresh_agent, 'kv', 'restore', '-b', 'copy', '-f', str(path))
    assert (result.returncode, result.stdout, result.stderr) == (0, b'', b'')
    assert stored(fresh, 'copy/') == [(k[len('many/') :], f, v) for k, f, v in entries]


# -- backup -----------------------------------------------------------------------------------


def test_backup_format_with_a_prefix(cli: Runner, consul: consulate.Consul, prefix: str) -> None:
    seed(consul, [('', 0, b'root'), ('/a', 5, b'x'), ('/b/c', 0, b''), ('x', 0, b'no')], prefix)
    result = cli('kv', 'backup', prefix)
    assert result.returncode == 0
    assert result.stdout == b'[["", 0, "root"], ["a", 5, "x"], ["b/c", 0, ""]]\n'
    encoded = cli('kv', 'backup', '-b', f'{prefix}/').stdout
    assert json.loads(encoded) == [['a', 5, 'eA=='], ['b/c', 0, '']]


def test_binary_value_without_base64_names_the_key_and_writes_nothing(
    cli: Runner, consul: consulate.Consul, prefix: str, tmp_path: Path
) -> None:
    seed(consul, [('/ok', 0, b'fine'), ('/bin', 0, b'\xff\xfe')], prefix)
    path = tmp_path / 'backup.json'
    path.write_bytes(b'previous backup')
    result = cli('kv', 'backup', prefix, '-f', str(path))
    assert_failed(result, 1, "'bin'", '-b')
    assert path.read_bytes() == b'previous backup'
    assert sorted(os.listdir(tmp_path)) == ['backup.json']
    missing = tmp_path / 'new.json'
    assert_failed(cli('kv', 'backup', prefix, '-f', str(missing)), 1, '-b')
    assert not missing.exists()
    assert cli('kv', 'backup', prefix).stdout == b''


def test_backup_to_an_unwritable_place_fails_cleanly(cli: Runner, prefix: str) -> None:
    assert_failed(cli('kv', 'backup', prefix, '-f', '/nonexistent/dir/kv.json'), 1, 'cannot write')


# -- restore ------------------------------------------------------------------------------------


def test_restore_under_another_prefix(cli: Runner, consul: consulate.Consul, prefix: str) -> None:
    seed(consul, [('/src', 0, b'root'), ('/src/a', 3, b'\x00\xff'), ('/src/d/', 0, b'')], prefix)
    backup = cli('kv', 'backup', '-b', f'{prefix}/src').stdout
    result = cli('kv', 'restore', '-b', f'{prefix}/dst', input=backup)
    assert result.returncode == 0, result.stderr
    assert stored(consul, f'{prefix}/dst') == [
        ('', 0, b'root'),
        ('/a', 3, b'\x00\xff'),
        ('/d/', 0, b''),
    ]


def test_restore_reads_null_values_of_older_backups(
    cli: Runner, consul: consulate.Consul, prefix: str
) -> None:
    data = json.dumps([['a', 0, None], ['b', 0, 'text']]).encode()
    assert cli('kv', 'restore', prefix, input=data).returncode == 0
    assert stored(consul, f'{prefix}/') == [('a', 0, b''), ('b', 0, b'text')]


def test_restore_no_replace_keeps_existing_keys(
    cli: Runner, consul: consulate.Consul, prefix: str
) -> None:
    seed(consul, [('/a', 0, b'kept')], prefix)
    data = json.dumps([['a', 1, 'new'], ['b', 2, 'added']]).encode()
    assert cli('kv', 'restore', '-n', prefix, input=data).returncode == 0
    assert stored(consul, f'{prefix}/') == [('a', 0, b'kept'), ('b', 2, b'added')]
    assert cli('kv', 'restore', prefix, input=data).returncode == 0
    assert stored(consul, f'{prefix}/') == [('a', 1, b'new'), ('b', 2, b'added')]
    twice = json.dumps([['c', 0, 'first'], ['c', 5, 'last']]).encode()
    assert cli('kv', 'restore', '-n', prefix, input=twice).returncode == 0
    assert consul.kv.records(f'{prefix}/c', raw=True) == [(f'{prefix}/c', 5, b'last')]


def test_restore_prune_deletes_only_keys_under_the_prefix(
    cli: Runner, consul: consulate.Consul, prefix: str
) -> None:
    seed(consul, [('/t/a', 0, b'old'), ('/t/stale', 0, b'x'), ('/t2', 0, b'outside')], prefix)
    data = json.dumps([['a', 0, 'new'], ['b', 0, 'added']]).encode()
    assert cli('kv', 'restore', '--prune', f'{prefix}/t', input=data).returncode == 0
    assert stored(consul, f'{prefix}/') == [
        ('t/a', 0, b'new'),
        ('t/b', 0, b'added'),
        ('t2', 0, b'outside'),
    ]


def test_restore_of_a_base64_backup_without_b_is_refused_before_writing(
    cli: Runner, consul: consulate.Consul, prefix: str
) -> None:
    data = json.dumps([['a', 0, 'aGVsbG8='], ['b', 0, '%%%']]).encode()
    assert_failed(cli('kv', 'restore', '-b', prefix, input=data), 1, "'b'", 'base64')
    assert stored(consul, f'{prefix}/') == []


@pytest.mark.parametrize(
    ('data', 'message'),
    [
        (b'{not json', 'not JSON'),
        (b'{"a": 1}', 'not a JSON list'),
        (b'[["a", 0]]', 'entry 0'),
        (b'[["a", -1, "v"]]', 'flags'),
        (b'[["a", 0, 5]]', 'not a string'),
        (b'[["", 0, "v"]]', 'empty key'),
        (b'[["ok", 0, "v"], ["a//b", 0, "v"]]', 'invalid KV key'),
    ],
)
def test_restore_rejects_bad_files_before_writing(
    cli: Runner, consul: consulate.Consul, data: bytes, message: str
) -> None:
    before = consul.kv.keys()
    assert_failed(cli('kv', 'restore', input=data), 1, message)
    assert consul.kv.keys() == before


def test_restore_failure_names_the_key_and_the_count(
    consul_acl_agent: ConsulAgent, acl_consul: consulate.Consul, prefix: str
) -> None:
    policy = acl_consul.acl.create_policy(
        f'{prefix}-write', f'key_prefix "{prefix}/ok/" {{ policy = "write" }}'
    )
    token = acl_consul.acl.create_token(policies=[{'ID': policy['ID']}])
    rows = [[f'ok/{n:03d}', 0, 'v'] for n in range(70)] + [['denied', 0, 'v']]
    try:
        result = run_cli(
            'kv',
            'restore',
            prefix,
            addr=consul_acl_agent.http_addr,
            input=json.dumps(rows).encode(),
            env={'CONSUL_HTTP_TOKEN': token['SecretID']},
        )
        last = assert_failed(result, 1, 'restore failed', '64 of 71 keys were written')
        assert f'{prefix}/ok/064' in last or f'{prefix}/denied' in last
        assert len(acl_consul.kv.records(f'{prefix}/ok/')) == 64
        assert f'{prefix}/denied' not in acl_consul.kv
    finally:
        acl_consul.kv.delete(prefix, recurse=True)
        acl_consul.acl.delete_token(token['AccessorID'])
        acl_consul.acl.delete_policy(policy['ID'])


def test_restore_progress_bar_only_on_a_terminal(
    cli: Runner, consul: consulate.Consul, consul_agent: ConsulAgent, prefix: str
) -> None:
    rows = json.dumps([[f'{n}', 0, 'v'] for n in range(100)]).encode()
    result = cli('kv', 'restore', prefix, input=rows)
    assert (result.returncode, result.stderr) == (0, b'')
    main, terminal = pty.openpty()
    try:
        process = subprocess.run(
            [sys.executable, '-m', 'consulate', 'kv', 'restore', f'{prefix}/tty'],
            input=rows,
            stdout=subprocess.PIPE,
            stderr=terminal,
            env=cli_env(consul_agent.http_addr),
            timeout=60,
            check=False,
        )
        os.close(terminal)
        drawn = _read_all(main)
    finally:
        os.close(main)
    assert process.returncode == 0
    assert b'restore: [' in drawn
    assert drawn.rstrip().endswith(b'100/100')
    assert len(consul.kv.records(f'{prefix}/tty/')) == 100


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the terminal's other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b''.join(chunks)


# -- export and import, against the real consul CLI -----------------------------------------------


def _consul(consul_bin: str, agent: ConsulAgent, *args: str, input: bytes | None = None) -> bytes:
    result = subprocess.run(
        [consul_bin, *args],
        input=input,
        capture_output=True,
        env=cli_env(agent.http_addr),
        check=True,
    )
    return result.stdout


def test_export_is_byte_identical_to_consul_kv_export(
    cli: Runner, consul: consulate.Consul, consul_agent: ConsulAgent, consul_bin: str, prefix: str
) -> None:
    seed(consul, [(f'/{k}', f, v) for k, f, v in ENTRIES if not k.startswith('big')], prefix)
    ours = cli('kv', 'export', prefix)
    assert ours.returncode == 0
    assert ours.stdout == _consul(consul_bin, consul_agent, 'kv', 'export', prefix)
    assert cli('kv', 'export', f'{prefix}/nothing').stdout == b'[]\n'


def test_consul_kv_export_output_restores_and_imports(
    consul: consulate.Consul,
    consul_agent: ConsulAgent,
    fresh_agent: ConsulAgent,
    fresh: consulate.Consul,
    consul_bin: str,
    prefix: str,
) -> None:
    seed(consul, [(f'/{k}', f, v) for k, f, v in ENTRIES], prefix)
    exported = _consul(consul_bin, consul_agent, 'kv', 'export', prefix)
    result = fresh_cli(fresh_agent, 'kv', 'restore', input=exported)
    assert result.returncode == 0, result.stderr
    assert stored(fresh, f'{prefix}/') == expected(ENTRIES)
    fresh.kv.delete('', recurse=True)
    result = fresh_cli(fresh_agent, 'kv', 'import', '-', input=exported)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().splitlines() == [
        f'Imported: {prefix}/{k}' for k, _, _ in expected(ENTRIES)
    ]
    assert stored(fresh, f'{prefix}/') == expected(ENTRIES)


def test_consul_kv_import_reads_our_export(
    cli: Runner,
    consul: consulate.Consul,
    fresh_agent: ConsulAgent,
    fresh: consulate.Consul,
    consul_bin: str,
    prefix: str,
) -> None:
    entries = [(k, f, v) for k, f, v in ENTRIES if not k.startswith('big')]
    seed(consul, [(f'/{k}', f, v) for k, f, v in entries], prefix)
    exported = cli('kv', 'export', prefix).stdout
    _consul(consul_bin, fresh_agent, 'kv', 'import', '-', input=exported)
    assert stored(fresh, f'{prefix}/') == expected(entries)


def test_import_accepts_data_forms_and_rejects_bad_base64(
    cli: Runner, consul: consulate.Consul, prefix: str, tmp_path: Path
) -> None:
    value = base64.b64encode(b'\x00\x01').decode()
    data = json.dumps([{'key': f'{prefix}/a', 'flags': 4, 'value': value}, {'Key': f'{prefix}/b'}])
    path = tmp_path / 'export.json'
    path.write_text(data)
    for args in (
        ('kv', 'import', data),
        ('kv', 'import', f'@{path}'),
        ('kv', 'import', '-f', str(path)),
    ):
        consul.kv.delete(prefix, recurse=True)
        result = cli(*args)
        assert result.returncode == 0, result.stderr
        assert result.stdout == f'Imported: {prefix}/a\nImported: {prefix}/b\n'.encode()
        assert stored(consul, f'{prefix}/') == [('a', 4, b'\x00\x01'), ('b', 0, b'')]
    bad = json.dumps(
        [{'key': f'{prefix}/c', 'value': 'aGVsbG8='}, {'key': f'{prefix}/x1', 'value': '!'}]
    )
    assert_failed(cli('kv', 'import', bad), 1, 'x1', 'base64')
    assert f'{prefix}/c' not in consul.kv
