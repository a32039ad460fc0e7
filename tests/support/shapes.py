"""Check consulate's answers against their return annotations at run time, with typeguard.

:func:`return_hint` evaluates a method's return annotation (a string, under
``from __future__ import annotations``), ``if TYPE_CHECKING:`` imports
included. :func:`check_answer` checks a value against it with typeguard,
every item of every list, with one difference from typeguard's own
TypedDict check: keys a shape does not declare are tolerated (newer Consul
versions add fields) and reported in :data:`EXTRA_KEYS` as
``'Shape.Key'``, so a test on the Consul version the shapes describe can
insist there are none. :func:`checked` calls a bound method and checks what
it returned; :func:`instrument` makes every public method of a class do so.
"""

from __future__ import annotations

import ast
import collections
import collections.abc
import functools
import importlib
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any, get_type_hints, is_typeddict

import typeguard
from typeguard import (
    CollectionCheckStrategy,
    TypeCheckError,
    TypeCheckMemo,
    check_type_internal,
)

__all__ = [
    'EXTRA_KEYS',
    'SEEN',
    'TypeCheckError',
    'check_answer',
    'checked',
    'instrument',
    'reachable_classes',
    'return_hint',
    'tolerant_typed_dicts',
]

#: ``'Shape.Key'`` for each key an answer held that its shape does not declare.
EXTRA_KEYS: set[str] = set()
#: How many objects of each shape were checked, and how many held each optional key:
#: ``{'Shape': Counter({'': checked, 'Key': held})}``, to find fields a version always sends.
SEEN: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)

_CONFIG = typeguard.TypeCheckConfiguration(
    collection_check_strategy=CollectionCheckStrategy.ALL_ITEMS,
    forward_ref_policy=typeguard.ForwardRefPolicy.ERROR,
)


# -- annotations ------------------------------------------------------------------------


@functools.cache
def _namespace(module_name: str) -> dict[str, Any]:
    """The names an annotation string of ``module_name`` may use, ``if TYPE_CHECKING:`` imports too."""
    module = importlib.import_module(module_name)
    names: dict[str, Any] = dict(vars(typing))
    names.update(vars(collections.abc))
    names.update(_type_checking_imports(module))
    names.update(vars(module))
    return names


def _type_checking_imports(module: types.ModuleType) -> dict[str, Any]:
    """The names ``module`` imports under ``if TYPE_CHECKING:``, imported now."""
    found: dict[str, Any] = {}
    for node in ast.parse(inspect.getsource(module)).body:
        if not (isinstance(node, ast.If) and ast.unparse(node.test).endswith('TYPE_CHECKING')):
            continue
        for statement in node.body:
            if isinstance(statement, ast.ImportFrom) and statement.module:
                source = importlib.import_module(statement.module)
                for alias in statement.names:
                    found[alias.asname or alias.name] = getattr(source, alias.name)
    return found


def return_hint(function: Any) -> Any:
    """The evaluated return annotation of ``function`` (``inspect.Parameter.empty`` if none)."""
    annotation = inspect.signature(function, eval_str=False).return_annotation
    if not isinstance(annotation, str):
        return annotation
    return eval(annotation, _namespace(function.__module__))  # our own source, not input


# -- the check ----------------------------------------------------------------------------


def _check_shape(value: Any, origin_type: Any, args: tuple[Any, ...], memo: TypeCheckMemo) -> None:
    """typeguard's TypedDict check, but keys the shape does not declare are noted, not refused."""
    if not isinstance(value, dict):
        raise TypeCheckError(f'is not a dict (a {origin_type.__name__})')
    missing = sorted(origin_type.__required_keys__ - value.keys())
    if missing:
        raise TypeCheckError(f'is a {origin_type.__name__} missing {", ".join(missing)}')
    hints = get_type_hints(origin_type)
    seen = SEEN[origin_type.__name__]
    seen[''] += 1
    seen.update(key for key in value if key in origin_type.__optional_keys__)
    for key, item in value.items():
        if key not in hints:
            EXTRA_KEYS.add(f'{origin_type.__name__}.{key}')
            continue
        try:
            check_type_internal(item, hints[key], memo)
        except TypeCheckError as error:
            error.append_path_element(f'{origin_type.__name__}[{key!r}]')
            raise


def _lookup(origin_type: Any, args: tuple[Any, ...], extras: tuple[Any, ...]) -> Any:
    return _check_shape if is_typeddict(origin_type) else None


@functools.cache
def tolerant_typed_dicts() -> None:
    """Put the tolerant TypedDict check ahead of typeguard's own (once per process)."""
    typeguard.checker_lookup_functions.insert(0, _lookup)


def check_answer(value: Any, hint: Any) -> None:
    """Check ``value`` against ``hint``, every list item included; undeclared keys are noted.

    :raises typeguard.TypeCheckError: the value does not have the shape
    """
    tolerant_typed_dicts()
    memo = TypeCheckMemo(globals(), {}, config=_CONFIG)
    check_type_internal(value, hint, memo)


def checked(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a bound method and check its answer against the method's return annotation."""
    answer = method(*args, **kwargs)
    function = getattr(method, '__func__', method)
    try:
        check_answer(answer, return_hint(function))
    except TypeCheckError as error:
        raise TypeCheckError(f'{function.__qualname__}: the answer {error}') from None
    return answer


def reachable_classes() -> dict[str, type]:
    """Every class behind ``Consul``'s properties, and their children (``CHILDREN``), by name."""
    from consulate.client import Consul

    queue: list[type] = []
    for name, member in inspect.getmembers(Consul):
        getter = getattr(member, 'fget', None) or getattr(member, 'func', None)
        if name.startswith('_') or getter is None:
            continue
        hint = return_hint(getter)
        if isinstance(hint, type) and hint.__module__.startswith('consulate.'):
            queue.append(hint)
    found: dict[str, type] = {}
    while queue:
        cls = queue.pop()
        if cls.__name__ not in found:
            found[cls.__name__] = cls
            queue += [c for c in getattr(cls, 'CHILDREN', {}).values() if isinstance(c, type)]
    return found


def instrument(classes: collections.abc.Iterable[type]) -> list[tuple[type, str, Any]]:
    """Make every public method of ``classes`` (and of their consulate bases) check its answers.

    :returns: ``(class, name, function)`` for each method replaced, to put back
    """
    owners = {
        klass: None
        for cls in classes
        for klass in cls.__mro__
        if klass.__module__.startswith('consulate.')
    }
    replaced = []
    for klass in owners:
        for name, function in list(vars(klass).items()):
            if name.startswith('_') or not inspect.isfunction(function):
                continue
            hint = return_hint(function)
            if hint is inspect.Parameter.empty:
                continue
            setattr(klass, name, _checking(function, hint))
            replaced.append((klass, name, function))
    return replaced


def _checking(function: Callable[..., Any], hint: Any) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        answer = function(*args, **kwargs)
        try:
            check_answer(answer, hint)
        except TypeCheckError as error:
            raise TypeCheckError(f'{function.__qualname__}: the answer {error}') from None
        return answer

    return wrapper
