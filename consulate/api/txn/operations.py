"""The operations of a transaction, built from Python values in Consul's JSON form.

Each function returns one operation, a plain ``dict`` such as
``{'KV': {'Verb': 'set', 'Key': 'a/b', 'Value': '<base64>'}}``, ready for
:meth:`consulate.api.txn.Txn.execute`. Keys are checked as the KV endpoint
checks them, and KV values are encoded as ``consul.kv[key] = value`` stores
them: ``bytes`` exactly, ``str`` as UTF-8, ``None`` empty, anything else as
JSON. The functions are also reachable as ``consulate.api.txn.<name>``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from consulate import exceptions
from consulate.api.values import check_flags, encode_value, key_path

if TYPE_CHECKING:
    from typing import TypeAlias

    from consulate.types import TxnKVOp, TxnOp

__all__ = [
    'Operation',
    'check_cas',
    'check_delete',
    'check_delete_cas',
    'check_get',
    'check_set',
    'kv_cas',
    'kv_check_index',
    'kv_check_not_exists',
    'kv_check_session',
    'kv_delete',
    'kv_delete_cas',
    'kv_delete_tree',
    'kv_get',
    'kv_get_tree',
    'kv_lock',
    'kv_set',
    'kv_unlock',
    'node_cas',
    'node_delete',
    'node_delete_cas',
    'node_get',
    'node_set',
    'operation_name',
    'service_cas',
    'service_delete',
    'service_delete_cas',
    'service_get',
    'service_set',
    'is_write',
]

if TYPE_CHECKING:
    Operation: TypeAlias = TxnOp
else:
    #: One transaction operation, in Consul's JSON form: ``{'KV': {'Verb': ..., ...}}``, a
    #: :class:`~consulate.types.kv.TxnOp` (a plain ``dict``: consulate.types is loaded
    #: only by type checkers).
    Operation = dict

#: The verbs that change something; a transaction without them is a read.
WRITE_VERBS = frozenset({'set', 'cas', 'lock', 'unlock', 'delete', 'delete-tree', 'delete-cas'})


# -- KV operations ---------------------------------------------------------------


def kv_set(key: str, value: Any, *, flags: int | None = None) -> Operation:
    """Set ``key`` to ``value`` (stored as ``consul.kv[key] = value`` stores it)."""
    return _kv('set', key, value=value, flags=flags)


def kv_cas(key: str, value: Any, index: int, *, flags: int | None = None) -> Operation:
    """Set ``key`` only if its ModifyIndex is still ``index`` (0: only if it does not exist)."""
    return _kv('cas', key, value=value, flags=flags, index=index)


def kv_get(key: str) -> Operation:
    """Read ``key`` inside the transaction; the transaction fails if it is missing."""
    return _kv('get', key)


def kv_get_tree(prefix: str) -> Operation:
    """Read every key under ``prefix`` inside the transaction."""
    return _kv('get-tree', prefix, tree=True)


def kv_delete(key: str) -> Operation:
    """Delete ``key`` (no error if it does not exist)."""
    return _kv('delete', key)


def kv_delete_tree(prefix: str) -> Operation:
    """Delete every key under ``prefix``."""
    return _kv('delete-tree', prefix, tree=True)


def kv_delete_cas(key: str, index: int) -> Operation:
    """Delete ``key`` only if its ModifyIndex is still ``index``; the transaction fails if not."""
    return _kv('delete-cas', key, index=index)


def kv_check_index(key: str, index: int) -> Operation:
    """Fail the transaction unless ``key``'s ModifyIndex is ``index``."""
    return _kv('check-index', key, index=index)


def kv_check_session(key: str, session: str) -> Operation:
    """Fail the transaction unless ``key`` is locked by ``session``."""
    return _kv('check-session', key, session=session)


def kv_check_not_exists(key: str) -> Operation:
    """Fail the transaction if ``key`` exists."""
    return _kv('check-not-exists', key)


def kv_lock(key: str, session: str, value: Any = None, *, flags: int | None = None) -> Operation:
    """Take the lock on ``key`` for ``session`` and store ``value``; fails if another holds it."""
    return _kv('lock', key, value=value, flags=flags, session=session)


def kv_unlock(key: str, session: str, value: Any = None, *, flags: int | None = None) -> Operation:
    """Release ``session``'s lock on ``key`` and store ``value``; fails if it does not hold it."""
    return _kv('unlock', key, value=value, flags=flags, session=session)


# -- node, service and check operations -------------------------------------------


def node_set(node: Mapping[str, Any]) -> Operation:
    """Register or update a catalog node: ``{'Node': name, 'Address': ..., 'Meta': ...}``."""
    return {'Node': {'Verb': 'set', 'Node': dict(node)}}


def node_cas(node: Mapping[str, Any], index: int) -> Operation:
    """Update a node only if its ModifyIndex is still ``index``."""
    return {'Node': {'Verb': 'cas', 'Node': {**node, 'ModifyIndex': _index(index)}}}


def node_get(name: str) -> Operation:
    """Read a node inside the transaction; the transaction fails if it does not exist."""
    return {'Node': {'Verb': 'get', 'Node': {'Node': name}}}


def node_delete(name: str) -> Operation:
    """Deregister a node, with its services and checks."""
    return {'Node': {'Verb': 'delete', 'Node': {'Node': name}}}


def node_delete_cas(name: str, index: int) -> Operation:
    """Deregister a node only if its ModifyIndex is still ``index``."""
    return {'Node': {'Verb': 'delete-cas', 'Node': {'Node': name, 'ModifyIndex': _index(index)}}}


def service_set(node: str, service: Mapping[str, Any]) -> Operation:
    """Register or update a service on ``node``: ``{'ID': ..., 'Service': name, 'Port': ...}``."""
    return {'Service': {'Verb': 'set', 'Node': node, 'Service': dict(service)}}


def service_cas(node: str, service: Mapping[str, Any], index: int) -> Operation:
    """Update a service only if its ModifyIndex is still ``index``."""
    body = {**service, 'ModifyIndex': _index(index)}
    return {'Service': {'Verb': 'cas', 'Node': node, 'Service': body}}


def service_get(node: str, service_id: str, *, name: str | None = None) -> Operation:
    """Read a service of ``node``; the transaction fails if it does not exist.

    :param name: the service's name; see :func:`service_delete`
    """
    return _service('get', node, service_id, name)


def service_delete(node: str, service_id: str, *, name: str | None = None) -> Operation:
    """Deregister a service of ``node``.

    :param name: the service's name. Consul refuses the operation without a
        name and checks ACLs against it; it defaults to ``service_id``, which
        is right for services registered without an explicit ID
    """
    return _service('delete', node, service_id, name)


def service_delete_cas(
    node: str, service_id: str, index: int, *, name: str | None = None
) -> Operation:
    """Deregister a service only if its ModifyIndex is still ``index``.

    :param name: the service's name; see :func:`service_delete`
    """
    return _service('delete-cas', node, service_id, name, index)


def check_set(check: Mapping[str, Any]) -> Operation:
    """Register or update a check: ``{'Node': ..., 'CheckID': ..., 'Name': ..., 'Status': ...}``."""
    return {'Check': {'Verb': 'set', 'Check': dict(check)}}


def check_cas(check: Mapping[str, Any], index: int) -> Operation:
    """Update a check only if its ModifyIndex is still ``index``."""
    return {'Check': {'Verb': 'cas', 'Check': {**check, 'ModifyIndex': _index(index)}}}


def check_get(node: str, check_id: str) -> Operation:
    """Read a check of ``node``; the transaction fails if it does not exist."""
    return {'Check': {'Verb': 'get', 'Check': {'Node': node, 'CheckID': check_id}}}


def check_delete(node: str, check_id: str) -> Operation:
    """Deregister a check of ``node``."""
    return {'Check': {'Verb': 'delete', 'Check': {'Node': node, 'CheckID': check_id}}}


def check_delete_cas(node: str, check_id: str, index: int) -> Operation:
    """Deregister a check only if its ModifyIndex is still ``index``."""
    body = {'Node': node, 'CheckID': check_id, 'ModifyIndex': _index(index)}
    return {'Check': {'Verb': 'delete-cas', 'Check': body}}


def operation_name(op: Mapping[str, Any]) -> str:
    """What an operation acts on: the KV key, ``node:<name>``, ``service:<node>/<id>``..."""
    if 'KV' in op:
        return str(op['KV'].get('Key', ''))
    if 'Node' in op:
        return f'node:{op["Node"].get("Node", {}).get("Node", "")}'
    if 'Service' in op:
        service = op['Service']
        return f'service:{service.get("Node", "")}/{service.get("Service", {}).get("ID", "")}'
    if 'Check' in op:
        check = op['Check'].get('Check', {})
        return f'check:{check.get("Node", "")}/{check.get("CheckID", "")}'
    return repr(dict(op))


def is_write(op: Mapping[str, Any]) -> bool:
    """Whether an operation changes something (a transaction of reads is served as a read)."""
    return any(body.get('Verb') in WRITE_VERBS for body in op.values() if isinstance(body, dict))


# -- helpers ------------------------------------------------------------------------


_UNSET: Any = object()


def _kv(
    verb: str,
    key: str,
    *,
    value: Any = _UNSET,
    flags: int | None = None,
    index: int | None = None,
    session: str | None = None,
    tree: bool = False,
) -> Operation:
    """One KV operation; the key is checked (a tree prefix may be empty: the whole store)."""
    path = _prefix_path(key) if tree else key_path(key)
    body: TxnKVOp = {'Verb': verb, 'Key': path}
    if value is not _UNSET:
        body['Value'] = base64.b64encode(encode_value(value)).decode('ascii')
    if flags is not None:
        body['Flags'] = check_flags(flags)
    if index is not None:
        body['Index'] = _index(index)
    if session is not None:
        body['Session'] = session
    return {'KV': body}


def _service(
    verb: str, node: str, service_id: str, name: str | None, index: int | None = None
) -> Operation:
    body: dict[str, Any] = {'ID': service_id, 'Service': name or service_id}
    if index is not None:
        body['ModifyIndex'] = _index(index)
    return {'Service': {'Verb': verb, 'Node': node, 'Service': body}}


def _prefix_path(prefix: str) -> str:
    if prefix in ('', '/'):
        return ''
    return key_path(prefix)


def _index(index: int) -> int:
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise exceptions.ValidationError(f'an index must be a non-negative integer, not {index!r}')
    return index
