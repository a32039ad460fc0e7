"""The rules of the package's shape, checked on its source with :mod:`ast`.

Each test reads every module under ``consulate/`` (nothing is imported) and,
when a rule is broken, names the offending modules and lines:

a. the import graph has no cycle;
b. no module imports the package top (``consulate/__init__.py``);
c. only ``consulate/adapters/`` imports requests, urllib3 or requests-unixsocket;
d. exactly one function sends requests on the network;
e. no module is over 450 lines (split a growing one by sub-resource);
f. the installed requests (and every other dependency) satisfies setup.py's pins.

The reading is done by :mod:`tests.support.codebase`; the last tests of this
module check that each rule catches what it is meant to catch, on a small
package written for the purpose.
"""

from __future__ import annotations

import importlib.metadata
import textwrap
from pathlib import Path

import pytest

from tests.support import codebase
from tests.support.versions import install_requires, parse_requirement, satisfies, version_key

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / 'consulate'

#: The longest a module may be.
MAX_LINES = 450


def consulate_modules() -> dict[str, codebase.Module]:
    modules = codebase.load(PACKAGE)
    assert {'consulate', 'consulate.exceptions', 'consulate.adapters'} <= set(modules)
    return modules


def fail(title: str, report: list[str]) -> None:
    """Fail with ``title`` and the report's lines, if there are any (no traceback: the lines tell)."""
    if report:
        pytest.fail(f'{title}\n' + '\n'.join(report), pytrace=False)


#: The one import of an HTTP library allowed outside the adapters: consulate's
#: transport exceptions subclass requests' (0.6.0 let requests' own out of every call).
EXCEPTION_BASES = ('consulate.exceptions', 'requests.exceptions')


def http_imports(modules: dict[str, codebase.Module], allowed: str) -> list[str]:
    """The imports of HTTP libraries outside package ``allowed``, ``if TYPE_CHECKING:`` ones too."""
    return [
        f'  {imported.line}'
        for name, module in modules.items()
        if name != allowed and not name.startswith(f'{allowed}.')
        for imported in codebase.imports(module, type_checking=True)
        if imported.target.split('.')[0] in codebase.HTTP_LIBRARIES
        and (name, imported.target) != EXCEPTION_BASES
    ]


def is_transport(module: codebase.Module) -> bool:
    return bool(codebase.transport_classes(module))


def senders(modules: dict[str, codebase.Module]) -> tuple[set[str], list[str]]:
    """Outside the transport modules: the functions that send (``path:Class.method``), and the calls."""
    found = [
        send
        for module in modules.values()
        if not is_transport(module)
        for send in dict.fromkeys(codebase.sends(module) + codebase.dispatches(module))
    ]
    return {f'{send.module.where}:{send.function}' for send in found}, [f'  {s}' for s in found]


def transport_writers(modules: dict[str, codebase.Module], home: str) -> list[str]:
    """A report of the transport modules outside package ``home`` or writing in several functions."""
    report = []
    for name, module in modules.items():
        if not is_transport(module):
            continue
        classes = ', '.join(codebase.transport_classes(module))
        if name != home and not name.startswith(f'{home}.'):
            report.append(f'  {module.where}: transports ({classes}) outside {home}')
        writes = codebase.sends(module)
        if len({send.function for send in writes}) > 1:
            report.append(f'  {module.where} ({classes}) writes requests in several functions:')
            report += [f'    {send}' for send in writes]
    return report


# -- a. no import cycle ---------------------------------------------------------------


def test_the_import_graph_has_no_cycle() -> None:
    """No module imports, directly or through others, a module that imports it.

    The graph has an edge ``a -> b`` for every import in ``a`` that runs module
    ``b`` of the package: module-level imports and imports inside functions,
    absolute and relative; ``from p import x`` is an edge to ``p.x`` when that
    is a module, else to ``p``. Imports under ``if TYPE_CHECKING:`` never run
    and are left out; so is the implicit import of a parent package, which
    Python has begun running before any of its submodules.
    """
    fail(
        'import cycles in consulate/ (under each cycle, the imports that make its links):',
        codebase.cycles(consulate_modules()),
    )


# -- b. nothing imports the package top ----------------------------------------------


def test_no_module_imports_the_package_top() -> None:
    """No module inside consulate/ uses a name defined by ``consulate/__init__.py``.

    ``consulate/__init__.py`` imports the client, which imports nearly
    everything: a module that reaches up to it depends on the whole package.
    Flagged: ``from consulate import X`` (or a relative import reaching the
    top) where ``X`` is not a submodule (``__version__``, ``Consul``),
    ``from consulate import *``, and ``consulate.X`` after ``import consulate``
    where ``X`` is not a submodule. ``from consulate import exceptions`` names
    a submodule and is fine. Imports under ``if TYPE_CHECKING:`` are left out.
    """
    fail(
        'modules importing the package top (consulate/__init__.py); import the module '
        'that defines the name instead:',
        codebase.top_imports(consulate_modules(), 'consulate'),
    )


# -- c. only the adapters import the HTTP libraries -------------------------------------


def test_only_the_adapters_import_requests_and_urllib3() -> None:
    """requests, requests-unixsocket and urllib3 are imported only under consulate/adapters/.

    Every import counts, ``if TYPE_CHECKING:`` ones too: a requests type in a
    signature elsewhere leaks the library just the same. consulate/testing.py
    starts agents and talks to them through the client, so it gets no exception.
    The one exception: consulate/exceptions.py imports ``requests.exceptions``,
    whose classes are bases of consulate's transport errors.
    """
    fail(
        'HTTP libraries imported outside consulate/adapters/:',
        http_imports(consulate_modules(), 'consulate.adapters'),
    )


def test_the_adapters_do_import_them() -> None:
    """The rule above is not empty: the adapters are where requests and urllib3 are used."""
    used = {
        imported.target.split('.')[0]
        for name, module in consulate_modules().items()
        if name.startswith('consulate.adapters')
        for imported in codebase.imports(module)
    }
    assert {'requests', 'urllib3'} <= used, sorted(used)


# -- d. one function sends requests ---------------------------------------------------


def test_exactly_one_function_sends_requests() -> None:
    """Exactly one function in consulate/ sends every request; only transports lie below it.

    The static rule (:func:`tests.support.codebase.sends`): a call writes a
    request on the network when it is

    1. a call of a method named ``urlopen`` (urllib3's pools and pool
       managers, ``urllib.request.urlopen``), anywhere;
    2. ``requests.get/post/put/delete/head/options/patch/request(...)``
       (also through ``requests.api`` or ``from requests import get``), anywhere;
    3. in a module that imports requests, urllib3, requests-unixsocket,
       http.client, socket or ssl (only such a module can hold a Session, a
       pool, a transport adapter, a connection or a socket), a call of a
       method named ``request``, ``send``, ``sendall``, ``putrequest`` or
       ``endheaders`` on anything but ``self``, ``cls`` or ``super()``
       (``self.session.request(...)``, ``self.sock.sendall(...)``).
       A call on ``self`` is the module's own code calling its own public
       path (``Request.get`` calling ``self.request``), which is allowed; one
       on ``super()`` hands the call on to the library class it extends.

    A call of a ``send`` method on anything but ``self`` (``transport.send(wire)``)
    hands a request to a transport, and counts as sending too.

    The transports (classes with ``send`` and ``close`` methods, the seam of
    :mod:`consulate.adapters.transport`; a ``Protocol`` is not one) are the
    only modules left out here; the next test holds them to their own rule.
    Everywhere else, the sending calls must sit in one function (grouped by
    the enclosing function's qualified name), so plain and streamed requests,
    and every endpoint, go through it. Endpoints call their adapter's
    ``request`` from modules that import no HTTP library (api/base.py): those
    calls go through the one path and are not counted.
    """
    functions, listing = senders(consulate_modules())
    if not functions:
        pytest.fail('no function sends a request: the rule of this test no longer matches the code')
    if len(functions) > 1:
        fail(f'{len(functions)} functions send requests on the network; one must:', listing)


def test_each_transport_writes_requests_in_one_function() -> None:
    """A transport lives under consulate/adapters/ and writes a request in one function.

    The calls counted are those of the rule above (urlopen, requests' API,
    ``request/send/putrequest/endheaders`` on a session, adapter or connection).
    """
    fail(
        'transports that break the seam:',
        transport_writers(consulate_modules(), 'consulate.adapters'),
    )


# -- e. module size -------------------------------------------------------------------


def test_no_module_is_over_450_lines() -> None:
    """Modules stay within 450 lines: a longer one is split (by sub-resource, by concern)."""
    fail(
        f'modules over {MAX_LINES} lines (split them by sub-resource or concern):',
        codebase.oversized(consulate_modules(), MAX_LINES),
    )


# -- f. installed dependencies ----------------------------------------------------------


def test_the_installed_requests_is_at_least_the_minimum_setup_py_names() -> None:
    """The requests found at run time satisfies setup.py's pin (the fast path needs its internals).

    setup.py is parsed with ast, never run; the installed versions come from
    importlib.metadata and are compared without the packaging library. Every
    other runtime dependency is checked the same way.
    """
    wanted = install_requires(ROOT / 'setup.py')
    requirements = dict(parse_requirement(text) for text in wanted)
    assert 'requests' in requirements, f'setup.py does not name requests: {wanted}'
    lower = [v for op, v in requirements['requests'] if op in ('>=', '>', '~=', '==', '===')]
    assert lower, f'setup.py names no minimum version of requests: {wanted}'
    report = []
    for name, specs in requirements.items():
        installed = importlib.metadata.version(name)
        broken = [
            f'{op}{version}' for op, version in specs if not satisfies(installed, op, version)
        ]
        if broken:
            report.append(
                f'  {name} {installed} is installed; setup.py asks for {",".join(broken)}'
            )
    fail('installed dependencies older (or newer) than setup.py allows:', report)


def test_versions_compare_as_pep_440_orders_them() -> None:
    ordered = ['1.0.dev1', '1.0a1', '1.0a2.dev1', '1.0b2', '1.0rc1', '1.0', '1.0.post1', '1.1']
    keys = [version_key(v) for v in ordered]
    assert keys == sorted(keys)
    assert version_key('2.32.10') > version_key('2.32.2') > version_key('2.32')
    assert version_key('2.32.0') == version_key('2.32') == version_key('v2.32.0+local')
    assert version_key('1!0.1') > version_key('2024.1')
    assert satisfies('2.34.2', '>=', '2.32.2') and not satisfies('2.31.0', '>=', '2.32.2')
    assert not satisfies('2.32.2rc1', '>=', '2.32.2')
    assert satisfies('2.34.2', '<', '3') and not satisfies('3.0.0', '<', '3')
    assert satisfies('2.32.5', '~=', '2.32.2') and not satisfies('2.33.0', '~=', '2.32.2')
    assert satisfies('2.32.5', '==', '2.*') and not satisfies('3.0', '==', '2.*')
    assert satisfies('2.32.5', '!=', '2.31.*') and not satisfies('2.31.1', '!=', '2.31.*')
    assert parse_requirement('requests>=2.32.2, <3') == ('requests', [('>=', '2.32.2'), ('<', '3')])
    assert parse_requirement('requests[socks] (>=2.32)') == ('requests', [('>=', '2.32')])
    assert parse_requirement("a-b>=0.3; python_version>'3'") == ('a-b', [('>=', '0.3')])


def test_install_requires_is_read_without_running_setup_py(tmp_path: Path) -> None:
    setup_py = tmp_path / 'setup.py'
    setup_py.write_text(
        "import sys\nsys.exit('never run')\n"
        "setuptools.setup(name='x', install_requires=['requests>=2.32.2,<3', 'b'])\n"
    )
    assert install_requires(setup_py) == ['requests>=2.32.2,<3', 'b']
    setup_py.write_text('setup(name="x")\n')
    with pytest.raises(AssertionError, match='no setup'):
        install_requires(setup_py)


# -- the rules catch what they should, on a package made for it ---------------------------

BROKEN = {
    '__init__.py': """
        __version__ = '1'
        from pkg import client
    """,
    'client.py': """
        from typing import TYPE_CHECKING
        from pkg import exceptions, wire
        if TYPE_CHECKING:
            from pkg.api import kv  # a type-only import: no edge
    """,
    'exceptions.py': '',
    'pooled.py': """
        import http.client
        from typing import Protocol

        class Transport(Protocol):  # the seam itself: no transport
            def send(self, request): ...
            def close(self): ...

        class Pooled:
            def send(self, request):
                connection = http.client.HTTPConnection('h')
                if request.stream:
                    connection.request('GET', request.target)  # a second way to write
                    return connection.getresponse()
                _write(connection, request)
                return connection.getresponse()

            def close(self):
                pass

        def _write(connection, request):
            connection.putrequest(request.method, request.target)
            connection.endheaders(request.body)
    """,
    'wire.py': """
        import requests
        import urllib3

        class Wire:
            def get(self, url):
                return self.request('GET', url)  # its own public path: allowed

            def request(self, method, url):
                return self.pool.urlopen(method, url)

            def stream(self, method, url):
                return self.session.request(method, url, stream=True)

            def dispatch(self, wire):
                return self.transport.send(wire)

        def version():
            from pkg import __version__  # upward, in a function
            return __version__
    """,
    'api/__init__.py': '',
    'api/kv.py': """
        from . import txn
        from ..exceptions import *
    """,
    'api/txn.py': """
        def helper():
            from pkg.api.kv import encode
            import pkg
            return pkg.client, pkg.Consul
    """,
    'api/health.py': """
        from requests import get
        from .. import exceptions, __version__

        def check(adapter):
            adapter.request('GET', '/v1/health')  # an adapter, from a module without HTTP: fine
            return get('http://x')
    """,
    'api/ping.py': """
        import socket

        def ping(sock: socket.socket):
            sock.sendall(b'GET /v1/status/leader HTTP/1.1\\r\\n\\r\\n')  # a socket: a way out
    """,
    'api/long.py': 'x = 1\n' * 401,
    'api/long_with_reason.py': '"""Long: one table that reads best whole, past 400\n lines."""\n'
    + 'x = 1\n' * 401,
}


@pytest.fixture
def broken(tmp_path: Path) -> dict[str, codebase.Module]:
    """A package ``pkg`` that breaks every rule."""
    for name, text in BROKEN.items():
        path = tmp_path / 'pkg' / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return codebase.load(tmp_path / 'pkg')


def test_the_cycle_rule_finds_cycles_through_functions_and_relative_imports(
    broken: dict[str, codebase.Module],
) -> None:
    report = '\n'.join(codebase.cycles(broken))
    assert 'pkg.api.kv -> pkg.api.txn -> pkg.api.kv' in report
    assert 'pkg/api/kv.py:2: from . import txn' in report
    assert 'pkg/api/txn.py:3: from pkg.api.kv import encode (in a function)' in report
    assert 'pkg -> pkg.client -> pkg.wire -> pkg' in report
    assert 'pkg/wire.py:19: from pkg import __version__ (in a function)' in report
    assert 'pkg.client -> pkg.api.kv' not in report  # TYPE_CHECKING only
    graph = codebase.import_graph(broken)
    assert set(graph['pkg.api.kv']) == {'pkg.api.txn', 'pkg.exceptions'}
    assert 'pkg.api.kv' not in graph['pkg.client']


def test_the_top_rule_finds_names_of_the_package_top(broken: dict[str, codebase.Module]) -> None:
    report = codebase.top_imports(broken, 'pkg')
    assert report == [
        '  pkg/api/health.py:3: from .. import exceptions, __version__   <- __version__',
        '  pkg/api/txn.py:5: pkg.Consul',
        '  pkg/wire.py:19: from pkg import __version__ (in a function)   <- __version__',
    ]


def test_the_http_rule_finds_requests_outside_the_allowed_package(
    broken: dict[str, codebase.Module],
) -> None:
    assert http_imports(broken, 'pkg.wire') == [
        '  pkg/api/health.py:2: from requests import get',
    ]


def test_the_send_rule_finds_each_way_to_the_network(broken: dict[str, codebase.Module]) -> None:
    functions, listing = senders(broken)
    assert functions == {
        'pkg/wire.py:Wire.request',
        'pkg/wire.py:Wire.stream',
        'pkg/wire.py:Wire.dispatch',
        'pkg/api/health.py:check',
        'pkg/api/ping.py:ping',
    }
    assert '  pkg/wire.py:16: self.transport.send(...) in Wire.dispatch' in listing
    assert '  pkg/wire.py:10: self.pool.urlopen(...) in Wire.request' in listing
    assert '  pkg/wire.py:13: self.session.request(...) in Wire.stream' in listing
    assert '  pkg/api/health.py:7: get(...) in check' in listing
    assert '  pkg/api/ping.py:5: sock.sendall(...) in ping' in listing


def test_the_size_rule_takes_no_excuse(
    broken: dict[str, codebase.Module],
) -> None:
    assert codebase.oversized(broken, 400) == [
        '  pkg/api/long.py: 401 lines',
        '  pkg/api/long_with_reason.py: 403 lines',
    ]


def test_the_transport_rule_finds_a_second_way_inside_a_transport(
    broken: dict[str, codebase.Module],
) -> None:
    assert codebase.transport_classes(broken['pkg.pooled']) == ['Pooled']
    report = transport_writers(broken, 'pkg.adapters')
    assert report == [
        '  pkg/pooled.py: transports (Pooled) outside pkg.adapters',
        '  pkg/pooled.py (Pooled) writes requests in several functions:',
        '    pkg/pooled.py:13: connection.request(...) in Pooled.send',
        '    pkg/pooled.py:22: connection.putrequest(...) in _write',
        '    pkg/pooled.py:23: connection.endheaders(...) in _write',
    ]
