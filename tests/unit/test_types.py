"""The typed-answers rule: every public method reachable from ``Consul`` says what it returns.

Introspection over the classes behind ``Consul``'s properties (the
endpoints, their children, ``watch``, ``cache``, ``lock`` and ``semaphore``)
finds each public method's return annotation and checks that:

a. none is ``Any``, ``dict[str, Any]``, ``Mapping[str, Any]`` or a list, tuple,
   iterator or watcher of them (``str``, ``bytes``, ``bool``, ``int`` and
   ``None`` are fine);
b. at least 95% of the methods that return Consul's JSON name a shape (a
   :class:`~typing.TypedDict` of :mod:`consulate.types`); the others are
   listed in :data:`NOT_SHAPED` and their docstrings say why;
c. the methods that return the user's own data (KV values: arbitrary user
   documents, :data:`USER_VALUES`) are not Consul's JSON and name no shape,
   and their docstrings say they return values.

And that :mod:`consulate.types` imports nothing else from consulate and
holds only TypedDicts and aliases.
"""

from __future__ import annotations

import ast
import collections.abc
import inspect
import subprocess
import sys
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin, is_typeddict

import pytest

import consulate.api.health
import consulate.types
from tests.support.shapes import reachable_classes, return_hint

ROOT = Path(__file__).resolve().parents[2]

#: Methods that return JSON but name no shape, and the words of their docstring that say why.
NOT_SHAPED: dict[str, str] = {}

#: Methods that return the values users stored in KV (any document, typed as KVValue), not
#: Consul's JSON objects: not counted by rule (b); their docstrings mention the values.
USER_VALUES = frozenset(
    {
        'KV.get',
        'KV.find',
        'KV.items',
        'KV.iteritems',
        'KV.values',
        'KV.records',
        'Watch.key',
        'Watch.prefix',
    }
)

#: The smallest share of the JSON-returning methods that must name a shape.
MIN_SHARE = 0.95


def public_methods() -> dict[str, Any]:
    """``Class.method`` -> function, for every public method of every reachable class."""
    methods = {}
    for cls_name, cls in reachable_classes().items():
        for name, member in inspect.getmembers(cls, inspect.isfunction):
            if name.startswith('_') or not member.__module__.startswith('consulate.'):
                continue
            if isinstance(inspect.getattr_static(cls, name), property):
                continue
            methods[f'{cls_name}.{name}'] = member
    return methods


def is_loose(hint: Any) -> bool:
    """Whether ``hint`` is Any, a str-keyed mapping of Any, or holds one (list, tuple, union...)."""
    if hint is Any:
        return True
    origin, args = get_origin(hint), get_args(hint)
    if origin in (dict, collections.abc.Mapping, collections.abc.MutableMapping):
        return bool(args) and (args[-1] is Any or is_loose(args[-1]))
    if origin is not None:
        return any(is_loose(arg) for arg in args if arg is not Ellipsis)
    return False


def names_a_shape(hint: Any) -> bool:
    """Whether ``hint`` is or holds a TypedDict."""
    if is_typeddict(hint):
        return True
    return any(names_a_shape(arg) for arg in get_args(hint))


def returns_json(name: str, hint: Any) -> bool:
    """Whether a method's answer is (made of) Consul's JSON objects, typed or not."""
    return names_a_shape(hint) or name in NOT_SHAPED


def test_the_walk_finds_the_endpoints() -> None:
    """The introspection reaches the endpoints and their children, not only the top ones."""
    classes = reachable_classes()
    assert {'KV', 'Agent', 'Service', 'Check', 'Health', 'Catalog', 'Raft', 'Watch'} <= set(classes)
    assert len(public_methods()) > 150


def test_no_return_annotation_is_any_or_a_dict_of_any() -> None:
    """Rule (a): a public method never returns ``Any``, ``dict[str, Any]`` or a list of them."""
    loose = [
        f'  {name} -> {return_hint(function)}'
        for name, function in sorted(public_methods().items())
        if is_loose(return_hint(function))
    ]
    assert not loose, 'loose return annotations (name a consulate.types shape):\n' + '\n'.join(
        loose
    )


def test_every_method_has_a_return_annotation() -> None:
    missing = [
        name
        for name, function in public_methods().items()
        if return_hint(function) is inspect.Parameter.empty
    ]
    assert not missing


def test_nearly_every_json_method_names_a_shape() -> None:
    """Rule (b): 95% of the methods returning Consul's JSON name a shape; the rest say why."""
    hints = {name: return_hint(function) for name, function in public_methods().items()}
    json_methods = {name for name, hint in hints.items() if returns_json(name, hint)}
    shaped = {name for name in json_methods if names_a_shape(hints[name])}
    counted = json_methods
    share = len(shaped & counted) / len(counted)
    print(f'{len(shaped & counted)} of {len(counted)} JSON-returning methods name a shape')
    assert share >= MIN_SHARE, sorted(counted - shaped)
    methods = public_methods()
    for name, reason in NOT_SHAPED.items():
        assert reason in (methods[name].__doc__ or ''), f'{name}: its docstring must say {reason!r}'


def test_user_values_are_not_shapes_and_say_so() -> None:
    """Rule (c): the KV value reads return the users' documents, and their docstrings say values."""
    methods = public_methods()
    for name in USER_VALUES:
        assert not names_a_shape(return_hint(methods[name])), name
        assert 'value' in (methods[name].__doc__ or '').lower(), name


def test_the_exemptions_are_real_methods() -> None:
    """NOT_SHAPED and USER_VALUES name methods that exist (a rename would silently widen them)."""
    methods = public_methods()
    assert not (set(NOT_SHAPED) | USER_VALUES) - set(methods)


@pytest.mark.parametrize(
    ('hint', 'loose'),
    [
        (Any, True),
        (dict[str, Any], True),
        (list[dict[str, Any]], True),
        (tuple[str, dict[str, Any]], True),
        (collections.abc.Generator[dict[str, Any], None, None], True),
        (Union[str, dict[str, Any]], True),  # noqa: UP007 - the typing.Union form on purpose
        (list[consulate.types.AgentService], False),
        (dict[str, list[consulate.types.Intention]], False),
        (str | bytes | None, False),
        (tuple[str, int], False),
        (bool, False),
    ],
)
def test_the_rule_catches_what_it_should(hint: Any, loose: bool) -> None:
    assert is_loose(hint) is loose


def test_the_walk_sees_string_annotations() -> None:
    """Annotations are strings (``from __future__ import annotations``): they are evaluated."""
    hint = return_hint(consulate.api.health.Health.service)
    assert hint == list[consulate.types.ServiceEntry]
    assert names_a_shape(hint)


# -- consulate.types itself ---------------------------------------------------------


def types_modules() -> list[Path]:
    return sorted((ROOT / 'consulate' / 'types').glob('*.py'))


def test_the_types_import_nothing_from_consulate() -> None:
    """consulate.types is the bottom layer: api modules may import it, it imports no consulate module but its own."""
    report = []
    for path in types_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            if isinstance(node, ast.ImportFrom) and node.module:
                target = node.module
            elif isinstance(node, ast.Import):
                target = node.names[0].name
            else:
                continue
            if target.startswith('consulate') and not target.startswith('consulate.types'):
                report.append(f'{path.name}:{node.lineno} imports {target}')
    assert not report


def test_the_types_are_typed_dicts_and_aliases() -> None:
    """Every public name of consulate.types is a TypedDict or an alias of types (no classes with behaviour)."""
    for name in consulate.types.__all__:
        value = getattr(consulate.types, name)
        assert is_typeddict(value) or isinstance(value, (types.GenericAlias, types.UnionType)), name


def test_optional_fields_are_not_required() -> None:
    """The fields declared in a ``total=False`` base are optional keys; the class's own are required."""
    service = consulate.types.AgentService
    assert {'ID', 'Service', 'Port', 'Address'} <= service.__required_keys__
    assert {'Kind', 'Proxy', 'Namespace'} <= service.__optional_keys__
    assert 'Session' in consulate.types.KVPair.__optional_keys__


def test_using_consulate_does_not_load_the_types() -> None:
    """The endpoints import consulate.types for type checkers only: using them costs no import."""
    code = (
        'import sys, consulate\n'
        'consul = consulate.Consul()\n'
        'for name in ("kv", "agent", "catalog", "health", "acl", "txn", "session", "event",\n'
        '             "coordinate", "operator", "connect", "query", "config", "watch"):\n'
        '    getattr(consul, name)\n'
        'consulate.api.txn.kv_set("k", "v")\n'
        'print("consulate.types" in sys.modules)\n'
    )
    result = subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == 'False'
