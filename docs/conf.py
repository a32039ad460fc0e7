"""Sphinx configuration for consulate's documentation."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / '_ext'))

import consulate

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
