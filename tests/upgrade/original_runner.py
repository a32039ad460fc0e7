"""Run the original consulate's unittest modules, the way its own runner (nose) collected them.

Used by test_original_suites.py in a subprocess, with the working directory
holding a copy of the original ``tests/`` and its Consul config files::

    python original_runner.py RESULTS.json PER_TEST_TIMEOUT [MODULE_FILE]

Every ``unittest.TestCase`` method whose name matches nose's default test
pattern (``test_x``, ``x_test``) in every module of ``tests/`` that nose
would collect (``*test*.py``), or in MODULE_FILE alone, is run; a test that takes longer than the
timeout is an error. The outcome of each test goes to RESULTS.json as
``{"<file>::<class>::<method>": ["passed" | "failed" | "error" | "skipped", text]}``.
"""

from __future__ import annotations

import importlib.util
import json
import re
import signal
import sys
import traceback
import types
import unittest
from pathlib import Path
from typing import Any

NOSE_NAME = re.compile(r'(?:^|[\b_.-])[Tt]est')


class NoseLoader(unittest.TestLoader):
    """A loader that takes the methods nose took: names matching its test pattern."""

    def getTestCaseNames(self, testCaseClass: type[unittest.TestCase]) -> list[str]:
        names = {
            name
            for name in dir(testCaseClass)
            if NOSE_NAME.search(name) and callable(getattr(testCaseClass, name))
        }
        return sorted(names - {'setUpTestData', 'tearDownTestData'})


class TimedOut(Exception):
    """The test ran past the per-test timeout."""


def load(path: Path, package: str | None) -> types.ModuleType:
    name = f'{package}.{path.stem}' if package else path.stem.replace('-', '_')
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def outcome_of(test: unittest.TestCase, timeout: int) -> tuple[str, str]:
    result = unittest.TestResult()

    def expire(_signum: int, _frame: Any) -> None:
        raise TimedOut(f'longer than {timeout} s')

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(timeout)
    try:
        test.run(result)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    for kind, found in (('error', result.errors), ('failed', result.failures)):
        if found:
            return kind, found[0][1][-2000:]
    if result.skipped:
        return 'skipped', result.skipped[0][1]
    return 'passed', ''


def flatten(suite: unittest.TestSuite) -> list[unittest.TestCase]:
    tests: list[unittest.TestCase] = []
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            tests += flatten(item)
        else:
            tests.append(item)
    return tests


def main(results_path: str, timeout: int = 60, only: str | None = None) -> int:
    root = Path.cwd()
    sys.path.insert(0, str(root))
    tests_dir = root / 'tests'
    package = None
    if (tests_dir / '__init__.py').exists():
        package = 'tests'
        init = importlib.import_module('tests')
        if hasattr(init, 'setup_module'):
            init.setup_module()
    results: dict[str, list[str]] = {}
    loader = NoseLoader()
    for path in sorted(tests_dir.glob('*.py')):
        if 'test' not in path.stem or (only and path.name != only):
            continue
        try:
            module = load(path, package)
        except Exception:
            results[f'{path.name}::<import>'] = ['error', traceback.format_exc()[-2000:]]
            continue
        for test in flatten(loader.loadTestsFromModule(module)):
            if type(test).__module__ != module.__name__:
                continue  # a TestCase imported from another module is run there
            test_id = f'{path.name}::{type(test).__name__}::{test._testMethodName}'
            results[test_id] = list(outcome_of(test, timeout))
    Path(results_path).write_text(json.dumps(results, indent=1, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], int(sys.argv[2]), *sys.argv[3:4]))
