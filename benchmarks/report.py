"""The benchmark's table of medians and its targets, from the figures of one run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import measure
from data import THREADS

CLIENTS = ('consulate', 'requests', 'http.client')


@dataclass
class Results:
    """Everything one run measured.

    :ivar series: the batches (and latencies) of each ``(workload, client)``
    :ivar memory: the peak Python allocations of the many-key workloads, bytes
    :ivar counts: the HTTP requests consulate sent for one operation, by workload
    :ivar per_key: seconds of the bulk load written as one ``kv[k] = v`` per key
    :ivar imports: the import costs, by client (and ``'consulate (baseline)'``)
    :ivar pool_full: "connection pool is full" warnings logged during the run, by logger
    """

    names: Any
    rows: list[str]
    skipped: list[str]
    series: dict[tuple[str, str], measure.Series]
    memory: dict[tuple[str, str], int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    per_key: float | None = None
    imports: dict[str, measure.ImportCost] = field(default_factory=dict)
    pool_full: dict[str, int] = field(default_factory=dict)

    def ratio(self, row: str, other: str) -> float:
        """Median over rounds of consulate's ops/s over ``other``'s on ``row``."""
        return measure.median_ratio(
            self.series[row, 'consulate'].batches, self.series[row, other].batches
        )


def _number(value: float) -> str:
    if value >= 100:
        return f'{value:,.0f}'
    return f'{value:.3g}'


def _ratio(value: float) -> str:
    return f'{value:.2f}x'


def _divide(numerator: float, denominator: float) -> str:
    return _ratio(numerator / denominator) if denominator > 0 else '-'


def _figure(name: str, values: list[float], fmt: Any = _number) -> list[str]:
    return ['', name, *map(fmt, values)] + [_divide(values[0], v) for v in values[1:]]


def table_rows(results: Results) -> list[list[str]]:
    series = results.series
    lines: list[list[str]] = []
    for row in results.rows:
        ops = [series[row, client].median_ops() for client in CLIENTS]
        batches = [series[row, client].batches for client in CLIENTS]
        lines.append(
            [row, 'ops/s', *map(_number, ops)]
            + [_ratio(measure.median_ratio(batches[0], b)) for b in batches[1:]]
        )
        lines.append(_figure('CPU µs/op', [series[row, client].median_cpu() for client in CLIENTS]))
        if series[row, 'consulate'].latencies:
            for name, share in (('p50 µs', 0.5), ('p99 µs', 0.99)):
                values = [1e6 * series[row, client].percentile(share) for client in CLIENTS]
                lines.append(_figure(name, values))
        if (row, 'consulate') in results.memory:
            lines.append(
                _figure('peak KiB', [results.memory[row, client] / 1024 for client in CLIENTS])
            )
        if row in results.counts:
            lines.append(['', 'requests/op', str(results.counts[row]), '', '', '', ''])
    for row in results.skipped:
        lines.append([row, 'skipped: not in consulate yet', '', '', '', '', ''])
    imports = results.imports
    if imports:
        one = '{:.1f}'.format
        lines.append(
            ['import', 'ms', *(one(imports[c].seconds * 1000) for c in CLIENTS)]
            + [_divide(imports['consulate'].seconds, imports[c].seconds) for c in CLIENTS[1:]]
        )
        lines.append(_figure('CPU ms', [imports[c].cpu_seconds * 1000 for c in CLIENTS], one))
        lines.append(_figure('RSS MiB', [imports[c].rss_kib / 1024 for c in CLIENTS], one))
    return lines


def render(lines: list[list[str]]) -> str:
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


def targets(results: Results) -> list[str]:
    """The issue's targets, each ``[met]`` or ``[missed]`` with the figure that decides it."""
    checks: list[tuple[str, bool, str]] = []
    rows, series, names = results.rows, results.series, results.names

    def time_of(row: str) -> float:
        return 1 / results.ratio(row, 'http.client')

    for row in ('kv get', 'kv set'):
        if row in rows:
            value = results.ratio(row, 'requests')
            checks.append(
                (f'{row}: >= 1.4x the ops/s of requests.Session', value >= 1.4, _ratio(value))
            )
    if 'kv get' in rows:
        cpu = (
            series['kv get', 'consulate'].median_cpu()
            / series['kv get', 'http.client'].median_cpu()
        )
        checks.append(('kv get, one thread: CPU/op <= 1.5x http.client', cpu <= 1.5, _ratio(cpu)))
    for count in THREADS:
        row = names.threaded[count]
        if row not in rows:
            continue
        value = results.ratio(row, 'http.client')
        checks.append((f'{row}: >= 0.8x the ops/s of http.client', value >= 0.8, _ratio(value)))
        if 'kv get' in rows:
            own = measure.median_ratio(
                series[row, 'consulate'].batches, series['kv get', 'consulate'].batches
            )
            checks.append(
                (f'{row}: >= consulate on one thread', own >= 1.0, f'{_ratio(own)} its ops/s')
            )
    for row, limit in ((names.read, 1.3), (names.mixed, 1.3)):
        if row in rows:
            value = time_of(row)
            checks.append(
                (f'{row}: within {limit}x of http.client', value <= limit, f'{value:.2f}x the time')
            )
    if names.watched in rows and 'kv get' in rows:
        with_watches = series[names.watched, 'consulate'].percentile(0.99)
        without = series['kv get', 'consulate'].percentile(0.99)
        value = with_watches / without
        checks.append(
            (
                f'{names.watched}: p99 <= 2x the p99 with none',
                value <= 2,
                f'{_ratio(value)} ({1e6 * with_watches:.0f} µs vs {1e6 * without:.0f} µs)',
            )
        )
    for row in ('kv get', 'kv set', 'kv get (missing)', names.read):
        if row in results.counts:
            count = results.counts[row]
            checks.append((f'{row}: one HTTP request', count == 1, str(count)))
    if names.bulk in rows:
        if results.per_key:
            update = 1 / series[names.bulk, 'consulate'].median_ops()
            speedup = results.per_key / update
            checks.append(
                (
                    f'{names.bulk} with kv.update: >= 20x one kv[k] = v per key',
                    speedup >= 20,
                    f'{speedup:.1f}x ({update:.3f} s vs {results.per_key:.2f} s)',
                )
            )
        value = time_of(names.bulk)
        checks.append(
            (
                f'{names.bulk}: within 1.1x of the same transactions over http.client',
                value <= 1.1,
                f'{value:.2f}x the time',
            )
        )
    checks.extend(_import_checks(results.imports))
    if 'consulate' in results.pool_full:
        count = results.pool_full['consulate']
        checks.append(('no "connection pool is full" logged by consulate', count == 0, str(count)))
    return [f'  [{"met" if ok else "missed"}] {what}: {value}' for what, ok, value in checks]


def _import_checks(imports: dict[str, measure.ImportCost]) -> list[tuple[str, bool, str]]:
    if not imports:
        return []
    ours = imports['consulate']
    extra = (ours.seconds - imports['requests'].seconds) * 1000
    checks = [('import consulate <= import requests + 30 ms', extra <= 30, f'{extra:+.1f} ms')]
    before = imports.get('consulate (baseline)')
    if before is not None:
        # Fresh interpreters on a shared machine vary by a few per cent either way.
        slower = ours.seconds / before.seconds
        grown = (ours.rss_kib - before.rss_kib) / 1024
        checks.append(
            (
                'import time no worse than the baseline checkout (within 5%)',
                slower <= 1.05,
                f'{ours.seconds * 1000:.1f} ms vs {before.seconds * 1000:.1f} ms',
            )
        )
        checks.append(
            (
                'import RSS no worse than the baseline checkout (within 0.2 MiB)',
                grown <= 0.2,
                f'{ours.rss_kib / 1024:.1f} MiB vs {before.rss_kib / 1024:.1f} MiB',
            )
        )
    return checks


def notes(results: Results) -> list[str]:
    """What the table does not show."""
    lines = []
    discarded = results.pool_full.get('urllib3')
    if discarded is not None:
        lines.append(
            f'  urllib3 logged "connection pool is full, discarding connection" {discarded} times'
            ' (the requests baseline: its watches share one Session, whose pool keeps 10;'
            ' consulate sends through its own connections, not urllib3)'
        )
    return lines
