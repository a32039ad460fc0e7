"""Benchmark consulate against a plain requests.Session and a bare http.client connection.

Run from the repository root (it is not part of the test run)::

    .venv/bin/python benchmarks/run.py            # about two minutes
    .venv/bin/python benchmarks/run.py --quick    # a rough look in about 30 seconds

It starts its own Consul agent (``consulate.testing.ConsulAgent``; the
binary is ``$CONSUL_BIN``, else ``consul`` on PATH, else ``.consul/bin/consul``):
by default a single server with a data directory, as Consul runs when
deployed (its raft log is written to disk), or with ``--agent dev`` an
in-memory dev agent. It
measures every workload with the three clients side by side,
interleaved round by round so that a change in the machine's load hits all
three alike, and prints one table of medians: operations per second, client
CPU microseconds per operation (``time.process_time``: this process only, not
the agent), their ratios, the peak Python memory of the many-key workloads
(tracemalloc), the HTTP requests consulate sent per operation, and the cost of
importing each client in a fresh interpreter. See docs/guide/performance.rst.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import measure
import workloads

import consulate
from consulate.testing import ConsulAgent, consul_binary

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ('consulate', 'requests', 'http.client')
IMPORTS = {
    'consulate': 'import consulate',
    'requests': 'import requests',
    'http.client': 'import http.client, json',
}


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    with _agent(args.agent) as agent:
        names = workloads.Names(uuid.uuid4().hex[:8], args.keys)
        base = f'http://{agent.http_addr}'
        _prepare(base, names)
        clients: dict[str, Any] = {
            'consulate': workloads.ConsulateClient(agent.client(), names),
            'requests': workloads.RequestsClient(base, names),
            'http.client': workloads.HttpClientClient(base, names),
        }
        try:
            results = _run(clients, args, names)
            counts = _request_counts(clients['consulate'], results['ops'])
            results['per_key'] = _per_key_load(clients['consulate'], names, args.per_key_runs)
        finally:
            for client in clients.values():
                client.close()
    imports = measure.import_costs(IMPORTS, args.import_runs, str(ROOT))
    info = measure.machine(_consul_version())
    info['agent'] = 'one server, data on disk' if args.agent == 'server' else 'dev (in memory)'
    _print(info, results, counts, imports)
    if args.json:
        measure.dump(args.json, _as_json(info, results, counts, imports))
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
        help='runs of the bulk load as one kv[k] = v per key (default 3)',
    )
    parser.add_argument('--quick', action='store_true', help='3 rounds of short batches')
    parser.add_argument('--json', metavar='PATH', help='also write the raw figures as JSON')
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.batch_seconds, args.import_runs, args.per_key_runs = 3, 0.1, 5, 1
    return args


def _agent(kind: str) -> ConsulAgent:
    """The agent to measure against: a one-server cluster on disk, or a dev agent."""
    if kind == 'dev':
        return ConsulAgent()
    return ConsulAgent(dev=False, config={'server': True, 'bootstrap_expect': 1})


def _per_key_load(client: workloads.ConsulateClient, names: workloads.Names, runs: int) -> float:
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


def _prepare(base: str, names: workloads.Names) -> None:
    """Store the keys the read workloads read and register the service health reads."""
    raw = workloads.HttpClientClient(base, names)
    try:
        items = {
            f'{names.read_prefix()}/key-{i:05d}': f'{names.value}-{i}' for i in range(names.keys)
        }
        items.update({names.key(client, 'key'): names.value for client in CLIENTS})
        for body in workloads.txn_batches(items):
            raw.json('PUT', '/v1/txn', body)
        service = {'Name': names.service, 'ID': names.service, 'Port': 80}
        raw.json('PUT', '/v1/agent/service/register', json.dumps(service).encode())
    finally:
        raw.close()


def _run(
    clients: dict[str, Any], args: argparse.Namespace, names: workloads.Names
) -> dict[str, Any]:
    """Calibrate, then time every workload round by round, rotating the clients' order."""
    ops = {name: client.ops() for name, client in clients.items()}
    rows: list[str] = [
        name for name in ops['consulate'] if args.only in name and ops['consulate'][name]
    ]
    skipped = [
        name for name in ops['consulate'] if args.only in name and not ops['consulate'][name]
    ]
    counts = {
        (row, client): measure.calibrate(ops[client][row], args.batch_seconds)
        for row in rows
        for client in CLIENTS
    }
    series = {(row, client): measure.Series() for row in rows for client in CLIENTS}
    for number in range(args.rounds):
        for row in rows:
            order = CLIENTS[number % 3 :] + CLIENTS[: number % 3]
            for client in order:
                op = ops[client][row]
                assert op is not None
                series[row, client].batches.append(measure.time_batch(op, counts[row, client]))
        print(f'round {number + 1}/{args.rounds} done', file=sys.stderr)
    memory = {
        (row, client): measure.peak_memory(ops[client][row])
        for row in rows
        if row in (names.bulk, names.read)
        for client in CLIENTS
    }
    return {
        'rows': rows,
        'skipped': skipped,
        'series': series,
        'memory': memory,
        'ops': ops,
        'read': names.read,
    }


def _request_counts(client: workloads.ConsulateClient, ops: dict[str, Any]) -> dict[str, int]:
    """How many HTTP requests consulate sends for one operation of each workload."""
    adapter = client.consul.adapter
    sent = 0
    original = adapter.request

    def counting(*args: Any, **kwargs: Any) -> consulate.adapters.Response:
        nonlocal sent
        sent += 1
        return original(*args, **kwargs)

    adapter.request = counting  # type: ignore[method-assign]
    try:
        counts = {}
        for row, op in ops['consulate'].items():
            if op is not None:
                sent = 0
                op()
                counts[row] = sent
    finally:
        del adapter.request
    return counts


def _consul_version() -> str:
    output = subprocess.run(
        [consul_binary(), 'version'], capture_output=True, text=True, check=False
    ).stdout
    return output.splitlines()[0].replace('Consul ', '') if output else 'unknown'


# -- the table -------------------------------------------------------------------


def _number(value: float) -> str:
    if value >= 100:
        return f'{value:,.0f}'
    return f'{value:.3g}'


def _ratio(value: float) -> str:
    return f'{value:.2f}x'


def _divide(numerator: float, denominator: float) -> str:
    return _ratio(numerator / denominator) if denominator > 0 else '-'


def _table_rows(
    results: dict[str, Any], counts: dict[str, int], imports: dict[str, measure.ImportCost]
) -> list[list[str]]:
    series: dict[tuple[str, str], measure.Series] = results['series']
    lines: list[list[str]] = []
    for row in results['rows']:
        ops = [series[row, client].median_ops() for client in CLIENTS]
        cpu = [series[row, client].median_cpu() for client in CLIENTS]
        batches = [series[row, client].batches for client in CLIENTS]
        lines.append(
            [row, 'ops/s', *map(_number, ops)]
            + [_ratio(measure.median_ratio(batches[0], b)) for b in batches[1:]]
        )
        lines.append(['', 'CPU µs/op', *map(_number, cpu)] + [_divide(cpu[0], c) for c in cpu[1:]])
        if (row, 'consulate') in results['memory']:
            kib = [results['memory'][row, client] / 1024 for client in CLIENTS]
            lines.append(
                ['', 'peak KiB', *map(_number, kib)] + [_divide(kib[0], k) for k in kib[1:]]
            )
        if row in counts:
            lines.append(['', 'requests/op', str(counts[row]), '', '', '', ''])
    for row in results['skipped']:
        lines.append([row, 'skipped: not in consulate yet', '', '', '', '', ''])
    times = [imports[client].seconds * 1000 for client in CLIENTS]
    rss = [imports[client].rss_kib / 1024 for client in CLIENTS]
    cpu_times = [imports[client].cpu_seconds * 1000 for client in CLIENTS]
    lines.append(
        ['import', 'ms', *(f'{t:.1f}' for t in times)] + [_divide(times[0], t) for t in times[1:]]
    )
    lines.append(
        ['', 'CPU ms', *(f'{t:.1f}' for t in cpu_times)]
        + [_divide(cpu_times[0], t) for t in cpu_times[1:]]
    )
    lines.append(
        ['', 'RSS MiB', *(f'{r:.1f}' for r in rss)] + [_divide(rss[0], r) for r in rss[1:]]
    )
    return lines


def _render(lines: list[list[str]]) -> str:
    header = ['workload', 'figure', *CLIENTS, 'consulate/requests', 'consulate/http.client']
    table = [header, *lines]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]

    def fmt(line: list[str]) -> str:
        cells = [
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        return '  '.join(cells).rstrip()

    rule = '  '.join('-' * w for w in widths)
    out = [fmt(header), rule]
    previous = ''
    for line in lines:
        if line[0] and previous:
            out.append('')
        out.append(fmt(line))
        previous = line[0] or previous
    return '\n'.join(out)


def _targets(
    results: dict[str, Any], counts: dict[str, int], imports: dict[str, measure.ImportCost]
) -> list[str]:
    series = results['series']
    checks: list[tuple[str, bool, str]] = []

    def ratio(row: str, other: str) -> float:
        return measure.median_ratio(series[row, 'consulate'].batches, series[row, other].batches)

    for row in ('kv get', 'kv set'):
        if row in results['rows']:
            value = ratio(row, 'requests')
            checks.append(
                (f'{row}: >= 1.4x the ops/s of requests.Session', value >= 1.4, _ratio(value))
            )
    read = results['read']
    if read in results['rows']:
        value = 1 / ratio(read, 'http.client')
        checks.append(
            (
                f'{read}: within 1.3x of http.client',
                value <= 1.3,
                f'{value:.2f}x the time of http.client',
            )
        )
    for row in ('kv get', 'kv set', 'kv get (missing)', read):
        if row in counts:
            checks.append((f'{row}: one HTTP request', counts[row] == 1, str(counts[row])))
    bulk = next((row for row in results['rows'] if row.startswith('bulk load')), None)
    if bulk is not None and results.get('per_key'):
        update = 1 / series[bulk, 'consulate'].median_ops()
        speedup = results['per_key'] / update
        checks.append(
            (
                f'{bulk} with kv.update: >= 20x one kv[k] = v per key',
                speedup >= 20,
                f'{speedup:.1f}x ({update:.3f} s vs {results["per_key"]:.2f} s)',
            )
        )
        value = 1 / ratio(bulk, 'http.client')
        checks.append(
            (
                f'{bulk}: within 1.5x of the same transactions over http.client',
                value <= 1.5,
                f'{value:.2f}x the time of http.client',
            )
        )
    extra = (imports['consulate'].seconds - imports['requests'].seconds) * 1000
    checks.append(('import consulate <= import requests + 30 ms', extra <= 30, f'{extra:+.1f} ms'))
    return [f'  [{"met" if ok else "NOT MET"}] {what}: {value}' for what, ok, value in checks]


def _print(
    info: dict[str, str],
    results: dict[str, Any],
    counts: dict[str, int],
    imports: dict[str, measure.ImportCost],
) -> None:
    print('machine: ' + ', '.join(f'{k} {v}' for k, v in info.items()))
    rounds = len(next(iter(results['series'].values())).batches) if results['series'] else 0
    print(f'medians of {rounds} interleaved rounds; ratios > 1 favour consulate for ops/s\n')
    print(_render(_table_rows(results, counts, imports)))
    print('\ntargets:')
    print('\n'.join(_targets(results, counts, imports)))


def _as_json(
    info: dict[str, str],
    results: dict[str, Any],
    counts: dict[str, int],
    imports: dict[str, measure.ImportCost],
) -> dict[str, Any]:
    def batches(row: str, client: str) -> list[dict[str, float]]:
        return [
            {'count': b.count, 'wall': b.wall, 'cpu': b.cpu}
            for b in results['series'][row, client].batches
        ]

    return {
        'machine': info,
        'workloads': {
            row: {client: batches(row, client) for client in CLIENTS} for row in results['rows']
        },
        'skipped': results['skipped'],
        'peak_bytes': {f'{row} / {client}': v for (row, client), v in results['memory'].items()},
        'requests_per_op': counts,
        'imports': {name: vars(cost) for name, cost in imports.items()},
        'median_ops': {
            f'{row} / {client}': statistics.median(
                b.ops_per_second for b in results['series'][row, client].batches
            )
            for row in results['rows']
            for client in CLIENTS
        },
    }


if __name__ == '__main__':
    sys.exit(main())
