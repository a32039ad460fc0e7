"""The command itself: help, usage errors, exit codes, and reaching Consul as the consul CLI does."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import consulate
from consulate.testing import ConsulAgent, free_ports
from tests.cli.conftest import ROOT, Runner, assert_failed, cli_env, run_cli

SUBCOMMANDS = [
    ['kv'],
    ['kv', 'backup'],
    ['kv', 'restore'],
    ['kv', 'export'],
    ['kv', 'import'],
    ['kv', 'ls'],
    ['kv', 'get'],
    ['kv', 'set'],
    ['kv', 'rm'],
    ['kv', 'mkdir'],
    ['register'],
    ['register', 'x', 'check'],
    ['register', 'x', 'httpcheck'],
    ['register', 'x', 'ttl'],
    ['register', 'x', 'no-check'],
    ['deregister'],
    ['services'],
    ['run_once'],
    ['lock'],
]


@pytest.fixture
def key(consul: consulate.Consul, prefix: str) -> Iterator[str]:
    """A key holding ``value``."""
    consul.kv.set(f'{prefix}/k', 'value')
    yield f'{prefix}/k'


def dead_addr() -> str:
    return f'127.0.0.1:{free_ports(1)[0]}'


@pytest.mark.parametrize('words', SUBCOMMANDS, ids=' '.join)
def test_every_subcommand_has_help(words: list[str]) -> None:
    result = run_cli(*words, '--help', addr=None)
    assert result.returncode == 0
    usage = 'usage: consulate ' + ' '.join('NAME' if word == 'x' else word for word in words)
    assert result.stdout.decode().startswith(usage)


def test_top_level_help_lists_the_subcommands_and_the_environment() -> None:
    text = run_cli('--help', addr=None).stdout.decode()
    for name in (
        'kv',
        'register',
        'deregister',
        'services',
        'run_once',
        'lock',
        'CONSUL_HTTP_ADDR',
    ):
        assert name in text


def test_version() -> None:
    result = run_cli('--version', addr=None)
    assert result.stdout.decode() == f'consulate {consulate.__version__}\n'


def test_console_script_is_installed(consul_agent: ConsulAgent, key: str) -> None:
    script = Path(sys.executable).parent / 'consulate'
    if not script.exists():
        pytest.skip('the consulate script is not installed next to this interpreter')
    result = subprocess.run(
        [str(script), 'kv', 'get', key],
        capture_output=True,
        env=cli_env(consul_agent.http_addr),
        cwd=ROOT,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, b'value')


@pytest.mark.parametrize(
    ('args', 'fragment'),
    [
        ([], 'COMMAND'),
        (['kv'], 'ACTION'),
    ],
)
def test_missing_subcommand_prints_help_and_exits_2(args: list[str], fragment: str) -> None:
    result = run_cli(*args, addr=None)
    assert result.returncode == 2
    assert fragment in result.stderr.decode()
    assert result.stdout == b''


@pytest.mark.parametrize(
    ('args', 'fragment'),
    [
        (['nonsense'], 'invalid choice'),
        (['kv', 'get'], 'required'),
        (['kv', 'get', 'a', '-t', 'x'], 'not a whole number'),
        (['kv', 'set', 'a', 'b', '--flags', 'many'], 'not an integer'),
        (['register', 'x', 'ttl'], 'required'),
        (['register', 'x', '-p', 'port'], 'not a port number'),
        (['--api-port', '99999', 'services'], 'port'),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], fragment: str) -> None:
    assert_failed(run_cli(*args, addr=None), 2, fragment)


def test_unreachable_agent_exits_1(key: str) -> None:
    result = run_cli('kv', 'get', key, addr=dead_addr())
    assert_failed(result, 1, 'cannot reach Consul')


def test_invalid_address_exits_2() -> None:
    assert_failed(run_cli('kv', 'ls', addr='ftp://127.0.0.1:8500'), 2, 'ftp')


def test_unknown_datacenter_exits_1(cli: Runner, key: str) -> None:
    assert_failed(cli('--datacenter', 'nowhere', 'kv', 'get', key), 1, 'datacenter')


# -- reaching the agent ----------------------------------------------------------------------------


def test_address_forms(consul_agent: ConsulAgent, key: str) -> None:
    assert consul_agent.socket_path and consul_agent.ca_file
    forms = [
        (consul_agent.http_addr, {}),
        (f'http://{consul_agent.http_addr}', {}),
        (f'unix://{consul_agent.socket_path}', {}),
        (f'https://{consul_agent.https_addr}', {'CONSUL_CACERT': consul_agent.ca_file}),
        (
            consul_agent.https_addr,
            {'CONSUL_HTTP_SSL': 'true', 'CONSUL_CACERT': consul_agent.ca_file},
        ),
        (f'https://{consul_agent.https_addr}', {'CONSUL_HTTP_SSL_VERIFY': 'false'}),
    ]
    for addr, env in forms:
        result = run_cli('kv', 'get', key, addr=addr, env=env)
        assert (result.returncode, result.stdout) == (0, b'value'), (addr, env, result.stderr)


def test_unverified_certificate_exits_1(consul_agent: ConsulAgent, key: str) -> None:
    result = run_cli('kv', 'get', key, addr=f'https://{consul_agent.https_addr}')
    assert_failed(result, 1, 'TLS')


def test_options_override_the_environment(consul_agent: ConsulAgent, key: str) -> None:
    host, port = consul_agent.http_addr.split(':')
    variants = [
        ['--addr', consul_agent.http_addr, 'kv', 'get', key],
        ['kv', 'get', key, '--addr', f'http://{consul_agent.http_addr}'],
        ['--api-host', host, '--api-port', port, 'kv', 'get', key],
        ['--api-port', port, 'kv', 'get', key],
        ['--api-scheme', 'unix', '--api-host', str(consul_agent.socket_path), 'kv', 'get', key],
    ]
    for args in variants:
        result = run_cli(*args, addr=f'127.0.0.1:{free_ports(1)[0]}')
        assert (result.returncode, result.stdout) == (0, b'value'), (args, result.stderr)
    assert_failed(
        run_cli('--api-scheme', 'unix', 'kv', 'get', key, addr=consul_agent.http_addr),
        2,
        '--api-host',
    )


@pytest.fixture
def acl_key(acl_consul: consulate.Consul, prefix: str) -> Iterator[str]:
    acl_consul.kv.set(f'{prefix}/secret', 'classified')
    yield f'{prefix}/secret'
    acl_consul.kv.delete(prefix, recurse=True)


def test_tokens_from_the_environment_and_options(
    consul_acl_agent: ConsulAgent, acl_key: str, tmp_path: Path
) -> None:
    token = str(consul_acl_agent.master_token)
    addr = consul_acl_agent.http_addr
    bad = '00000000-0000-0000-0000-00000000dead'
    token_file = tmp_path / 'token'
    token_file.write_text(f'{token}\n')
    denied = run_cli('kv', 'get', acl_key, addr=addr)
    assert_failed(denied, 1, '403')
    granted = [
        ([], {'CONSUL_HTTP_TOKEN': token}),
        ([], {'CONSUL_HTTP_TOKEN_FILE': str(token_file)}),
        (['--token', token], {'CONSUL_HTTP_TOKEN': bad}),
        (['--token-file', str(token_file)], {'CONSUL_HTTP_TOKEN': bad}),
        (['--token', token], {'CONSUL_HTTP_TOKEN_FILE': str(tmp_path / 'missing')}),
    ]
    for options, env in granted:
        result = run_cli(*options, 'kv', 'get', acl_key, addr=addr, env=env)
        assert (result.returncode, result.stdout) == (0, b'classified'), (
            options,
            env,
            result.stderr,
        )
    wrong = run_cli('kv', 'get', acl_key, addr=addr, env={'CONSUL_HTTP_TOKEN': bad})
    assert_failed(wrong, 1, '403')
    assert bad not in wrong.stderr.decode()
    missing_file = {'CONSUL_HTTP_TOKEN_FILE': str(tmp_path / 'missing')}
    assert_failed(run_cli('kv', 'get', acl_key, addr=addr, env=missing_file), 2, 'token file')
