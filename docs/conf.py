"""Sphinx configuration for consulate's documentation."""

import importlib
import pkgutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / '_ext'))

import consulate
import consulate.api
import consulate.types

project = 'consulate'
author = 'the consulate authors'
copyright = '2014-2017 Gavin M. Roy, 2026 the consulate authors'
release = consulate.__version__
version = '.'.join(release.split('.')[:2])

extensions = ['sphinx.ext.autodoc', 'sphinx.ext.viewcode', 'typeddict_fields']
autodoc_member_order = 'bysource'
autodoc_typehints = 'description'
autodoc_default_options = {'members': True, 'show-inheritance': True}
exclude_patterns = ['_build']
html_theme = 'alabaster'
html_static_path: list[str] = []


def _name_the_shapes() -> None:
    """Let autodoc resolve the return types that name the shapes of consulate.types.

    The endpoints import consulate.types only for type checkers (``if
    TYPE_CHECKING:``), so that using consulate never loads it; for the docs,
    the shapes' names are put in those modules, and the methods' return types
    resolve and link to the Answer types page.
    """
    shapes = {name: getattr(consulate.types, name) for name in consulate.types.__all__}
    names = [info.name for info in pkgutil.walk_packages(consulate.api.__path__, 'consulate.api.')]
    for name in [*names, 'consulate.watch', 'consulate.cache']:
        module = importlib.import_module(name)
        for shape, value in shapes.items():
            module.__dict__.setdefault(shape, value)


_name_the_shapes()
