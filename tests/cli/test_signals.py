"""Ending a long-running command with a signal: real signals to a real ``consulate`` process.

Every long-running subcommand ends the same way: the command it runs is
stopped, its locks are released, and it prints ``consulate: interrupted``
(exit 130) for SIGINT, ``consulate: terminated`` (exit 143) for SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import consulate
from consulate.testing import ConsulAgent
from tests.cli.conftest import ROOT, cli_env, start_cli
from tests.support.polling import eventually
from tests.support.proxy import RecordingProxy


@pytest.fixture
def lock_name(consul: consulate.Consul, name: str) -> Iterator[str]:
    yield name
    consul.kv.delete(name, recurse=True)


def holder(consul: consulate.Consul, key: str) -> str | None:
    try:
        session: str | None = consul.kv.get_record(key).get('Session')
    except KeyError:
        return None
    return session


def sessions(consul: consulate.Consul) -> set[str]:
    return {session['ID'] for session in consul.session.list()}


def running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its parent does not count)."""
    try:
        with open(f'/proc/{pid}/stat') as handle:
            return handle.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def finish(process: subprocess.Popen[bytes], timeout: float = 30) -> tuple[int, str]:
    """Wait for ``process``; its exit status and stderr."""
    try:
        _, stderr = process.communicate(timeout=timeout)
    finally:
        process.kill()
        process.communicate()
    return process.returncode, stderr.decode()


@pytest.mark.parametrize(
    ('signum', 'code', 'message'),
    [(signal.SIGINT, 130, 'interrupted'), (signal.SIGTERM, 143, 'terminated')],
    ids=['SIGINT', 'SIGTERM'],
)
def test_run_once_stops_its_command_and_frees_the_lock(
    consul: consulate.Consul,
    consul_agent: ConsulAgent,
    lock_name: str,
    tmp_path: Path,
    signum: int,
    code: int,
    message: str,
) -> None:
    pids = tmp_path / 'pids'
    # The shell starts a process of its own: it must be stopped too.
    job = f'sleep 30 & echo "$$ $!" > {pids}.tmp; mv {pids}.tmp {pids}; wait'
    process = start_cli('run_once', lock_name, '--', 'sh', '-c', job, addr=consul_agent.http_addr)
    eventually(pids.exists, 20)
    session = holder(consul, lock_name)
    assert session is not None
    shell, grandchild = (int(pid) for pid in pids.read_text().split())
    process.send_signal(signum)
    status, stderr = finish(process)
    assert status == code, stderr
    assert stderr == f'consulate: {message}\n'
    assert lock_name not in consul.kv
    assert session not in sessions(consul)
    eventually(lambda: not running(shell) and not running(grandchild), 20)


def test_lock_stops_its_command_on_sigint(
    consul: consulate.Consul, consul_agent: ConsulAgent, lock_name: str
) -> None:
    key = f'{lock_name}/.lock'
    process = start_cli('lock', lock_name, '--', 'sleep', '30', addr=consul_agent.http_addr)
    eventually(lambda: holder(consul, key), 20)
    session = holder(consul, key)
    process.send_signal(signal.SIGINT)
    status, stderr = finish(process)
    assert (status, stderr) == (130, 'consulate: interrupted\n')
    assert key not in consul.kv
    assert session not in sessions(consul)


def test_lock_waiting_for_the_lock_is_interrupted_without_leaving_a_session(
    consul: consulate.Consul, consul_agent: ConsulAgent, lock_name: str
) -> None:
    key = f'{lock_name}/.lock'
    first = start_cli('lock', lock_name, '--', 'sleep', '30', addr=consul_agent.http_addr)
    second = None
    try:
        eventually(lambda: holder(consul, key), 20)
        ours = holder(consul, key)
        before = sessions(consul)
        second = start_cli('lock', lock_name, '--', 'true', addr=consul_agent.http_addr)
        # The waiter has made its session once there is one more.
        eventually(lambda: len(sessions(consul) - before) == 1, 20)
        second.send_signal(signal.SIGINT)
        status, stderr = finish(second)
        assert (status, stderr) == (130, 'consulate: interrupted\n')
        assert sessions(consul) == before
        assert holder(consul, key) == ours
    finally:
        first.send_signal(signal.SIGTERM)
        assert finish(first)[0] == 143
        if second is not None:
            finish(second)
    assert key not in consul.kv


def test_a_command_that_ignores_sigterm_is_killed_after_the_grace_period(
    consul: consulate.Consul, consul_agent: ConsulAgent, lock_name: str, tmp_path: Path
) -> None:
    ready = tmp_path / 'ready'
    script = f'trap "" TERM; touch {ready}; sleep 10 & wait; wait'
    process = start_cli('lock', lock_name, '--', 'sh', '-c', script, addr=consul_agent.http_addr)
    eventually(ready.exists, 20)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    status, stderr = finish(process)
    assert (status, stderr) == (143, 'consulate: terminated\n')
    assert 4.5 < time.monotonic() - started < 20
    assert f'{lock_name}/.lock' not in consul.kv


def test_ctrl_c_at_a_terminal(
    consul: consulate.Consul, consul_agent: ConsulAgent, lock_name: str, tmp_path: Path
) -> None:
    """Ctrl-C typed at the terminal reaches consulate and the command: one message, 130."""
    pty = pytest.importorskip('pty')
    ready = tmp_path / 'ready'
    master, slave = pty.openpty()
    slave_name = os.ttyname(slave)

    def take_the_terminal() -> None:  # runs in the child, after setsid()
        os.close(os.open(slave_name, os.O_RDWR))

    process = subprocess.Popen(
        [
            sys.executable,
            '-m',
            'consulate',
            'run_once',
            lock_name,
            '--',
            'sh',
            '-c',
            f'touch {ready}; exec sleep 30',
        ],
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=cli_env(consul_agent.http_addr),
        cwd=ROOT,
        start_new_session=True,
        preexec_fn=take_the_terminal,
    )
    os.close(slave)
    try:
        eventually(ready.exists, 20)
        os.write(master, b'\x03')  # the terminal's interrupt character
        status, stderr = finish(process)
    finally:
        os.close(master)
    assert (status, stderr) == (130, 'consulate: interrupted\n')
    assert lock_name not in consul.kv


def test_restore_interrupted_says_how_far_it_got(fresh_agent: ConsulAgent, tmp_path: Path) -> None:
    rows = [[f'slow/{number:04d}', 0, 'v' * 2000] for number in range(2000)]
    backup = tmp_path / 'kv.json'
    backup.write_text(json.dumps(rows))
    with RecordingProxy(fresh_agent.http_addr, delay=0.3) as proxy:
        process = subprocess.Popen(
            [sys.executable, '-m', 'consulate', 'kv', 'restore', '-f', str(backup)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=cli_env(proxy.addr),
        )
        eventually(lambda: len(proxy.seen) >= 2, 20)
        process.send_signal(signal.SIGINT)
        status, stderr = finish(process)
    with fresh_agent.client() as client:
        written = len(client.kv.records('slow/', raw=True))
        client.kv.delete('slow/', recurse=True)
    assert status == 130, stderr
    assert stderr.startswith('consulate: interrupted: restore stopped after '), stderr
    reported = int(stderr.split('after ')[1].split(' of ')[0])
    assert ' of 2000 keys were written' in stderr
    # The batch in flight may have been applied after all.
    assert reported <= written < 2000
