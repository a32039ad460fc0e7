"""docs/getting-started.rst runs as written: every code block, in order, against a real agent.

- ``sh`` blocks run with bash in a copy of this checkout (the first one
  makes the virtual environment the rest of the page uses); the one that
  starts the agent (``"$(scripts/install-consul.sh)" agent -dev``) is
  skipped: the test starts its own agent.
- ``console`` blocks run command by command in the same copy, with that
  environment active; each command's output must be the lines under it.
- ``python`` blocks are doctests sharing one namespace; their output must match.
"""

from __future__ import annotations

import doctest
import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from consulate.testing import ConsulAgent

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / 'docs' / 'getting-started.rst'
AGENT_BLOCK = '"$(scripts/install-consul.sh)" agent -dev'
#: What the copy of the checkout leaves out: local state, not sources.
SKIPPED = ('.git', '.venv', '.consul', 'build', '*.egg-info', '__pycache__', '.*_cache')


@dataclass
class Block:
    language: str
    line: int
    text: str


def blocks(page: Path) -> list[Block]:
    """The ``code-block`` directives of ``page``, with their content dedented."""
    found = []
    lines = page.read_text(encoding='utf-8').splitlines()
    for number, line in enumerate(lines):
        match = re.match(r'^\.\. code-block:: (\w+)\s*$', line)
        if not match:
            continue
        body: list[str] = []
        for following in lines[number + 1 :]:
            if following.strip() and not following.startswith('   '):
                break
            body.append(following[3:])
        text = '\n'.join(body).strip('\n') + '\n'
        found.append(Block(match.group(1), number + 1, text))
    return found


def console_steps(text: str) -> Iterator[tuple[str, str]]:
    """``(command, expected output)`` for each ``$ `` line of a console block."""
    command: str | None = None
    output: list[str] = []
    for line in text.splitlines():
        if line.startswith('$ '):
            if command is not None:
                yield command, ''.join(output)
            command, output = line[2:], []
        else:
            output.append(f'{line}\n')
    if command is not None:
        yield command, ''.join(output)


@pytest.fixture(scope='module')
def agent() -> Iterator[ConsulAgent]:
    """The page's ``consul agent -dev``: a dev agent of its own, with an empty store."""
    with ConsulAgent() as started:
        yield started


def test_the_page_has_every_kind_of_block() -> None:
    kinds = [block.language for block in blocks(PAGE)]
    assert {'sh', 'console', 'python'} <= set(kinds), kinds
    assert set(kinds) <= {'sh', 'console', 'python'}, kinds
    assert [b.text.strip() for b in blocks(PAGE)].count(AGENT_BLOCK) == 1


@pytest.mark.slow
def test_every_block_runs_as_written(
    agent: ConsulAgent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = tmp_path / 'consulate'
    shutil.copytree(ROOT, checkout, ignore=shutil.ignore_patterns(*SKIPPED))
    for key in [key for key in os.environ if key.startswith('CONSUL_')]:
        monkeypatch.delenv(key)
    monkeypatch.delenv('VIRTUAL_ENV', raising=False)
    monkeypatch.setenv('CONSUL_HTTP_ADDR', agent.http_addr)
    env = dict(os.environ)
    namespace: dict[str, object] = {}
    for block in blocks(PAGE):
        where = f'{PAGE.name}, the {block.language} block at line {block.line}'
        if block.text.strip() == AGENT_BLOCK:
            continue
        if block.language == 'python':
            run_doctest(block, namespace, where)
        elif block.language == 'sh':
            result = bash(block.text, checkout, env)
            assert result.returncode == 0, (where, result.stdout, result.stderr)
        else:
            for command, expected in console_steps(block.text):
                result = bash(command, checkout, env)
                # At a terminal ``kv get`` ends the value with a newline; here it does not.
                output = result.stdout.rstrip('\n')
                assert (result.returncode, output) == (0, expected.rstrip('\n')), (
                    where,
                    command,
                    result.stderr,
                )
    # The page cleaned up after itself.
    with agent.client() as client:
        assert client.kv.keys() == []
        assert client.agent.service_records() == []


def bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``script`` as the page's terminal would: in the checkout, its venv active once made."""
    prelude = 'set -euo pipefail\nif [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi\n'
    return subprocess.run(
        ['bash', '-c', prelude + script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def run_doctest(block: Block, namespace: dict[str, object], where: str) -> None:
    test = doctest.DocTestParser().get_doctest(block.text, namespace, where, str(PAGE), block.line)
    assert test.examples, f'{where} has no >>> examples'
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test, out=report.write, clear_globs=False)
    assert runner.failures == 0, report.getvalue()
    # DocTest works on a copy of the namespace: keep what the block defined for the next ones.
    namespace.update(test.globs)
