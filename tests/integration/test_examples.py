"""The examples run against a real agent and end by themselves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from consulate.testing import ConsulAgent

EXAMPLES = Path(__file__).resolve().parents[2] / 'examples'


def test_leader_election_example(consul_agent: ConsulAgent) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith('CONSUL_')}
    env['CONSUL_HTTP_ADDR'] = consul_agent.http_addr
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / 'leader_election.py')],
        env=env,
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
