"""Atomic transactions (``PUT /v1/txn``): KV, node, service and check operations.

Build the operations with the functions of this module and run them with
:meth:`Txn.execute` (one atomic transaction) or :meth:`Txn.execute_batches`
(many operations, split into atomic transactions that fit Consul's limits)::

    from consulate.api import txn

    consul.txn.execute([
        txn.kv_check_index('app/config', 42),
        txn.kv_set('app/config', b'{"debug": false}'),
        txn.kv_delete('app/stale-flag'),
    ])

An operation is a plain ``dict`` in Consul's own JSON form (values already
base64-encoded), so operations can be built, stored and inspected without a
client. KV values are encoded as ``consul.kv[key] = value`` stores them:
``bytes`` exactly, ``str`` as UTF-8, ``None`` empty, anything else as JSON.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from consulate import exceptions
from consulate.api.base import Endpoint, check_consistency
from consulate.api.kv import encode_value, key_path

if TYPE_CHECKING:
    from consulate.adapters import Response

__all__ = [
    'MAX_BYTES',
    'MAX_OPERATIONS',
    'Operation',
    'Txn',
    'check_delete',
    'check_delete_cas',
    'check_get',
    'check_set',
    'check_cas',
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
]

#: One transaction operation, in Consul's JSON form: ``{'KV': {'Verb': ..., ...}}``.
Operation = dict[str, Any]

#: The most operations Consul 1.8.7 accepts in one transaction (newer servers take 128).
MAX_OPERATIONS = 64
#: The largest transaction body Consul accepts by default (``limits.txn_max_req_len``).
MAX_BYTES = 512 * 1024

#: The verbs that change something; a transaction without them is a read.
_WRITE_VERBS = frozenset({'set', 'cas', 'lock', 'unlock', 'delete', 'delete-tree', 'delete-cas'})


class Txn(Endpoint):
    """Run lists of operations atomically (``PUT /v1/txn``).

    :attr:`max_operations` and :attr:`max_bytes` are the limits checked
    before a request is sent and used to split batches; raise them for a
    server configured (or new enough) to accept more.
    """

    PREFIX = 'txn'

    #: The most operations sent in one transaction.
    max_operations: int = MAX_OPERATIONS
    #: The largest JSON body, in bytes, sent in one transaction.
    max_bytes: int = MAX_BYTES

    def execute(
        self, operations: Sequence[Operation], *, consistency: str | None = None
    ) -> list[dict[str, Any]]:
        """Apply ``operations`` in one atomic transaction and return Consul's results.

        ``PUT /v1/txn``. Each result is ``{'KV': {...}}``, ``{'Node': {...}}``,
        ``{'Service': {...}}`` or ``{'Check': {...}}``; KV values come back as
        the exact stored ``bytes`` (or None). Consul returns no result for a
        delete or a check, so results do not line up with operations.

        :param consistency: ``'stale'`` or ``'consistent'``; Consul honours it
            only for a transaction without writes (the client's default mode
            applies to those too)
        :raises consulate.exceptions.ValidationError: no operations, or more
            than :attr:`max_operations`; nothing was sent
        :raises consulate.exceptions.TransactionFailed: Consul rolled the
            transaction back; ``errors`` lists ``(op_index, reason)`` pairs
        :raises consulate.exceptions.PayloadTooLarge: the body is over the server's limit
        """
        ops = list(operations)
        self._check_count(len(ops))
        params: dict[str, Any] = {}
        mode = check_consistency(consistency) or self._consistency
        if mode and mode != 'default' and not any(_is_write(op) for op in ops):
            params[mode] = True
        body = _dumps(ops)
        results = self._send(body, params).json()['Results']
        return [_decode_result(result) for result in results or []]

    def execute_batches(
        self,
        operations: Iterable[Operation],
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Apply many operations as consecutive atomic transactions; return how many were applied.

        The operations are split, in order, into batches of at most
        :attr:`max_operations` operations and :attr:`max_bytes` bytes of JSON.
        Each batch is atomic; the batches together are not. Every operation
        is checked before the first batch is sent. Results are not returned:
        use :meth:`execute` to read inside a transaction.

        :param progress: called as ``progress(done, total)`` after each batch,
            with the number of operations applied so far and in all
        :raises consulate.exceptions.ValidationError: one operation alone is
            larger than :attr:`max_bytes`; nothing was sent
        :raises consulate.exceptions.BatchFailed: a batch failed; the
            exception names the keys written, not written and (when the
            failure left it unknown) possibly written, with the cause chained.
            The operation indexes in a :class:`~consulate.exceptions.TransactionFailed`
            cause count from the start of the failed batch, which is
            operation ``len(written)``.
        """
        ops = list(operations)
        batches = self._split(ops)
        total, done = len(ops), 0
        for number, (batch, body) in enumerate(batches):
            try:
                self._send(body, None)
            except exceptions.ConsulateException as error:
                raise _batch_failed([b for b, _ in batches], number, error) from error
            done += len(batch)
            if progress is not None:
                progress(done, total)
        return done

    def _send(self, body: bytes, params: dict[str, Any] | None) -> Response:
        """PUT one encoded transaction; raise TransactionFailed for a rollback."""
        response = self._put(self._url(), params, data=body, raw_body=True, allow_409=True)
        if response.status_code == 409:
            errors = [
                (int(error.get('OpIndex', 0)), str(error.get('What', '')))
                for error in response.json().get('Errors') or []
            ]
            exceptions.raise_error(
                exceptions.TransactionFailed,
                409,
                'PUT',
                response.path,
                response.content,
                errors=errors,
            )
        return response

    def _split(self, ops: list[Operation]) -> list[tuple[list[Operation], bytes]]:
        """Cut ``ops`` into batches that fit the limits, each with its encoded body."""
        self._check_count(1)
        batches: list[tuple[list[Operation], bytes]] = []
        start = 0
        while start < len(ops):
            batch = ops[start : start + self.max_operations]
            body = _dumps(batch)
            if len(body) > self.max_bytes:
                batch, body = self._fit(batch, start)
            batches.append((batch, body))
            start += len(batch)
        return batches

    def _fit(self, ops: list[Operation], start: int) -> tuple[list[Operation], bytes]:
        """The longest head of ``ops`` whose JSON fits :attr:`max_bytes`, and that JSON."""
        parts: list[bytes] = []
        size = 1  # the opening bracket; each part adds itself and a comma or the closing bracket
        for offset, op in enumerate(ops):
            encoded = _dumps(op)
            if len(encoded) + 2 > self.max_bytes:
                raise exceptions.ValueTooLarge(
                    f'operation {start + offset} ({operation_name(op)}) is {len(encoded)} bytes '
                    f'of JSON, more than a transaction may hold ({self.max_bytes} bytes)'
                )
            if size + len(encoded) + 1 > self.max_bytes:
                break
            parts.append(encoded)
            size += len(encoded) + 1
        return ops[: len(parts)], b'[' + b','.join(parts) + b']'

    def _check_count(self, count: int) -> None:
        if count < 1:
            raise exceptions.ValidationError('a transaction needs at least one operation')
        if count > self.max_operations:
            raise exceptions.ValidationError(
                f'a transaction holds at most {self.max_operations} operations, not {count}: '
                'use execute_batches() to split them into several transactions'
            )


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
    body: dict[str, Any] = {'Verb': verb, 'Key': path}
    if value is not _UNSET:
        body['Value'] = base64.b64encode(encode_value(value)).decode('ascii')
    if flags is not None:
        if isinstance(flags, bool) or not isinstance(flags, int) or not 0 <= flags < 2**64:
            raise exceptions.ValidationError(
                f'flags must be an integer from 0 to 2**64-1: {flags!r}'
            )
        body['Flags'] = flags
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


_ENCODER = json.JSONEncoder(separators=(',', ':'))


def _dumps(value: Any) -> bytes:
    """Operations as the request body carries them (compact JSON)."""
    return _ENCODER.encode(value).encode('utf-8')


def _is_write(op: Mapping[str, Any]) -> bool:
    return any(body.get('Verb') in _WRITE_VERBS for body in op.values() if isinstance(body, dict))


def _decode_result(result: dict[str, Any]) -> dict[str, Any]:
    """Turn a KV result's base64 ``Value`` into the stored bytes."""
    entry = result.get('KV')
    if isinstance(entry, dict) and entry.get('Value') is not None:
        result['KV'] = {**entry, 'Value': base64.b64decode(entry['Value'])}
    return result


def _batch_failed(
    batches: list[list[Operation]], number: int, error: exceptions.ConsulateException
) -> exceptions.BatchFailed:
    """The exception for batch ``number`` failing: what was written, what was not, what may be."""
    written = [operation_name(op) for batch in batches[:number] for op in batch]
    failed = [operation_name(op) for op in batches[number]]
    rest = [operation_name(op) for batch in batches[number + 1 :] for op in batch]
    # Consul applies nothing of a batch it refused with a 4xx; after a 5xx or
    # a transport failure the batch may or may not have been committed.
    if isinstance(error, (exceptions.ClientError, exceptions.ValidationError)):
        return exceptions.BatchFailed(written, failed + rest, [], error)
    return exceptions.BatchFailed(written, rest, failed, error)
