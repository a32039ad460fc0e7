"""Every public method of every endpoint, answered 200 with each wrong shape a broken proxy could send.

The endpoint classes are found by walking :mod:`consulate.api`, and their
methods by introspection, so a new method is covered without a new test.
Each is called with arguments made from its signature (:data:`SAMPLES`,
by parameter name) through a transport double that answers every request
with ``200`` and one body of the wrong shape: ``null``, ``[]``, ``{}``, a
string, a number, a list of wrong items, an object missing the fields Consul
sends, an HTML page or nothing at all. A real agent never sends these, which
is why this test uses a double.

Each call must either return a value of its annotated return type, raise
:class:`~consulate.exceptions.InvalidResponse` naming the request's path and
never the token, or raise an exception its docstring documents (``:raises:``),
such as the NotFound of a ``null`` catalog node. Any other exception fails.
A write answered with anything but what Consul sends for it must raise
:class:`~consulate.exceptions.InvalidResponse`: it is never reported done.
"""

from __future__ import annotations

import collections.abc
import importlib
import inspect
import io
import pkgutil
import re
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import consulate
import consulate.api
import consulate.types
from consulate import exceptions
from consulate.adapters.transport import RawResponse, WireRequest
from consulate.api import txn
from consulate.api.base import Endpoint

#: The shapes of consulate.types, which the endpoints import only for type checkers.
SHAPE_NAMES = {name: getattr(consulate.types, name) for name in consulate.types.__all__}

#: The client's token and a legacy ACL's ID (itself a token): never in any message.
TOKEN = 'c0ffee00-aaaa-4bbb-8ccc-5ec2e7000001'
LEGACY_ID = 'c0ffee00-aaaa-4bbb-8ccc-5ec2e7000002'
SOME_ID = '6a0e5c1d-0000-4000-8000-000000000001'

#: The wrong shapes: name -> (Content-Type, body). Two of them carry the token,
#: as a token-read answer of the wrong shape would.
SHAPES: dict[str, tuple[str, bytes]] = {
    'null': ('application/json', b'null'),
    'empty list': ('application/json', b'[]'),
    'empty object': ('application/json', b'{}'),
    'string': ('application/json', b'"surprise"'),
    'number': ('application/json', b'42'),
    'list of wrong items': ('application/json', f'[1, "{TOKEN}", null, true]'.encode()),
    'list of objects missing fields': ('application/json', b'[{"Unexpected": 1}]'),
    'object missing fields': ('application/json', f'{{"Unexpected": "{TOKEN}"}}'.encode()),
    'html page': ('text/html', b'<html><body><h1>Please log in</h1></body></html>'),
    'empty body': ('application/json', b''),
}

#: Sample arguments, by parameter name.
SAMPLES: dict[str, Any] = {
    'acl_id': LEGACY_ID,
    'accessor_id': SOME_ID,
    'action': 'allow',
    'address': '10.0.0.9',
    'addresses': ['10.0.0.9'],
    'area_id': SOME_ID,
    'auth_method': 'minikube',
    'bearer_token': 'a.jwt.token',
    'bind_name': 'web',
    'bind_type': 'service',
    'by': 'destination',
    'check_id': 'web-check',
    'client_cert_uri': 'spiffe://11111111.consul/ns/default/dc/dc1/svc/web',
    'config': {'Host': 'https://k8s.example:8443'},
    'coord': {'Vec': [0.0] * 8, 'Error': 1.5, 'Adjustment': 0.0, 'Height': 1e-05},
    'destination': 'db',
    'enabled': True,
    'entry': {'Kind': 'service-defaults', 'Name': 'web', 'Protocol': 'http'},
    'gateway': 'ingress',
    'intention_id': SOME_ID,
    'item': 'app/key',
    'key': 'pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=',
    'keys': ['app/a', 'app/b'],
    'kind': 'service-defaults',
    'limit': 2,
    'method_type': 'kubernetes',
    'name': 'sample',
    'names': ['web', 'db'],
    'node': 'node-1',
    'node_a': 'node-1',
    'node_b': 'node-2',
    'node_id': 'node-1',
    'operations': [txn.kv_get('app/key'), txn.kv_set('app/other', 'v')],
    'path_or_file': None,  # made per call, see arguments()
    'peer_datacenter': 'dc2',
    'peer_name': 'peer',
    'peering_token': 'eyJ0b2tlbiI6ICJ4In0=',
    'policy_id': SOME_ID,
    'prefix': 'app',
    'provider': 'consul',
    'query': 'sample-query',
    'query_id': SOME_ID,
    'role_id': SOME_ID,
    'rule_id': SOME_ID,
    'rules': 'key "" { policy = "read" }',
    'service': 'web',
    'service_id': 'web-1',
    'session': SOME_ID,
    'session_id': SOME_ID,
    'source': 'web',
    'state': 'any',
    'status': 'passing',
    'target': 'db',
    'text': 'hash me',
    'value': 'a value',
}

#: Further calls of some methods, with the options that take another road through their code.
VARIANTS: dict[str, list[dict[str, Any]]] = {
    'KV.get': [{'raw': True}, {'default': 'fallback'}],
    'KV.find': [{'separator': '/'}],
    'KV.records': [{'raw': True}, {'key': 'app'}],
    'KV.update': [{'mapping': [('app/c', b'bytes')]}],
    'KV.set_record': [{'replace': False}],
    'KV.acquire_lock': [{'cas': 0}],
    'KV.delete': [{'recurse': True}],
    'Lock.acquire': [{'key': 'deploy', 'blocking': True, 'timeout': 0.5}],
    'Txn.execute': [{'operations': [txn.kv_get('app/key')]}],
    'Config.apply': [{'cas': 7}],
    'Agent.token': [{'value': ''}],
    'Check.register': [{'ttl': None, 'http': 'http://127.0.0.1/health', 'interval': '10s'}],
    'Coordinate.rtt': [{'node_a': 'node-1', 'node_b': 'node-1'}],
    'Operator.license': [{'signed': True}],
}

#: Options every call of a method takes, where its required arguments alone are refused.
BASE_OPTIONS: dict[str, dict[str, Any]] = {
    'Agent.token': {'name': 'default'},
    'Check.register': {'ttl': '10s'},
    'Intentions.upsert': {'action': 'allow'},
    'KV.update': {'mapping': {'app/a': 1, 'app/b': 'two'}},
    'Raft.remove_peer': {'address': '10.0.0.9:8300'},
    'Query.create': {'service': 'web', 'name': 'web-query'},
    'Query.update': {'service': 'web'},
}

#: Methods this test cannot call, and why. (None so far: every method is called.)
SKIPPED: dict[str, str] = {}

#: Reads sent as POST: they change nothing, so the rule for writes is not theirs.
POST_READS = {
    'AgentConnect.authorize',
    'DiscoveryChain.get',
    'Operator.audit_hash',
    'TemplatedPolicies.preview_templated_policy',
    'ACL.preview_templated_policy',
    'LegacyACL.translate_rules',
    'ACL.translate_rules',
}

#: Writes Consul answers with an empty body (measured on Consul 1.8.7), for which an
#: empty answer is right.
EMPTY_ANSWER = {
    'Agent.force_leave',
    'Agent.join',
    'Agent.leave',
    'Agent.maintenance',
    'Agent.reload',
    'Agent.token',
    'CA.set_configuration',
    'Check.deregister',
    'Check.register',
    'Check.ttl_fail',
    'Check.ttl_pass',
    'Check.ttl_warn',
    'Check.update',
    'Coordinate.update',
    'Keyring.install',
    'Keyring.remove',
    'Keyring.use',
    'Query.delete',
    'Query.update',
    'Raft.remove_peer',
    'Service.deregister',
    'Service.maintenance',
    'Service.register',
    'Service.registered',
    'Snapshot.restore',
}

#: Writes whose answer consulate does not use and that Consul sends as nothing, ``true``
#: or an object depending on its version (Enterprise routes and routes newer than 1.8.7
#: cannot be measured here): an empty body or any object is accepted for them.
ACKNOWLEDGED = {
    'Areas.delete',
    'Areas.update',
    'Intentions.delete',
    'Intentions.delete_exact',
    'Intentions.update',
    'Intentions.upsert',
    'Namespaces.delete',
    'Partitions.delete',
    'Peerings.delete',
    'Peerings.establish',
}

#: Further shapes that are what Consul sends for a write.
CONSUL_SENDS: dict[str, set[str]] = {
    # DELETE /v1/config/:kind/:name answers {} (any object is taken as done).
    'Config.delete': {'empty object', 'object missing fields'},
    **{name: {'empty body'} for name in EMPTY_ANSWER},
    **{name: {'empty body', 'empty object', 'object missing fields'} for name in ACKNOWLEDGED},
}

_WRITES = frozenset({'PUT', 'POST', 'DELETE'})
#: A method making more requests than this is looping on the wrong shape.
MAX_REQUESTS = 40


class TooManyRequests(BaseException):
    """Raised by the double when a method keeps sending: it would loop forever."""


class Shaped:
    """A transport answering 200 with one body to every request, recording what was sent."""

    def __init__(self, content_type: str, body: bytes) -> None:
        self.content_type = content_type
        self.body = body
        self.sent: list[WireRequest] = []

    def send(self, request: WireRequest) -> RawResponse:
        self.sent.append(request)
        if len(self.sent) > MAX_REQUESTS:
            raise TooManyRequests(f'{len(self.sent)} requests, the last {request.path}')
        headers = {'Content-Type': self.content_type, 'X-Consul-Index': '5'}
        if request.stream:
            return RawResponse(200, headers, b'', iter([self.body] if self.body else []))
        return RawResponse(200, headers, self.body)

    def close(self) -> None:
        pass


def endpoint_classes() -> list[type[Endpoint]]:
    """Every public Endpoint subclass defined in consulate.api, found by walking the package."""
    found: dict[str, type[Endpoint]] = {}
    for info in pkgutil.walk_packages(consulate.api.__path__, 'consulate.api.'):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, Endpoint)
                and value is not Endpoint
                and value.__module__ == module.__name__
                and not name.startswith('_')
            ):
                found[f'{module.__name__}.{name}'] = value
    return [found[name] for name in sorted(found)]


def public_methods(cls: type[Endpoint]) -> list[str]:
    """The methods a user may call: public names, and the dict protocol of KV; Endpoint's own excluded."""
    names = []
    for name, member in inspect.getmembers(cls):
        if name.startswith('_') and not (name.startswith('__') and name in _PROTOCOL):
            continue
        if not inspect.isfunction(member):
            continue
        owner = next(klass for klass in cls.__mro__ if name in vars(klass))
        if owner is Endpoint or owner is object:
            continue
        names.append(name)
    return names


_PROTOCOL = {
    '__contains__',
    '__getitem__',
    '__setitem__',
    '__delitem__',
    '__iter__',
    '__len__',
}


def cases() -> Iterator[Any]:
    for cls in endpoint_classes():
        for name in public_methods(cls):
            qualified = f'{cls.__name__}.{name}'
            if qualified in SKIPPED:
                continue
            base = BASE_OPTIONS.get(qualified, {})
            variants = [base, *({**base, **more} for more in VARIANTS.get(qualified, []))]
            for number, options in enumerate(variants):
                yield pytest.param(cls, name, options, id=f'{cls.__module__}.{qualified}#{number}')


ALL_CASES = list(cases())


def arguments(
    function: Callable[..., Any], options: dict[str, Any]
) -> tuple[list[Any], dict[str, Any]]:
    """Positional and keyword arguments for ``function``: the required ones from SAMPLES, plus ``options``."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    parameters = list(inspect.signature(function).parameters.values())[1:]
    for parameter in parameters:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.name in options:
            value = options[parameter.name]
        elif parameter.default is parameter.empty:
            assert parameter.name in SAMPLES, f'add a sample value for {parameter.name!r}'
            value = SAMPLES[parameter.name]
        else:
            continue
        if parameter.name == 'path_or_file':
            value = io.BytesIO(b'' if function.__name__ == 'save' else b'\x1f\x8b archive')
        if parameter.kind is parameter.POSITIONAL_ONLY:
            args.append(value)
        else:
            kwargs[parameter.name] = value
    return args, kwargs


def documented_raises(function: Callable[..., Any]) -> tuple[type[BaseException], ...]:
    """The consulate exceptions a method's docstring names under ``:raises:``."""
    names = re.findall(r':raises consulate\.exceptions\.(\w+):', inspect.getdoc(function) or '')
    return tuple(getattr(exceptions, name) for name in names)


def conforms(value: Any, annotation: Any) -> bool:
    """Whether ``value`` is of the (resolved) annotation: classes, unions, lists, dicts, tuples."""
    if annotation is Any or annotation is object:
        return True
    if annotation is None or annotation is type(None):
        return value is None
    origin = typing.get_origin(annotation)
    arguments_ = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, option) for option in arguments_)
    if typing.is_typeddict(annotation):  # a shape of consulate.types: the dict as Consul sent it
        return isinstance(value, dict)
    if origin is None:
        if annotation is float:
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        if annotation is int:
            return isinstance(value, int) and not isinstance(value, bool)
        return not inspect.isclass(annotation) or isinstance(value, annotation)
    if origin is list:
        return isinstance(value, list) and all(conforms(item, arguments_[0]) for item in value)
    if origin is dict:
        key, item = arguments_
        return isinstance(value, dict) and all(
            conforms(k, key) and conforms(v, item) for k, v in value.items()
        )
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(arguments_) == 2 and arguments_[1] is Ellipsis:
            return all(conforms(item, arguments_[0]) for item in value)
        return len(value) == len(arguments_) and all(
            conforms(item, kind) for item, kind in zip(value, arguments_, strict=True)
        )
    if origin in (collections.abc.Iterator, collections.abc.Generator, collections.abc.Iterable):
        return isinstance(value, collections.abc.Iterator)
    return isinstance(value, origin)


def consume(value: Any, annotation: Any) -> Any:
    """Read an iterator's items (a few) and check each; other values are checked against ``annotation``."""
    origin = typing.get_origin(annotation)
    if origin not in (collections.abc.Iterator, collections.abc.Generator):
        assert conforms(value, annotation), f'returned {value!r:.200}, not {annotation}'
        return value
    assert isinstance(value, collections.abc.Iterator), f'returned {value!r:.200}, not an iterator'
    items = []
    for item in value:
        items.append(item)
        if len(items) >= 5:
            break
    kind = typing.get_args(annotation)[0]
    assert all(conforms(item, kind) for item in items), f'yielded {items!r:.200}, not {kind}'
    return items


def build(cls: type[Endpoint], double: Shaped) -> Endpoint:
    client = consulate.Consul(token=TOKEN, transport=double, env={})
    return cls(client._context, client.adapter)


@pytest.mark.parametrize('shape', list(SHAPES))
@pytest.mark.parametrize(('cls', 'name', 'options'), ALL_CASES)
def test_a_wrong_shaped_answer_is_refused_or_a_documented_value(
    cls: type[Endpoint], name: str, options: dict[str, Any], shape: str
) -> None:
    content_type, body = SHAPES[shape]
    double = Shaped(content_type, body)
    endpoint = build(cls, double)
    method = getattr(endpoint, name)
    args, kwargs = arguments(getattr(cls, name), options)
    hints = typing.get_type_hints(getattr(cls, name), localns=SHAPE_NAMES)
    qualified = f'{cls.__name__}.{name}'
    try:
        value = method(*args, **kwargs)
        consume(value, hints.get('return', Any))
        if not double.sent and hasattr(value, '__enter__'):
            with value:  # a context manager that sends its requests when entered
                pass
    except exceptions.InvalidResponse as error:
        message = str(error)
        assert double.sent, 'InvalidResponse without a request'
        assert double.sent[-1].path in message, message
        assert TOKEN not in message and LEGACY_ID not in message, message
        assert TOKEN not in repr(error.args) and LEGACY_ID not in repr(error.args)
        return
    except documented_raises(getattr(cls, name)) as error:
        assert double.sent, f'refused before sending anything (fix its sample arguments): {error}'
        assert TOKEN not in str(error) and LEGACY_ID not in str(error)
        return
    assert double.sent, 'returned without sending a request'
    writes = [request for request in double.sent if request.method in _WRITES]
    if writes and qualified not in POST_READS and shape not in CONSUL_SENDS.get(qualified, ()):
        raise AssertionError(
            f'{qualified}: a write answered with {shape} ({body!r:.60}) was reported done'
        )


def test_the_walk_finds_every_endpoint() -> None:
    """The walk sees the endpoints of every module, so nothing escapes the test above."""
    classes = {cls.__name__ for cls in endpoint_classes()}
    assert {'KV', 'Agent', 'Catalog', 'ACL', 'Txn', 'Lock', 'Session', 'Health'} <= classes
    assert len(ALL_CASES) > 230
    named = {f'{cls.__name__}.{name}' for cls in endpoint_classes() for name in public_methods(cls)}
    for table in (SKIPPED, BASE_OPTIONS, VARIANTS, POST_READS, CONSUL_SENDS):
        assert set(table) <= named, f'a table names a method that is gone: {set(table) - named}'
