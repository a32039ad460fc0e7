"""Sphinx: list the fields of each TypedDict of consulate.types in its documentation.

autodoc shows a class's docstring; for a :class:`~typing.TypedDict` the
fields are the point, so this appends them: each field's name and type
(shapes linked), whether Consul may leave it out, and the comment on its
line in the source (where a field Consul 1.8.7 never sends comes from),
the fields of the ``total=False`` base that holds a shape's optional ones
included.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
from functools import cache
from typing import Any, is_typeddict

_NAME = re.compile(r'\b[A-Z][A-Za-z0-9]*\b')


@cache
def _classes_in_source(module_name: str) -> dict[str, tuple[list[str], dict[str, tuple[str, str]]]]:
    """For each class of a module: its bases' names, and field -> (annotation, comment on its line)."""
    source = inspect.getsource(sys.modules[module_name])
    lines = source.splitlines()
    found: dict[str, tuple[list[str], dict[str, tuple[str, str]]]] = {}
    for node in ast.parse(source).body:
        if not isinstance(node, ast.ClassDef):
            continue
        fields: dict[str, tuple[str, str]] = {}
        for item in node.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                line = lines[item.lineno - 1]
                comment = line.split('#', 1)[1].strip() if '#' in line else ''
                fields[item.target.id] = (ast.unparse(item.annotation), comment)
        found[node.name] = ([ast.unparse(base) for base in node.bases], fields)
    return found


def _declared(module_name: str, class_name: str) -> dict[str, tuple[str, str]]:
    """Every field of a TypedDict of ``module_name`` with its annotation and comment, bases' first."""
    classes = _classes_in_source(module_name)
    bases, own = classes.get(class_name, ([], {}))
    fields: dict[str, tuple[str, str]] = {}
    for base in bases:
        if base in classes:
            fields.update(_declared(module_name, base))
    fields.update(own)
    return fields


def _linked(annotation: str, shapes: dict[str, str]) -> str:
    """The annotation as reST text, with the names of shapes as links."""
    parts, last = [], 0
    for match in _NAME.finditer(annotation):
        target = shapes.get(match.group())
        if target is None:
            continue
        parts += [_escaped(annotation[last : match.start()]), f':class:`~{target}`']
        last = match.end()
    parts.append(_escaped(annotation[last:]))
    return '\\ '.join(part for part in parts if part)


def _escaped(text: str) -> str:
    return re.sub(r'([\\`*|_])', r'\\\1', text)


def _shapes() -> dict[str, str]:
    import consulate.types

    return {
        name: f'{value.__module__}.{name}'
        for name in consulate.types.__all__
        if is_typeddict(value := getattr(consulate.types, name))
    }


def add_fields(app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    if what != 'class' or not is_typeddict(obj) or not obj.__module__.startswith('consulate.'):
        return
    fields = _declared(obj.__module__, obj.__name__)
    if not fields:
        return
    shapes = _shapes()
    lines += ['', '**Fields**', '']
    ordered = sorted(fields, key=lambda field: field in obj.__optional_keys__)
    for field in ordered:
        annotation, comment = fields[field]
        text = f'* ``{field}``: {_linked(annotation, shapes)}'
        if field in obj.__optional_keys__:
            text += ', *may be missing*'
        if comment:
            text += f' — {comment}'
        lines.append(text)
    lines.append('')


def setup(app: Any) -> dict[str, Any]:
    app.connect('autodoc-process-docstring', add_fields)
    return {'parallel_read_safe': True}
