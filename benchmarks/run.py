"""Benchmark consulate against the requests floor and py-consul, side by side.

Run from the repository root (it is not part of the test run)::

    .venv/bin/python benchmarks/run.py            # a few minutes
    .venv/bin/python benchmarks/run.py --quick    # a rough look in a minute or two

py-consul is the ``bench`` extra (``pip install -e '.[bench]'``, or
``pip install 'py-consul>=1.5'``).

It starts its own Consul agent (``consulate.testing.ConsulAgent``; the
binary is ``$CONSUL_BIN``, else ``consul`` on PATH, else ``.consul/bin/consul``):
by default a single server with a data directory, as Consul runs when
deployed (its raft log is written to disk), or with ``--agent dev`` an
in-memory dev agent. It measures every workload with three clients
(:mod:`workloads`): consulate; the requests floor, a ``requests.PreparedRequest``
sent with a bare ``requests.Session.send`` (what any client built on
requests, consulate included, cannot go below); and py-consul. They run
side by side, interleaved round by round so that a change in the machine's
load hits all three alike, and it prints one table of medians: operations
per second, client CPU microseconds per operation (``time.process_time``:
this process only, every thread of it, not the agent), kv get latency
percentiles with and without 50 open watches, consulate's ratios to the
floor and to py-consul, the peak Python memory of the many-key workloads
(tracemalloc), the HTTP requests consulate sent per operation, and the cost
of ``import consulate``, ``import requests`` and ``import consul`` in a fresh
interpreter. Then the targets, each ``[met]`` or ``[missed]``, and notes:
the bulk load written one key at a time, and urllib3's "connection pool is
full" warnings by client. See docs/guide/performance.rst.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import FrameType
from typing import Any

import data
import measure
import report
import requests
import workloads
from report import CLIENTS, CONSULATE, FLOOR, PY_CONSUL, Results

from consulate.testing import ConsulAgent, consul_binary

ROOT = Path(__file__).resolve().parent.parent
#: The import statements timed, by the name report.IMPORTS gives them.
IMPORTS = {
    'consulate': 'import consulate',
    'requests': 'import requests',
    'consul (py-consul)': 'import consul',
}
#: The workloads whose peak memory is measured.
MANY_KEYS = ('bulk', 'read', 'mixed')


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    pool_full = _count_pool_full(('consulate', 'urllib3'))
    with _agent(args.agent) as agent:
        names = data.Names(uuid.uuid4().hex[:8], args.keys)
        base = f'http://{agent.http_addr}'
        _prepare(base, names)
        consulate_client = workloads.ConsulateClient(agent.client(), names)
        clients: dict[str, Any] = {
            CONSULATE: consulate_client,
            FLOOR: workloads.FloorClient(base, names),
            PY_CONSUL: workloads.PyConsulClient(base, names),
        }
        try:
            results = _run(clients, args, names)
            results.counts = _request_counts(consulate_client, results.series)
            if names.bulk in results.rows and args.per_key_runs > 0:
                results.per_key = _per_key_load(consulate_client, names, args.per_key_runs)
        finally:
            for client in clients.values():
                client.close()
    results.pool_full = _pool_full_counts(pool_full)
    statements = dict(IMPORTS)
    if args.import_baseline:
        path = str(Path(args.import_baseline).resolve())
        statements['consulate (baseline)'] = (
            f'import sys; sys.path.insert(0, {path!r}); {IMPORTS["consulate"]}'
        )
    results.imports = measure.import_costs(statements, args.import_runs, str(ROOT))
    info = measure.machine(_consul_version())
    info['agent'] = 'one server, data on disk' if args.agent == 'server' else 'dev (in memory)'
    _print(info, results)
    if args.json:
        measure.dump(args.json, _as_json(info, results))
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--rounds', type=int, default=7, help='interleaved rounds (default 7)')
    parser.add_argument(
        '--batch-seconds', type=float, default=0.25, help='target length of one batch'
    )
    parser.add_argument('--keys', type=int, default=5000, help='keys of the bulk workloads')
    parser.add_argument('--import-runs', type=int, default=15, help='fresh interpreters per import')
    parser.add_argument('--only', default='', help='run only workloads whose name contains this')
    parser.add_argument(
        '--agent',
        choices=('server', 'dev'),
        default='server',
        help='a server with a data directory (default) or an in-memory dev agent',
    )
    parser.add_argument(
        '--per-key-runs',
        type=int,
        default=3,
        help='runs of the bulk load as one kv[k] = v per key, for a note (default 3; 0: none)',
    )
    parser.add_argument(
        '--import-baseline',
        metavar='CHECKOUT',
        help='also time "import consulate" from this checkout (such as main), in the same runs',
    )
    parser.add_argument('--quick', action='store_true', help='3 rounds of short batches')
    parser.add_argument('--json', metavar='PATH', help='also write the raw figures as JSON')
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.batch_seconds, args.import_runs, args.per_key_runs = 3, 0.1, 5, 1
    return args


#: The three clients together hold more connections from 127.0.0.1 (threads, watches,
#: pools) than Consul's default of 200 per client address; over it, Consul resets them.
LIMITS = {'limits': {'http_max_conns_per_client': 1000}}


def _agent(kind: str) -> ConsulAgent:
    """The agent to measure against: a one-server cluster on disk, or a dev agent."""
    if kind == 'dev':
        return ConsulAgent(config=LIMITS)
    return ConsulAgent(dev=False, config={'server': True, 'bootstrap_expect': 1, **LIMITS})


class _PoolFull(logging.Handler):
    """Counts urllib3's "connection pool is full" warnings by client (and keeps them off stderr).

    The message names neither the pool nor its client, so the handler looks
    up the stack of the thread that logged it (a handler runs in that
    thread): the pool is the ``self`` of urllib3's ``_put_conn``, the
    session the ``self`` of ``requests.Session.send``. consulate's pools are
    of consulate's own classes; the baselines' sessions are listed in
    :data:`workloads.SESSION_OWNERS`.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if 'pool is full' in record.getMessage():
            owner = _pool_owner(sys._getframe())
            self.counts[owner] = self.counts.get(owner, 0) + 1


def _pool_owner(frame: FrameType | None) -> str:
    """The client whose pool logged the warning being handled in ``frame``'s stack."""
    pool = session = None
    while frame is not None and (pool is None or session is None):
        owner = frame.f_locals.get('self')
        if pool is None and frame.f_code.co_name == '_put_conn':
            pool = owner
        elif session is None and isinstance(owner, requests.Session):
            session = owner
        frame = frame.f_back
    if pool is not None and type(pool).__module__.startswith('consulate'):
        return CONSULATE
    if session is not None and session in workloads.SESSION_OWNERS:
        return workloads.SESSION_OWNERS[session]
    return 'unattributed'


def _count_pool_full(loggers: tuple[str, ...]) -> dict[str, _PoolFull]:
    handlers = {}
    for name in loggers:
        handler = handlers[name] = _PoolFull()
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.propagate = False
    return handlers


def _pool_full_counts(handlers: dict[str, _PoolFull]) -> dict[str, int]:
    """The warnings every handler counted, by client: every client listed, 0 if none."""
    counts = dict.fromkeys(CLIENTS, 0)
    for handler in handlers.values():
        for owner, count in handler.counts.items():
            counts[owner] = counts.get(owner, 0) + count
    return counts


def _per_key_load(client: workloads.ConsulateClient, names: data.Names, runs: int) -> float:
    """Median seconds to write the bulk load's keys with one ``kv[k] = v`` per key."""
    kv = client.consul.kv
    items = names.bulk_items('consulate-per-key')
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        for key, value in items.items():
            kv[key] = value
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def _prepare(base: str, names: data.Names) -> None:
    """Store the keys the read and watch workloads read; register the service health reads."""
    raw = workloads.FloorClient(base, names)
    try:
        items: dict[str, str | bytes] = {
            f'{names.read_prefix()}/key-{i:05d}': f'{names.value}-{i}' for i in range(names.keys)
        }
        items.update(
            {f'{names.mixed_prefix()}/key-{i:05d}': data.mixed_value(i) for i in range(names.keys)}
        )
        for client in CLIENTS:
            items[names.key(client, 'key')] = names.value
            for index in range(data.WATCHES):
                items[names.watched_key(client, index)] = 'start'
        for body in data.txn_batches(items):
            raw.json('PUT', '/v1/txn', body)
        service = {'Name': names.service, 'ID': names.service, 'Port': 80}
        raw.json('PUT', '/v1/agent/service/register', json.dumps(service).encode())
    finally:
        raw.close()


def _run(clients: dict[str, Any], args: argparse.Namespace, names: data.Names) -> Results:
    """Calibrate, then time every workload round by round, rotating the clients' order."""
    ops = {
        name: {
            row: None if op is None else measure.Workload.of(op) for row, op in client.ops().items()
        }
        for name, client in clients.items()
    }
    rows = [row for row, op in ops[CONSULATE].items() if args.only in row and op is not None]
    skipped = [row for row, op in ops[CONSULATE].items() if args.only in row and op is None]
    counts = {
        (row, client): measure.calibrate(ops[client][row], args.batch_seconds)
        for row in rows
        for client in CLIENTS
    }
    series = {(row, client): measure.Series() for row in rows for client in CLIENTS}
    for number in range(args.rounds):
        for row in rows:
            shift = number % len(CLIENTS)
            order = CLIENTS[shift:] + CLIENTS[:shift]
            for client in order:
                work, line = ops[client][row], series[row, client]
                latencies = line.latencies if work.latency else None
                line.batches.append(measure.time_batch(work, counts[row, client], latencies))
        print(f'round {number + 1}/{args.rounds} done', file=sys.stderr)
    many = {getattr(names, attribute) for attribute in MANY_KEYS}
    memory = {
        (row, client): measure.peak_memory(ops[client][row].op)
        for row in rows
        if row in many
        for client in CLIENTS
    }
    return Results(names, rows, skipped, series, memory)


def _request_counts(
    client: workloads.ConsulateClient, series: dict[tuple[str, str], measure.Series]
) -> dict[str, int]:
    """How many HTTP requests consulate sends for one operation of each one-thread workload."""
    adapter = client.consul.adapter
    sent = 0
    original = adapter.request

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal sent
        sent += 1
        return original(*args, **kwargs)

    rows = {row for row, name in series if name == CONSULATE}
    adapter.request = counting  # type: ignore[method-assign]
    try:
        counts = {}
        for row, op in client.ops().items():
            work = None if op is None else measure.Workload.of(op)
            if row in rows and work is not None and work.per_call == 1 and work.before is None:
                sent = 0
                work.op()
                counts[row] = sent
    finally:
        del adapter.request
    return counts


def _consul_version() -> str:
    output = subprocess.run(
        [consul_binary(), 'version'], capture_output=True, text=True, check=False
    ).stdout
    return output.splitlines()[0].replace('Consul ', '') if output else 'unknown'


def _print(info: dict[str, str], results: Results) -> None:
    print('machine: ' + ', '.join(f'{k} {v}' for k, v in info.items()))
    rounds = len(next(iter(results.series.values())).batches) if results.series else 0
    print(f'medians of {rounds} interleaved rounds; ratios > 1 favour consulate for ops/s\n')
    print(report.render(report.table_rows(results)))
    print('\ntargets:')
    print('\n'.join(report.targets(results)))
    notes = report.notes(results)
    if notes:
        print('\nnotes:')
        print('\n'.join(notes))


def _as_json(info: dict[str, str], results: Results) -> dict[str, Any]:
    def batches(row: str, client: str) -> list[dict[str, float]]:
        return [
            {'count': b.count, 'wall': b.wall, 'cpu': b.cpu}
            for b in results.series[row, client].batches
        ]

    def latency(row: str, client: str) -> dict[str, float]:
        line = results.series[row, client]
        if not line.latencies:
            return {}
        return {'p50': line.percentile(0.5), 'p99': line.percentile(0.99)}

    return {
        'machine': info,
        'workloads': {
            row: {client: batches(row, client) for client in CLIENTS} for row in results.rows
        },
        'latency_seconds': {
            f'{row} / {client}': latency(row, client)
            for row in results.rows
            for client in CLIENTS
            if results.series[row, client].latencies
        },
        'skipped': results.skipped,
        'peak_bytes': {f'{row} / {client}': v for (row, client), v in results.memory.items()},
        'requests_per_op': results.counts,
        'pool_full_warnings': results.pool_full,
        'imports': {name: vars(cost) for name, cost in results.imports.items()},
        'median_ops': {
            f'{row} / {client}': results.series[row, client].median_ops()
            for row in results.rows
            for client in CLIENTS
        },
    }


if __name__ == '__main__':
    sys.exit(main())
