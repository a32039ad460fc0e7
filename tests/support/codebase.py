"""A package's source, read with :mod:`ast`: its modules, imports, import graph and network calls.

The architecture tests (tests/unit/test_architecture.py) state their rules
over what this module finds; nothing here imports the code it reads. Every
function takes the modules to look at (``load(path)``), so the rules can be
checked on a small made-up package as well as on ``consulate/``.
"""

from __future__ import annotations

import ast
import functools
import itertools
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    'HTTP_LIBRARIES',
    'Import',
    'Module',
    'Send',
    'cycles',
    'dispatches',
    'import_graph',
    'imports',
    'load',
    'oversized',
    'runtime_nodes',
    'sends',
    'top_imports',
    'transport_classes',
]

#: The libraries that speak HTTP.
HTTP_LIBRARIES = ('requests', 'requests_unixsocket', 'urllib3')

#: The methods that write a request with requests (Session.request/send, an
#: adapter's send), http.client (HTTPConnection.request/putrequest/endheaders)
#: or a socket (send/sendall).
WIRE_METHODS = frozenset({'request', 'send', 'sendall', 'putrequest', 'endheaders'})
#: The standard modules that give a module sockets to write on.
SOCKET_MODULES = frozenset({'http.client', 'socket', 'ssl'})

#: requests' module-level functions that send a request.
REQUESTS_API = frozenset({'request', 'get', 'options', 'head', 'post', 'put', 'patch', 'delete'})


@dataclass(frozen=True)
class Module:
    """One module, parsed."""

    name: str  # consulate.api.kv
    path: Path
    where: str  # consulate/api/kv.py
    tree: ast.Module
    lines: int

    @property
    def is_package(self) -> bool:
        return self.path.name == '__init__.py'


Modules = Mapping[str, Module]


@dataclass(frozen=True)
class Import:
    """One import statement (or ``importlib.import_module('...')`` call) in a module."""

    module: Module
    node: ast.stmt | ast.expr
    target: str  # the absolute module name it imports from (`from . import x` in p/m.py: p)
    names: tuple[str, ...]  # the names of a from-import; () for `import x`
    in_function: bool

    @property
    def line(self) -> str:
        """``consulate/api/kv.py:25: from consulate.api import txn (in a function)``."""
        where = ' (in a function)' if self.in_function else ''
        return f'{self.module.where}:{self.node.lineno}: {source(self.node)}{where}'


@dataclass(frozen=True)
class Send:
    """A call that puts a request on the network."""

    module: Module
    function: str  # the qualified name of the enclosing function, or '<module>'
    call: ast.Call

    def __str__(self) -> str:
        call = f'{ast.unparse(self.call.func)}(...)'
        return f'{self.module.where}:{self.call.lineno}: {call} in {self.function}'


def source(node: ast.AST) -> str:
    """The code of ``node`` on one line, cut short when long."""
    text = ast.unparse(node)
    return text if len(text) <= 100 else f'{text[:96]} ...'


@functools.cache
def load(package: Path) -> dict[str, Module]:
    """Every module of the package at ``package`` (a directory), by dotted name."""
    found = {}
    for path in sorted(package.rglob('*.py')):
        relative = path.relative_to(package.parent)
        parts = relative.with_suffix('').parts
        name = '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)
        text = path.read_text(encoding='utf-8')
        tree = ast.parse(text, str(path))
        found[name] = Module(name, path, str(relative), tree, len(text.splitlines()))
    return found


# -- imports ----------------------------------------------------------------------------


def _is_type_checking(test: ast.expr) -> bool:
    """``if TYPE_CHECKING:`` or ``if typing.TYPE_CHECKING:``."""
    return (isinstance(test, ast.Name) and test.id == 'TYPE_CHECKING') or (
        isinstance(test, ast.Attribute) and test.attr == 'TYPE_CHECKING'
    )


def runtime_nodes(
    node: ast.AST, in_function: bool = False, *, type_checking: bool = False
) -> Iterator[tuple[ast.AST, bool]]:
    """Every node under ``node`` that can run, with whether it is inside a function.

    The bodies of ``if TYPE_CHECKING:`` blocks are skipped (their ``else`` is
    kept), unless ``type_checking``.
    """
    for child in ast.iter_child_nodes(node):
        if not type_checking and isinstance(child, ast.If) and _is_type_checking(child.test):
            children: list[ast.AST] = list(child.orelse)
        else:
            children = [child]
        for each in children:
            yield each, in_function
            inside = in_function or isinstance(
                each, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            )
            yield from runtime_nodes(each, inside, type_checking=type_checking)


def _absolute(module: Module, level: int, name: str | None) -> str:
    """The absolute module name of ``from <level dots><name> import ...`` in ``module``."""
    if level == 0:
        return name or ''
    package = module.name.split('.') if module.is_package else module.name.split('.')[:-1]
    base = package[: len(package) - (level - 1)]
    return '.'.join([*base, name] if name else base)


def imports(module: Module, *, type_checking: bool = False) -> list[Import]:
    """The imports of ``module``: module level and in functions, relative ones made absolute.

    ``if TYPE_CHECKING:`` imports are left out unless ``type_checking``.
    ``importlib.import_module('a.b')`` with a constant name counts as ``import a.b``.
    """
    found = []
    for node, in_function in runtime_nodes(module.tree, type_checking=type_checking):
        if isinstance(node, ast.Import):
            found += [Import(module, node, alias.name, (), in_function) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, node.level, node.module)
            names = tuple(alias.name for alias in node.names)
            found.append(Import(module, node, target, names, in_function))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == 'import_module'
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append(Import(module, node, node.args[0].value, (), in_function))
    return found


def _edges(imported: Import, known: Modules) -> list[str]:
    """The modules an import runs: ``from a import b`` is ``a.b`` when that is a module, else ``a``."""
    if not imported.names:
        return [imported.target] if imported.target in known else []
    targets = []
    for name in imported.names:
        submodule = f'{imported.target}.{name}'
        if submodule in known:
            targets.append(submodule)
        elif imported.target in known:
            targets.append(imported.target)
    return list(dict.fromkeys(targets))


Graph = dict[str, dict[str, list[Import]]]


def import_graph(known: Modules) -> Graph:
    """``{module: {module it imports: [the imports that do it]}}``, within ``known``.

    Module-level and in-function imports count; ``if TYPE_CHECKING:`` ones do
    not. The implicit import of a parent package is no edge: Python has begun
    running the parent before any of its submodules.
    """
    graph: Graph = {name: {} for name in known}
    for name, module in known.items():
        for imported in imports(module):
            for target in _edges(imported, known):
                graph[name].setdefault(target, []).append(imported)
    return graph


def _strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module, or of a self-import."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:  # recursion depth is bounded by the number of modules
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while not component or component[-1] != node:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1 or node in graph[node]:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def _shortest_cycle(graph: Graph, members: list[str]) -> list[str]:
    """A shortest import cycle through the first of ``members`` (a strongly connected component)."""
    start, inside = members[0], set(members)
    parents: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in sorted(graph[node]):
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return [*reversed(path), start]
            if target in inside and target not in parents:
                parents[target] = node
                queue.append(target)
    raise AssertionError(f'no cycle through {start} in {members}')  # pragma: no cover


def cycles(known: Modules) -> list[str]:
    """A report of the import cycles: each as ``a -> b -> a``, then the imports that make it."""
    graph = import_graph(known)
    report = []
    for members in _strongly_connected(graph):
        cycle = _shortest_cycle(graph, members)
        report.append(f'  {" -> ".join(cycle)}')
        for source_, target in itertools.pairwise(cycle):
            report += [f'      {imported.line}' for imported in graph[source_][target]]
        others = sorted(set(members) - set(cycle))
        if others:
            report.append(f'    (more modules import each other around it: {", ".join(others)})')
    return report


# -- the package top ------------------------------------------------------------------


def top_imports(known: Modules, top: str) -> list[str]:
    """A report of the modules that use a name of package ``top``'s ``__init__``.

    Found: ``from top import X`` (or a relative import reaching ``top``) where
    ``X`` is not a submodule, ``from top import *``, and ``top.X`` after
    ``import top`` (or ``import top.sub``, which binds the same name) where
    ``X`` is not a submodule. ``if TYPE_CHECKING:`` imports are left out.
    """
    report = []
    for name, module in known.items():
        if name == top:
            continue
        bound: set[str] = set()
        for imported in imports(module):
            statement = imported.node
            if isinstance(statement, ast.ImportFrom) and imported.target == top:
                upward = [n for n in imported.names if f'{top}.{n}' not in known]
                if upward:
                    report.append(f'  {imported.line}   <- {", ".join(upward)}')
            elif isinstance(statement, ast.Import):
                for alias in statement.names:
                    if alias.name == top or (alias.name.startswith(f'{top}.') and not alias.asname):
                        bound.add(alias.asname or top)
        for node, _ in runtime_nodes(module.tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in bound
                and f'{top}.{node.attr}' not in known
            ):
                report.append(f'  {module.where}:{node.lineno}: {ast.unparse(node)}')
    return sorted(set(report))


# -- the network ----------------------------------------------------------------------


def _requests_names(module: Module) -> tuple[set[str], set[str]]:
    """The names bound to the requests module, and to requests' sending functions, in ``module``."""
    modules, functions = set(), set()
    for imported in imports(module, type_checking=True):
        node = imported.node
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == 'requests' or alias.name.startswith('requests.'):
                    modules.add(alias.asname or 'requests')
        elif isinstance(node, ast.ImportFrom) and imported.target in ('requests', 'requests.api'):
            functions |= {a.asname or a.name for a in node.names if a.name in REQUESTS_API}
    return modules, functions


def _calls(module: Module, chosen: Callable[[ast.Call], bool]) -> list[Send]:
    """The ``chosen`` calls of ``module``, each with its enclosing function's qualified name."""
    found = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(child, child.name if function == '<module>' else f'{function}.{child.name}')
                continue
            if isinstance(child, ast.Call) and chosen(child):
                found.append(Send(module, function, child))
            visit(child, function)

    visit(module.tree, '<module>')
    return found


def _speaks_http(module: Module) -> bool:
    """Whether ``module`` imports requests, requests-unixsocket, urllib3, http.client, socket or ssl."""
    for imported in imports(module, type_checking=True):
        if imported.target.split('.')[0] in HTTP_LIBRARIES or imported.target in SOCKET_MODULES:
            return True
        if imported.target == 'http' and 'client' in imported.names:
            return True
    return False


def sends(module: Module) -> list[Send]:
    """The calls in ``module`` that write a request on the network.

    A call writes a request when it is

    1. a call of a method named ``urlopen`` (urllib3's pools and pool
       managers, ``urllib.request.urlopen``), anywhere;
    2. ``requests.get/post/put/delete/head/options/patch/request(...)``
       (also through ``requests.api`` or ``from requests import get``), anywhere;
    3. in a module that imports requests, urllib3, requests-unixsocket,
       http.client, socket or ssl (only such a module can hold a Session, a
       pool, a transport adapter, an HTTP connection or a socket), a call of a
       method named ``request``, ``send``, ``sendall``, ``putrequest`` or
       ``endheaders`` on anything but ``self`` or ``cls``
       (``session.send(...)``, ``self.sock.sendall(...)``); a call
       on ``self`` is the module's own code calling its own public path
       (``Request.get`` calling ``self.request``), and one on ``super()`` an
       override handing the call on to the library class it extends (an
       urllib3 connection counting its requests), not a way of its own.
    """
    speaks_http = _speaks_http(module)
    requests_modules, requests_functions = _requests_names(module)

    def sending(call: ast.Call) -> bool:
        func = call.func
        if isinstance(func, ast.Name):
            return func.id in requests_functions
        if not isinstance(func, ast.Attribute):
            return False
        receiver = func.value
        if func.attr == 'urlopen':
            return True
        if isinstance(receiver, ast.Name) and receiver.id in requests_modules:
            return func.attr in REQUESTS_API
        if (
            isinstance(receiver, ast.Attribute)
            and receiver.attr == 'api'
            and isinstance(receiver.value, ast.Name)
            and receiver.value.id in requests_modules
        ):
            return func.attr in REQUESTS_API
        on_self = isinstance(receiver, ast.Name) and receiver.id in ('self', 'cls')
        on_super = (
            isinstance(receiver, ast.Call)
            and isinstance(receiver.func, ast.Name)
            and receiver.func.id == 'super'
        )
        return speaks_http and func.attr in WIRE_METHODS and not (on_self or on_super)

    return _calls(module, sending)


def transport_classes(module: Module) -> list[str]:
    """The classes of ``module`` that implement the transport seam: ``send`` and ``close`` methods.

    A ``typing.Protocol`` (the seam's own definition) is not an implementation.
    """
    found = []
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.ClassDef):
            continue
        if any(ast.unparse(base).split('.')[-1] == 'Protocol' for base in node.bases):
            continue
        methods = {item.name for item in node.body if isinstance(item, ast.FunctionDef)}
        if {'send', 'close'} <= methods:
            found.append(node.name)
    return found


def dispatches(module: Module) -> list[Send]:
    """The calls of a ``send`` method on anything but ``self``/``cls``: a request handed to a transport.

    (A generator's ``send`` would count too; consulate has none.)
    """

    def handing(call: ast.Call) -> bool:
        func = call.func
        if not isinstance(func, ast.Attribute) or func.attr != 'send':
            return False
        return not (isinstance(func.value, ast.Name) and func.value.id in ('self', 'cls'))

    return _calls(module, handing)


# -- size -----------------------------------------------------------------------------


def oversized(known: Modules, limit: int) -> list[str]:
    """A report of the modules over ``limit`` lines (a reason in the docstring excuses none)."""
    return [
        f'  {module.where}: {module.lines} lines'
        for module in sorted(known.values(), key=lambda module: module.where)
        if module.lines > limit
    ]
