"""consulate's pytest plugin, as a user meets it: a test file in a fresh directory, no conftest,
run by ``python -m pytest`` in a subprocess with only the installed package.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from consulate.testing import consul_binary

#: A user's test module: the first test leaves data behind, the second sees it cleared.
USER_TESTS = """
import consulate


def test_writes_and_registers(consul):
    assert isinstance(consul, consulate.Consul)
    consul.kv['app/flag'] = True
    assert consul.kv['app/flag'] == 'true'
    consul.agent.service.register('app', port=8080, ttl='30s')
    consul.agent.check.register('disk', ttl='30s')
    consul.session.create(name='app-session')
    assert [s['ID'] for s in consul.agent.service_records()] == ['app']
    assert 'app' in consul.agent.services()


def test_the_agent_was_cleared(consul, consul_agent):
    assert consul.kv.find('') == {}
    assert consul.agent.service_records() == []
    assert consul.agent.check_records() == []
    assert consul.session.list() == []
    assert [n['Node'] for n in consul.catalog.nodes()] == [consul_agent.node_name]


def test_one_agent_for_the_session(consul_agent, request):
    assert request.getfixturevalue('consul_agent') is consul_agent
    assert consul_agent.pid is not None
"""


def run_pytest(
    directory: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m pytest`` in ``directory`` with this interpreter, no plugin cache, no CONSUL_* but ``env``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(('CONSUL_', 'PYTEST_'))}
    environ.pop('PYTHONPATH', None)
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', '-rs', *args],
        cwd=directory,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_fresh_test_file_passes_with_the_consul_fixture(tmp_path: Path) -> None:
    (tmp_path / 'test_app.py').write_text(USER_TESTS)
    result = run_pytest(tmp_path, 'test_app.py', env={'CONSUL_BIN': consul_binary()})
    assert result.returncode == 0, result.stdout + result.stderr
    assert '3 passed' in result.stdout


def test_without_a_consul_binary_the_tests_are_skipped_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / 'test_app.py').write_text(USER_TESTS)
    missing = tmp_path / 'no-such-consul'
    result = run_pytest(tmp_path, 'test_app.py', env={'CONSUL_BIN': str(missing)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert '3 skipped' in result.stdout
    assert f'CONSUL_BIN={missing} is not an executable file' in result.stdout
    assert 'scripts/install-consul.sh' in result.stdout


def test_naming_the_plugin_again_in_a_conftest_is_harmless(tmp_path: Path) -> None:
    (tmp_path / 'conftest.py').write_text("pytest_plugins = ['consulate.pytest_plugin']\n")
    (tmp_path / 'test_app.py').write_text(
        'def test_the_plugin_is_loaded(consul_agent_options):\n'
        '    assert consul_agent_options == {}\n'
    )
    result = run_pytest(tmp_path, 'test_app.py', '-p', 'consulate.pytest_plugin')
    assert result.returncode == 0, result.stdout + result.stderr
    assert '1 passed' in result.stdout
