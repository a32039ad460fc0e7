"""Run the ``consulate`` command as a subprocess against a real agent.

``cli('kv', 'get', 'x')`` runs ``python -m consulate kv get x`` with
``CONSUL_HTTP_ADDR`` pointing at the shared test agent and every other
``CONSUL_*`` variable removed, and returns the finished process (stdout and
stderr as bytes).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

import consulate
from consulate.testing import ConsulAgent, consul_binary
from tests.support.names import unique

Result = subprocess.CompletedProcess[bytes]
Runner = Callable[..., Result]

#: The repository root, so ``python -m consulate`` imports this checkout.
ROOT = Path(__file__).resolve().parents[2]


def cli_env(addr: str | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a ``consulate`` subprocess: no inherited ``CONSUL_*`` variables."""
    env = {key: value for key, value in os.environ.items() if not key.startswith('CONSUL_')}
    env['PYTHONPATH'] = str(ROOT)
    if addr is not None:
        env['CONSUL_HTTP_ADDR'] = addr
    env.update(extra or {})
    return env


def run_cli(
    *args: str,
    addr: str | None,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> Result:
    """Run ``python -m consulate *args`` and wait for it."""
    return subprocess.run(
        [sys.executable, '-m', 'consulate', *args],
        input=input,
        capture_output=True,
        env=cli_env(addr, env),
        timeout=timeout,
        check=False,
    )


def start_cli(*args: str, addr: str | None, **kwargs: object) -> subprocess.Popen[bytes]:
    """Start ``python -m consulate *args`` without waiting (stdout and stderr piped)."""
    return subprocess.Popen(
        [sys.executable, '-m', 'consulate', *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(addr),
        **kwargs,  # type: ignore[call-overload]
    )


def assert_failed(result: Result, code: int, *fragments: str) -> str:
    """Check a failure: exit ``code``, one ``consulate: ...`` line on stderr, no traceback."""
    stderr = result.stderr.decode()
    assert result.returncode == code, (result.returncode, stderr)
    assert 'Traceback' not in stderr, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith('consulate: '), stderr
    for fragment in fragments:
        assert fragment in last, (fragment, last)
    return last


@pytest.fixture
def cli(consul_agent: ConsulAgent) -> Runner:
    """Run the command against the shared dev agent."""

    def run(*args: str, **kwargs: object) -> Result:
        return run_cli(*args, addr=consul_agent.http_addr, **kwargs)  # type: ignore[arg-type]

    return run


@pytest.fixture(scope='session')
def fresh_agent() -> Iterator[ConsulAgent]:
    """A second dev agent, so a restore can start from an empty KV store."""
    with ConsulAgent() as agent:
        yield agent


@pytest.fixture
def fresh(fresh_agent: ConsulAgent) -> Iterator[consulate.Consul]:
    """A client of the second agent, whose KV store is emptied before and after each test."""
    with fresh_agent.client() as client:
        client.kv.delete('', recurse=True)
        yield client
        client.kv.delete('', recurse=True)


@pytest.fixture
def consul_bin() -> str:
    """The path of the real ``consul`` binary."""
    return consul_binary()


@pytest.fixture
def name() -> str:
    """A name no other test uses (for locks, services)."""
    return unique('cli')
