"""Write many KV operations through transactions, with a progress bar and a precise failure report.

Operations go through :meth:`consulate.api.txn.Txn.execute_batches`, in
order, in atomic batches of at most 64 operations and 512 KiB of JSON. A
value too large for any transaction (its base64 makes the body larger than
``txn_max_req_len``, 512 KiB by default, although Consul stores values of up
to 512 KiB) is written on its own with one ``PUT /v1/kv/:key``, which Consul
applies atomically too.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence

from consulate import exceptions
from consulate.api import txn
from consulate.cli.output import CliError, Progress
from consulate.cli.signals import Interrupted
from consulate.client import Consul

__all__ = ['write_operations']


def write_operations(
    consul: Consul,
    ops: Sequence[txn.Operation],
    verb: str,
    *,
    on_written: Callable[[Sequence[str]], None] | None = None,
) -> int:
    """Apply ``ops`` (KV ``set``, ``cas`` with index 0, ``delete``) in order; return how many.

    :param verb: what the caller does (``restore``, ``import``), for the
        progress bar and the error message
    :param on_written: called with the keys of each batch once it is applied
    :raises CliError: a write failed: the message names the key, the reason,
        and how many keys had been written
    :raises consulate.cli.signals.Interrupted: a signal stopped the writes;
        the message says how many keys had been written
    """
    run = _Run(consul, list(ops), verb, on_written)
    try:
        return run.apply()
    except Interrupted as stop:
        raise stop.with_detail(
            f'{verb} stopped after {run.done} of {len(run.ops)} keys were written '
            '(the batch being sent may have been written too)'
        ) from None
    finally:
        run.bar.finish()


class _Run:
    """One write: the operations, what has been applied so far, and the progress bar."""

    def __init__(
        self,
        consul: Consul,
        ops: list[txn.Operation],
        verb: str,
        on_written: Callable[[Sequence[str]], None] | None,
    ) -> None:
        self.consul = consul
        self.ops = ops
        self.verb = verb
        self.on_written = on_written
        self.names = [txn.operation_name(op) for op in ops]
        self.done = 0
        # Per-key lines are progress enough; a bar would be drawn across them.
        self.bar = Progress(f'{verb}:', enabled=False if on_written else None)

    def apply(self) -> int:
        limit = self.consul.txn.max_bytes
        chunk: list[txn.Operation] = []
        for op in self.ops:
            if _json_size(op) + 2 <= limit:
                chunk.append(op)
                continue
            self._batches(chunk)
            chunk = []
            self._single(op)
        self._batches(chunk)
        return self.done

    def _advance(self, done: int) -> None:
        if self.on_written is not None:
            self.on_written(self.names[self.done : done])
        self.done = done
        self.bar(done, len(self.ops))

    def _batches(self, chunk: list[txn.Operation]) -> None:
        if not chunk:
            return
        start = self.done
        try:
            self.consul.txn.execute_batches(
                chunk, progress=lambda done, _total: self._advance(start + done)
            )
        except exceptions.BatchFailed as failure:
            raise CliError(self._explain_batch(failure, start)) from failure

    def _single(self, op: txn.Operation) -> None:
        """Write one operation too large for a transaction with a plain ``PUT``."""
        body = op['KV']
        key, flags = body['Key'], body.get('Flags', 0)
        value = base64.b64decode(body.get('Value') or '')
        try:
            written = self.consul.kv.set_record(
                key, flags, value, replace=body['Verb'] != 'cas', exact_key=True
            )
        except exceptions.ConsulateException as error:
            raise CliError(self._report(key, str(error))) from error
        if not written:
            raise CliError(self._report(key, 'the key exists'))
        self._advance(self.done + 1)

    def _explain_batch(self, failure: exceptions.BatchFailed, start: int) -> str:
        cause = failure.cause
        pending = failure.uncertain or failure.unwritten
        written = start + len(failure.written)
        if isinstance(cause, exceptions.TransactionFailed) and cause.errors:
            index, what = cause.errors[0]
            key = pending[index] if 0 <= index < len(pending) else pending[0]
            return self._report(key, what, written, len(failure.uncertain))
        where = f'in the batch starting at key {pending[0]!r}' if pending else 'in a batch'
        text = f'{self.verb} failed {where}: {cause}'
        return text + self._counts(written, len(failure.uncertain))

    def _report(self, key: str, why: str, written: int | None = None, uncertain: int = 0) -> str:
        done = self.done if written is None else written
        return f'{self.verb} failed at key {key!r}: {why}' + self._counts(done, uncertain)

    def _counts(self, written: int, uncertain: int) -> str:
        text = f'; {written} of {len(self.ops)} keys were written'
        if uncertain:
            text += f', {uncertain} more may have been'
        return text


def _json_size(op: txn.Operation) -> int:
    """The size of ``op`` in a transaction body (compact JSON, as the Txn endpoint sends it)."""
    return len(json.dumps(op, separators=(',', ':')))
