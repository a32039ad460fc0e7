"""A new user's first hour: output files, a server that is not Consul, empty names and inputs.

Each test runs the command as a user would (a subprocess, a real agent),
except where the fault is a server that is not Consul, which
:class:`tests.support.webserver.NotConsul` plays.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import threading
from pathlib import Path

import pytest

import consulate
from consulate.testing import ConsulAgent
from tests.cli.conftest import Runner, assert_failed, run_cli
from tests.support.proxy import Canned, RecordingProxy
from tests.support.webserver import NotConsul

ENTRIES = [('a', 0, b'hello'), ('b', 0, b'world')]


def seed(consul: consulate.Consul, prefix: str) -> None:
    for key, flags, value in ENTRIES:
        assert consul.kv.set_record(f'{prefix}/{key}', flags, value)


def backup_rows(data: bytes) -> list[list[object]]:
    rows: list[list[object]] = json.loads(data)
    return rows


# -- output files -------------------------------------------------------------------------


def test_a_regular_file_is_replaced_in_one_step_keeping_its_mode(
    cli: Runner, consul: consulate.Consul, prefix: str, tmp_path: Path
) -> None:
    seed(consul, prefix)
    path = tmp_path / 'kv.json'
    path.write_bytes(b'old')
    path.chmod(0o640)
    before = path.stat().st_ino
    assert cli('kv', 'backup', f'{prefix}/', '-f', str(path)).returncode == 0
    assert backup_rows(path.read_bytes()) == [['a', 0, 'hello'], ['b', 0, 'world']]
    assert path.stat().st_ino != before  # renamed over, not rewritten in place
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ['kv.json']  # no temporary file left


def test_a_symlink_is_written_through_to_its_target(
    cli: Runner, consul: consulate.Consul, prefix: str, tmp_path: Path
) -> None:
    seed(consul, prefix)
    (tmp_path / 'real').mkdir()
    target = tmp_path / 'real' / 'kv.json'
    target.write_bytes(b'old')
    link = tmp_path / 'latest.json'
    link.symlink_to(target)
    assert cli('kv', 'backup', f'{prefix}/', '-f', str(link)).returncode == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert backup_rows(target.read_bytes())[0] == ['a', 0, 'hello']
    assert sorted(os.listdir(tmp_path / 'real')) == ['kv.json']
    dangling = tmp_path / 'next.json'
    dangling.symlink_to(tmp_path / 'real' / 'new.json')
    assert cli('kv', 'backup', f'{prefix}/', '-f', str(dangling)).returncode == 0
    assert dangling.is_symlink()
    assert backup_rows((tmp_path / 'real' / 'new.json').read_bytes())[1] == ['b', 0, 'world']


def test_a_fifo_is_written_not_replaced(
    cli: Runner, consul: consulate.Consul, prefix: str, tmp_path: Path
) -> None:
    seed(consul, prefix)
    fifo = tmp_path / 'pipe'
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = cli('kv', 'backup', f'{prefix}/', '-f', str(fifo))
    reader.join(30)
    assert result.returncode == 0, result.stderr
    assert backup_rows(received[0])[0] == ['a', 0, 'hello']
    assert stat.S_ISFIFO(fifo.stat().st_mode)


@pytest.mark.skipif(not os.path.exists('/dev/full'), reason='no /dev/full on this system')
def test_a_full_device_fails_with_a_clear_message_and_stays_a_device(
    cli: Runner, consul: consulate.Consul, prefix: str
) -> None:
    seed(consul, prefix)
    assert_failed(
        cli('kv', 'backup', f'{prefix}/', '-f', '/dev/full'), 1, 'cannot write /dev/full', 'space'
    )
    assert stat.S_ISCHR(os.stat('/dev/full').st_mode)


def test_a_directory_is_refused(cli: Runner, prefix: str, tmp_path: Path) -> None:
    assert_failed(cli('kv', 'backup', prefix, '-f', str(tmp_path)), 1, 'is a directory')
    assert tmp_path.is_dir()


# -- a server that is not Consul -------------------------------------------------------------


@pytest.mark.parametrize('mode', ['html', 'bare'])
def test_backup_and_export_from_a_server_that_is_not_consul_fail_and_write_nothing(
    mode: str, tmp_path: Path
) -> None:
    path = tmp_path / 'kv.json'
    with NotConsul(mode) as server:
        for args in (['kv', 'backup', '-f', str(path)], ['kv', 'export'], ['kv', 'ls']):
            result = run_cli(*args, addr=server.addr)
            line = assert_failed(result, 1, f'the server at http://{server.addr} does not look')
            assert result.stderr.decode().strip() == line  # one line: no page, no ACL hint
            assert result.stdout == b''
    assert not path.exists()


def test_other_commands_name_the_server_instead_of_printing_its_page() -> None:
    with NotConsul('html') as server:
        for args in (['services'], ['kv', 'get', 'app/flag'], ['deregister', 'web']):
            result = run_cli(*args, addr=server.addr)
            assert_failed(result, 1, 'does not look like a Consul agent')
            assert b'<' not in result.stderr


def test_a_gateway_error_page_in_front_of_consul_is_named_in_one_line(
    consul_agent: ConsulAgent,
) -> None:
    page = Canned(
        502, b'<html><body><h1>502 Bad Gateway</h1></body></html>', {'Content-Type': 'text/html'}
    )
    with RecordingProxy(consul_agent.http_addr, answer=lambda seen: page) as proxy:
        result = run_cli('kv', 'get', 'app/flag', addr=proxy.addr)
    line = assert_failed(result, 1, '502 on GET /v1/kv/app/flag: an HTML page')
    assert result.stderr.decode().strip() == line and b'<' not in result.stderr


# -- names and connection options --------------------------------------------------------------


@pytest.mark.parametrize(
    'args',
    [
        ['run_once', '', '--', 'touch', '{marker}'],
        ['run_once', '  ', '-i', '60', '--', 'touch', '{marker}'],
        ['lock', '', '--', 'touch', '{marker}'],
        ['kv', 'get', ''],
        ['kv', 'set', ' ', 'value'],
        ['kv', 'rm', ''],
        ['kv', 'mkdir', ''],
        ['register', ''],
        ['register', 'web', '-s', ' '],
        ['deregister', ''],
        ['--addr', '', 'kv', 'ls'],
        ['kv', 'ls', '--addr', ''],
        ['--token-file', '', 'kv', 'ls'],
        ['--dc', '', 'kv', 'ls'],
    ],
)
def test_an_empty_or_blank_name_is_refused_before_anything_runs(
    cli: Runner, tmp_path: Path, args: list[str]
) -> None:
    marker = tmp_path / 'ran'
    result = cli(*(arg.replace('{marker}', str(marker)) for arg in args))
    assert_failed(result, 2, 'cannot be empty or blank')
    assert not marker.exists()


def test_an_empty_token_file_is_refused(cli: Runner, tmp_path: Path) -> None:
    token_file = tmp_path / 'token'
    token_file.write_text('\n')
    assert_failed(cli('--token-file', str(token_file), 'kv', 'ls'), 2, 'is empty', str(token_file))


# -- restore without -b ----------------------------------------------------------------------


def test_a_base64_backup_restored_without_b_is_refused_with_advice(
    cli: Runner, consul: consulate.Consul, prefix: str, tmp_path: Path
) -> None:
    seed(consul, prefix)
    path = tmp_path / 'kv.json'
    assert cli('kv', 'backup', '-b', f'{prefix}/', '-f', str(path)).returncode == 0
    consul.kv.delete(f'{prefix}/', recurse=True)
    restore = ['kv', 'restore', f'{prefix}/', '-f', str(path)]
    assert_failed(cli(*restore), 1, 'base64', '-b', '--text')
    assert consul.kv.records(f'{prefix}/') == []
    assert_failed(cli(*restore, '-b', '--text'), 2, 'not both')
    assert cli(*restore, '-b').returncode == 0
    assert [value for _key, _flags, value in consul.kv.records(f'{prefix}/', raw=True)] == [
        b'hello',
        b'world',
    ]
    assert cli(*restore, '--text').returncode == 0
    assert consul.kv.get(f'{prefix}/a', raw=True) == base64.b64encode(b'hello')


def test_a_text_backup_that_is_not_all_base64_restores_without_flags(
    cli: Runner, consul: consulate.Consul, prefix: str
) -> None:
    data = json.dumps([['a', 0, 'hello'], ['b', 0, 'aGVsbG8='], ['c', 0, '']]).encode()
    assert cli('kv', 'restore', f'{prefix}/', input=data).returncode == 0
    assert consul.kv.get(f'{prefix}/b', raw=True) == b'aGVsbG8='
