"""Every page of the documentation runs as written, against a real agent.

The blocks are read by :mod:`tests.support.docblocks` from every page under
``docs/`` and from README.rst:

- the ``python`` blocks of a page run in order in one namespace, as a
  reader would paste them into one session, with ``CONSUL_HTTP_ADDR``
  naming the test agent (so ``consulate.Consul()`` reaches it); a block with
  ``>>>`` prompts is a doctest whose output must match; a page's hidden
  ``.. doc-setup:`` comments run among them, with ``docs_agent`` (the test
  :class:`~consulate.testing.ConsulAgent`) in the namespace;
- each ``console`` block runs in bash in an empty directory, with this
  checkout's ``consulate`` and the test ``consul`` on PATH: a block with
  ``$ `` prompts must print the lines under each command (stdout and stderr
  together), a block of bare commands must exit 0;
- the Python examples of the package's docstrings, which the API pages
  show, run each on its own, with ``consul`` (a client) and ``consulate``
  defined;
- a block marked ``.. not-run: REASON`` is not run: it shows up as a skip
  naming the block and the reason (``pytest -rs``).

docs/getting-started.rst is run by tests/integration/test_getting_started.py,
in a fresh copy of the checkout, as a newcomer would run it.
"""

from __future__ import annotations

import doctest
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from consulate.pytest_plugin import clear
from consulate.testing import ConsulAgent, consul_binary
from tests.support.docblocks import Block, blocks, docstring_blocks, pages

ROOT = Path(__file__).resolve().parents[2]
#: The page another test runs whole (in a copy of the checkout).
RUN_ELSEWHERE = Path('docs/getting-started.rst')

ALL = [block for page in pages(ROOT) if page != RUN_ELSEWHERE for block in blocks(ROOT, page)]
PYTHON_PAGES = sorted({b.page for b in ALL if b.kind == 'python' and b.not_run is None})
CONSOLE = [b for b in ALL if b.kind == 'console' and b.not_run is None]
MARKED = [b for b in ALL if b.not_run is not None]


@pytest.fixture
def at_agent(consul_agent: ConsulAgent, monkeypatch: pytest.MonkeyPatch) -> Iterator[ConsulAgent]:
    """The environment a reader has: only CONSUL_HTTP_ADDR, naming the agent; cleared after.

    Prepared queries, which the ``consul`` fixture's clearing leaves, are
    deleted too when a page made them.
    """
    for key in [key for key in os.environ if key.startswith('CONSUL_')]:
        monkeypatch.delenv(key)
    monkeypatch.setenv('CONSUL_HTTP_ADDR', consul_agent.http_addr)
    with consul_agent.client(token=consul_agent.master_token) as admin:
        queries = {query['ID'] for query in admin.query.list()}
        yield consul_agent
        clear(admin, consul_agent.node_name)
        for query in admin.query.list():
            if query['ID'] not in queries:
                admin.query.delete(query['ID'])


@pytest.mark.parametrize('page', PYTHON_PAGES, ids=str)
def test_the_python_blocks_of_a_page_run(
    page: Path, at_agent: ConsulAgent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {'__name__': '__docs__', 'docs_agent': at_agent}
    for block in blocks(ROOT, page):
        if block.kind != 'python' or block.not_run is not None:
            continue
        if '>>>' in block.text:
            run_doctest(block, namespace)
        else:
            code = compile(block.text, block.name, 'exec')
            exec(code, namespace)  # the documentation's own code


@pytest.mark.parametrize('block', CONSOLE, ids=lambda block: block.name)
def test_the_console_blocks_run(block: Block, at_agent: ConsulAgent, tmp_path: Path) -> None:
    env = dict(os.environ)
    env['PATH'] = os.pathsep.join(
        [str(Path(sys.executable).parent), str(Path(consul_binary()).parent), env['PATH']]
    )
    env['PYTHONPATH'] = str(ROOT)
    if re.search(r'\bpip\b.*\b(install|wheel)\b', block.text):
        pytest.fail(f'{block.name} installs packages: mark it ".. not-run: REASON"')
    if not block.text.lstrip().startswith('$ '):
        result = bash(f'set -euo pipefail\n{block.text}', tmp_path, env)
        assert result.returncode == 0, (block.name, result.stdout)
        return
    script, expected = transcript(block.text)
    result = bash(script, tmp_path, env)
    assert result.stdout.rstrip('\n') == expected.rstrip('\n'), block.name


@pytest.mark.parametrize('block', MARKED, ids=lambda block: block.name)
def test_a_marked_block_is_skipped_by_name(block: Block) -> None:
    pytest.skip(f'{block.name} is marked not-run: {block.not_run}')


def test_the_documentation_has_blocks_of_every_kind() -> None:
    """The reader finds the blocks: a change in the format would otherwise run nothing."""
    kinds = {block.kind for block in ALL}
    assert kinds == {'python', 'console', 'output'}, kinds
    assert len(PYTHON_PAGES) > 15, PYTHON_PAGES
    for page in pages(ROOT):
        text = (ROOT / page).read_text(encoding='utf-8')
        assert '.. not-run:' not in text or any(b.page == page and b.not_run for b in ALL), (
            f'{page}: a not-run marker that marks no block (it must be alone, just above the '
            'paragraph or directive that introduces its block)'
        )


def transcript(text: str) -> tuple[str, str]:
    """A console block as a bash script (its ``$ `` commands) and the output it must print."""
    commands: list[str] = []
    output: list[str] = []
    for line in text.splitlines():
        if line.startswith('$ '):
            commands.append(line[2:])
        else:
            output.append(line)
    return '\n'.join(commands) + '\n', '\n'.join(output)


def bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ['bash', '-c', script],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
        check=False,
    )


def run_doctest(block: Block, namespace: dict[str, object]) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block.text, namespace, block.name, str(block.page), block.line)
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test, out=report.write, clear_globs=False)
    assert runner.failures == 0, report.getvalue()
    namespace.update(test.globs)


_JARGON = re.compile(r"\bthe seed\b|\bseed's\b|\bseed API\b|\bover \d+ lines\b", re.IGNORECASE)


def test_no_page_or_docstring_speaks_of_the_seed_or_of_a_module_length() -> None:
    """Readers never saw the spec documents the project grew from; say "consulate 0.6.0"."""
    files = [*pages(ROOT), *(p.relative_to(ROOT) for p in (ROOT / 'consulate').rglob('*.py'))]
    found = [
        f'{path}:{number}: {line.strip()}'
        for path in files
        for number, line in enumerate((ROOT / path).read_text(encoding='utf-8').splitlines(), 1)
        if _JARGON.search(line)
    ]
    assert not found, '\n'.join(found)


DOCSTRINGS = [
    block
    for module in sorted(p.relative_to(ROOT) for p in (ROOT / 'consulate').rglob('*.py'))
    for block in docstring_blocks(ROOT, module)
    if block.kind == 'python'
]


@pytest.mark.parametrize('block', DOCSTRINGS, ids=lambda block: block.name)
def test_the_python_examples_of_docstrings_run(
    block: Block, at_agent: ConsulAgent, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API pages show the docstrings: their examples run too, each on its own.

    An example speaks of ``consul``, the client the pages use throughout: it
    is there, with ``consulate`` imported.
    """
    if block.not_run is not None:
        pytest.skip(f'{block.name} is marked not-run: {block.not_run}')
    monkeypatch.chdir(tmp_path)
    import consulate

    with consulate.Consul() as consul:
        namespace: dict[str, object] = {'consulate': consulate, 'consul': consul}
        if '>>>' in block.text:
            run_doctest(block, namespace)
        else:
            exec(compile(block.text, block.name, 'exec'), namespace)
