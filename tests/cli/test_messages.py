"""What a newcomer reads: refused numbers, usage errors, unreachable agents, ACL-filtered
listings and the environment in ``--help``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import consulate
from consulate.testing import ConsulAgent, free_ports
from tests.cli.conftest import Runner, assert_failed, run_cli
from tests.support.proxy import RecordingProxy

PACKAGE = Path(consulate.__file__).parent

#: Command lines with a number Consul cannot use, and the option the message must name.
REFUSED = [
    (['register', '{name}', 'ttl', '0'], 'DURATION'),
    (['register', '{name}', 'ttl', '0s'], 'DURATION'),
    (['register', '{name}', 'ttl', '-5s'], 'DURATION'),
    (['register', '{name}', 'ttl', '-10'], 'DURATION'),
    (['register', '{name}', 'httpcheck', '0', 'http://127.0.0.1:1/'], 'INTERVAL'),
    (['register', '{name}', 'check', '-1m', '/bin/true'], 'INTERVAL'),
    (['register', '{name}', '-p', '-1'], '-p/--port'),
    (['register', '{name}', '-p', '0', 'ttl', '10s'], '-p/--port'),
    (['register', '{name}', '-p', '65536'], '-p/--port'),
    (['services', '-i', '-3'], '-i/--indent'),
    (['kv', 'get', '-r', '-t', '-1', '{name}'], '-t/--trim'),
    (['kv', 'set', '--flags', '-1', '{name}', 'v'], '--flags'),
    (['kv', 'set', '--flags', str(2**64), '{name}', 'v'], '--flags'),
    (['run_once', '{name}', '-i', '0', '--', 'touch', '{marker}'], '-i/--interval'),
    (['run_once', '{name}', '-i', '-60', '--', 'touch', '{marker}'], '-i/--interval'),
    (['lock', '{name}', '-t', '0', '--', 'touch', '{marker}'], '-t/--timeout'),
    (['lock', '{name}', '-t', '-1', '--', 'touch', '{marker}'], '-t/--timeout'),
    (['--api-port', '0', 'kv', 'ls'], '--api-port'),
    (['kv', 'ls', '--api-port', '-1'], '--api-port'),
]


@pytest.mark.parametrize(('words', 'option'), REFUSED, ids=lambda value: ' '.join(value))
def test_a_number_consul_cannot_use_is_refused_before_anything_is_sent(
    consul_agent: ConsulAgent,
    consul: consulate.Consul,
    name: str,
    tmp_path: Path,
    words: list[str],
    option: str,
) -> None:
    marker = tmp_path / 'ran'
    args = [word.format(name=name, marker=marker) for word in words]
    with RecordingProxy(consul_agent.http_addr) as proxy:
        result = run_cli(*args, addr=proxy.addr)
    last = assert_failed(result, 2, f'argument {option}: ')
    assert re.search(r'must be|is 1 to|are 0 to', last), last
    assert proxy.seen == []
    assert name not in {service['Service'] for service in consul.agent.service_records()}
    assert name not in consul.kv
    assert not marker.exists()


# -- usage errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('words', 'usage', 'message'),
    [
        (['kv', 'ls', '--frobnicate'], 'consulate kv ls', 'kv ls: unrecognized arguments'),
        (['--frobnicate', 'kv', 'ls'], 'consulate kv ls', 'kv ls: unrecognized arguments'),
        (['kv', 'ls', 'a', 'b'], 'consulate kv ls', 'kv ls: unrecognized arguments: b'),
        (
            ['register', 'x', 'ttl', '5s', '-z'],
            'consulate register NAME ttl',
            'register NAME ttl: unrecognized arguments: -z',
        ),
        (
            ['run_once', 'x', '-z', '--', 'true'],
            'consulate run_once',
            'run_once: unrecognized arguments: -z',
        ),
        (['kv', 'get'], 'consulate kv get', 'kv get: the following arguments are required'),
        (['nonsense'], 'consulate [-h]', 'argument COMMAND: invalid choice'),
    ],
)
def test_usage_errors_show_the_usage_of_the_command_typed(
    words: list[str], usage: str, message: str
) -> None:
    result = run_cli(*words, addr=f'127.0.0.1:{free_ports(1)[0]}')
    last = assert_failed(result, 2, message)
    stderr = result.stderr.decode()
    assert stderr.startswith(f'usage: {usage}'), stderr
    assert last.startswith(f'consulate: {message}')
    assert 'consulate: consulate' not in stderr


# -- an agent out of reach ----------------------------------------------------------------------


def test_an_unreachable_agent_says_how_to_point_elsewhere() -> None:
    dead = f'127.0.0.1:{free_ports(1)[0]}'
    from_env = assert_failed(run_cli('kv', 'ls', addr=dead), 1, f'cannot reach Consul at {dead}')
    assert 'from CONSUL_HTTP_ADDR' in from_env
    assert '--addr' in from_env
    from_option = assert_failed(run_cli('--addr', dead, 'kv', 'ls', addr=None), 1, dead)
    assert 'from --addr' in from_option
    assert 'CONSUL_HTTP_ADDR' in from_option


def test_a_missing_socket_says_how_to_point_elsewhere(tmp_path: Path) -> None:
    socket = tmp_path / 'missing.sock'
    result = run_cli('kv', 'ls', addr=f'unix://{socket}')
    assert_failed(
        result, 1, f'cannot reach Consul at unix://{socket}', 'from CONSUL_HTTP_ADDR', '--addr'
    )


# -- listings filtered by ACLs ------------------------------------------------------------------

HINT = 'results may be filtered by ACLs'


@pytest.fixture
def hidden(acl_consul: consulate.Consul, prefix: str) -> Iterator[str]:
    """A prefix holding a key that only a token with rights can see."""
    acl_consul.kv.set(f'{prefix}/secret', 'classified')
    yield prefix
    acl_consul.kv.delete(prefix, recurse=True)


@pytest.mark.parametrize(
    'words',
    [['kv', 'ls', '{prefix}'], ['kv', 'export', '{prefix}'], ['kv', 'backup', '{prefix}']],
    ids=' '.join,
)
def test_an_empty_listing_without_a_token_under_acls_gives_a_hint(
    consul_acl_agent: ConsulAgent, hidden: str, words: list[str]
) -> None:
    args = [word.format(prefix=hidden) for word in words]
    result = run_cli(*args, addr=consul_acl_agent.http_addr)
    assert result.returncode == 0
    assert b'secret' not in result.stdout
    [line] = result.stderr.decode().splitlines()
    assert line.startswith('consulate: ') and HINT in line and '--token' in line
    granted = run_cli(
        *args, '--token', str(consul_acl_agent.master_token), addr=consul_acl_agent.http_addr
    )
    assert (granted.returncode, granted.stderr) == (0, b'')
    assert b'secret' in granted.stdout


def test_the_hint_also_comes_with_errors_and_services(
    consul_acl_agent: ConsulAgent, hidden: str
) -> None:
    addr = consul_acl_agent.http_addr
    recursive = run_cli('kv', 'get', '-r', f'{hidden}/', addr=addr)
    last = assert_failed(recursive, 1, 'no key starts with')
    assert HINT in recursive.stderr.decode().splitlines()[0]
    assert HINT not in last
    listing = run_cli('services', addr=addr)
    assert (listing.returncode, listing.stdout) == (0, b'[]\n')
    assert HINT in listing.stderr.decode()


def test_no_hint_with_a_token_or_without_acls(
    cli: Runner, consul_acl_agent: ConsulAgent, prefix: str
) -> None:
    empty = cli('kv', 'ls', f'{prefix}/nothing')
    assert (empty.returncode, empty.stdout, empty.stderr) == (0, b'', b'')
    token = str(consul_acl_agent.master_token)
    with RecordingProxy(consul_acl_agent.http_addr) as proxy:
        with_token = run_cli('--token', token, 'kv', 'ls', f'{prefix}/nothing', addr=proxy.addr)
    assert (with_token.returncode, with_token.stderr) == (0, b'')
    # An empty listing made with a token costs no second request.
    assert [seen.method for seen in proxy.seen] == ['GET']


# -- the environment ----------------------------------------------------------------------------


def variables_read_by_the_code() -> set[str]:
    """The environment variables named in consulate's own code (not its test helpers)."""
    found: set[str] = set()
    for path in PACKAGE.rglob('*.py'):
        if path.name in ('testing.py', 'pytest_plugin.py'):
            continue
        text = path.read_text(encoding='utf-8')
        found.update(re.findall(r"""['"](CONSUL_[A-Z_]+)['"]""", text))
        found.update(re.findall(r"""environ(?:\.get\(|\[)\s*['"]([A-Z_]+)['"]""", text))
        if "'_proxy'" in text or 'get_environ_proxies' in text:
            # Every *_proxy variable is read, as urllib reads them.
            found.update({'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY'})
    # Set for the command run_once and lock run, not read.
    found.discard('CONSUL_LOCK_HELD')
    return found


def test_help_lists_every_environment_variable_the_command_reads() -> None:
    text = ' '.join(run_cli('--help', addr=None).stdout.decode().split())
    listed = set(re.findall(r'\b[A-Z][A-Z_]*_[A-Z_]+\b', text.split('environment:', 1)[1]))
    read = variables_read_by_the_code()
    assert {'CONSUL_HTTP_ADDR', 'CONSUL_NAMESPACE', 'REQUESTS_CA_BUNDLE', 'NO_PROXY'} <= read
    assert read <= listed, read - listed
