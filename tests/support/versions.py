"""Version numbers and requirements, compared without the packaging library.

Enough of PEP 440 and PEP 508 for a project's own pins: releases of any
length, pre-, post- and dev-releases, an epoch, local labels, the six
comparison operators, ``~=``, ``===`` and ``==X.*``; extras and environment
markers are read past.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

__all__ = ['install_requires', 'parse_requirement', 'satisfies', 'version_key']

_VERSION = re.compile(
    r'^v?(?:(?P<epoch>\d+)!)?(?P<release>\d+(?:\.\d+)*)'
    r'(?:[-_.]?(?P<pre>alpha|beta|preview|pre|rc|a|b|c)[-_.]?(?P<pre_n>\d*))?'
    r'(?:-(?P<post_implicit>\d+)|[-_.]?(?:post|rev|r)[-_.]?(?P<post_n>\d*))?'
    r'(?:[-_.]?dev[-_.]?(?P<dev_n>\d*))?'
    r'(?:\+[a-z0-9.]+)?$',
    re.IGNORECASE,
)
_REQUIREMENT = re.compile(
    r'^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*\(?(?P<specs>[^;)]*)'
)
_SPECIFIER = re.compile(r'^\s*(?P<op>~=|===|==|!=|<=|>=|<|>)\s*(?P<version>[^\s,]+)\s*$')

INF = float('inf')


def _release(text: str) -> tuple[int, ...]:
    match = _VERSION.match(text.strip())
    assert match, f'not a version: {text!r}'
    return tuple(int(part) for part in match['release'].split('.'))


def version_key(text: str) -> tuple[object, ...]:
    """A sort key of a version: ``2.32.2 < 2.32.10``, ``3.0rc1 < 3.0 < 3.0.post1``, ``1.0.dev1 < 1.0a1``."""
    match = _VERSION.match(text.strip())
    assert match, f'not a version: {text!r}'
    release = list(_release(text))
    while len(release) > 1 and release[-1] == 0:
        release.pop()  # 2.32.0 == 2.32
    post_n = match['post_implicit'] or match['post_n']
    dev = match['dev_n']
    if match['pre']:
        kind = match['pre'].lower()
        pre: tuple[float, int] = (
            {'a': 0, 'alpha': 0, 'b': 1, 'beta': 1}.get(kind, 2),
            int(match['pre_n'] or 0),
        )
    elif dev is not None and post_n is None:
        pre = (-INF, 0)  # a dev release of the release itself comes before its alphas
    else:
        pre = (INF, 0)
    return (
        int(match['epoch'] or 0),
        tuple(release),
        pre,
        -1 if post_n is None else int(post_n),
        INF if dev is None else int(dev or 0),
    )


def _prefix_equal(version: str, wanted: str) -> bool:
    """``==2.32.*``: the release starts with 2.32."""
    prefix = _release(wanted)
    release = _release(version) + (0,) * len(prefix)
    return release[: len(prefix)] == prefix


def satisfies(version: str, operator: str, wanted: str) -> bool:
    """Whether ``version`` meets one specifier (``>=``, ``<``, ``~=``, ``==2.*`` ...)."""
    if operator in ('==', '!=') and wanted.endswith('.*'):
        return _prefix_equal(version, wanted[:-2]) == (operator == '==')
    if operator == '===':
        return version == wanted
    have, want = version_key(version), version_key(wanted)
    if operator == '~=':
        parts = _release(wanted)
        assert len(parts) >= 2, f'~= needs two release parts: {wanted}'
        compatible = '.'.join(map(str, parts[:-1]))
        return have >= want and _prefix_equal(version, compatible)
    return {
        '>=': have >= want,
        '>': have > want,
        '<=': have <= want,
        '<': have < want,
        '==': have == want,
        '!=': have != want,
    }[operator]


def parse_requirement(text: str) -> tuple[str, list[tuple[str, str]]]:
    """``'requests>=2.32.2,<3'`` -> ``('requests', [('>=', '2.32.2'), ('<', '3')])``."""
    match = _REQUIREMENT.match(text)
    assert match, f'not a requirement: {text!r}'
    specs = []
    for part in filter(None, (p.strip() for p in match['specs'].split(','))):
        spec = _SPECIFIER.match(part)
        assert spec, f'not a version specifier: {part!r} in {text!r}'
        specs.append((spec['op'], spec['version']))
    return match['name'], specs


def install_requires(setup_py: Path) -> list[str]:
    """The ``install_requires`` of the ``setup()`` call in ``setup_py``, read with ast (not run).

    :raises AssertionError: there is no such call, or the list is not made of constants
    """
    tree = ast.parse(setup_py.read_text(encoding='utf-8'), str(setup_py))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, 'attr', '')
        if name != 'setup':
            continue
        for keyword in node.keywords:
            if keyword.arg == 'install_requires':
                value = ast.literal_eval(keyword.value)
                assert isinstance(value, (list, tuple)), ast.unparse(keyword.value)
                return [str(item) for item in value]
    raise AssertionError(f'{setup_py} has no setup(install_requires=[...]) of constants')
