"""The examples run against a real agent and end by themselves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from consulate.testing import ConsulAgent, consul_binary

EXAMPLES = Path(__file__).resolve().parents[2] / 'examples'


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(('CONSUL_', 'PYTEST_'))}
    env.update(extra)
    return env


def test_the_discovery_example_ends_by_itself(consul_agent: ConsulAgent) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / 'discovery.py')],
        env=environment(CONSUL_HTTP_ADDR=consul_agent.http_addr),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f'Using the Consul at http://{consul_agent.http_addr}/v1' in result.stdout
    assert 'X-Cache HIT' in result.stdout
    assert "no passing instance of service 'demo-web-" in result.stdout
    assert result.stdout.rstrip().endswith('Done.')


def test_the_testing_example_passes_under_pytest(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            '-m',
            'pytest',
            '-q',
            '-p',
            'no:cacheprovider',
            str(EXAMPLES / 'test_with_consul.py'),
        ],
        cwd=tmp_path,
        env=environment(CONSUL_BIN=consul_binary()),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert '3 passed' in result.stdout


def test_leader_election_example(consul_agent: ConsulAgent) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / 'leader_election.py')],
        env=environment(CONSUL_HTTP_ADDR=consul_agent.http_addr),
        capture_output=True,
        timeout=90,
        check=False,
    )
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    # The reason says what the monitor saw: the change, or already the next leader.
    assert out.count(': lost the lead (') == 2
    assert out.count('leads now') == 2
    assert 'leader after the end: None' in out
    assert b'Traceback' not in result.stderr
