"""The consulate 0.6.0 API, as its documentation lists it: every class, method and signature.

This is the compatibility contract. Newer options may follow the documented
parameters, keyword-only; nothing documented may move, vanish or change its default.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest

import consulate

_ = inspect.Parameter.empty

#: (class path, method, [(parameter, default)...]) for every documented method.
SEED: list[tuple[str, str, list[tuple[str, Any]]]] = [
    ('consulate.api.acl.ACL', 'clone', [('acl_id', _)]),
    ('consulate.api.acl.ACL', 'create', [('name', _), ('acl_type', 'client'), ('rules', None)]),
    ('consulate.api.acl.ACL', 'destroy', [('acl_id', _)]),
    ('consulate.api.acl.ACL', 'info', [('acl_id', _)]),
    ('consulate.api.acl.ACL', 'list', []),
    (
        'consulate.api.acl.ACL',
        'update',
        [('acl_id', _), ('name', _), ('acl_type', 'client'), ('rules', None)],
    ),
    ('consulate.api.agent.Agent.Check', 'deregister', [('check_id', _)]),
    (
        'consulate.api.agent.Agent.Check',
        'register',
        [
            ('name', _),
            ('script', None),
            ('check_id', None),
            ('interval', None),
            ('ttl', None),
            ('notes', None),
            ('http', None),
        ],
    ),
    ('consulate.api.agent.Agent.Check', 'ttl_fail', [('check_id', _)]),
    ('consulate.api.agent.Agent.Check', 'ttl_pass', [('check_id', _)]),
    ('consulate.api.agent.Agent.Check', 'ttl_warn', [('check_id', _)]),
    ('consulate.api.agent.Agent.Service', 'deregister', [('service_id', _)]),
    (
        'consulate.api.agent.Agent.Service',
        'register',
        [
            ('name', _),
            ('service_id', None),
            ('address', None),
            ('port', None),
            ('tags', None),
            ('check', None),
            ('interval', None),
            ('ttl', None),
            ('httpcheck', None),
        ],
    ),
    ('consulate.api.agent.Agent', 'checks', []),
    ('consulate.api.agent.Agent', 'force_leave', [('node', _)]),
    ('consulate.api.agent.Agent', 'join', [('address', _), ('wan', False)]),
    ('consulate.api.agent.Agent', 'members', []),
    ('consulate.api.agent.Agent', 'services', []),
    ('consulate.api.catalog.Catalog', 'datacenters', []),
    (
        'consulate.api.catalog.Catalog',
        'deregister',
        [('node', _), ('datacenter', None), ('check_id', None), ('service_id', None)],
    ),
    ('consulate.api.catalog.Catalog', 'node', [('node_id', _)]),
    ('consulate.api.catalog.Catalog', 'nodes', []),
    (
        'consulate.api.catalog.Catalog',
        'register',
        [('node', _), ('address', _), ('datacenter', None), ('service', None), ('check', None)],
    ),
    ('consulate.api.catalog.Catalog', 'service', [('service_id', _)]),
    ('consulate.api.catalog.Catalog', 'services', []),
    (
        'consulate.api.event.Event',
        'fire',
        [
            ('name', _),
            ('payload', None),
            ('datacenter', None),
            ('node', None),
            ('service', None),
            ('tag', None),
        ],
    ),
    ('consulate.api.event.Event', 'list', [('name', None)]),
    ('consulate.api.health.Health', 'checks', [('service_id', _)]),
    ('consulate.api.health.Health', 'node', [('node_id', _)]),
    (
        'consulate.api.health.Health',
        'service',
        [('service_id', _), ('tag', None), ('passing', None)],
    ),
    ('consulate.api.health.Health', 'state', [('state', _)]),
    ('consulate.api.kv.KV', '__contains__', [('item', _)]),
    ('consulate.api.kv.KV', '__delitem__', [('item', _)]),
    ('consulate.api.kv.KV', '__getitem__', [('item', _)]),
    ('consulate.api.kv.KV', '__iter__', []),
    ('consulate.api.kv.KV', '__len__', []),
    ('consulate.api.kv.KV', '__setitem__', [('item', _), ('value', _)]),
    (
        'consulate.api.kv.KV',
        'acquire_lock',
        [('item', _), ('session', _), ('value', None), ('cas', None), ('flags', None)],
    ),
    ('consulate.api.kv.KV', 'delete', [('item', _), ('recurse', False)]),
    ('consulate.api.kv.KV', 'find', [('prefix', _), ('separator', None)]),
    ('consulate.api.kv.KV', 'get', [('item', _), ('default', None), ('raw', False)]),
    ('consulate.api.kv.KV', 'get_record', [('item', _)]),
    ('consulate.api.kv.KV', 'items', []),
    ('consulate.api.kv.KV', 'iteritems', []),
    ('consulate.api.kv.KV', 'keys', []),
    ('consulate.api.kv.KV', 'records', [('key', None)]),
    ('consulate.api.kv.KV', 'release_lock', [('item', _), ('session', _)]),
    ('consulate.api.kv.KV', 'set', [('item', _), ('value', _)]),
    (
        'consulate.api.kv.KV',
        'set_record',
        [('item', _), ('flags', 0), ('value', None), ('replace', True)],
    ),
    ('consulate.api.kv.KV', 'values', []),
    (
        'consulate.api.session.Session',
        'create',
        [
            ('name', None),
            ('behavior', 'release'),
            ('node', None),
            ('delay', None),
            ('ttl', None),
            ('checks', None),
        ],
    ),
    ('consulate.api.session.Session', 'destroy', [('session_id', _)]),
    ('consulate.api.session.Session', 'info', [('session_id', _)]),
    ('consulate.api.session.Session', 'list', []),
    ('consulate.api.session.Session', 'node', [('node', _)]),
    ('consulate.api.session.Session', 'renew', [('session_id', _)]),
    ('consulate.api.status.Status', 'leader', []),
    ('consulate.api.status.Status', 'peers', []),
]

#: Parameters after the documented ones that may be passed positionally: the
#: original's later code took ``ttl_pass(check_id, note)``, and callers use that form.
POSITIONAL_EXTRAS = {('ttl_pass', 'note'), ('ttl_warn', 'note'), ('ttl_fail', 'note')}

ENDPOINTS = [
    'consulate.api.acl.ACL',
    'consulate.api.agent.Agent',
    'consulate.api.agent.Agent.Check',
    'consulate.api.agent.Agent.Service',
    'consulate.api.event.Event',
    'consulate.api.health.Health',
    'consulate.api.kv.KV',
    'consulate.api.session.Session',
    'consulate.api.status.Status',
]


def resolve(path: str) -> Any:
    """Import a dotted path that may end in nested classes."""
    parts = path.split('.')
    for split in range(len(parts), 0, -1):
        try:
            target: Any = importlib.import_module('.'.join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            target = getattr(target, name)
        return target
    raise ImportError(path)


@pytest.mark.parametrize(('path', 'method', 'expected'), SEED, ids=lambda v: str(v))
def test_documented_signature(path: str, method: str, expected: list[tuple[str, Any]]) -> None:
    parameters = list(inspect.signature(getattr(resolve(path), method)).parameters.values())
    assert parameters[0].name == 'self'
    documented = parameters[1 : len(expected) + 1]
    assert [(p.name, p.default) for p in documented] == expected
    assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in documented)
    for extra in parameters[len(expected) + 1 :]:
        if (method, extra.name) not in POSITIONAL_EXTRAS:
            assert extra.kind in (extra.KEYWORD_ONLY, extra.VAR_KEYWORD), f'{method}: {extra.name}'


@pytest.mark.parametrize('path', ENDPOINTS)
def test_documented_constructor(path: str) -> None:
    parameters = list(inspect.signature(resolve(path)).parameters.values())
    assert [(p.name, p.default) for p in parameters[:4]] == [
        ('uri', _),
        ('adapter', _),
        ('datacenter', None),
        ('token', None),
    ]


def test_catalog_constructor_keeps_its_documented_order() -> None:
    # The seed names the third parameter ``dc`` here; it is the datacenter, third, as elsewhere.
    parameters = list(
        inspect.signature(resolve('consulate.api.catalog.Catalog')).parameters.values()
    )
    assert [(p.name, p.default, p.kind) for p in parameters[:4]] == [
        ('uri', _, inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ('adapter', _, inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ('datacenter', None, inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ('token', None, inspect.Parameter.POSITIONAL_OR_KEYWORD),
    ]


@pytest.mark.parametrize(
    ('attribute', 'path'),
    [
        ('acl', 'consulate.api.acl.ACL'),
        ('agent', 'consulate.api.agent.Agent'),
        ('catalog', 'consulate.api.catalog.Catalog'),
        ('event', 'consulate.api.event.Event'),
        ('health', 'consulate.api.health.Health'),
        ('kv', 'consulate.api.kv.KV'),
        ('lock', 'consulate.api.lock.Lock'),
        ('session', 'consulate.api.session.Session'),
        ('status', 'consulate.api.status.Status'),
    ],
)
def test_facade_attributes_have_the_documented_types(attribute: str, path: str) -> None:
    consul = consulate.Consul(env={})
    assert isinstance(getattr(consul, attribute), resolve(path))


def test_nested_agent_endpoints() -> None:
    agent = consulate.Consul(env={}).agent
    assert isinstance(agent.check, resolve('consulate.api.agent.Agent.Check'))
    assert isinstance(agent.service, resolve('consulate.api.agent.Agent.Service'))
