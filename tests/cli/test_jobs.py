"""``consulate run_once`` and ``consulate lock`` against a real agent and the real ``consul lock``."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import consulate
from consulate.api.lock import LOCK_FLAGS
from consulate.testing import ConsulAgent
from tests.cli.conftest import Runner, assert_failed, cli_env, start_cli
from tests.support.polling import eventually

#: A command that prints its arguments, writes to stderr and exits with the status in $CODE.
ECHO_ARGS = [
    sys.executable,
    '-c',
    'import os, sys; print(sys.argv[1:]); sys.stderr.write("to stderr\\n"); '
    'sys.exit(int(os.environ.get("CODE", "0")))',
]


@pytest.fixture
def lock_name(consul: consulate.Consul, name: str) -> Iterator[str]:
    """A lock key unique to the test; it and its ``_last_run`` key are deleted afterwards."""
    yield name
    consul.kv.delete(name, recurse=True)


def lock_holder(consul: consulate.Consul, key: str) -> str | None:
    try:
        session: str | None = consul.kv.get_record(key).get('Session')
    except KeyError:
        return None
    return session


# -- run_once -------------------------------------------------------------------------------


def test_run_once_runs_the_whole_command_line(
    cli: Runner, consul: consulate.Consul, lock_name: str
) -> None:
    result = cli('run_once', lock_name, '--', *ECHO_ARGS, 'a', 'b c', '-i', '--', env={'CODE': '3'})
    assert result.returncode == 3
    assert result.stdout == b"['a', 'b c', '-i', '--']\n"
    assert result.stderr == b'to stderr\n'
    assert lock_name not in consul.kv
    assert f'{lock_name}_last_run' not in consul.kv


def test_run_once_without_dashes(cli: Runner, lock_name: str) -> None:
    result = cli('run_once', lock_name, 'echo', 'plain', 'words')
    assert (result.returncode, result.stdout) == (0, b'plain words\n')


def test_run_once_exits_2_when_the_lock_is_held(
    cli: Runner, consul: consulate.Consul, lock_name: str, tmp_path: Path
) -> None:
    marker = tmp_path / 'ran'
    consul.lock.prefix = ''
    with consul.lock.acquire(lock_name):
        result = cli('run_once', lock_name, '--', 'touch', str(marker))
    assert_failed(result, 2, 'another process holds the lock', lock_name)
    assert not marker.exists()
    assert cli('run_once', lock_name, '--', 'touch', str(marker)).returncode == 0
    assert marker.exists()


def test_run_once_interval(
    cli: Runner, consul: consulate.Consul, lock_name: str, tmp_path: Path
) -> None:
    last_run = f'{lock_name}_last_run'
    failed = cli('run_once', lock_name, '-i', '3600', '--', 'false')
    assert failed.returncode == 1
    assert last_run not in consul.kv  # only a successful run counts
    first = cli('run_once', lock_name, '-i', '3600', '--', 'echo', 'first')
    assert (first.returncode, first.stdout) == (0, b'first\n')
    assert abs(int(consul.kv.get(last_run, raw=True)) - time.time()) < 30
    second = cli('run_once', '-i', '3600', lock_name, '--', 'echo', 'second')
    assert (second.returncode, second.stdout) == (0, b'')
    assert b'not running' in second.stderr
    consul.kv.set(last_run, str(int(time.time()) - 120))
    third = cli('run_once', lock_name, '-i', '60', '--', 'echo', 'third')
    assert (third.returncode, third.stdout) == (0, b'third\n')


@pytest.mark.parametrize('interval', [[], ['-i', '3600']], ids=['overlapping', 'interval'])
def test_concurrent_run_once_runs_the_command_exactly_once(
    consul_agent: ConsulAgent, lock_name: str, tmp_path: Path, interval: list[str]
) -> None:
    log = tmp_path / 'runs.log'
    job = f'echo "$$" >> {log}; sleep 1.5'
    processes = [
        start_cli(
            'run_once', lock_name, *interval, '--', 'sh', '-c', job, addr=consul_agent.http_addr
        )
        for _ in range(6)
    ]
    codes = [process.wait(timeout=60) for process in processes]
    for process in processes:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        assert b'Traceback' not in process.stderr.read()
        process.stderr.close()
    assert len(log.read_text().splitlines()) == 1
    assert sorted(codes)[-1] == 2 and codes.count(0) >= 1
    if not interval:
        assert sorted(codes) == [0, 2, 2, 2, 2, 2]


def test_run_once_reports_a_missing_command(cli: Runner, lock_name: str) -> None:
    assert_failed(cli('run_once', lock_name, '--', 'no-such-command-here'), 127, 'cannot run')
    assert_failed(cli('run_once', lock_name), 2, 'no command to run')
    assert_failed(cli('run_once', lock_name, '-i', 'soon', '--', 'true'), 2, 'not a number')


# -- lock ---------------------------------------------------------------------------------------


def test_lock_holds_prefix_dot_lock_like_consul_lock(
    consul: consulate.Consul, consul_agent: ConsulAgent, lock_name: str, tmp_path: Path
) -> None:
    key = f'{lock_name}/.lock'
    out = tmp_path / 'env'
    process = start_cli(
        'lock',
        lock_name,
        '--',
        'sh',
        '-c',
        f'echo "$CONSUL_LOCK_HELD" > {out}; exec sleep 30',
        addr=consul_agent.http_addr,
    )
    try:
        eventually(lambda: out.exists() and out.read_text())
        record = consul.kv.get_record(key)
        assert record['Flags'] == LOCK_FLAGS
        assert record['Session'] and record['Value'] is None
        assert out.read_text() == 'true\n'
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 128 + signal.SIGTERM
    finally:
        process.kill()
        _, stderr = process.communicate()
    assert stderr == b'consulate: terminated\n'
    assert key not in consul.kv
    assert record['Session'] not in {s['ID'] for s in consul.session.list()}


def test_lock_waits_for_consul_lock_and_consul_lock_waits_for_it(
    cli: Runner,
    consul: consulate.Consul,
    consul_agent: ConsulAgent,
    consul_bin: str,
    lock_name: str,
) -> None:
    key = f'{lock_name}/.lock'
    theirs = subprocess.Popen(
        [consul_bin, 'lock', lock_name, 'sleep', '1.5'], env=cli_env(consul_agent.http_addr)
    )
    try:
        eventually(lambda: lock_holder(consul, key))
        assert_failed(cli('lock', '-t', '0.3', lock_name, '--', 'true'), 1, 'not free')
        started = time.monotonic()
        waited = cli('lock', lock_name, '--', 'echo', 'got it')
        assert (waited.returncode, waited.stdout) == (0, b'got it\n')
        assert theirs.wait(timeout=10) == 0
        assert time.monotonic() - started > 0.5
    finally:
        theirs.kill()
        theirs.wait()
    ours = start_cli('lock', lock_name, '--', 'sleep', '30', addr=consul_agent.http_addr)
    try:
        eventually(lambda: lock_holder(consul, key))
        refused = subprocess.run(
            [consul_bin, 'lock', '-timeout=300ms', lock_name, 'true'],
            env=cli_env(consul_agent.http_addr),
            capture_output=True,
            timeout=30,
            check=False,
        )
        assert refused.returncode != 0
    finally:
        ours.send_signal(signal.SIGTERM)
        ours.wait(timeout=10)
        ours.communicate()
    assert key not in consul.kv


def test_lock_stops_the_command_when_the_lock_is_lost(
    consul: consulate.Consul, consul_agent: ConsulAgent, lock_name: str
) -> None:
    key = f'{lock_name}/.lock'
    process = start_cli('lock', lock_name, '--', 'sleep', '30', addr=consul_agent.http_addr)
    try:
        eventually(lambda: lock_holder(consul, key))
        del consul.kv[key]
        assert process.wait(timeout=10) == 1
        _, stderr = process.communicate()
    finally:
        process.kill()
    assert b'consulate: lost the lock' in stderr


def test_lock_refuses_a_key_that_is_not_a_lock(
    cli: Runner, consul: consulate.Consul, lock_name: str
) -> None:
    consul.kv.set_record(f'{lock_name}/.lock', 16210313421097356768, '{"Limit":2,"Holders":{}}')
    assert_failed(cli('lock', lock_name, '--', 'true'), 1, 'not a lock')
    assert_failed(cli('lock', '/', '--', 'true'), 2, 'PREFIX')
