"""The endpoint classes: one module per Consul URL prefix (``/v1/<prefix>``).

The names consulate 0.6.0 (and the code after it) exported here, such as
``consulate.api.KV`` and ``consulate.api.Agent``, still resolve to the classes;
they are loaded on first use. They are deprecated: import each class from its
module (:class:`consulate.api.kv.KV`, :class:`consulate.api.agent.Agent`, ...).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    'ACL',
    'KV',
    'Agent',
    'Catalog',
    'Coordinate',
    'Event',
    'Health',
    'Lock',
    'Response',
    'Session',
    'Status',
]

#: The old package-level names and the module each class lives in now.
_LEGACY_NAMES = {
    'ACL': 'consulate.api.acl',
    'Agent': 'consulate.api.agent',
    'Catalog': 'consulate.api.catalog',
    'Coordinate': 'consulate.api.coordinate',
    'Event': 'consulate.api.event',
    'Health': 'consulate.api.health',
    'KV': 'consulate.api.kv',
    'Lock': 'consulate.api.lock',
    'Response': 'consulate.adapters.response',
    'Session': 'consulate.api.session',
    'Status': 'consulate.api.status',
}


def __getattr__(name: str) -> Any:
    module = _LEGACY_NAMES.get(name)
    if module is None:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LEGACY_NAMES))
