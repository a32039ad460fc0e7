"""The upgrade test: the original consulate's own test modules, run against this package.

The modules come from outside this repository, never from a copy in it:

- ``CONSULATE_ORIGINAL_SOURCE``: one or more directories (``os.pathsep``
  between them), each a checkout or an unpacked release of the original
  project, with its ``tests/`` and its Consul configuration file
  (``consul-test.json`` at 0.6.0, ``testing/consul.json`` on its last master);
- otherwise the consulate 0.6.0 source distribution from the package index
  (``pip download consulate==0.6.0 --no-binary :all:``), kept in a cache
  directory, if it holds a ``tests/`` directory.

Only ``tests/`` and the configuration are copied to a scratch directory, so
``import consulate`` there is this package. A real agent is started with the
original's configuration (its datacenter, its ACL master token), and the
modules run the way nose collected them (tests/upgrade/original_runner.py).
Every test that does not pass must be listed, by name, in the upgrade guide
(docs/guide/upgrading.rst) as a deliberate difference, and every test listed
there must really fail: the two sets are compared exactly.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from consulate.testing import ConsulAgent

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
GUIDE = ROOT / 'docs' / 'guide' / 'upgrading.rst'
SOURCE_ENV = 'CONSULATE_ORIGINAL_SOURCE'
CACHE = Path(os.environ.get('CONSULATE_UPGRADE_CACHE') or ROOT / '.cache' / 'upgrade')
#: How long one original test may take (their agent monitor test has no timeout).
PER_TEST_TIMEOUT = 60
#: A documented failure in the guide: ``0.6.0:file::Class::method`` or ``master:...``.
LISTED = re.compile(r'\b((?:0\.6\.0|master):[\w.-]+::(?:\w+::\w+|<import>))')


def _from_index() -> Path:
    """The unpacked consulate 0.6.0 sdist, downloaded once into the cache; skip if unreachable."""
    unpacked = CACHE / 'consulate-0.6.0'
    if unpacked.is_dir():
        return unpacked
    CACHE.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, '-m', 'pip', 'download', 'consulate==0.6.0', '--no-deps']
    command += ['--no-binary', ':all:', '--disable-pip-version-check', '--retries', '1']
    command += ['--timeout', '20', '-q', '-d', str(CACHE)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=180, check=False)
    except subprocess.TimeoutExpired:
        pytest.skip('the package index did not answer within 180 s')
    archive = CACHE / 'consulate-0.6.0.tar.gz'
    if done.returncode != 0 or not archive.exists():
        pytest.skip(f'the package index is unreachable: {done.stderr.decode()[-300:]}')
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE, filter='data')
    return unpacked


def _sources() -> list[Path]:
    configured = os.environ.get(SOURCE_ENV)
    if configured:
        return [Path(p) for p in configured.split(os.pathsep) if p]
    sdist = _from_index()
    if not (sdist / 'tests').is_dir():
        pytest.skip(
            'the consulate 0.6.0 source distribution on the package index ships no tests '
            f'(only the package), and no release after it exists; set {SOURCE_ENV} to a '
            'checkout of the original project (tag 0.6.0, or its last master) to run them'
        )
    return [sdist]


def _label(source: Path) -> str:
    if (source / 'testing' / 'consul.json').exists():
        return 'master'
    if (source / 'consul-test.json').exists():
        return '0.6.0'
    raise AssertionError(f'{source}: neither consul-test.json (0.6.0) nor testing/consul.json')


def _agent_settings(source: Path) -> tuple[str, str]:
    """The original's datacenter and ACL master token, from its own configuration file."""
    if _label(source) == 'master':
        config = json.loads((source / 'testing' / 'consul.json').read_text())
        return config['datacenter'], config['acl']['tokens']['master']
    config = json.loads((source / 'consul-test.json').read_text())
    return config['datacenter'], config['acl_master_token']


def documented_failures() -> set[str]:
    """The original tests the upgrade guide lists as failing on purpose."""
    return set(LISTED.findall(GUIDE.read_text(encoding='utf-8')))


def _copy(source: Path, work: Path) -> None:
    """Copy the original's tests and Consul configuration (only those) into ``work``."""
    shutil.copytree(source / 'tests', work / 'tests')
    for config in ('consul-test.json', 'testing'):
        if (source / config).is_file():
            shutil.copy(source / config, work / config)
        elif (source / config).is_dir():
            shutil.copytree(source / config, work / config)


def _run_module(source: Path, work: Path, module: str) -> dict[str, list[str]]:
    """Run one test module against a fresh agent set up as the original's configuration says.

    One agent per module, as the original suites clean up after themselves
    only partly: what one module leaves behind does not reach the next.
    """
    datacenter, master_token = _agent_settings(source)
    agent = ConsulAgent(
        acl=True,
        datacenter=datacenter,
        config={'acl': {'default_policy': 'allow', 'enable_key_list_policy': True}},
    )
    agent.master_token = master_token
    host, port = agent.http_addr.split(':')
    (work / 'build').mkdir(exist_ok=True)  # what the original's ./bootstrap script writes
    (work / 'build' / 'test-environment').write_text(
        f'export CONSUL_HOST={host}\nexport CONSUL_PORT={port}\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith('CONSUL_')}
    env |= {'CONSUL_HTTP_ADDR': agent.http_addr, 'CONSUL_HOST': host, 'CONSUL_PORT': port}
    env['PYTHONPATH'] = str(work)
    results = work / f'results-{module}.json'
    runner = [sys.executable, str(HERE / 'original_runner.py'), str(results)]
    runner += [str(PER_TEST_TIMEOUT), module]
    with agent:
        done = subprocess.run(runner, cwd=work, env=env, capture_output=True, timeout=1200)
    assert done.returncode == 0 and results.exists(), done.stderr.decode()[-3000:]
    outcomes: dict[str, list[str]] = json.loads(results.read_text())
    return outcomes


def run_original(source: Path, scratch: Path) -> dict[str, list[str]]:
    """Run each of ``source``'s test modules against this package and a fresh agent."""
    work = scratch / _label(source)
    _copy(source, work)
    outcomes: dict[str, list[str]] = {}
    for path in sorted((work / 'tests').glob('*.py')):
        if 'test' in path.stem:
            outcomes |= _run_module(source, work, path.name)
    return outcomes


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_original_suites_fail_only_where_the_upgrade_guide_says(tmp_path: Path) -> None:
    sources = _sources()
    failed: dict[str, str] = {}
    ran: set[str] = set()
    for source in sources:
        label = _label(source)
        ran.add(label)
        for test_id, (outcome, text) in run_original(source, tmp_path).items():
            if outcome in ('failed', 'error'):
                failed[f'{label}:{test_id}'] = text.strip().splitlines()[-1] if text else ''
    listed = {name for name in documented_failures() if name.split(':', 1)[0] in ran}
    unlisted = {name: why for name, why in failed.items() if name not in listed}
    passing = sorted(listed - set(failed))
    assert not unlisted, 'failures the upgrade guide does not list:\n' + '\n'.join(
        f'{name}: {why}' for name, why in sorted(unlisted.items())
    )
    assert not passing, 'the upgrade guide lists these as failing, but they pass:\n' + '\n'.join(
        passing
    )


def test_the_guide_lists_failures_by_full_name() -> None:
    listed = documented_failures()
    assert listed, 'the upgrade guide lists no original test'
    assert all(name.count('::') in (1, 2) for name in listed)
