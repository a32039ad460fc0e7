"""``consulate kv ls|get|set|rm|mkdir`` against a real agent."""

from __future__ import annotations

import subprocess
import sys

import consulate
from consulate.testing import ConsulAgent
from tests.cli.conftest import Runner, assert_failed, cli_env

BINARY = bytes(range(256)) * 4


def test_set_stores_the_argument_bytes(cli: Runner, consul: consulate.Consul, prefix: str) -> None:
    result = cli('kv', 'set', f'{prefix}/u', 'I like ✈ "quoted" {not json}')
    assert result.returncode == 0, result.stderr
    assert result.stdout == b''
    assert consul.kv.get(f'{prefix}/u', raw=True) == 'I like ✈ "quoted" {not json}'.encode()


def test_set_keeps_a_trailing_slash(cli: Runner, consul: consulate.Consul, prefix: str) -> None:
    result = cli('kv', 'set', f'{prefix}/dir/', 'v')
    assert result.returncode == 0, result.stderr
    assert consul.kv.find(prefix) == {f'{prefix}/dir/': 'v'}


def test_set_keeps_argument_bytes_that_are_not_utf8(
    consul_agent: ConsulAgent, consul: consulate.Consul, prefix: str
) -> None:
    command = [
        sys.executable.encode(),
        b'-m',
        b'consulate',
        b'kv',
        b'set',
        f'{prefix}/raw'.encode(),
    ]
    result = subprocess.run(
        [*command, b'caf\xe9 \xff'],
        env=cli_env(consul_agent.http_addr),
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert consul.kv.get(f'{prefix}/raw', raw=True) == b'caf\xe9 \xff'


def test_set_dash_reads_binary_stdin(cli: Runner, consul: consulate.Consul, prefix: str) -> None:
    result = cli('kv', 'set', f'{prefix}/bin', '-', input=BINARY)
    assert result.returncode == 0, result.stderr
    assert consul.kv.get(f'{prefix}/bin', raw=True) == BINARY


def test_set_with_flags(cli: Runner, consul: consulate.Consul, prefix: str) -> None:
    assert cli('kv', 'set', '--flags', '42', f'{prefix}/f', 'v').returncode == 0
    assert consul.kv.records(f'{prefix}/f', raw=True) == [(f'{prefix}/f', 42, b'v')]


def test_set_over_the_size_limit_fails_and_keeps_the_old_value(
    cli: Runner, consul: consulate.Consul, prefix: str
) -> None:
    consul.kv.set(f'{prefix}/big', b'old')
    result = cli('kv', 'set', f'{prefix}/big', '-', input=b'x' * (512 * 1024 + 1))
    assert_failed(result, 1, '413')
    assert consul.kv.get(f'{prefix}/big', raw=True) == b'old'


def test_get_writes_the_exact_bytes(cli: Runner, consul: consulate.Consul, prefix: str) -> None:
    consul.kv.set(f'{prefix}/bin', BINARY)
    consul.kv.set(f'{prefix}/json', '{"a": 1}')
    consul.kv.set(f'{prefix}/empty', b'')
    assert cli('kv', 'get', f'{prefix}/bin').stdout == BINARY
    assert cli('kv', 'get', f'{prefix}/json').stdout == b'{"a": 1}'
    empty = cli('kv', 'get', f'{prefix}/empty')
    assert (empty.returncode, empty.stdout) == (0, b'')


def test_get_missing_key_fails(cli: Runner, prefix: str) -> None:
    result = cli('kv', 'get', f'{prefix}/missing')
    assert result.stdout == b''
    assert_failed(result, 1, 'no key', f'{prefix}/missing')


def test_get_recurse_and_trim(cli: Runner, consul: consulate.Consul, prefix: str) -> None:
    consul.kv.set(f'{prefix}/a/b', 'one')
    consul.kv.set(f'{prefix}/a/c/', b'')
    consul.kv.set(f'{prefix}/z', b'\xff')
    result = cli('kv', 'get', '-r', f'{prefix}/')
    assert result.stdout == (
        f'{prefix}/a/b\tone\n{prefix}/a/c/\t\n{prefix}/z\t'.encode() + b'\xff\n'
    )
    trimmed = cli('kv', 'get', '-r', '-t', '2', f'{prefix}/')
    assert trimmed.stdout == b'b\tone\nc/\t\nz\t\xff\n'
    assert_failed(cli('kv', 'get', '-r', f'{prefix}/none/'), 1, 'no key starts with')


def test_ls_lists_keys_under_a_prefix(cli: Runner, consul: consulate.Consul, prefix: str) -> None:
    consul.kv.set(f'{prefix}/b', 'four')
    consul.kv.set(f'{prefix}/a', BINARY)
    consul.kv.set(f'{prefix}/d/', None)
    result = cli('kv', 'ls', prefix)
    assert result.returncode == 0
    assert result.stdout.decode().splitlines() == [f'{prefix}/a', f'{prefix}/b', f'{prefix}/d/']
    long = cli('kv', 'ls', '-l', prefix).stdout.decode().splitlines()
    assert long == [
        f'{len(BINARY):>14} {prefix}/a',
        f'{4:>14} {prefix}/b',
        f'{0:>14} {prefix}/d/',
    ]
    assert cli('kv', 'ls', f'{prefix}/nothing').stdout == b''


def test_rm_deletes_a_key_and_fails_for_a_missing_one(
    cli: Runner, consul: consulate.Consul, prefix: str
) -> None:
    consul.kv.set(f'{prefix}/a', 'x')
    consul.kv.set(f'{prefix}/ab', 'y')
    assert cli('kv', 'rm', f'{prefix}/a').returncode == 0
    assert f'{prefix}/a' not in consul.kv
    assert f'{prefix}/ab' in consul.kv
    assert_failed(cli('kv', 'rm', f'{prefix}/a'), 1, 'no key')


def test_rm_recurse(cli: Runner, consul: consulate.Consul, prefix: str) -> None:
    for key in ('d/1', 'd/2/3', 'dx'):
        consul.kv.set(f'{prefix}/{key}', 'v')
    assert cli('kv', 'rm', '-r', f'{prefix}/d/').returncode == 0
    assert [key for key, _, _ in consul.kv.records(prefix)] == [f'{prefix}/dx']
    assert_failed(cli('kv', 'rm', '-r', '/'), 2, 'every key')
    assert f'{prefix}/dx' in consul.kv


def test_mkdir_creates_an_empty_directory_key(
    cli: Runner, consul: consulate.Consul, prefix: str
) -> None:
    assert cli('kv', 'mkdir', f'{prefix}/dir').returncode == 0
    assert cli('kv', 'mkdir', f'{prefix}/other/').returncode == 0
    assert consul.kv.records(prefix, raw=True) == [
        (f'{prefix}/dir/', 0, b''),
        (f'{prefix}/other/', 0, b''),
    ]


def test_invalid_key_is_a_usage_error(cli: Runner) -> None:
    assert_failed(cli('kv', 'set', 'a//b', 'v'), 2, 'invalid KV key')
