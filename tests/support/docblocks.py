"""The code blocks of the documentation pages, read from their reST source.

A block is a ``.. code-block:: LANGUAGE`` directive or a literal block (a
paragraph ending in ``::``). Each is sorted into one kind:

``python``
    a ``python`` code block, or a literal block that parses as Python;
``console``
    a ``console``, ``sh``, ``bash`` or ``shell`` code block, or any block whose
    first line is a ``$ `` prompt: commands someone would type;
``output``
    anything else (``text``, ``json``, tables of figures, lists of test
    names): shown, never run.

A block not meant to run is marked by a reST comment, alone in the
paragraph just above the one that introduces it (or above the directive)::

    .. not-run: needs Consul Enterprise (namespaces)

:func:`blocks` returns the marker's reason as :attr:`Block.not_run`.

What a reader of a page already has (a registered service, a token) is
made by a ``doc-setup`` comment: Python, run before the blocks after it and
never shown (kind ``python``, language ``setup``)::

    .. doc-setup:
       consulate.Consul().agent.service.register('web', port=80)
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path

__all__ = ['MARKER', 'Block', 'blocks', 'docstring_blocks', 'pages']

#: The comment that marks a block not meant to run, and its reason.
MARKER = re.compile(r'^\s*\.\. not-run:\s*(?P<reason>\S.*)$')
_SETUP = re.compile(r'^(?P<indent>\s*)\.\. doc-setup:\s*$')
_DIRECTIVE = re.compile(r'^(?P<indent>\s*)\.\. code-block::\s*(?P<language>[\w-]+)\s*$')
_OTHER_DIRECTIVE = re.compile(r'^\s*\.\. [\w:-]+::')
_STATEMENTS = (
    ast.Call,
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.ClassDef,
    ast.With,
    ast.For,
    ast.While,
    ast.Try,
)
_SHELLS = frozenset({'console', 'sh', 'bash', 'shell', 'shell-session'})


@dataclass(frozen=True)
class Block:
    """One code block: where it is, its kind, its dedented text, and why it is not run."""

    page: Path
    line: int
    language: str
    kind: str
    text: str
    not_run: str | None

    @property
    def name(self) -> str:
        """``page:line``, the line of the directive or of the paragraph ending in ``::``."""
        return f'{self.page.as_posix()}:{self.line}'


def pages(root: Path) -> list[Path]:
    """Every page of the documentation (``docs/**/*.rst``) and the README, relative to ``root``."""
    found = sorted(path.relative_to(root) for path in (root / 'docs').rglob('*.rst'))
    return [*found, Path('README.rst')]


def docstring_blocks(root: Path, module: Path) -> list[Block]:
    """The code blocks of the docstrings of ``module`` (relative to ``root``), which autodoc shows.

    Each block is named ``module:line`` by the line of its docstring's owner.
    """
    tree = ast.parse((root / module).read_text(encoding='utf-8'))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        docstring = ast.get_docstring(node)
        line = getattr(node, 'lineno', 1)
        if docstring:
            lines = docstring.splitlines()
            found.extend(replace(block, line=line) for block in _scan(module, lines))
    return sorted(found, key=lambda block: block.line)


def blocks(root: Path, page: Path) -> list[Block]:
    """The code blocks of ``page`` (relative to ``root``), in order."""
    return _scan(page, (root / page).read_text(encoding='utf-8').splitlines())


def _scan(page: Path, lines: list[str]) -> list[Block]:
    found = []
    for number, line in enumerate(lines):
        directive = _DIRECTIVE.match(line) or _SETUP.match(line)
        if directive:
            language = directive.groupdict().get('language') or 'setup'
        elif line.rstrip().endswith('::') and not _OTHER_DIRECTIVE.match(line):
            language = ''
        else:
            continue
        indent = len(line) - len(line.lstrip())
        text = _body(lines[number + 1 :], indent)
        if not text.strip():
            continue
        found.append(
            Block(
                page,
                number + 1,
                language,
                _kind(language, text),
                text,
                _marker(lines, number, directive is not None),
            )
        )
    return found


def _body(following: list[str], indent: int) -> str:
    """The indented lines after a directive or ``::`` (a directive's options left out)."""
    body: list[str] = []
    for line in following:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        body.append(line)
    text = textwrap.dedent('\n'.join(body)).strip('\n')
    kept = [line for line in text.splitlines() if not re.match(r'^:[\w-]+:', line)]
    return textwrap.dedent('\n'.join(kept)).strip('\n') + '\n'


def _kind(language: str, text: str) -> str:
    if text.lstrip().startswith('$ ') or language in _SHELLS:
        return 'console'
    if language in ('python', 'setup'):
        return 'python'
    if language:
        return 'output'
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return 'output'
    # A path (``docs/index.rst``) or a word parses too: code does something.
    return 'python' if any(isinstance(node, _STATEMENTS) for node in ast.walk(tree)) else 'output'


def _marker(lines: list[str], number: int, directive: bool) -> str | None:
    """The reason of a ``.. not-run:`` comment above the block's introduction, if there is one."""
    start = number
    if not directive:  # the start of the paragraph that ends in ``::``
        while start > 0 and lines[start - 1].strip():
            start -= 1
    above = start - 1
    while above >= 0 and not lines[above].strip():
        above -= 1
    if above < 0:
        return None
    match = MARKER.match(lines[above])
    return match.group('reason') if match else None
