"""Atomic transactions (``PUT /v1/txn``): KV, node, service and check operations.

.. not-run: needs the key app/config at ModifyIndex 42

Build the operations with the functions of :mod:`consulate.api.txn.operations`
(also reachable here) and run them with
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
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from consulate import exceptions
from consulate.api import shapes
from consulate.api.base import Endpoint, check_consistency
from consulate.api.txn.operations import (
    Operation,
    check_cas,
    check_delete,
    check_delete_cas,
    check_get,
    check_set,
    is_write,
    kv_cas,
    kv_check_index,
    kv_check_not_exists,
    kv_check_session,
    kv_delete,
    kv_delete_cas,
    kv_delete_tree,
    kv_get,
    kv_get_tree,
    kv_lock,
    kv_set,
    kv_unlock,
    node_cas,
    node_delete,
    node_delete_cas,
    node_get,
    node_set,
    operation_name,
    service_cas,
    service_delete,
    service_delete_cas,
    service_get,
    service_set,
)

if TYPE_CHECKING:
    from consulate.adapters import Response
    from consulate.types import TxnResult

__all__ = [
    'MAX_BYTES',
    'MAX_OPERATIONS',
    'Operation',
    'Txn',
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
]

#: The most operations Consul 1.8.7 accepts in one transaction (newer servers take 128).
MAX_OPERATIONS = 64
#: The largest transaction body Consul accepts by default (``limits.txn_max_req_len``).
MAX_BYTES = 512 * 1024


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
    ) -> list[TxnResult]:
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
        if mode and mode != 'default' and not any(is_write(op) for op in ops):
            params[mode] = True
        body = _dumps(ops)
        response = self._send(body, params)
        with self._shaping(response):
            return cast(
                'list[TxnResult]',
                [_decode_result(result) for result in shapes.list_field(response, 'Results')],
            )

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
        """PUT one encoded transaction; raise TransactionFailed for a rollback.

        :raises consulate.exceptions.InvalidResponse: a 200 answer without Consul's ``Results``
        """
        response = self._put(self._url(), params, data=body, raw_body=True, allow_409=True)
        if response.status_code == 409:
            with self._shaping(response):
                errors = [
                    (int(error.get('OpIndex', 0)), str(error.get('What', '')))
                    for error in response.json().get('Errors') or []
                ]
            message = response.content.decode('utf-8', 'replace').strip()
            raise exceptions.TransactionFailed(409, 'PUT', response.path, message, errors)
        shapes.list_field(response, 'Results')
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


_ENCODER = json.JSONEncoder(separators=(',', ':'))


def _dumps(value: Any) -> bytes:
    """Operations as the request body carries them (compact JSON)."""
    return _ENCODER.encode(value).encode('utf-8')


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
